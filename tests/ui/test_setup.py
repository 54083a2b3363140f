"""The campaign set-up screen, driven by keys as a user would, checked against the database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, create_engine, select
from textual.widgets import Input, Label, Static, TextArea

from db.engine import open_database, sqlite_url
from db.models import Campaign, CampaignItem, PanelMember, Question
from panel_tui.app import make_app
from panel_tui.screens.campaign import CampaignScreen
from panel_tui.screens.setup import SetupScreen

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
    await pilot.pause()
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(pilot.app.screen, SetupScreen)
    return pilot.app.screen


async def step_is(pilot, name: str) -> None:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SetupScreen)
    assert screen.sub_title.endswith(f": {name}"), screen.sub_title


async def type_(pilot, text: str) -> None:
    for line_no, line in enumerate(text.split("\n")):
        if line_no:
            await pilot.press("enter")
        if line:
            await pilot.press(*line)


async def next_step(pilot) -> None:
    await pilot.press("ctrl+right")
    await pilot.pause()


async def add_chair_and_review(pilot, name: str = "Morag Campbell") -> None:
    """On the panel step: one chair, then on to the review."""
    await step_is(pilot, "Panel")
    await type_(pilot, name)
    await next_step(pilot)
    await step_is(pilot, "Review")


async def test_annex_d_end_to_end_by_keyboard(open_app, db_file, stored):
    app = open_app(db_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_setup(pilot)
        await pilot.press("down", "down", "down", "down", "enter")  # Annex D, HR Business Partner

        await step_is(pilot, "Role")
        assert app.focused.id == "title" and app.focused.value == "HR Business Partner"
        await pilot.press("tab", "tab")
        await type_(pilot, "HO-HR-42")
        await pilot.press("tab", "tab")
        await type_(pilot, "2026-03-01")
        await next_step(pilot)

        await step_is(pilot, "Grade")
        assert "Grade 7 is level 4" in shown(screen, "#level-info")
        await next_step(pilot)

        await step_is(pilot, "Framework")
        assert screen.items == ANNEX_D_ITEMS
        assert "6 chosen" in shown(screen, "#item-count")
        await pilot.press("tab", "tab")
        assert app.focused.id == "lead"
        await pilot.press("enter", "down", "enter")  # the first item is the lead
        await pilot.pause()
        assert "1. Leading and Communicating ★ lead" in shown(screen, "#item-count")
        await next_step(pilot)

        await step_is(pilot, "Other")
        await next_step(pilot)  # optional: skipped

        await step_is(pilot, "Questions")
        assert app.focused.id == "question-items"
        await pilot.press("tab")
        await type_(pilot, "Tell us about a difficult message you gave.")
        await pilot.press("tab")
        await type_(pilot, "How did you tailor it?\nHow did you know it landed?")
        await pilot.press("shift+tab", "shift+tab", "down", "tab")
        assert screen.query_one("#item-questions", TextArea).text == ""
        await type_(pilot, "Describe a partnership you built.")
        await next_step(pilot)

        await step_is(pilot, "Scoring")
        assert screen.query_one("#pass-default", Input).value == "4"
        await pilot.press("tab")  # the pass mark for every item
        assert app.focused.id == "pass-default"
        await pilot.press(*["tab"] * 5)  # per item: Delivering at Pace
        assert app.focused.id == "pass-item-4"
        await type_(pilot, "5")
        await pilot.press("tab", "tab")
        assert app.focused.id == "min-total"
        await type_(pilot, "26")
        await next_step(pilot)

        await step_is(pilot, "Panel")
        await type_(pilot, "Sam Whitfield")
        await pilot.press("enter")  # another row
        await type_(pilot, "Priya Raman")
        await pilot.press("enter")
        await type_(pilot, "Joe Lambert")
        await pilot.press("tab", "enter", "down", "enter")  # role: independent
        await next_step(pilot)

        await step_is(pilot, "Review")
        summary = shown(screen, "#summary")
        assert "HR Business Partner" in summary and "level 4" in summary
        assert "Delivering at Pace · pass 5 · no question yet" in summary
        assert "Leading and Communicating ★ lead · pass 4 · 1 question, 2 probes" in summary
        assert app.focused.id == "create"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen_stack[-1], CampaignScreen) or isinstance(app.screen_stack[-2], CampaignScreen)

    c = stored.campaign("HR Business Partner")
    assert c.level == 4 and c.grade == "Grade 7" and c.level_reason == ""
    assert c.department == "Home Office" and c.reference == "HO-HR-42" and c.location == "London and the South East"
    assert c.decision_date == date(2026, 3, 1)
    assert c.min_total == 26 and c.divergence_threshold == 2 and c.scoring_method == "consensus"
    assert [p["label"] for p in c.scale] == ["1", "2", "3", "4", "5", "6", "7"]
    items = stored.items(c.id)
    assert [i.name for i in items] == ANNEX_D_ITEMS
    assert all(i.kind == "competency" and i.element_id for i in items)
    assert [i.name for i in items if i.is_lead] == ["Leading and Communicating"]
    assert [i.pass_mark for i in items] == [4, 4, 4, 4, 5, 4]
    assert stored.panel(c.id) == [("Sam Whitfield", "chair"), ("Priya Raman", "member"), ("Joe Lambert", "independent")]
    assert stored.questions(items[0].id) == (
        ["Tell us about a difficult message you gave."],
        ["How did you tailor it?", "How did you know it landed?"],
    )
    assert stored.questions(items[1].id) == (["Describe a partnership you built."], [])
    assert stored.questions(items[2].id) == ([], [])


async def test_blank_campaign_with_overridden_level_needs_a_reason(open_app, db_file, stored):
    app = open_app(db_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_setup(pilot)
        await pilot.press("enter")  # blank
        await step_is(pilot, "Role")
        assert app.focused.value == ""
        await type_(pilot, "Team Leader")
        await next_step(pilot)

        await step_is(pilot, "Grade")
        await next_step(pilot)  # no grade yet: refused
        await step_is(pilot, "Grade")
        assert shown(screen, "#grade-error") == "choose the role's grade"
        await pilot.press("enter", "down", "down", "down", "down", "enter")  # AA, AO, EO, HEO
        await pilot.pause()
        assert "HEO is level 3" in shown(screen, "#level-info")
        assert shown(screen, "#grade-error") == ""
        await pilot.press("tab", "space")  # use a different level: starts one up, at 4
        await pilot.pause()
        assert "Assessed at level 4 instead" in shown(screen, "#level-info")
        await next_step(pilot)  # no reason: refused, the reason shown beside the field
        await step_is(pilot, "Grade")
        assert shown(screen, "#level-reason-error") == "a different level needs a reason"
        assert app.focused.id == "level-reason"
        await type_(pilot, "Leads a team of 12")
        await pilot.pause()
        assert shown(screen, "#level-reason-error") == ""
        await next_step(pilot)

        await step_is(pilot, "Framework")
        await pilot.press("tab", "space", "down", "space", "down", "space")  # three competencies
        await pilot.pause()
        assert screen.items == ["Seeing the Big Picture", "Changing and Improving", "Making Effective Decisions"]
        assert "3 chosen: panels typically assess 4-6" in shown(screen, "#item-count")
        await next_step(pilot)  # a warning, not a block
        await step_is(pilot, "Other")
        await next_step(pilot)
        await next_step(pilot)
        await next_step(pilot)
        await add_chair_and_review(pilot)
        assert "overridden: Leads a team of 12" in shown(screen, "#summary")
        await next_step(pilot)  # Next on the review creates
        await pilot.pause()

    c = stored.campaign("Team Leader")
    assert c.grade == "HEO" and c.level == 4 and c.level_reason == "Leads a team of 12"
    assert [i.name for i in stored.items(c.id)] == ["Seeing the Big Picture", "Changing and Improving", "Making Effective Decisions"]
    assert not any(i.is_lead for i in stored.items(c.id))


async def test_errors_beside_fields_and_next_refused(open_app, db_file):
    app = open_app(db_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_setup(pilot)
        await pilot.press("enter")
        await step_is(pilot, "Role")
        assert shown(screen, "#title-error") == ""  # nothing shown before the field is touched
        await pilot.press("tab", "tab", "tab", "tab")
        await type_(pilot, "1 March")
        await pilot.pause()
        assert shown(screen, "#decision-date-error") == "'1 March' is not a date as YYYY-MM-DD"
        await next_step(pilot)
        await step_is(pilot, "Role")  # refused
        assert shown(screen, "#title-error") == "the title is required"
        assert app.focused.id == "title"
        assert "the title is required" in shown(screen, "#nav-status")

        await type_(pilot, "Analyst")
        await pilot.pause()
        assert shown(screen, "#title-error") == ""
        await next_step(pilot)
        await step_is(pilot, "Role")  # the date is still wrong
        assert app.focused.id == "decision-date"
        await pilot.press("ctrl+u")
        await type_(pilot, "2026-02-30")
        await pilot.pause()
        assert shown(screen, "#decision-date-error") == "2026-02-30 is not a real date"
        await pilot.press("ctrl+u")
        await type_(pilot, "2026-02-28")
        await pilot.press("tab")
        await pilot.press("ctrl+u")
        await type_(pilot, "0")
        await pilot.pause()
        assert "1-600" in shown(screen, "#minutes-error")
        await pilot.press("backspace")
        await type_(pilot, "45")
        await next_step(pilot)
        await step_is(pilot, "Grade")

        # The palette's step jump checks the steps on the way too.
        await pilot.press("ctrl+left")
        await step_is(pilot, "Role")
        assert app.focused.id == "title"
        await pilot.press("ctrl+u", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"Set-up step 9")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await step_is(pilot, "Role")
        assert shown(screen, "#title-error") == "the title is required"


async def test_copfs_warning_beside_the_list(open_app, db_file):
    app = open_app(db_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_setup(pilot)
        await pilot.press("enter")
        await type_(pilot, "Finance Lead")
        await next_step(pilot)
        await pilot.press("enter", *["down"] * 6, "enter")  # Grade 7: level 4
        await pilot.pause()
        assert "Grade 7 is level 4" in shown(screen, "#level-info")
        await next_step(pilot)
        await step_is(pilot, "Framework")
        assert screen.query_one("#framework").selection == "competencies-2012"
        assert shown(screen, "#copfs") == ""
        await pilot.press("tab", *["down"] * 7, "space")  # Delivering Value for Money
        await pilot.pause()
        assert screen.items == ["Delivering Value for Money"]
        warning = shown(screen, "#copfs")
        assert "COPFS does not use Delivering Value for Money at level 4 (used at levels 5, 6)" in warning
        await pilot.press("up", "space")  # Achieving Commercial Outcomes: also levels 5-6
        await pilot.pause()
        assert "Achieving Commercial Outcomes" in shown(screen, "#copfs")
        # Deputy Director is level 5, where COPFS uses both.
        await pilot.press("ctrl+left", "enter", "down", "down", "enter")
        await pilot.pause()
        await next_step(pilot)
        await step_is(pilot, "Framework")
        assert shown(screen, "#copfs") == ""
        # Success Profiles behaviours: the COPFS table does not apply.
        await pilot.press("ctrl+left", "enter", "up", "up", "enter")  # back to Grade 7
        await next_step(pilot)
        assert "COPFS does not use" in shown(screen, "#copfs")
        assert app.focused.id == "framework"
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert screen.items == []
        await pilot.press("tab", "space")  # Seeing the Big Picture
        await pilot.pause()
        assert screen.items == ["Seeing the Big Picture"]
        assert shown(screen, "#copfs") == ""


async def test_copy_question_bank_from_demo(open_app, demo_db_file, stored):
    app = open_app(demo_db_file)
    stored.engine.dispose()
    stored.engine = create_engine(sqlite_url(demo_db_file))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_setup(pilot)
        await pilot.press("down", "down", "down", "down", "down", "enter")  # Annex E: shares four items
        await pilot.press("end")  # the template's title is selected on focus: keep it
        await type_(pilot, " (copy)")
        for _ in range(4):
            await next_step(pilot)
        await step_is(pilot, "Questions")
        await pilot.press("tab", "tab", "tab")
        assert app.focused.id == "copy-from"
        await pilot.press("enter", "down", "enter", "tab", "enter")  # the demo campaign; Copy
        await pilot.pause()
        assert screen.query_one("#item-questions", TextArea).text.startswith("Tell us about a time you had to communicate")
        assert screen.query_one("#item-probes", TextArea).text == (
            "How did you tailor the message to your audience?\nHow did you know it had landed?"
        )
        for _ in range(3):
            await next_step(pilot)
        await add_chair_and_review(pilot)
        await pilot.press("enter")
        await pilot.pause()

    c = stored.campaign("Workforce Planning Consultancy Team Leader (copy)")
    items = {i.name: i for i in stored.items(c.id)}
    assert stored.questions(items["Seeing the Big Picture"].id) == (
        ["Give an example of when you aligned HR activity with wider departmental priorities."],
        ["Which developments did you anticipate?", "What would you do differently?"],
    )
    assert stored.questions(items["Delivering Value for Money"].id) == ([], [])  # not in the demo


async def test_custom_scale_and_other_elements(open_app, db_file, stored):
    app = open_app(db_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_setup(pilot)
        await pilot.press("down", "down", "down", "down", "enter")  # Annex D
        await next_step(pilot)
        await next_step(pilot)
        await next_step(pilot)

        await step_is(pilot, "Other")
        await pilot.press("tab")
        await type_(pilot, "Resilience")
        await pilot.press("tab")
        await type_(pilot, "Bounces back from setbacks")
        await pilot.press("tab", "enter", "down", "down", "down", "enter")  # its own scale: 1-4
        await pilot.press("tab", "enter")  # Add element
        await pilot.pause()
        assert [o.name for o in screen.others] == ["Resilience"]
        assert app.focused.id == "other-name"  # ready for the next one
        await type_(pilot, "resilience")
        await pilot.press("enter")
        await pilot.pause()
        assert shown(screen, "#other-name-error") == "'resilience' is already an item"
        await pilot.press("ctrl+u", *"Maths", "enter")  # added; then removed from the list with Delete
        await pilot.pause()
        assert [o.name for o in screen.others] == ["Resilience", "Maths"]
        await pilot.press("tab", "tab", "tab", "tab", "up", "down", "delete")
        await pilot.pause()
        assert [o.name for o in screen.others] == ["Resilience"]
        assert app.focused.id == "others"
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab")
        assert app.focused.id == "other-name"
        await type_(pilot, "Typed, not added")
        await next_step(pilot)  # a name typed but not added: refused
        await step_is(pilot, "Other")
        assert "press Add element" in shown(screen, "#other-name-error")
        await pilot.press("ctrl+u")
        await next_step(pilot)
        await next_step(pilot)

        await step_is(pilot, "Scoring")
        await pilot.press("enter", "down", "down", "enter")  # Custom points
        await pilot.pause()
        assert screen.query_one("#custom-scale").display
        await pilot.press("tab")
        assert app.focused.id == "custom-scale"
        await type_(pilot, "x,Bad")
        await pilot.pause()
        assert shown(screen, "#custom-scale-error") == "line 1: value 'x' is not a number"
        await next_step(pilot)
        await step_is(pilot, "Scoring")
        await pilot.press("ctrl+a", "shift+end", "backspace")
        await type_(pilot, "0,Fail,Not met\n1,Pass,Met,Meets the standard\n2,Merit")
        await pilot.pause()
        assert shown(screen, "#custom-scale-error") == ""
        assert screen.query_one("#pass-default", Input).value == "Pass"
        # Resilience keeps its 1-4 scale: the campaign's "Pass" is not on it.
        assert "give this item its own" in shown(screen, "#pass-item-6-error")
        await next_step(pilot)
        await step_is(pilot, "Scoring")
        assert app.focused.id == "pass-item-6"
        await type_(pilot, "3")
        await pilot.pause()
        assert shown(screen, "#pass-item-6-error") == ""
        await next_step(pilot)
        await add_chair_and_review(pilot)
        await pilot.press("enter")
        await pilot.pause()

    c = stored.campaign("HR Business Partner")
    assert [(p["value"], p["label"]) for p in c.scale] == [(0, "Fail"), (1, "Pass"), (2, "Merit")]
    assert c.scale[1]["descriptor"] == "Meets the standard"
    items = stored.items(c.id)
    assert [i.pass_mark for i in items] == [1, 1, 1, 1, 1, 1, 3]
    resilience = items[-1]
    assert resilience.kind == "strength" and resilience.description == "Bounces back from setbacks"
    assert [p["value"] for p in resilience.scale] == [1, 2, 3, 4]


async def test_validation_error_from_create_is_shown_and_stays(open_app, db_file, monkeypatch):
    from db import campaigns
    from db.errors import ValidationError

    def refuse(session, spec, **kwargs):
        raise ValidationError("campaign key 'x' is taken")

    monkeypatch.setattr(campaigns, "create_campaign", refuse)
    app = open_app(db_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_setup(pilot)
        await pilot.press("down", "down", "down", "down", "enter")
        for _ in range(6):
            await next_step(pilot)
        await add_chair_and_review(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert shown(screen, "#create-error") == "Not created: campaign key 'x' is taken"


async def test_escape_asks_then_cancels(open_app, db_file, stored):
    app = open_app(db_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_setup(pilot)
        await pilot.press("enter")
        await type_(pilot, "Never made")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, SetupScreen)
    assert stored.campaign("Never made") is None


# --- snapshots at 80x24 ------------------------------------------------------------


async def _no_blink(pilot) -> None:
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


def _snap_app(db_file):
    return make_app(open_database(sqlite_url(db_file)))


def test_snapshot_start_80x24(snap_compare, db_file):
    async def run_before(pilot):
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("down", "down", "down", "down")
        await _no_blink(pilot)

    assert snap_compare(_snap_app(db_file), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_role_errors_80x24(snap_compare, db_file):
    async def run_before(pilot):
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await _no_blink(pilot)
        await pilot.press("tab", "tab", "tab", "tab", *"1 March", "ctrl+right")
        await _no_blink(pilot)

    assert snap_compare(_snap_app(db_file), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_framework_copfs_80x24(snap_compare, db_file):
    async def run_before(pilot):
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("down", "down", "down", "down", "down", "enter")  # Annex E
        await pilot.pause()
        await pilot.press("ctrl+right", "ctrl+right")
        await pilot.pause()
        await _no_blink(pilot)

    assert snap_compare(_snap_app(db_file), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_scoring_80x24(snap_compare, db_file):
    async def run_before(pilot):
        await pilot.press("n")
        await pilot.pause()
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
        await pilot.pause()
        await pilot.press("down", "down", "down", "down", "enter")
        await pilot.pause()
        for _ in range(6):
            await pilot.press("ctrl+right")
            await pilot.pause()
        await pilot.press(*"Sam Whitfield", "ctrl+right")
        await pilot.pause()
        await _no_blink(pilot)

    assert snap_compare(_snap_app(db_file), run_before=run_before, terminal_size=(80, 24))
