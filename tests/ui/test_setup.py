"""The campaign set-up screen, driven by keys as a user would, checked against the database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, create_engine, select

from db.engine import open_database, sqlite_url
from db.models import Campaign, CampaignItem, PanelMember, Question
from panel_tui.app import make_app
from panel_tui.screens.setup import SetupScreen
from tests.ui.settle import settle, steady

ANNEX_D_ITEMS = [
    "Leading and Communicating",
    "Collaborating and Partnering",
    "Seeing the Big Picture",
    "Changing and Improving",
    "Delivering at Pace",
    "Managing a Quality Service",
]


@pytest.fixture
def open_app():
    """Build the app (by the CLI's factory) on a database file; disposed after the test."""
    opened = []

    def factory(path):
        db = open_database(sqlite_url(path))
        opened.append(db)
        return make_app(db)

    yield factory
    for db in opened:
        db.dispose()


class Stored:
    """What the set-up screen left on disk, read through a separate engine."""

    def __init__(self, path):
        self.engine = create_engine(sqlite_url(path))

    def campaign(self, title: str) -> Campaign:
        with Session(self.engine) as s:
            return s.exec(select(Campaign).where(Campaign.title == title).order_by(Campaign.id.desc())).first()

    def items(self, campaign_id: int) -> list[CampaignItem]:
        with Session(self.engine) as s:
            return list(s.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign_id).order_by(CampaignItem.position)).all())

    def panel(self, campaign_id: int) -> list[tuple[str, str]]:
        with Session(self.engine) as s:
            rows = s.exec(select(PanelMember).where(PanelMember.campaign_id == campaign_id).order_by(PanelMember.id)).all()
            return [(m.name, m.role) for m in rows]

    def questions(self, item_id: int) -> tuple[list[str], list[str]]:
        with Session(self.engine) as s:
            rows = s.exec(select(Question).where(Question.item_id == item_id).order_by(Question.kind, Question.position)).all()
            return [q.text for q in rows if q.kind == "question"], [q.text for q in rows if q.kind == "probe"]


@pytest.fixture
def stored(db_file):
    s = Stored(db_file)
    yield s
    s.engine.dispose()


def shown(screen, selector: str) -> str:
    """The text of a label or static, as the user sees it ("" when hidden)."""
    widget = screen.query_one(selector)
    if not widget.display:
        return ""
    return str(widget.render())


async def open_setup(pilot) -> SetupScreen:
    await pilot.press("n")
    await settle(pilot)  # the templates load in a service worker
    assert isinstance(pilot.app.screen, SetupScreen)
    return pilot.app.screen


async def step_is(pilot, name: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, SetupScreen)
    assert screen.sub_title.endswith(f": {name}"), screen.sub_title


async def next_step(pilot) -> None:
    await pilot.press("ctrl+right")
    await pilot.pause()


async def test_annex_d_end_to_end_by_keyboard(open_app, db_file, stored, monkeypatch, ui_thread_sessions):
    from db import campaigns
    from db.errors import ValidationError

    def refuse(session, spec, **kwargs):
        raise ValidationError("campaign key 'x' is taken")

    app = open_app(db_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_setup(pilot)
        await pilot.press("down", "down", "down", "down", "enter")  # Annex D, HR Business Partner

        await step_is(pilot, "Role")
        assert app.focused.id == "title" and app.focused.value == "HR Business Partner"
        await pilot.press("tab", "tab", *"R1", "tab", "tab", *"2099-03-01")
        await next_step(pilot)

        await step_is(pilot, "Grade")
        assert "Grade 7 is level 4" in shown(screen, "#level-info")
        await next_step(pilot)

        await step_is(pilot, "Framework")
        assert screen.framework.items == ANNEX_D_ITEMS
        await pilot.press("tab", "tab", "enter", "down", "enter")  # the first item is the lead
        await next_step(pilot)

        await step_is(pilot, "Other")
        await next_step(pilot)  # optional: skipped

        await step_is(pilot, "Questions")
        await pilot.press("tab", *"Q?", "tab", *"P1", "enter", *"P2")
        await next_step(pilot)

        await step_is(pilot, "Scoring")
        await pilot.press(*["tab"] * 6, *"5", "tab", "tab", *"26")  # Delivering at Pace: 5; minimum total
        await next_step(pilot)

        await step_is(pilot, "Panel")
        await pilot.press(*"Sam", "enter", *"Joe", "tab", "enter", "down", "enter")  # Joe: independent
        await next_step(pilot)

        await step_is(pilot, "Review")
        summary = shown(screen, "#summary")
        assert "Delivering at Pace · pass 5 · no question yet" in summary
        assert "Leading and Communicating ★ lead · pass 4 · 1 question, 2 probes" in summary
        assert "COPFS" not in summary  # a Home Office role
        assert app.focused.id == "create"
        # A refusal from the service is shown, and nothing is lost: Create again once it is fixed.
        monkeypatch.setattr(campaigns, "create_campaign", refuse)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert shown(screen, "#create-error") == "Not created: campaign key 'x' is taken"
        monkeypatch.undo()
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, SetupScreen)
        assert ui_thread_sessions == []  # choices, framework, COPFS advice, create: all in workers

    c = stored.campaign("HR Business Partner")
    assert c.level == 4 and c.grade == "Grade 7" and c.level_reason == ""
    assert c.department == "Home Office" and c.reference == "R1" and c.location == "London and the South East"
    assert c.decision_date == date(2099, 3, 1)
    assert c.min_total == 26 and c.divergence_threshold == 2 and c.scoring_method == "consensus"
    items = stored.items(c.id)
    assert [i.name for i in items] == ANNEX_D_ITEMS
    assert all(i.kind == "competency" and i.element_id for i in items)
    assert [i.name for i in items if i.is_lead] == ["Leading and Communicating"]
    assert [i.pass_mark for i in items] == [4, 4, 4, 4, 5, 4]
    assert stored.panel(c.id) == [("Sam", "chair"), ("Joe", "independent")]
    assert stored.questions(items[0].id) == (["Q?"], ["P1", "P2"])
    assert stored.questions(items[1].id) == ([], [])


async def test_steps_are_checked_on_the_way_and_escape_cancels(open_app, db_file, stored):
    app = open_app(db_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_setup(pilot)
        await pilot.press("enter")  # blank
        await step_is(pilot, "Role")
        palette = {c.title: c.callback for c in app.get_system_commands(screen)}
        assert {"Next step", "Previous step", "Create the campaign", "Remove the highlighted row"} <= set(palette)
        # The palette's step jump checks the steps on the way and stops at the first problem.
        await palette["Set-up step 9: Review"]()
        await step_is(pilot, "Role")
        assert screen.role.shown_error("title") == "campaign needs a title"
        assert "campaign needs a title" in shown(screen, "#nav-status") and app.focused.id == "title"
        await pilot.press(*"TL")
        await palette["Set-up step 9: Review"]()
        await step_is(pilot, "Grade")
        assert shown(screen, "#nav-status") == "campaign needs a grade (or a level)"
        await pilot.press("enter", "down", "down", "down", "down", "enter", "tab", "space")  # HEO, at level 4
        await pilot.press("ctrl+right")
        await step_is(pilot, "Grade")  # no reason: refused, the reason's field focused
        assert app.focused.id == "level-reason"
        assert shown(screen, "#nav-status") == "level 4 overrides grade HEO (level 3): give a level_reason"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, SetupScreen)
    assert stored.campaign("TL") is None


async def test_choices_load_off_the_ui_thread_with_the_loading_state_shown(open_app, db_file, monkeypatch):
    import threading

    from db import setup_helpers

    gate, threads = threading.Event(), []
    real = setup_helpers.template_choices

    def slow(session):
        threads.append(threading.current_thread())
        gate.wait(10)
        return real(session)

    monkeypatch.setattr(setup_helpers, "template_choices", slow)
    app = open_app(db_file)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        for _ in range(5):
            await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, SetupScreen) and threads
        assert threads[0] is not threading.main_thread()  # the UI thread was never held up
        assert shown(screen, "#setup-loading").startswith("Loading templates")
        assert screen.query_one("#next").disabled and not screen.steps
        await pilot.press("ctrl+right")  # nothing to check yet: ignored, not an error
        gate.set()
        await settle(pilot)
        assert shown(screen, "#setup-loading") == ""
        await step_is(pilot, "Start")
        assert "Annex D" in str(screen.query_one("#templates").get_option_at_index(4).prompt)


# --- snapshots at 80x24 ------------------------------------------------------------


async def _no_blink(pilot) -> None:
    await steady(pilot)


def _snap_app(db_file):
    return make_app(open_database(sqlite_url(db_file)))


def test_snapshot_start_80x24(snap_compare, db_file):
    async def run_before(pilot):
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("down", "down", "down", "down")
        await _no_blink(pilot)

    assert snap_compare(_snap_app(db_file), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_role_errors_80x24(snap_compare, db_file):
    async def run_before(pilot):
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await _no_blink(pilot)
        await pilot.press("tab", "tab", "tab", "tab", *"1 March", "ctrl+right")
        await _no_blink(pilot)

    assert snap_compare(_snap_app(db_file), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_framework_copfs_80x24(snap_compare, db_file):
    async def run_before(pilot):
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "down", "enter")  # Annex E
        await pilot.pause()
        # COPFS's advice is for COPFS campaigns: named so by the department.
        await pilot.press("tab", "ctrl+u", *"COPFS", "ctrl+right", "ctrl+right")
        await pilot.pause()
        await _no_blink(pilot)

    assert snap_compare(_snap_app(db_file), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_scoring_80x24(snap_compare, db_file):
    async def run_before(pilot):
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "enter")
        await pilot.pause()
        for _ in range(5):
            await pilot.press("ctrl+right")
            await pilot.pause()
        await _no_blink(pilot)

    assert snap_compare(_snap_app(db_file), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_review_80x24(snap_compare, db_file):
    async def run_before(pilot):
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "enter")
        await pilot.pause()
        for _ in range(6):
            await pilot.press("ctrl+right")
            await pilot.pause()
        await pilot.press(*"Sam Whitfield", "ctrl+right")
        await pilot.pause()
        await _no_blink(pilot)

    assert snap_compare(_snap_app(db_file), run_before=run_before, terminal_size=(80, 24))
