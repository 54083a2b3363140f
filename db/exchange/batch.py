"""Importing returns: several files are one transaction (all apply or none do), with a preview.

``import_returns`` checks and merges each file in turn inside one
transaction, so a later file sees what an earlier one wrote (two returns from
the same member merge as if imported one after the other). If any file is
refused, the transaction is rolled back and nothing is imported; in preview
mode it is always rolled back, so each file's summary says what it *would*
change and the database is left as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from db.errors import ImportRefused
from db.exchange.common import ReturnImport
from db.exchange.envelope import FORMAT_PACK, sealed_format
from db.exchange.pack import import_pack
from db.exchange.returns import merge_return


@dataclass(frozen=True)
class ReturnBatch:
    results: list[ReturnImport]  # one per file that was (or, in preview, would be) imported
    refused: list[tuple[str, ImportRefused]]  # (file, why) per refused file, in the order given
    preview: bool

    @property
    def applied(self) -> bool:
        return not self.preview and not self.refused

    @property
    def lines(self) -> list[str]:
        """What to tell the user: each file's summary, or each refusal and that nothing was imported."""
        if not self.refused:
            return [r.summary for r in self.results]
        n = len(self.results) + len(self.refused)
        return [str(e) for _, e in self.refused] + [
            f"nothing imported: {len(self.refused)} of {n} file{'s' if n != 1 else ''} refused"
        ]


def import_returns(
    session: Session,
    files: Sequence[tuple[str, bytes | str]],
    *,
    campaign_key: str | None = None,
    actor: str = "",
    preview: bool = False,
) -> ReturnBatch:
    """Merge (name, data) returns all-or-nothing; every file is checked, so every refusal is reported."""
    results: list[ReturnImport] = []
    refused: list[tuple[str, ImportRefused]] = []
    try:
        for source, data in files:
            try:
                result = merge_return(session, data, source=source, campaign_key=campaign_key, actor=actor)
            except ImportRefused as exc:  # raised before the file wrote anything
                refused.append((source, exc))
                continue
            results.append(ReturnImport(**{**result.__dict__, "preview": preview}))
        if refused or preview:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return ReturnBatch(results=results, refused=refused, preview=preview)


def import_return(
    session: Session,
    data: str | bytes,
    *,
    source: str = "return",
    campaign_key: str | None = None,
    actor: str = "",
) -> ReturnImport:
    """Merge one panel member's return: all of it, or (refused, with the ImportRefused/Conflict raised) none."""
    batch = import_returns(session, [(source, data)], campaign_key=campaign_key, actor=actor)
    if batch.refused:
        raise batch.refused[0][1]
    return batch.results[0]


def import_any(session: Session, data: bytes, *, source: str, actor: str = "", passphrase: str = "") -> str:
    """Import a sealed panel pack (opened with ``passphrase``) or a return, whichever the file is; the summary line."""
    if sealed_format(data) == FORMAT_PACK:
        return import_pack(session, data, passphrase, source=source, actor=actor).summary
    return import_return(session, data, source=source, actor=actor).summary
