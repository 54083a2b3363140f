"""Field-trial fixes: NOTES / COMMANDS modes, resubmit after amending, tag and STAR symbols, footer keys.

Keys in the mode tests are posted all at once, as a fast typist's keys reach the app
before any of them is handled.
"""

from __future__ import annotations

from sqlmodel import Session, select
from textual import events
from textual.widgets import TextArea
from textual.widgets._footer import FooterKey

from db.models import AuditEvent
from panel_tui.screens.interview import InterviewScreen
from panel_tui.widgets.item_list import ItemList
from tests.ui.test_interview import LC, open_third_candidate, settle_saves


def mode(app) -> str:
    return str(app.screen.query_one("#mode").render())


def burst(app, *keys: str) -> None:
    """Keys arriving together, before the app has handled the first."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_the_mode_is_always_shown(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_third_candidate(pilot)
        assert "NOTES" in mode(app)
        await pilot.press("escape")
        assert "COMMANDS" in mode(app)
        await pilot.press("e")
        assert "NOTES" in mode(app)
        await pilot.press("e")  # in the notes, e is a letter
        assert app.screen.query_one("#evidence", TextArea).text == "e"


async def test_keys_straight_after_escape_are_commands_not_notes(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press(*"Clear answer")
        burst(app, "escape", "s", "a", "5")
        await pilot.pause(0.8)
        screen = app.screen
        assert screen.query_one("#evidence", TextArea).text == "Clear answer"
        assert screen.evidence[screen.current.id].star == "SA"
        assert screen.evidence[screen.current.id].score == 5
        assert "COMMANDS" in mode(app)
    settle_saves()  # the writer thread finishes what the app queued as it closed
    saved = reader.evidence("HRBP-003", "Sam Whitfield")[LC]
    assert (saved.notes, saved.star, saved.score) == ("Clear answer", "SA", 5)


async def test_keys_straight_after_e_are_notes_not_commands(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press("escape")
        burst(app, "e", "s", "a", "q", "u", "5")  # q would leave, u submit, s/a tick STAR
        await pilot.pause(0.8)
        screen = app.screen
        assert isinstance(screen, InterviewScreen)
        assert screen.query_one("#evidence", TextArea).text == "saqu5"
        assert screen.evidence[screen.current.id].star == ""
        assert screen.evidence[screen.current.id].score is None
    settle_saves()  # the writer thread finishes what the app queued as it closed
    assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "saqu5"


async def test_keys_straight_after_next_item_go_to_the_next_item(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press(*"first")
        burst(app, "ctrl+n", "x", "y")
        await pilot.pause(1.2)
    settle_saves()  # the writer thread finishes what the app queued as it closed
    saved = reader.evidence("HRBP-003", "Sam Whitfield")
    assert saved[LC].notes == "first"
    assert saved["Collaborating and Partnering"].notes == "xy"


async def test_after_amending_resubmit_is_explicit(make_demo_app, reader):
    # HRBP-001 is already submitted by Sam in the demo (Leading and Communicating: 5).
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape", "m")
        await pilot.pause()
        await pilot.press(*"Misheard the result", "enter")
        await pilot.pause()
        status = lambda: str(app.screen.query_one("#save-status").render())  # noqa: E731
        assert "u to resubmit" in status()
        assert any(k.description == "Resubmit" for k in app.screen.query(FooterKey))
        await pilot.press("escape", "6")
        await pilot.pause(0.5)
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause(0.5)
        assert "Submitted" in status() and "read-only" in status()
        await pilot.press("7")  # read-only again
        await pilot.pause(0.5)
    settle_saves()  # the writer thread finishes what the app queued as it closed
    assert reader.evidence("HRBP-001", "Sam Whitfield")[LC].score == 6
    with Session(reader.engine) as s:
        events_ = s.exec(select(AuditEvent).where(AuditEvent.action == "resubmit")).all()
    assert [(e.reason, e.actor) for e in events_] == [("Misheard the result", "Sam Whitfield")]


async def test_seen_and_contrary_have_their_own_signs_and_counts(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press("escape", "i", "plus", "down", "plus", "down", "minus")
        await pilot.pause()
        items = app.screen.query_one(ItemList)
        line = str(items.get_option_at_index(0).prompt)
        assert "+2" in line and "−1" in line
        column = app.screen.query_one("#ind-effective")
        marks = [str(column.get_option_at_index(i).prompt)[:2] for i in range(3)]
        assert marks == ["+ ", "+ ", "− "]


async def test_star_boxes_differ_without_colour(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press("escape", "s", "r")
        await pilot.pause()
        text = app.screen.query_one("#star").render().plain
        assert "[x] Situation" in text and "[ ] Task" in text and "[ ] Action" in text and "[x] Result" in text


async def test_essential_keys_fit_the_footer(make_demo_app):
    for width, height, wanted in (
        (80, 24, {"Notes", "Submit", "Score", "STAR", "Candidates", "Next"}),
        (120, 30, {"Notes", "Submit", "Score", "STAR", "Candidates", "Next", "Quit", "Help"}),
    ):
        app = make_demo_app()
        async with app.run_test(size=(width, height)) as pilot:
            await open_third_candidate(pilot)
            await pilot.press("escape")
            await pilot.pause()
            keys = list(app.screen.query(FooterKey))
            palette = next(k for k in keys if k.description == "palette")
            shown = {k.description for k in keys if k is not palette and k.region.right <= palette.region.x}
            assert wanted <= shown, f"{width} columns: missing {wanted - shown}"
