"""Many rows per INSERT statement, and statements run on another thread while Python works.

A return's merge writes 120,000 evidence rows and 240,000 tags. One executemany runs the
statement once per row (bind, step, reset, and the driver lets go of the GIL and takes it back
each time); a statement holding a few thousand rows does the same work in about half the time
on SQLite, and the driver runs it without the GIL. The statement is SQLAlchemy's single-row
INSERT, compiled for the connection's dialect, with its VALUES group repeated: only for drivers
whose placeholders are plain positional marks (SQLite's ``?``); others (psycopg's named
parameters) get one executemany per batch, as ``bulk_insert_plain`` does.

``Background`` runs such statements, in order, on a thread of its own, so the merge can digest
its seals meanwhile; nothing else uses the connection until it has finished (``with``).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

MAX_ROWS = 5_000  # rows per statement: bounds the statement's text and its parameter list
MAX_PARAMETERS = 32_766  # SQLite's default limit since 3.32 (999 before); the driver's own is read when it tells

Run = Callable[[str, Any], None]
_DONE = object()


def insert_rows(session: Session, model: type, columns: Sequence[str], rows: Sequence[tuple], *,
                run: Run | None = None) -> None:
    """Rows (tuples in ``columns`` order) into ``model``'s table; typed columns' values go through their
    bind processors (memoised). ``run``: where statements go (``Background.run``; default: executed now).
    Not seen by the audit's bulk-write hook: the caller tells the audit what it wrote."""
    table = model.__table__  # type: ignore[attr-defined]
    insert_values(session, _plain_insert(table), tuple(columns), rows, table=table, run=run)


@lru_cache(maxsize=32)
def _plain_insert(table):
    return insert(table)


def insert_values(session: Session, statement, names: tuple[str, ...], rows: Sequence[tuple], *,
                  table=None, run: Run | None = None) -> None:
    """Rows for an INSERT ``statement`` whose parameters are ``names`` (a plain ``insert(table)``:
    its columns; else its ``bindparam`` names), each row's values in ``names`` order."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    run = run or conn.exec_driver_sql
    sql, positional, order, group = _compiled(dialect, statement, names)
    if table is not None:
        procs = [(i, proc) for i, name in enumerate(names) if name in table.c
                 and (proc := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
        if procs:
            values = list(zip(*rows))  # a list per column
            for i, proc in procs:  # memoised: an import's rows share times
                memo: dict = {None: None}
                values[i] = [memo[v] if v in memo else memo.setdefault(v, proc(v)) for v in values[i]]
            rows = list(zip(*values))
    if positional and order != list(range(len(names))):
        rows = [tuple(row[i] for i in order) for row in rows]  # the statement's placeholder order
    if group is None:  # one executemany per batch
        for start in range(0, len(rows), MAX_ROWS):
            part = rows[start : start + MAX_ROWS]
            run(sql, list(part) if positional else [dict(zip(names, row)) for row in part])
        return
    head = sql[: len(sql) - len(group)]
    per = max(1, min(MAX_ROWS, _parameter_limit(conn) // len(names)))
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        run(_repeated(head, group, len(part)), tuple(chain.from_iterable(part)))


@lru_cache(maxsize=32)
def _compiled(dialect, statement, names: tuple[str, ...]) -> tuple[str, bool, list[int], str | None]:
    """The single-row statement's text, whether positional, its placeholders' order (indexes into
    ``names``), and its one VALUES group when that can be repeated (plain ``?``/``%s`` marks), else None."""
    plain = not statement._values  # a bare insert(table): its columns are ``names``
    compiled = statement.compile(dialect=dialect, column_keys=list(names) if plain else None)
    sql = str(compiled)
    if not compiled.positional:
        return sql, False, list(range(len(names))), None
    extra = [name for name in compiled.positiontup if name not in names]  # type: ignore[union-attr]
    if extra:  # columns with defaults SQLAlchemy would fill in: a plain statement does not
        raise ValueError(f"insert into {statement.table.name}: give values for {', '.join(extra)} too")
    order = [names.index(name) for name in compiled.positiontup]  # type: ignore[union-attr]
    mark = {"qmark": "?", "format": "%s"}.get(dialect.paramstyle)
    _, sep, group = sql.rpartition(" VALUES ")
    if mark is None or not sep or sorted(order) != list(range(len(names))) or group.count(mark) != len(order) \
            or _closing(group) != len(group) - 1:
        return sql, True, order, None
    return sql, True, order, group


def _closing(group: str) -> int:
    """Where the parenthesis opening ``group`` closes (-1: it does not open with one)."""
    depth = 0
    for i, ch in enumerate(group):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i if group[0] == "(" else -1
    return -1


@lru_cache(maxsize=8)
def _repeated(head: str, group: str, n: int) -> str:
    return head + ", ".join([group] * n)


_limits: dict[type, int] = {}  # each driver's bound-parameter limit, read once (a constant of its library)


def _parameter_limit(conn) -> int:
    driver_connection = conn.connection.driver_connection
    limit = _limits.get(type(driver_connection))
    if limit is None:
        getlimit = getattr(driver_connection, "getlimit", None)  # sqlite3 (Python 3.11+); SQLCipher's may lack it
        limit = 999 if getlimit is None else min(MAX_PARAMETERS, getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        _limits[type(driver_connection)] = limit
    return limit


class Background:
    """Statements run in order on a thread of their own (``run``), while this one goes on.

    Used as ``with Background(session) as bg:``; leaving the block waits for every statement
    and raises the first one's error (the rest are skipped). Nothing else may use the session's
    connection inside the block. Only where the driver runs a statement without the GIL and
    each is large (multi-row inserts on SQLite); elsewhere ``run`` executes at once."""

    def __init__(self, session: Session) -> None:
        self._conn = session.connection()
        self._threaded = self._conn.dialect.name == "sqlite"
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._pending = 0  # statements queued and not yet run
        self._lock = threading.Lock()

    def __enter__(self) -> Background:
        if self._threaded:
            self._thread = threading.Thread(target=self._work, name="panel-bulk-insert", daemon=True)
            self._thread.start()
        return self

    def run(self, sql: str, params: Any) -> None:
        if not self._threaded:
            self._conn.exec_driver_sql(sql, params)
        elif self._error is None:
            with self._lock:
                self._pending += 1
            self._queue.put((sql, params))

    def meanwhile(self, steps: Iterator[Any]) -> None:
        """Take steps (each a short piece of Python work) while statements are still running."""
        while self._pending:
            if next(steps, _DONE) is _DONE:
                return

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._conn.exec_driver_sql(*item)
                except BaseException as exc:  # handed to the caller's thread at the end of the block
                    self._error = exc
            with self._lock:
                self._pending -= 1

    def __exit__(self, kind, exc, tb) -> None:
        if self._thread is not None:
            if kind is not None and self._error is None:
                self._error = exc  # the caller failed: skip what is still queued
            self._queue.put(None)
            self._thread.join()
        if kind is None and self._error is not None:
            raise self._error
