"""Seeing other terminals' writes, and writing without tripping over them.

Live screens (``ChangeWatch``)
    An open screen asks once a second "has anything been committed since I last
    looked?" and only then re-reads what it shows. The check is one tiny query:

    - SQLite file: ``PRAGMA data_version`` on a connection kept for the watch. It
      changes whenever *another* connection (another terminal, or this app's own
      worker sessions) commits, costs no table read, and is the documented way to
      detect that. It is per connection, hence the kept connection.
    - Anything else (PostgreSQL, in-memory SQLite, whose one shared connection
      never sees "another" connection's commit): one portable statement of
      scalar sub-queries (the newest audit event and assessment/consensus/outcome
      update times, and the candidate count). Portable SQLAlchemy; a few ms. On
      PostgreSQL it runs in autocommit: one statement, one round trip per check.

    Chosen over a counter row bumped by writers because it needs no schema
    change and no writer can forget to bump it. A false "changed" only costs
    the screen an incremental re-read.

Writers (``lock_campaign``, ``DatabaseBusy``)
    ``lock_campaign`` starts a write transaction *with a write* (a no-op update
    of the campaign row): on SQLite that takes the write lock before any
    duplicate check reads, so the check and the writes are one transaction (a
    second import waits, then sees the first one's rows); on PostgreSQL it
    locks the campaign row, with the same effect. ``report_busy(engine)``
    turns "database is locked/busy" into ``DatabaseBusy``, one line for people.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.exc import OperationalError

from db.errors import PanelError

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = ["BUSY_MESSAGE", "DatabaseBusy", "is_busy", "report_busy", "lock_campaign", "ChangeWatch"]

BUSY_MESSAGE = "the database is busy (another panel-tui is writing); try again"


class DatabaseBusy(PanelError):
    """Another connection held the write lock for longer than the busy timeout."""

    def __init__(self, message: str = BUSY_MESSAGE) -> None:
        super().__init__(message)


def is_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked/busy" and PostgreSQL's lock timeouts."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(getattr(exc, "orig", exc)).lower()
    return any(w in text for w in ("database is locked", "database is busy", "lock timeout", "could not obtain lock"))


def _translate(context: Any) -> None:
    if is_busy(context.sqlalchemy_exception):
        raise DatabaseBusy() from context.original_exception


def report_busy(engine: Engine) -> Engine:
    """Make lock timeouts on ``engine`` raise DatabaseBusy (the CLI prints it as one line)."""
    if not event.contains(engine, "handle_error", _translate):
        event.listen(engine, "handle_error", _translate)
    return engine


def lock_campaign(session: Session, campaign_id: int) -> None:
    """Begin this session's write transaction now, holding the write lock (see the module note)."""
    from db.models import Campaign

    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(id=Campaign.id))


# --- live screens ----------------------------------------------------------------------


def _stamp_statement():
    from db.models import Assessment, AuditEvent, Candidate, Consensus, Outcome

    return select(
        select(func.max(AuditEvent.id)).scalar_subquery(),
        select(func.max(Assessment.updated_at)).scalar_subquery(),
        select(func.count(Assessment.submitted_at)).scalar_subquery(),
        select(func.max(Consensus.updated_at)).scalar_subquery(),
        select(func.max(Outcome.updated_at)).scalar_subquery(),
        select(func.count(Candidate.id)).scalar_subquery(),
    )


class ChangeWatch:
    """``changed()`` is True when anything was committed since the previous call (the first call: False).

    Safe to call from a worker thread, one call at a time; ``close()`` when the screen goes.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._conn: Any = None
        self._last: Any = None
        url = engine.url
        self.uses_data_version = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")

    def _stamp(self) -> Any:
        if self.uses_data_version:
            if self._conn is None:
                self._conn = self.engine.connect()
            value = self._conn.exec_driver_sql("PRAGMA data_version").scalar()
            self._conn.rollback()  # hold no read snapshot between checks
            return value
        if self.engine.dialect.name == "postgresql":
            # Autocommit: the one statement is the one round trip (no BEGIN, no ROLLBACK), and the
            # pooled connection is shared with the screen's other work rather than held.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                return tuple(conn.execute(_stamp_statement()).one())
        with self.engine.connect() as conn:
            return tuple(conn.execute(_stamp_statement()).one())

    def changed(self) -> bool:
        with self._lock:
            stamp = self._stamp()
            moved = self._last is not None and stamp != self._last
            self._last = stamp
            return moved

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
