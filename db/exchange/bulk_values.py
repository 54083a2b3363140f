"""Many rows per INSERT statement: ``INSERT INTO t (a, b) VALUES (?, ?), (?, ?), ...``.

A return's merge writes 120,000 evidence rows and 240,000 tags. One executemany runs the
statement once per row (bind, step, reset, and the driver lets go of the GIL and takes it back
each time); a statement holding a few thousand rows does the same work in about half the time
on SQLite. The statement is SQLAlchemy's single-row INSERT, compiled for the connection's
dialect, with its VALUES group repeated: done only for drivers whose placeholders are plain
positional marks (SQLite's ``?``); any other driver (psycopg's named parameters) gets
``bulk_insert_plain``'s executemany, which it runs efficiently itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import chain

from sqlalchemy import insert
from sqlmodel import Session

from db.exchange.common import bulk_insert_plain

MAX_ROWS = 5_000  # rows per statement: bounds the statement's text and its parameter list
MAX_PARAMETERS = 32_766  # SQLite's default limit since 3.32 (999 before); the driver's own is read when it tells


def insert_rows(session: Session, model: type, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """``bulk_insert_plain`` (tuples in ``columns`` order, typed columns through their bind processors),
    as few multi-row statements. Not seen by the audit's bulk-write hook either: the caller tells the audit."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    template = _template(dialect, model.__table__, tuple(columns))  # type: ignore[attr-defined]
    if template is None:
        bulk_insert_plain(session, model, columns, rows)
        return
    head, group, order = template
    table = model.__table__  # type: ignore[attr-defined]
    procs = [(i, proc) for i, name in enumerate(columns)
             if (proc := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    if procs or order != sorted(order):
        values = list(zip(*rows))  # a list per column
        for i, proc in procs:  # memoised: an import's rows share times
            memo: dict = {None: None}
            values[i] = [memo[v] if v in memo else memo.setdefault(v, proc(v)) for v in values[i]]
        rows = list(zip(*(values[i] for i in order)))  # in the statement's placeholder order
    per = max(1, min(MAX_ROWS, _parameter_limit(conn) // len(columns)))
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        conn.exec_driver_sql(_statement(head, group, len(part)), tuple(chain.from_iterable(part)))


@lru_cache(maxsize=32)
def _template(dialect, table, columns: tuple[str, ...]) -> tuple[str, str, list[int]] | None:
    """(``INSERT INTO t (a, b) VALUES ``, ``(?, ?)``, column order of the placeholders), or None when the
    single-row statement is not plain positional marks ending in one VALUES group."""
    if dialect.paramstyle not in ("qmark", "format"):
        return None
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    sql = str(compiled)
    head, sep, group = sql.rpartition(" VALUES ")
    if not compiled.positional or not sep or not (group.startswith("(") and group.endswith(")")) or ")" in group[:-1]:
        return None
    order = [columns.index(name) for name in compiled.positiontup]  # type: ignore[union-attr]
    if sorted(order) != list(range(len(columns))):
        return None
    return head + sep, group, order


@lru_cache(maxsize=8)
def _statement(head: str, group: str, n: int) -> str:
    return head + ", ".join([group] * n)


def _parameter_limit(conn) -> int:
    getlimit = getattr(conn.connection.driver_connection, "getlimit", None)  # sqlite3 (Python 3.11+)
    if getlimit is None:
        return 999
    import sqlite3

    return min(MAX_PARAMETERS, getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
