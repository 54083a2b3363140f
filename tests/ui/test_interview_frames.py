"""While the panellist types, routine redraws wait for the next key (drawn in the frame slot just after that
key's own frame) or a pause; problems show at once."""

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
        assert "Saved" in status_text(screen)  # drawn once the key's frame is out
        # Waiting for the database is never held back.
        screen._save_changed(SaveStatus(unsaved=1, writing_for=0.0, waiting="database is locked", saved_at=datetime.now(timezone.utc)))
        assert "WAITING TO SAVE" in status_text(screen)
        # The timer's second is held the same way and drawn after the next key.
        timer = screen.query_one(InterviewTimer)
        timer.toggle()
        shown = timer.elapsed
        timer._base += 5  # five seconds on, as if they had passed
        timer._second()
        assert timer.elapsed == shown
        await pilot.press("e")
        assert timer.elapsed >= shown + 5
        screen.flush()


async def test_a_held_redraw_is_not_in_the_keys_own_frame(make_demo_app, monkeypatch):
    """The key's frame renders the editor alone (the status row beside it made Textual render twice the widgets)."""
    monkeypatch.setattr(interview_saving, "TYPING_QUIET_SECONDS", 30.0)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        screen = app.screen
        frames: list[set[str]] = []
        update = screen._on_timer_update

        def recorded() -> None:
            frames.append({w.id or "" for w in screen._dirty_widgets})
            update()

        monkeypatch.setattr(screen, "_on_timer_update", recorded)
        screen._update_timer._callback = recorded  # the screen's frame timer calls it directly
        await pilot.press("a")
        for _ in range(100):  # the save, queued once typing paused for a moment
            await pilot.pause(0.05)
            if screen._status.saved_at is not None:
                break
        frames.clear()
        await pilot.press("b")
        for _ in range(10):
            await pilot.pause(0.02)
        assert "Saved" in status_text(screen)
        key_frame = next(i for i, ids in enumerate(frames) if "evidence" in ids)
        assert frames[key_frame] == {"evidence"}  # the key's echo alone
        assert any("save-status" in ids for ids in frames[key_frame + 1:])  # then the held status
        screen.flush()


async def test_a_pause_in_typing_collects_and_freezes_and_closing_thaws(make_demo_app, monkeypatch):
    """No full collection comes due on a key: typing's garbage is collected in the pauses, what lives is frozen."""
    import gc

    monkeypatch.setattr(interview_saving, "TYPING_QUIET_SECONDS", 0.3)
    gc.unfreeze()  # as a new process starts (an earlier test may have left objects frozen)
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(a) or 0)  # counted, not run (the suite's garbage)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.pause(0.1)
        frozen = gc.get_freeze_count()
        assert frozen > 0  # what was alive when the screen was drawn
        await pilot.press(*"abc")
        assert collections == []
        await pilot.pause(0.6)  # typing paused
        assert len(collections) == 1
        await pilot.pause(0.4)
        assert len(collections) == 1  # once per pause
        app.screen.flush()
        await pilot.press("escape", "q")
        for _ in range(50):
            await pilot.pause(0.05)
            if not isinstance(app.screen, InterviewScreen):
                break
        await pilot.pause(0.1)
        assert gc.get_freeze_count() == 0  # closing gave everything back to the collector
