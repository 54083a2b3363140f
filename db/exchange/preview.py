"""What a batch of returns would change, file by file, before the chair confirms (the TUI's import preview).

``preview_returns`` runs the real merge (``db.exchange.returns.merge_return``:
the same checks, in the same order, in one transaction so a later file sees an
earlier one) and then rolls everything back. Each file's effect is read by
comparing the member's evidence before and after the merge, and from the
amendment entries the merge added to the audit trail; nothing is written.
``db.exchange.batch.import_returns`` then applies the same bytes, all or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.errors import ImportRefused
from db.exchange import keys as exchange_keys
from db.exchange.envelope import open_return
from db.exchange.returns import merge_return
from db.models import Assessment, AuditEvent, Campaign, CampaignItem, Candidate, ItemEvidence, PanelMember
from db.vocabulary import score_text, star_text

# The merge appends where the amendment came from to the panellist's reason; the preview shows their words.
_FROM_SUFFIX = " (amended "


@dataclass(frozen=True)
class CandidateChange:
    ref: str
    items: tuple[str, ...]  # items whose evidence is new or changed, in the campaign's order
    submitted: bool  # the assessment becomes submitted


@dataclass(frozen=True)
class AmendmentShown:
    ref: str
    item: str
    field: str  # notes, score, star or tags
    old: str
    new: str
    reason: str

    @property
    def line(self) -> str:
        if self.field == "score":
            change = f"score {score_text(_number(self.old), '-')} → {score_text(_number(self.new), '-')}"
        elif self.field == "star":
            change = f"STAR {star_text(self.old)} → {star_text(self.new)}"
        else:
            change = f"{self.field} changed"
        return f"amended {self.ref}, {self.item}: {change}; reason: {self.reason}"


@dataclass(frozen=True)
class FilePreview:
    source: str
    member: str = ""  # "" when the file was refused before its member was known
    changes: tuple[CandidateChange, ...] = ()
    amendments: tuple[AmendmentShown, ...] = ()
    refused: str = ""  # the one line saying why; "" when the file would apply

    @property
    def headline(self) -> str:
        if self.refused:
            return f"{self.source}: REFUSED: {self.refused}"
        if not self.changes:
            return f"{self.source}: {self.member}: already up to date"
        items = sum(len(c.items) for c in self.changes)
        n = len(self.changes)
        return (
            f"{self.source}: {self.member}: {n} candidate{'s' if n != 1 else ''}, "
            f"{items} item{'s' if items != 1 else ''} changed, {len(self.amendments)} amended"
        )

    def lines(self, limit: int = 50) -> list[str]:
        """The headline, then a line per candidate changed and per amendment (at most ``limit`` of them)."""
        detail = [
            f"{c.ref}: {', '.join(c.items) if c.items else 'assessment added'}{'; submitted' if c.submitted else ''}"
            for c in self.changes
        ] + [a.line for a in self.amendments]
        more = [f"… and {len(detail) - limit} more"] if len(detail) > limit else []
        return [self.headline] + ["  " + line for line in detail[:limit]] + more


@dataclass(frozen=True)
class BatchPreview:
    files: tuple[FilePreview, ...]

    @property
    def refused(self) -> list[FilePreview]:
        return [f for f in self.files if f.refused]

    @property
    def ok(self) -> bool:
        return bool(self.files) and not self.refused

    @property
    def verdict(self) -> str:
        n = len(self.files)
        if self.refused:
            return f"Nothing will be imported: {len(self.refused)} of {n} file{'s' if n != 1 else ''} refused"
        return f"All {n} file{'s' if n != 1 else ''} can be imported together (all or none)"


def refused_file(source: str, why: ImportRefused | str) -> FilePreview:
    """A file that could not even be read (too large, unreadable): refused before the preview."""
    return FilePreview(source=source, refused=str(why).removeprefix(f"{source}: "))


def preview_returns(
    session: Session, files: Sequence[tuple[str, bytes | str]], *, campaign_key: str | None = None, actor: str = ""
) -> BatchPreview:
    """What each (name, data) return would change if the batch were imported now; the database is left as it was."""
    out: list[FilePreview] = []
    try:
        for source, data in files:
            out.append(_preview_one(session, source, data, campaign_key, actor))
    finally:
        session.rollback()
    return BatchPreview(tuple(out))


def _preview_one(session: Session, source: str, data: bytes | str, campaign_key: str | None, actor: str) -> FilePreview:
    raw = data.encode() if isinstance(data, str) else data
    who = _author(session, raw, source)  # (campaign id, member id, member name), or None: the merge will say why
    before = _state(session, *who[:2]) if who else ({}, {})
    last_audit = session.exec(select(func.max(AuditEvent.id))).one() or 0
    try:
        result = merge_return(session, raw, source=source, campaign_key=campaign_key, actor=actor)
    except ImportRefused as exc:  # raised before the file wrote anything
        return refused_file(source, exc)
    if who is None:  # unreachable in practice: a file the merge accepts has a readable author
        return FilePreview(source=source, member=result.member)
    after = _state(session, *who[:2])
    return FilePreview(
        source=source, member=result.member, changes=_changes(session, who[0], before, after),
        amendments=_amendments(session, who[0], last_audit),
    )


def _author(session: Session, raw: bytes, source: str) -> tuple[int, int, str] | None:
    try:
        signed = open_return(raw, exchange_keys.campaign_identities(session), source)
    except ImportRefused:
        return None
    campaign_id = session.exec(select(Campaign.id).where(Campaign.key == signed.campaign)).first()
    if campaign_id is None:
        return None
    for member_id, name in session.exec(
        select(PanelMember.id, PanelMember.name).where(PanelMember.campaign_id == campaign_id)
    ).all():
        if name.lower() == signed.member.lower():
            return campaign_id, member_id, name  # type: ignore[return-value]
    return None


_State = tuple[dict[str, object], dict[tuple[str, int], tuple]]


def _state(session: Session, campaign_id: int, member_id: int) -> _State:
    """The member's assessments (ref -> submitted at) and evidence ((ref, item id) -> values) as held now."""
    mine = (Assessment.member_id == member_id, Candidate.campaign_id == campaign_id)
    submitted = dict(
        session.exec(
            select(Candidate.ref, Assessment.submitted_at)
            .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
            .where(*mine)
        ).all()
    )
    evidence = {
        (ref, item_id): (notes, star, score, updated_at)
        for ref, item_id, notes, star, score, updated_at in session.exec(
            select(
                Candidate.ref, ItemEvidence.item_id, ItemEvidence.notes, ItemEvidence.star, ItemEvidence.score,
                ItemEvidence.updated_at,
            )
            .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
            .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
            .where(*mine)
        ).all()
    }
    return submitted, evidence  # type: ignore[return-value]


def _changes(session: Session, campaign_id: int, before: _State, after: _State) -> tuple[CandidateChange, ...]:
    items = session.exec(
        select(CampaignItem.id, CampaignItem.name).where(CampaignItem.campaign_id == campaign_id)
        .order_by(CampaignItem.position)
    ).all()
    order = {item_id: n for n, (item_id, _) in enumerate(items)}
    names = dict(items)
    changed: dict[str, list[int]] = {}
    for key, values in after[1].items():
        if before[1].get(key) != values:
            changed.setdefault(key[0], []).append(key[1])
    out = []
    for ref, submitted_at in after[0].items():
        became_submitted = submitted_at is not None and before[0].get(ref) is None
        if ref in changed or became_submitted or ref not in before[0]:
            ids = sorted(changed.get(ref, ()), key=lambda i: order.get(i, 0))
            out.append(CandidateChange(ref, tuple(names.get(i, "?") for i in ids), became_submitted))
    return tuple(sorted(out, key=lambda c: c.ref))


def _amendments(session: Session, campaign_id: int, after_id: int) -> tuple[AmendmentShown, ...]:
    rows = session.exec(
        select(AuditEvent.entity, AuditEvent.old_value, AuditEvent.new_value, AuditEvent.reason, Candidate.ref,
               CampaignItem.name)
        .join(ItemEvidence, col(ItemEvidence.id) == AuditEvent.entity_id)
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .join(CampaignItem, col(CampaignItem.id) == ItemEvidence.item_id)
        .where(
            AuditEvent.campaign_id == campaign_id, AuditEvent.action == "amend", col(AuditEvent.id) > after_id,
            col(AuditEvent.entity).startswith("evidence."),
        )
        .order_by(AuditEvent.id)
    ).all()
    return tuple(
        AmendmentShown(ref, item, entity.split(".", 1)[1], old, new, reason.rsplit(_FROM_SUFFIX, 1)[0])
        for entity, old, new, reason, ref, item in rows
    )


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
