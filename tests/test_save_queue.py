"""The interview's save queue on its own: latest state per item wins, order, retries, failures told once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from db import autosave as fast
from db.engine import memory_database
from db.errors import ValidationError
from db.interview import EvidenceState
from panel_tui.save_queue import SaveQueue


@pytest.fixture
def writes(monkeypatch):
    """Record writes instead of making them; a test may hold the writer or make it fail."""
    log: list[tuple[int, str]] = []
    gate = threading.Event()
    gate.set()
    failures: list[Exception] = []

    def autosave(session, target, item_id, state):
        gate.wait(5)
        if failures:
            raise failures.pop(0)
        log.append((item_id, state.notes))

    monkeypatch.setattr(fast, "autosave_target", lambda session, c, m: object())
    monkeypatch.setattr(fast, "autosave", autosave)
    return log, gate, failures


def wait_settled(queue: SaveQueue, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not queue.settled(queue.last_seq):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_latest_state_per_item_wins_in_first_unsaved_order(writes):
    log, gate, _ = writes
    database = memory_database()
    queue = SaveQueue.open(database, 1, 1)
    gate.clear()  # the writer is stuck on the first write
    queue.put(10, EvidenceState(notes="a1"))
    time.sleep(0.1)
    queue.put(20, EvidenceState(notes="b1"))
    queue.put(10, EvidenceState(notes="a2"))
    queue.put(20, EvidenceState(notes="b2"))
    queue.put(10, EvidenceState(notes="a3"))
    assert queue.unsaved()[10].notes == "a3"
    gate.set()
    wait_settled(queue)
    # a1 was being written; then b (first unsaved next) and a, each at its newest only.
    assert log == [(10, "a1"), (20, "b2"), (10, "a3")]
    queue.release()
    assert queue.join(5)
    database.dispose()


def test_transient_failures_are_retried_and_permanent_ones_kept_once(writes):
    log, _, failures = writes
    database = memory_database()
    queue = SaveQueue.open(database, 2, 1)
    failures += [OperationalError("UPDATE", {}, Exception("database is locked"))] * 2
    queue.put(10, EvidenceState(notes="kept"))
    wait_settled(queue)
    assert log == [(10, "kept")] and queue.status().waiting == ""
    failures.append(ValidationError("this assessment is submitted: amending it needs a reason"))
    queue.put(20, EvidenceState(notes="refused"))
    wait_settled(queue)
    time.sleep(0.6)  # not retried
    assert log == [(10, "kept")]
    assert queue.status().failed == {20: "this assessment is submitted: amending it needs a reason"}
    assert queue.unsaved()[20].notes == "refused"  # still there to show on screen
    queue.put(20, EvidenceState(notes="refused, then changed"))  # a change tries again
    wait_settled(queue)
    assert log[-1] == (20, "refused, then changed") and queue.status().failed == {}
    queue.release()
    assert queue.join(5)
    database.dispose()


def test_reopening_while_still_writing_finds_the_same_queue(writes):
    log, gate, _ = writes
    database = memory_database()
    queue = SaveQueue.open(database, 3, 1)
    gate.clear()
    queue.put(10, EvidenceState(notes="left behind"))
    queue.release()  # the screen left while the write waits
    again = SaveQueue.open(database, 3, 1)
    assert again is queue and again.unsaved()[10].notes == "left behind"
    gate.set()
    wait_settled(again)
    again.release()
    assert again.join(5)
    assert log == [(10, "left behind")]
    database.dispose()
