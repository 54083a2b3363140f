"""Opening an interview reads the database in a worker, never on the UI thread, and keeps the keys
typed while it reads for the interview's notes."""

from __future__ import annotations

import threading

from db import interview as service
from panel_tui.screens.campaign import CampaignScreen
from panel_tui.screens.interview import InterviewScreen
from panel_tui.widgets.indicator_panel import IndicatorPanel
from tests.ui.settle import settle
from tests.ui.test_interview import LC, open_third_candidate, settle_saves, until_interview
from tests.ui.test_interview_modes import burst


def held(monkeypatch, name: str) -> tuple[list[str], threading.Event]:
    """Make ``db.interview.NAME`` wait until the returned event is set (a slow disk, on cue).

    Returns the names of the threads it ran on, and the event."""
    real, threads, go = getattr(service, name), [], threading.Event()

    def wrapped(*args, **kwargs):
        threads.append(threading.current_thread().name)
        go.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, name, wrapped)
    return threads, go


async def test_the_interview_is_read_off_the_ui_thread_and_keys_typed_meanwhile_are_notes(make_demo_app, reader, monkeypatch):
    threads, go = held(monkeypatch, "load_interview")
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ui_thread = threading.current_thread().name
        # "e" is the campaign's Edit candidate: typed as the interview opens, it must be a letter of the note.
        await pilot.press("down", "down", "enter")
        burst(app, *"Led")
        await pilot.pause(0.3)
        assert isinstance(app.screen_stack[-2], CampaignScreen)  # still reading, the campaign untouched
        assert "Opening the interview" in str(app.screen.query_one("#key-hold-message").render())
        go.set()
        await until_interview(pilot)
        await pilot.pause(0.3)
        assert app.screen.query_one("#evidence").text == "Led"
        assert [type(s) for s in app.screen_stack[1:]] == [CampaignScreen, InterviewScreen]
        await pilot.press("escape", "q")
        await settle(pilot)
    settle_saves()
    assert threads and ui_thread not in threads
    assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "Led"


async def test_a_quick_open_shows_no_message(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        assert not app.screen.query("#key-hold-message")  # the holding screen has gone


async def test_another_level_is_read_in_a_thread_then_shown(make_demo_app, monkeypatch):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        panel = app.screen.query_one(IndicatorPanel)
        role_level = app.screen.view.level
        assert f"level {role_level} (the role's level)" in str(panel.query_one("#indicator-title").render())
        threads, go = held(monkeypatch, "indicators")
        await pilot.press("escape", "right_square_bracket")
        assert "reading" in str(panel.query_one("#indicator-title").render())
        go.set()
        await pilot.pause(0.3)
        title = str(panel.query_one("#indicator-title").render())
        assert f"level {role_level + 1} (above the role's level)" in title and "reading" not in title
        assert threads and threading.current_thread().name not in threads
        # Back at the role's level: read with the interview, no read now.
        await pilot.press("left_square_bracket")
        assert f"level {role_level} (the role's level)" in str(panel.query_one("#indicator-title").render())
        assert len(threads) == 1


async def test_a_missing_candidate_is_said_in_one_line_and_the_campaign_stays(make_demo_app, monkeypatch):
    def gone(session, candidate_id, member_id):
        from db.errors import NotFound

        raise NotFound(f"no candidate with id {candidate_id}")

    monkeypatch.setattr(service, "load_interview", gone)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CampaignScreen)
        assert any("no candidate with id" in n.message for n in app._notifications)
        await pilot.press("e")  # keys work again: Edit candidate opens
        await pilot.pause()
        assert not isinstance(app.screen, CampaignScreen)


async def test_a_panellists_path_reads_nothing_on_the_ui_thread(make_demo_app, reader, ui_thread_sessions):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ui_thread_sessions.clear()  # this app was given its database open (start-up is test_startup's)
        await open_third_candidate(pilot)
        await pilot.press(*"Clear example", "escape", "4", "ctrl+n", "right_square_bracket", "e", *"More")
        await pilot.pause(0.3)
        await pilot.press("escape", "q")
        await settle(pilot)
        await pilot.press("down", "enter")  # the fourth candidate, from the candidate list
        await until_interview(pilot)
        await pilot.press("escape", "q")
        await settle(pilot)
    settle_saves()
    assert ui_thread_sessions == []
    assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "Clear example"
