"""Returns: one panel member's assessments carried from their laptop back to the chair's.

Export is streamed: each assessment becomes one line of canonical JSON, written into
the one buffer that is then signed and sealed (``envelope.seal_streamed`` /
``lock_signed``), so a 20,000-candidate return (~65 MB) never exists as dicts or as
several copies. Import (``merge_return``) lives in ``db.exchange.return_merge``: it
checks the file before anything is written and writes into the caller's transaction
without committing; ``db.exchange.batch`` commits a whole batch of files at once, or
none of it.

Sealing (``db.exchange.envelope``): a return is signed with the laptop's member
key (from their pack) and encrypted to the campaign's recipient; import opens it
with this database's campaign identity and checks the signature against the
named member's public keys before anything else is read. Plain returns are refused.

Amendments: a return carries the member's amendments to submitted work (reason,
field, old and new value, when), read from the laptop's audit trail. A return that
changes an assessment the chair holds as submitted must carry them; import writes
them to the chair's audit trail (``db.review`` then flags the consensus).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, col, select

from db.audit import record
from db.campaigns import find_member, get_campaign
from db.errors import ImportRefused
from db.exchange import keys as exchange_keys
from db.exchange.common import CHUNK
from db.queries import chunks
from db.exchange.envelope import FORMAT_RETURN, SIGNED_AS, iso, lock_signed, seal_streamed
from db.exchange.return_merge import AMENDED_FIELDS, AmendmentSpec, merge_return
from db.models import (
    Assessment,
    AuditEvent,
    Campaign,
    CampaignItem,
    Candidate,
    Element,
    Indicator,
    IndicatorTag,
    ItemEvidence,
    PanelMember,
)

__all__ = ["AMENDED_FIELDS", "AmendmentSpec", "export_return", "merge_return", "return_amendments", "return_content"]


# --- export ------------------------------------------------------------------------


def return_content(session: Session, campaign: Campaign, member: PanelMember) -> dict[str, Any]:
    """The member's return content as one document (``export_return`` streams ``_entries`` instead)."""
    return {"member": member.name, "assessments": [json.loads(e) for e in _entries(session, campaign, member)]}


def _entries(session: Session, campaign: Campaign, member: PanelMember) -> Iterator[str]:
    """The member's assessments as return entries (format version 2: each tag an array), each already
    its canonical JSON, CHUNK assessments per query: a 20,000-candidate return is never held whole."""
    conn = session.connection()  # column reads: no ORM row processing for ~120,000 rows
    assessments = conn.execute(
        select(Assessment.id, Candidate.ref, Assessment.submitted_at, Assessment.updated_at)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Assessment.member_id == member.id, Candidate.campaign_id == campaign.id)
        .order_by(Candidate.id)
    ).all()
    names = {i: _text(n) for i, n in conn.execute(
        select(CampaignItem.id, CampaignItem.name).where(CampaignItem.campaign_id == campaign.id)
    ).all()}
    tag_texts: dict[tuple, str] = {}  # a tag's JSON, made once per indicator and tag
    for part in chunks(assessments, CHUNK):
        ids = [a[0] for a in part]
        tags: dict[int, list[str]] = {}
        for evidence_id, *tag in conn.execute(
            select(IndicatorTag.evidence_id, Element.name, Indicator.kind, Indicator.level, Indicator.position, IndicatorTag.tag)
            .join(Indicator, col(Indicator.id) == IndicatorTag.indicator_id)
            .join(Element, col(Element.id) == Indicator.element_id)
            .join(ItemEvidence, col(ItemEvidence.id) == IndicatorTag.evidence_id)
            .where(col(ItemEvidence.assessment_id).in_(ids))
            .order_by(IndicatorTag.evidence_id, Element.name, Indicator.level, Indicator.kind, Indicator.position)
        ).all():
            key = tuple(tag)
            text = tag_texts.get(key)
            if text is None:
                element, kind, level, position, value = key
                text = tag_texts[key] = _canon([element, level, kind, position, value])  # format 2: an array
            tags.setdefault(evidence_id, []).append(text)
        items: dict[int, list[str]] = {}
        for ev_id, assessment_id, item_id, notes, star, score, updated_at in conn.execute(
            select(
                ItemEvidence.id, ItemEvidence.assessment_id, ItemEvidence.item_id, ItemEvidence.notes, ItemEvidence.star,
                ItemEvidence.score, ItemEvidence.updated_at,
            )
            .join(CampaignItem, col(CampaignItem.id) == ItemEvidence.item_id)
            .where(col(ItemEvidence.assessment_id).in_(ids), CampaignItem.campaign_id == campaign.id)
            .order_by(ItemEvidence.assessment_id, CampaignItem.position)
        ).all():
            items.setdefault(assessment_id, []).append(
                f'{{"item":{names[item_id]},"notes":{_text(notes)},"score":{_number(score)},"star":{_text(star)},'
                f'"tags":[{",".join(tags.get(ev_id, ()))}],"updated_at":{_text(iso(updated_at))}}}'
            )
        for assessment_id, ref, submitted_at, updated_at in part:
            yield (
                f'{{"items":[{",".join(items.get(assessment_id, ()))}],"ref":{_text(ref)},'
                f'"submitted_at":{_text(iso(submitted_at))},"updated_at":{_text(iso(updated_at))}}}'
            )


# The canonical JSON of an entry, written piece by piece: keys in sorted order, "," and ":" with no
# spaces, strings as json.dumps(ensure_ascii=False) writes them (tests check it equals json.dumps).
_canon = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


def _text(value: str | None) -> str:
    return "null" if value is None else _string(value)


def _number(value: float | None) -> str:
    if value is None:
        return "null"
    return float.__repr__(value) if type(value) is float and math.isfinite(value) else _canon(value)  # as json writes it


def return_amendments(session: Session, campaign: Campaign, member: PanelMember) -> list[dict[str, Any]]:
    """The member's amendments to submitted work, from this laptop's audit trail, oldest first."""
    rows = session.exec(
        select(
            AuditEvent.entity, AuditEvent.old_value, AuditEvent.new_value, AuditEvent.reason, AuditEvent.at,
            Candidate.ref, CampaignItem.name,
        )
        .join(ItemEvidence, col(ItemEvidence.id) == AuditEvent.entity_id)
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .join(CampaignItem, col(CampaignItem.id) == ItemEvidence.item_id)
        .where(
            AuditEvent.campaign_id == campaign.id, AuditEvent.action == "amend",
            col(AuditEvent.entity).in_([f"evidence.{f}" for f in AMENDED_FIELDS]), Assessment.member_id == member.id,
        )
        .order_by(AuditEvent.id)
    ).all()
    return [
        {"ref": ref, "item": item, "field": entity.split(".", 1)[1], "old": old, "new": new, "reason": reason, "at": iso(at)}
        for entity, old, new, reason, at, ref, item in rows
    ]


def export_return(session: Session, campaign_key: str, member_name: str, *, actor: str = "") -> tuple[bytes, int]:
    """A panel member's sealed return (signed with their key, encrypted to the chair), and how many assessments it holds.

    Only the laptop that imported this member's pack holds their key.
    """
    campaign = get_campaign(session, campaign_key)
    member = find_member(session, campaign.id, member_name)  # type: ignore[arg-type]
    keys = exchange_keys.laptop_keys(session, campaign.id)  # type: ignore[arg-type]
    if keys is None or keys.member_id != member.id:
        raise ImportRefused(
            f"this database holds no signing key for {member.name} in {campaign.key}: "
            f"import the panel pack the chair made for {member.name} first"
        )
    # Streamed: one buffer holds the plain envelope, which is signed and encrypted from it.
    plain, n = seal_streamed(
        FORMAT_RETURN, campaign.key, "assessments", _entries(session, campaign, member), {"member": member.name},
        prefix=SIGNED_AS, amendments=return_amendments(session, campaign, member),
    )
    data = lock_signed(plain, campaign.key, member.name, keys.signing.private, keys.recipient)
    del plain
    record(
        session, action="export", entity="return", entity_id=member.id, campaign_id=campaign.id,
        actor=actor or member.name, new=f"{n} assessments",
    )
    session.commit()
    return data, n
