"""The panellist's interview screen, driven by keys as a panellist would, checked against the database."""

from __future__ import annotations

from sqlmodel import Session, select
from textual.widgets import TextArea

from db.models import AuditEvent, IndicatorTag
from panel_tui.screens.interview import InterviewScreen

# Demo: Sam Whitfield (chair) is the remembered panellist; HRBP-003 is the third candidate, not yet
# started by Sam. Items in order: Leading and Communicating (lead), Collaborating and Partnering,
# Seeing the Big Picture, Changing and Improving, Delivering at Pace, Managing a Quality Service.
LC, CP = "Leading and Communicating", "Collaborating and Partnering"


def settle_saves() -> None:
    """Wait for the save queues' writer threads (they outlive the app, as in a real exit)."""
    from panel_tui.save_queue import SaveQueue

    SaveQueue.close_all()
    for queue in list(SaveQueue._registry.values()):
        queue.join(10)


async def open_third_candidate(pilot):
    await pilot.pause()
    await pilot.press("down", "down", "enter")
    await until_interview(pilot)


async def until_interview(pilot, seconds: float = 5.0) -> None:
    """The interview is read in a worker, then shown: wait for it (keys typed meanwhile are kept)."""
    for _ in range(int(seconds / 0.02)):
        if isinstance(pilot.app.screen, InterviewScreen) and pilot.app.screen.is_mounted:
            await pilot.pause()
            return
        await pilot.pause(0.02)
    assert isinstance(pilot.app.screen, InterviewScreen)


async def test_notes_are_saved_as_typed(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press(*"Led a restructure of 40 staff")
        await pilot.pause(1.0)  # typing stopped: saved within about a second, without leaving anything
        saved = reader.evidence("HRBP-003", "Sam Whitfield")
        assert saved[LC].notes == "Led a restructure of 40 staff"
        for _ in range(40):  # "Saved" is drawn once the pause outlasts a resuming key's moment
            if "Saved" in str(app.screen.query_one("#save-status").render()):
                break
            await pilot.pause(0.05)
        assert "Saved" in str(app.screen.query_one("#save-status").render())


async def test_long_continuous_typing_is_saved_while_it_goes_on(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        # Keep typing without a pause longer than the idle delay: the 1 s ceiling still saves.
        for word in ["one ", "two ", "three ", "four ", "five ", "six "]:
            await pilot.press(*word)
            await pilot.pause(0.3)
        saved = reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes
        assert saved.startswith("one two three")


async def test_score_star_and_tags_by_keys(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press("escape")  # done typing: one-key commands
        await pilot.press("5", "s", "a")
        await pilot.press("i")  # the indicators; first effective indicator highlighted
        await pilot.press("plus", "down", "minus")
        await pilot.pause(0.8)
    settle_saves()  # the writer thread finishes what the app queued as it closed
    saved = reader.evidence("HRBP-003", "Sam Whitfield")[LC]
    assert saved.score == 5
    assert saved.star == "SA"
    with Session(reader.engine) as s:
        tags = s.exec(select(IndicatorTag.tag).where(IndicatorTag.evidence_id == saved.id).order_by(IndicatorTag.id)).all()
    assert tags == ["seen", "contrary"]


async def test_number_keys_type_into_notes_while_editing(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press(*"Saved 40 jobs")
        await pilot.pause(1.2)
    settle_saves()  # the writer thread finishes what the app queued as it closed
    saved = reader.evidence("HRBP-003", "Sam Whitfield")[LC]
    assert saved.notes == "Saved 40 jobs"
    assert saved.score is None and saved.star == ""


async def test_moving_between_items_and_back_keeps_each_items_notes(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press(*"first item")
        await pilot.press("ctrl+n")
        await pilot.press(*"second item")
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert app.screen.query_one("#evidence", TextArea).text == "first item"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.query_one("#evidence", TextArea).text == "second item"
        await pilot.pause(1.2)
    settle_saves()  # the writer thread finishes what the app queued as it closed
    saved = reader.evidence("HRBP-003", "Sam Whitfield")
    assert saved[LC].notes == "first item"
    assert saved[CP].notes == "second item"


async def test_leave_and_return_then_quit_and_reopen(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press(*"before leaving")
        await pilot.press("escape", "q")  # back to the candidates: saved on leaving
        await pilot.pause()
        assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "before leaving"
        assert "in progress" in str(app.screen.query_one("DataTable").get_row_at(2))
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#evidence", TextArea).text == "before leaving"
        await pilot.press("end", *" and after")
        await pilot.press("ctrl+q")  # quit at once: saved on the way out
    settle_saves()  # the writer thread finishes what the app queued as it closed
    assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "before leaving and after"

    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        assert app.screen.query_one("#evidence", TextArea).text == "before leaving and after"


async def test_submit_needs_every_score_then_is_read_only(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press("escape", "u")
        await pilot.pause()
        assert reader.assessment("HRBP-003", "Sam Whitfield") is None  # nothing typed, nothing submitted
        for score in "456544":
            await pilot.press(score, "ctrl+n")
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert reader.assessment("HRBP-003", "Sam Whitfield").submitted_at is not None
        # Read-only now: number keys change nothing.
        await pilot.press("7")
        await pilot.pause(0.8)
    settle_saves()  # the writer thread finishes what the app queued as it closed
    scores = {k: v.score for k, v in reader.evidence("HRBP-003", "Sam Whitfield").items()}
    assert sorted(scores.values()) == [4, 4, 4, 5, 5, 6]
    assert scores[LC] == 4


async def test_amend_after_submit_asks_a_reason_and_is_audited(make_demo_app, reader):
    # HRBP-001 is already submitted by Sam in the demo (Leading and Communicating: 5).
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape", "6")
        await pilot.pause()
        assert reader.evidence("HRBP-001", "Sam Whitfield")[LC].score == 5
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("enter")  # empty reason refused
        await pilot.pause()
        await pilot.press(*"Misheard the result", "enter")
        await pilot.pause()
        await pilot.press("escape", "6")
        await pilot.pause(0.8)
    settle_saves()  # the writer thread finishes what the app queued as it closed
    assert reader.evidence("HRBP-001", "Sam Whitfield")[LC].score == 6
    with Session(reader.engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "amend")).all()
    assert [(e.entity, e.old_value, e.new_value, e.reason, e.actor) for e in events] == [
        ("evidence.score", "5.0", "6.0", "Misheard the result", "Sam Whitfield")
    ]


async def test_level_keys_show_levels_below_and_above(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        title = lambda: str(app.screen.query_one("#indicator-title").render())  # noqa: E731
        assert "level 4 (the role's level)" in title()
        await pilot.press("escape", "left_square_bracket")
        assert "level 3 (below the role's level)" in title()
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert "level 5 (above the role's level)" in title()
        await pilot.press("right_square_bracket")  # no further than one level away
        assert "level 5" in title()


async def test_timer_starts_and_plans_for_extra_time(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # HRBP-001 has 15 minutes' extra time
        await pilot.pause()
        timer = app.screen.query_one("#timer")
        assert timer.planned_minutes == 75
        await pilot.press("ctrl+t")
        await pilot.pause(1.2)
        assert timer.running and timer.elapsed >= 1
        await pilot.press("ctrl+t")
        assert not timer.running


async def test_choose_who_i_am_is_remembered(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("down", "enter")  # Priya Raman
        await pilot.pause()
        await pilot.press("y")  # confirm the switch from Sam (audited)
        await pilot.pause()
        assert "Priya Raman" in app.screen.sub_title
        await pilot.press("down", "down", "enter")
        await until_interview(pilot)
        await pilot.press(*"Priya's notes")
        await pilot.press("escape", "q")
        await pilot.pause()
    settle_saves()  # the writer thread finishes what the app queued as it closed
    assert reader.evidence("HRBP-003", "Priya Raman")[LC].notes.endswith("Priya's notes")
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "Priya Raman" in app.screen.sub_title
