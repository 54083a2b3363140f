"""While the panellist types, routine redraws wait for the next key (one frame) or a pause; problems show at once."""

from __future__ import annotations

from datetime import datetime, timezone

from panel_tui.save_queue import SaveStatus
from panel_tui.screens import interview_saving
from panel_tui.screens.interview import InterviewScreen
from panel_tui.widgets.interview_timer import InterviewTimer
from tests.ui.test_interview import open_third_candidate


def status_text(screen) -> str:
    return str(screen.query_one("#save-status").render())


async def test_saved_time_waits_for_the_next_key_but_a_problem_does_not(make_demo_app, monkeypatch):
    monkeypatch.setattr(interview_saving, "TYPING_QUIET_SECONDS", 30.0)  # "still typing" for the whole test
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        screen = app.screen
        assert isinstance(screen, InterviewScreen)
        await pilot.press(*"abc")
        before = status_text(screen)
        assert "Saved" not in before
        for _ in range(100):  # the save queued once typing paused for a moment, written by the queue's thread
            await pilot.pause(0.05)
            if screen._status.saved_at is not None:
                break
        assert screen._status.saved_at is not None
        assert status_text(screen) == before  # held: no frame of its own just before the next key
        await pilot.press("d")
        assert "Saved" in status_text(screen)  # drawn with the key
        # Waiting for the database is never held back.
        screen._save_changed(SaveStatus(unsaved=1, writing_for=0.0, waiting="database is locked", saved_at=datetime.now(timezone.utc)))
        assert "WAITING TO SAVE" in status_text(screen)
        # The timer's second is held the same way and drawn with the next key.
        timer = screen.query_one(InterviewTimer)
        timer.toggle()
        shown = timer.elapsed
        timer._base += 5  # five seconds on, as if they had passed
        timer._second()
        assert timer.elapsed == shown
        await pilot.press("e")
        assert timer.elapsed >= shown + 5
        screen.flush()
