"""Check a campaign's audit chain and that submitted work still matches what was sealed.

Catches: an audit entry deleted (a gap in the numbering) or edited (its hash
no longer follows), old/new values edited, and a submitted score, STAR, tag,
note, consensus score or outcome changed, added or deleted behind the app's
back (its digests differ from the newest seal in the chain). Values purged
under the retention policy are expected to be blank and are not reported.

The chain has no secret key: someone with the file (and its passphrase) who knows
the scheme could rebuild a consistent chain. A head noted elsewhere -- printed by
``audit verify``, and on every exported assessment record -- closes that gap:
``noted`` checks the entry at that number still has that hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from db.audit import PERSONAL_ENTITIES, chain_hash, is_personal, current_material, digests, latest_seals, value_digest
from db.errors import ValidationError
from db.models import (
    Assessment, AuditEvent, CampaignItem, Candidate, Consensus, ItemEvidence, Outcome, PanelMember,
)


@dataclass
class Verification:
    entries: int = 0
    pre_chain: int = 0
    redacted: int = 0
    sealed: int = 0
    head_seq: int = 0
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _redactable(session: Session, campaign_id: int) -> set[tuple[str, int]]:
    """Audit entries whose personal old/new values a purge has blanked."""
    purged = list(session.exec(
        select(Candidate.id).where(Candidate.campaign_id == campaign_id, col(Candidate.purged_at).is_not(None))
    ).all())
    if not purged:
        return set()
    out = {(e, c) for c in purged for e in PERSONAL_ENTITIES if e.startswith("candidate.")}
    out |= {("evidence.notes", i) for i in session.exec(
        select(ItemEvidence.id).join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .where(col(Assessment.candidate_id).in_(purged))
    ).all()}
    outcomes = session.exec(select(Outcome.id).where(col(Outcome.candidate_id).in_(purged))).all()
    out |= {(e, i) for i in outcomes for e in ("outcome.feedback", "outcome")}
    return out


class _Names:
    """Readable names for sealed things: candidate ref, item and panel member."""

    def __init__(self, session: Session, campaign_id: int) -> None:
        self.refs = dict(session.exec(select(Candidate.id, Candidate.ref).where(Candidate.campaign_id == campaign_id)).all())
        self.items = dict(session.exec(select(CampaignItem.id, CampaignItem.name).where(CampaignItem.campaign_id == campaign_id)).all())
        self.members = dict(session.exec(select(PanelMember.id, PanelMember.name).where(PanelMember.campaign_id == campaign_id)).all())
        ids = list(self.refs)
        self.assessments = {a: (c, m) for a, c, m in session.exec(
            select(Assessment.id, Assessment.candidate_id, Assessment.member_id).where(col(Assessment.candidate_id).in_(ids))
        ).all()} if ids else {}
        self.consensus = {i: (c, it) for i, c, it in session.exec(
            select(Consensus.id, Consensus.candidate_id, Consensus.item_id).where(col(Consensus.candidate_id).in_(ids))
        ).all()} if ids else {}
        self.outcomes = dict(session.exec(
            select(Outcome.id, Outcome.candidate_id).where(col(Outcome.candidate_id).in_(ids))
        ).all()) if ids else {}

    def thing(self, key: str) -> str:
        kind, i = key[0], int(key[1:])
        if kind == "a" and i in self.assessments:
            c, m = self.assessments[i]
            return f"candidate {self.refs.get(c, c)}, {self.members.get(m, f'member #{m}')}'s assessment"
        if kind == "c" and i in self.consensus:
            c, item = self.consensus[i]
            return f"candidate {self.refs.get(c, c)}, consensus for {self.items.get(item, f'item #{item}')}"
        if kind == "o" and i in self.outcomes:
            return f"candidate {self.refs.get(self.outcomes[i], self.outcomes[i])}, outcome"
        return {"a": "assessment", "c": "consensus", "o": "outcome"}[kind] + f" #{i}"

    def part(self, part: str) -> str:
        if part[0] in "in" and part[1:].isdigit():
            what = "score/STAR/tags" if part[0] == "i" else "notes"
            item = int(part[1:])
            return f"{self.items.get(item, f'item #{item}')} {what}"
        return {"c": "score/rationale", "o": "status/reserve/tie order", "f": "feedback"}.get(part, part)


_HEAD = re.compile(r"(\d+):([0-9a-f]{8,64})")


def parse_head(text: str) -> tuple[int, str]:
    """'SEQ:HASH' as printed by ``audit verify`` (at least 8 hex digits of the hash)."""
    found = _HEAD.fullmatch(text.strip().lower())
    if not found:
        raise ValidationError(f"{text.strip()[:40]!r} is not a chain head: expected SEQ:HASH as audit verify prints it")
    return int(found.group(1)), found.group(2)


def head_text(seq: int, chain_hash: str) -> str:
    return f"{seq}:{chain_hash[:16]}"


def verify(session: Session, campaign_id: int, noted: tuple[int, str] | None = None) -> Verification:
    """Check the chain and the sealed values; ``noted`` (seq, hash prefix) is a head kept elsewhere."""
    result = Verification()
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.campaign_id == campaign_id).order_by(col(AuditEvent.seq), col(AuditEvent.id))
        .execution_options(populate_existing=True)  # what the database holds, not what this session remembers
    ).all()
    result.pre_chain = sum(1 for e in rows if e.seq is None)
    chained = sorted((e for e in rows if e.seq is not None), key=lambda e: e.seq)  # type: ignore[arg-type, return-value]
    result.entries = len(chained)
    redactable = _redactable(session, campaign_id)
    expected, previous = 1, ""
    for e in chained:
        label = f"audit entry {e.seq} ({e.action} {e.entity})"
        if e.seq != expected:
            gap = f"{expected}" if e.seq == expected + 1 else f"{expected}-{e.seq - 1}"  # type: ignore[operator]
            result.problems.append(f"audit entr{'y' if e.seq == expected + 1 else 'ies'} {gap} deleted (gap before entry {e.seq})")
        elif chain_hash(previous, e) != e.chain_hash:
            result.problems.append(f"{label} was edited or rewritten after it was written")
        if value_digest(e.salt, e.old_value, e.new_value) != e.value_digest:
            if (e.salt == e.old_value == e.new_value == "" and is_personal(e.entity, e.action)
                    and (e.entity, e.entity_id) in redactable):
                result.redacted += 1
            else:
                result.problems.append(f"{label}: its old/new values were edited")
        expected, previous = e.seq + 1, e.chain_hash  # type: ignore[operator]
    if chained:
        result.head_seq, result.head_hash = chained[-1].seq, chained[-1].chain_hash  # type: ignore[assignment]
    if noted is not None:
        seq, prefix = noted
        at = next((e for e in chained if e.seq == seq), None)
        if at is None:
            result.problems.append(f"audit entry {seq}, the noted head, is not in the chain")
        elif not at.chain_hash.startswith(prefix):
            result.problems.append(f"audit entry {seq} no longer has the noted hash {prefix[:16]} "
                                   f"(now {at.chain_hash[:16]}): the chain was rewritten up to that entry")

    names = _Names(session, campaign_id)
    sealed = latest_seals(session, campaign_id)
    now, _ = current_material(session, campaign_id=campaign_id)
    for key in sorted(set(sealed) | set(now), key=lambda k: (k[0], int(k[1:]))):
        if key not in sealed:
            if result.pre_chain:
                result.notes.append(f"{names.thing(key)}: not sealed yet (submitted before the audit chain existed)")
            else:
                result.problems.append(f"{names.thing(key)}: no sealed record (written behind the app's back)")
            continue
        entry, parts = sealed[key]
        if key not in now:
            if parts:
                result.problems.append(f"{names.thing(key)}: deleted or un-submitted behind the app's back "
                                       f"(sealed in audit entry {entry.seq})")
            continue
        result.sealed += 1
        stored = digests(now[key], entry.salt)
        changed = sorted(p for p in set(stored) | set(parts) if stored.get(p) != parts.get(p))
        if changed:
            what = ", ".join(names.part(p) for p in changed)
            result.problems.append(f"{names.thing(key)}: {what} changed behind the app's back "
                                   f"(does not match audit entry {entry.seq})")
    return result
