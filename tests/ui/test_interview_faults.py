"""Faults while a panellist types: the screen keeps taking keys, shows that it waits, and loses nothing.

Each test drives the real app with Pilot; keys are posted as the driver posts them and timed
until the editor holds them. A UI thread that waited on the save would hold a key for the
whole fault (2 s, or the 5 s busy timeout); the limits below are far under that and still
pass on a loaded machine: the median key within 100 ms, none over a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from time import monotonic

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from textual import events
from textual.widgets import TextArea

from db import autosave as service
from panel_tui.screens.interview import InterviewScreen
from tests.ui.test_interview import CP, LC, open_third_candidate, settle_saves

KEY_MEDIAN, KEY_MAX = 0.1, 1.0  # seconds from key to editor

# Another program takes the database's write lock until told on stdin (at most 30 s).
HOLDER = """
import select, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
select.select([sys.stdin], [], [], 30.0)
con.execute("COMMIT")
"""


async def type_timed(app, text: str) -> list[float]:
    """Type ``text`` into the focused editor; the seconds each key took to reach it."""
    editor = app.screen.query_one("#evidence", TextArea)
    took = []
    for char in text:
        before = editor.text
        start = monotonic()
        app.post_message(events.Key("space" if char == " " else char, char))
        while editor.text == before and monotonic() - start < 3:
            await asyncio.sleep(0.002)
        took.append(monotonic() - start)
        await asyncio.sleep(0.02)
    assert editor.text.endswith(text)
    return took


def status(app) -> str:
    return str(app.screen.query_one("#save-status").render())


async def wait_until(pilot, predicate, timeout: float) -> None:
    deadline = monotonic() + timeout
    while not predicate():
        assert monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def assert_responsive(keys: list[float]) -> None:
    keys = sorted(keys)
    median = keys[len(keys) // 2]
    assert median < KEY_MEDIAN and keys[-1] < KEY_MAX, f"keys: median {median * 1000:.0f} ms, slowest {keys[-1] * 1000:.0f} ms"


async def test_another_program_holding_the_write_lock(make_demo_app, reader, demo_db_file):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        keys = await type_timed(app, "Before lock.")
        await wait_until(pilot, lambda: "Saved" in status(app), 6)
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(demo_db_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout.readline().strip() == "locked"
            keys += await type_timed(app, " During lock.")
            await wait_until(pilot, lambda: "WAITING TO SAVE" in status(app), 6)
            assert "-waiting" in app.screen.query_one("#save-status").classes
            # Change item, type there, leave the candidate: all while the lock is held.
            await pilot.press("escape", "ctrl+n", "e")
            assert app.screen.current.name == CP
            keys += await type_timed(app, "Second item.")
            started = monotonic()
            await pilot.press("escape", "q")
            await wait_until(pilot, lambda: not isinstance(app.screen, InterviewScreen), 4)
            assert monotonic() - started < 4  # not held for the lock (5 s busy timeout, 8 s+ lock)
            # Back in: the text still waiting to be saved is what is shown.
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, InterviewScreen)
            assert app.screen.query_one("#evidence", TextArea).text == "Before lock. During lock."
            # Quit: it waits, visibly, and the screen still answers keys.
            await pilot.press("ctrl+q")
            await wait_until(pilot, lambda: "QUITTING" in status(app), 6)
            timer = app.screen.query_one("#timer")
            started = monotonic()
            await pilot.press("ctrl+t")
            assert timer.running and monotonic() - started < 1
            assert app.return_code is None  # not gone while the lock is held
            assert_responsive(keys)
        finally:
            with contextlib.suppress(BrokenPipeError):
                holder.stdin.write("release\n")
                holder.stdin.flush()
            holder.wait(10)
        await wait_until(pilot, lambda: app.return_code is not None, 15)  # saved, then quits
    settle_saves()  # the writer thread finishes what the app queued as it closed
    saved = reader.evidence("HRBP-003", "Sam Whitfield")
    assert saved[LC].notes == "Before lock. During lock."
    assert saved[CP].notes == "Second item."


async def test_a_save_that_takes_two_seconds(make_demo_app, reader, monkeypatch):
    real = service.autosave
    slow = {"on": True}

    def slow_save(*args, **kwargs):
        if slow["on"]:
            time.sleep(2.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "autosave", slow_save)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        keys = await type_timed(app, "Typed while")
        await pilot.pause(0.8)  # the first save is under way and stuck
        keys += await type_timed(app, " the save was stuck")
        await wait_until(pilot, lambda: "WAITING TO SAVE" in status(app), 6)
        slow["on"] = False
        await wait_until(pilot, lambda: "Saved" in status(app), 10)
        await pilot.pause(1.2)
        assert_responsive(keys)
    settle_saves()
    assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "Typed while the save was stuck"


@pytest.mark.parametrize("message", ["database or disk is full", "disk I/O error"])
async def test_disk_full_and_io_errors_are_retried_visibly(make_demo_app, reader, monkeypatch, message):
    real = service.autosave
    broken = {"on": True}

    def failing_save(*args, **kwargs):
        if broken["on"]:
            raise OperationalError("UPDATE itemevidence", {}, Exception(message))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "autosave", failing_save)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        keys = await type_timed(app, "Kept while the disk fails")
        await wait_until(pilot, lambda: "WAITING TO SAVE" in status(app) and message in status(app), 6)
        keys += await type_timed(app, " and more")
        assert reader.evidence("HRBP-003", "Sam Whitfield") == {}
        broken["on"] = False

        def everything_saved() -> bool:
            saved = reader.evidence("HRBP-003", "Sam Whitfield").get(LC)
            return saved is not None and saved.notes == "Kept while the disk fails and more"

        # The retry lands the older text first; the newer text follows with no key pressed.
        await wait_until(pilot, lambda: everything_saved() and "Saved" in status(app), 10)
        assert_responsive(keys)
    assert everything_saved()


async def test_a_read_only_database(make_demo_app, reader):
    # The tests may run as root, for whom chmod changes nothing: SQLite's own read-only switch
    # on every new connection gives the same error ("attempt to write a readonly database").
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        engine = app.database.engine

        def read_only(dbapi_conn, _record) -> None:
            dbapi_conn.execute("PRAGMA query_only=1")

        event.listen(engine, "connect", read_only)
        engine.dispose()
        await open_third_candidate(pilot)
        keys = await type_timed(app, "Typed on a read-only file")
        await wait_until(pilot, lambda: "readonly" in status(app), 6)
        assert "WAITING TO SAVE" in status(app)
        event.remove(engine, "connect", read_only)  # made writable again
        await wait_until(pilot, lambda: "Saved" in status(app), 10)
        assert_responsive(keys)
    assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "Typed on a read-only file"


async def test_a_permanent_error_is_shown_once_with_the_text_kept(make_demo_app, reader, monkeypatch):
    from db.errors import ValidationError

    calls = []

    def refused(*args, **kwargs):
        calls.append(1)
        raise ValidationError("this assessment is submitted: amending it needs a reason")

    monkeypatch.setattr(service, "autosave", refused)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await type_timed(app, "Refused text")
        await wait_until(pilot, lambda: "NOT SAVED" in status(app), 6)
        assert "press m to amend" in status(app)
        # A forced save while typing may have tried a shorter text first; once typing stops,
        # the refused state is not tried again.
        await pilot.pause(1)
        tried = len(calls)
        assert 1 <= tried <= 2
        await pilot.pause(3)
        assert len(calls) == tried
        assert app.screen.query_one("#evidence", TextArea).text == "Refused text"
        assert sum("Not saved" in str(n.message) for n in app._notifications) == 1
        # Leaving asks before the text is dropped.
        await pilot.press("escape", "q")
        await pilot.pause(0.8)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, InterviewScreen)
        # The way forward: amend with a reason, and the kept text is saved (audited path).
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"Submitted on the other laptop", "enter")
        await pilot.pause(1.0)
        assert "NOT SAVED" not in status(app)
    settle_saves()
    assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "Refused text"
