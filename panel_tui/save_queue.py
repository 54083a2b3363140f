"""One save queue (and one writer thread) per interview: the UI thread only hands it snapshots.

* Latest state per item wins: a newer snapshot replaces a pending one; items are written
  in the order they first became unsaved; one thread writes, so an older state never
  lands over a newer one.
* The thread never waits for the UI: it calls ``listener`` (the screen posts a message,
  which is thread-safe) when a write fails or the first write after failures succeeds; the
  UI reads ``status()`` for routine progress (the screen's 0.2 s tick), so the end of a
  routine save wakes nothing on the UI thread just as the next key may arrive. Neither side
  holds the lock while anything slow happens (the lock guards a few dict operations only).
* Transient failures (database locked or busy, disk full, I/O error, read-only file) are
  retried with backoff and reported as "waiting"; permanent ones (ValidationError,
  NotFound, anything unexpected) are reported once and the item's state is kept in
  ``failed`` so the screen can keep the text and offer a way forward.
* One queue per (database, candidate, member) for the life of the process: leaving the
  interview while a save waits, then opening it again, finds the same queue and its
  unsaved states. The thread is not a daemon: the process does not end (quit, SIGTERM,
  SIGHUP) until it has written everything it was given, or ``GIVE_UP_SECONDS`` have
  passed since it was closed.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import threading
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic
from typing import Callable

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from db import autosave as fast
from db import interview as service
from db.autosave import AutosaveTarget
from db.interview import EvidenceState

RETRY_FIRST, RETRY_MAX = 0.25, 2.0
GIVE_UP_SECONDS = 30.0
TRANSIENT = (OperationalError, sqlite3.OperationalError, OSError)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the database or the disk may recover (lock released, space freed)."""
    return isinstance(exc, TRANSIENT)


def one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class SaveStatus:
    unsaved: int  # items waiting to be written (pending or being written)
    writing_for: float  # seconds the current write has taken so far (0: none)
    waiting: str  # the last transient failure while items are unsaved ("" if none)
    failed: dict[int, str] = field(default_factory=dict)  # item id -> permanent failure
    saved_at: datetime | None = None


class SaveQueue:
    _registry: dict[tuple[str, int, int], "SaveQueue"] = {}
    _registry_lock = threading.Lock()

    @classmethod
    def open(cls, database, candidate_id: int, member_id: int) -> "SaveQueue":
        """The interview's queue: the one still saving from an earlier visit, or a new one."""
        key = (database.url, candidate_id, member_id)
        with cls._registry_lock:
            queue = cls._registry.get(key)
            if queue is not None and queue.database is database:
                with queue._cond:  # lock order: registry, then queue
                    if queue.accepting:
                        queue._released = False  # opened again while still writing: keep going
                        queue._closing_at = None
                    else:
                        queue = None
            else:
                queue = None
            if queue is None:
                queue = cls(database, candidate_id, member_id)
                cls._registry[key] = queue
            queue._users += 1
            return queue

    @classmethod
    def close_all(cls) -> None:
        """Write what is queued, then stop (the app is ending)."""
        with cls._registry_lock:
            queues = list(cls._registry.values())
        for queue in queues:
            queue.close()

    def __init__(self, database, candidate_id: int, member_id: int) -> None:
        self.database = database
        self.candidate_id = candidate_id
        self.member_id = member_id
        self.listener: Callable[[SaveStatus], None] | None = None
        self.accepting = True
        self._users = 0
        self._cond = threading.Condition()
        self._pending: dict[int, tuple[int, EvidenceState, str]] = {}  # item -> (seq, state, amend reason)
        self._writing: tuple[int, int, EvidenceState] | None = None  # (item, seq, state)
        self._writing_since = 0.0
        self._failed: dict[int, tuple[str, EvidenceState]] = {}
        self._waiting = ""
        self._saved_at: datetime | None = None
        self._seq = 0
        self._retry_at = 0.0
        self._released = False  # no screen uses it: stop once everything is written
        self._closing_at: float | None = None  # the program is ending: give up after GIVE_UP_SECONDS
        self._target: AutosaveTarget | None = None
        self._thread = threading.Thread(target=self._run, name=f"save-{candidate_id}-{member_id}", daemon=False)
        self._thread.start()

    # --- the UI thread's side (never blocks for more than a dict operation) ---

    def put(self, item_id: int, state: EvidenceState, amend_reason: str = "") -> int:
        """Queue the item's latest state; returns its sequence number (for settled())."""
        snapshot = deepcopy(state)
        with self._cond:
            self._seq += 1
            self._pending[item_id] = (self._seq, snapshot, amend_reason)
            self._failed.pop(item_id, None)
            self._retry_at = 0.0  # new work: try at once, even while backing off
            self._cond.notify()
            return self._seq

    @property
    def last_seq(self) -> int:
        return self._seq

    def settled(self, seq: int) -> bool:
        """Everything queued up to ``seq`` is written or has failed for good."""
        with self._cond:
            if self._writing is not None and self._writing[1] <= seq:
                return False
            return all(s > seq for s, _state, _reason in self._pending.values())

    def unsaved(self) -> dict[int, EvidenceState]:
        """The newest state of each item not yet written (to show again on reopening)."""
        with self._cond:
            out = {item: deepcopy(state) for item, (_message, state) in self._failed.items()}
            if self._writing is not None:
                out[self._writing[0]] = deepcopy(self._writing[2])
            out.update({item: deepcopy(state) for item, (_seq, state, _r) in self._pending.items()})
            return out

    def status(self) -> SaveStatus:
        with self._cond:
            unsaved = len(self._pending) + (1 if self._writing and self._writing[0] not in self._pending else 0)
            return SaveStatus(
                unsaved=unsaved,
                writing_for=monotonic() - self._writing_since if self._writing else 0.0,
                waiting=self._waiting if unsaved else "",
                failed={item: message for item, (message, _state) in self._failed.items()},
                saved_at=self._saved_at,
            )

    def discard_failed(self) -> None:
        """The panellist chose to leave without the changes that were refused."""
        with self._cond:
            self._failed.clear()

    def retry_now(self) -> None:
        with self._cond:
            self._retry_at = 0.0
            self._cond.notify()

    def release(self) -> None:
        """The screen is gone: stop once everything queued is written."""
        with self._registry_lock:
            self._users -= 1
            last = self._users <= 0
        if last:
            self.listener = None
            with self._cond:
                self._released = True
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            if self._closing_at is None:
                self._closing_at = monotonic()
            self._cond.notify()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # --- the writer thread ---

    def _run(self) -> None:
        backoff = 0.0
        session = None
        try:
            while True:
                with self._cond:
                    while True:
                        now = monotonic()
                        if self._closing_at is None and not threading.main_thread().is_alive():
                            self._closing_at = now  # the program is ending without closing us
                        closing = self._closing_at is not None
                        giving_up = closing and now - self._closing_at > GIVE_UP_SECONDS  # type: ignore[operator]
                        if (closing or self._released) and not self._pending or giving_up:
                            self.accepting = False
                            break
                        if self._pending and now >= self._retry_at:
                            break
                        self._cond.wait(max(self._retry_at - now, 0.01) if self._pending else 0.5)
                    if not self.accepting:
                        break
                    item_id, (seq, state, reason) = next(iter(self._pending.items()))
                    del self._pending[item_id]
                    self._writing = (item_id, seq, state)
                    self._writing_since = monotonic()
                try:
                    if session is None:
                        # One connection held by the writer: no pool checkout and reset per save.
                        session = Session(bind=self.database.engine.connect(), expire_on_commit=False)
                    saved_at = self._write(session, item_id, state, reason)
                except Exception as exc:  # noqa: BLE001 - every failure is reported; none is lost silently
                    if session is not None:
                        _close(session)
                        session = None
                    if "readonly" in one_line(exc) and self.database.url != "sqlite://":
                        # SQLite keeps a connection read-only once it opened so: reconnect to retry.
                        self.database.engine.dispose()
                    with self._cond:
                        self._writing = None
                        if is_transient(exc):
                            self._pending.setdefault(item_id, (seq, state, reason))  # a newer one wins
                            # Keep first-unsaved order: the failed item goes back to the front.
                            self._pending = {item_id: self._pending.pop(item_id), **self._pending}
                            backoff = min(backoff * 2 or RETRY_FIRST, RETRY_MAX)
                            self._retry_at = monotonic() + backoff
                            self._waiting = one_line(exc)
                        elif item_id not in self._pending:
                            self._failed[item_id] = (one_line(exc), state)
                    self._notify()
                    continue
                with self._cond:
                    recovered = bool(self._waiting) or backoff > 0.0
                    self._writing = None
                    self._waiting = ""
                    self._saved_at = saved_at
                    backoff = 0.0
                if recovered:  # "waiting to save" ends at once; a routine save is read by the tick
                    self._notify()
        finally:
            if session is not None:
                _close(session)
            self._unregister()

    def _write(self, session, item_id: int, state: EvidenceState, reason: str) -> datetime:
        # Looked up on the module each time, so tests can put a slow or failing service in its place.
        if reason:
            self._target = None  # the audited path writes rows the cached target does not know of
            return service.save_evidence(session, self.candidate_id, self.member_id, item_id, state, amend_reason=reason)
        if self._target is None:
            self._target = fast.autosave_target(session, self.candidate_id, self.member_id)
            session.commit()  # end the read transaction before the writes
        return fast.autosave(session, self._target, item_id, state)

    def _unregister(self) -> None:
        self.accepting = False
        with self._registry_lock:
            key = (self.database.url, self.candidate_id, self.member_id)
            if self._registry.get(key) is self:
                del self._registry[key]

    def _notify(self) -> None:
        listener = self.listener
        if listener is not None:
            try:
                listener(self.status())
            except Exception:  # noqa: BLE001 - a closing screen must not stop the writer
                pass


def _close(session: Session) -> None:
    connection = session.bind
    session.close()
    connection.close()  # type: ignore[union-attr]


def install_exit_signals(app) -> None:
    """SIGHUP (the terminal closed) and SIGTERM: queue what is on screen, write it, then end.

    Installed once, when an interview first opens in a real terminal. The writer threads
    are not daemons, so the process lasts until they have written what they were given.
    """
    if app.is_headless or getattr(app, "_panel_exit_signals", False):
        return
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        for screen in list(app.screen_stack):
            save = getattr(screen, "save_for_exit", None)
            if save is not None:
                try:
                    save()
                except Exception:  # noqa: BLE001 - save what can be saved from the other screens
                    pass
        SaveQueue.close_all()
        app.exit()

    for sig in (signal.SIGHUP, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    app._panel_exit_signals = True
