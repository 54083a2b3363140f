"""What the pack and return modules share: bulk writes, and the results they report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from db.campaigns import current_member
from db.queries import IN_LIST

CHUNK = IN_LIST  # assessments per query and per batch of a return (db.queries.chunks' IN-list size)


def bulk_insert(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany on the table (Core: no per-row ORM work); column defaults fill missing keys."""
    if rows:
        session.exec(insert(model.__table__), params=list(rows))  # type: ignore[attr-defined, call-overload]


def bulk_insert_plain(session: Session, model: type, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """One executemany of ``rows`` (tuples in ``columns`` order) handed straight to the driver.

    SQLAlchemy's per-row parameter handling costs more than SQLite's own insert for the
    ~240,000 tag rows of a 20,000-candidate return (or 36,000 paper scores). The statement is
    still SQLAlchemy's, compiled for the connection's dialect, and values of typed columns
    (times) pass through the column type's own bind processors, the dialect's included
    (memoised: imports share times), a column at a time. Not seen by the audit's bulk-write
    hook: the caller tells the audit what it wrote (``db.audit.note_written``)."""
    if not rows:
        return
    conn = session.connection()
    table = model.__table__  # type: ignore[attr-defined]
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(columns))
    values = list(zip(*rows))  # a list per column
    for i, name in enumerate(columns):
        proc = table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if proc is not None:
            memo: dict = {None: None}
            values[i] = [memo[v] if v in memo else memo.setdefault(v, proc(v)) for v in values[i]]
    if compiled.positional:
        order = [list(columns).index(name) for name in compiled.positiontup]  # type: ignore[union-attr]
        params: list = list(zip(*(values[i] for i in order)))
    else:
        params = [dict(zip(columns, row)) for row in zip(*values)]
    conn.exec_driver_sql(str(compiled), params)




def laptop_user(session: Session, campaign_id: int) -> str:
    member = current_member(session, campaign_id)
    return member.name if member is not None else ""


@dataclass(frozen=True)
class PackImport:
    source: str
    campaign_key: str
    created: bool
    items: int
    candidates_added: int
    members_added: int
    indicators_added: int

    @property
    def summary(self) -> str:
        if self.created:
            return (
                f"{self.source}: imported campaign {self.campaign_key} ({self.items} items, "
                f"{self.candidates_added} candidates, {self.members_added} panel members)"
            )
        if not (self.candidates_added or self.members_added):
            return f"{self.source}: campaign {self.campaign_key} already up to date"
        return (
            f"{self.source}: campaign {self.campaign_key}: added {self.candidates_added} candidates, "
            f"{self.members_added} panel members"
        )


@dataclass(frozen=True)
class ReturnImport:
    source: str
    campaign_key: str
    member: str
    assessments: int  # assessments created or changed
    evidence: int  # item evidence rows created or changed
    preview: bool = False  # True: what the file would change; nothing was written

    @property
    def up_to_date(self) -> bool:
        return self.assessments == 0

    @property
    def summary(self) -> str:
        if self.up_to_date:
            return f"{self.source}: already up to date ({self.member})"
        verb = "would import" if self.preview else "imported"
        return f"{self.source}: {verb} {self.assessments} assessments for {self.member}"
