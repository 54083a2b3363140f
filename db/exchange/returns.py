"""Returns: one panel member's assessments carried from their laptop back to the chair's.

A return is checked (envelope, ``db.specs.exchange.ReturnContent``, then every
name resolved against this database) before anything is written, and written
with bulk statements (a few queries per file, not per row), so a
2,000-candidate return merges in about a second. ``merge_return`` writes into
the caller's transaction and does not commit: ``db.exchange.batch`` commits a
whole batch of files at once, or none of it.

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

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from db import scales
from db.audit import record
from db.campaigns import find_member, get_campaign
from db.errors import Conflict, ImportRefused, ValidationError
from db.exchange import keys as exchange_keys
from db.exchange.common import ReturnImport, bulk_insert, chunks, laptop_user
from db.exchange.envelope import (
    FORMAT_RETURN,
    check_author,
    iso,
    lock_return,
    open_return,
    seal,
    unseal,
)
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
    utcnow,
)
from db.retention import refuse_purged
from db.specs.base import Block, Line, Spec, Stamp, validate
from db.specs.exchange import ReturnContent

AMENDED_FIELDS = ("notes", "score", "star", "tags")


class AmendmentSpec(Spec):
    """One changed field of submitted work, as the laptop's audit trail recorded it."""

    ref: Line(80, required=True)  # type: ignore[valid-type]
    item: Line(200, required=True)  # type: ignore[valid-type]
    field: Literal[AMENDED_FIELDS]  # type: ignore[valid-type]
    old: Block(50_000) = ""  # type: ignore[valid-type]
    new: Block(50_000) = ""  # type: ignore[valid-type]
    reason: Block(2000, required=True)  # type: ignore[valid-type]
    at: Stamp


class _Amendments(Spec):
    amendments: Annotated[list[AmendmentSpec], Field(max_length=100_000)]


# --- export ------------------------------------------------------------------------


def return_content(session: Session, campaign: Campaign, member: PanelMember) -> dict[str, Any]:
    assessments = session.exec(
        select(Assessment.id, Candidate.ref, Assessment.submitted_at, Assessment.updated_at)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Assessment.member_id == member.id, Candidate.campaign_id == campaign.id)
        .order_by(Candidate.id)
    ).all()
    evidence = session.exec(
        select(
            ItemEvidence.id, ItemEvidence.assessment_id, CampaignItem.name, ItemEvidence.notes, ItemEvidence.star,
            ItemEvidence.score, ItemEvidence.updated_at,
        )
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .join(CampaignItem, col(CampaignItem.id) == ItemEvidence.item_id)
        .where(Assessment.member_id == member.id, CampaignItem.campaign_id == campaign.id)
        .order_by(ItemEvidence.assessment_id, CampaignItem.position)
    ).all()
    tags: dict[int, list[dict[str, Any]]] = {}
    for evidence_id, element, level, kind, position, tag in session.exec(
        select(IndicatorTag.evidence_id, Element.name, Indicator.level, Indicator.kind, Indicator.position, IndicatorTag.tag)
        .join(Indicator, col(Indicator.id) == IndicatorTag.indicator_id)
        .join(Element, col(Element.id) == Indicator.element_id)
        .join(ItemEvidence, col(ItemEvidence.id) == IndicatorTag.evidence_id)
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .join(CampaignItem, col(CampaignItem.id) == ItemEvidence.item_id)
        .where(Assessment.member_id == member.id, CampaignItem.campaign_id == campaign.id)
        .order_by(IndicatorTag.evidence_id, Element.name, Indicator.level, Indicator.kind, Indicator.position)
    ).all():
        tags.setdefault(evidence_id, []).append(
            {"element": element, "level": level, "kind": kind, "position": position, "tag": tag}
        )
    items: dict[int, list[dict[str, Any]]] = {}
    for ev_id, assessment_id, name, notes, star, score, updated_at in evidence:
        items.setdefault(assessment_id, []).append(
            {
                "item": name, "notes": notes, "star": star, "score": score,
                "tags": tags.get(ev_id, []), "updated_at": iso(updated_at),
            }
        )
    return {
        "member": member.name,
        "assessments": [
            {
                "ref": ref,
                "submitted_at": iso(submitted_at),
                "updated_at": iso(updated_at),
                "items": items.get(assessment_id, []),
            }
            for assessment_id, ref, submitted_at, updated_at in assessments
        ],
    }


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
    content = return_content(session, campaign, member)
    text = seal(FORMAT_RETURN, campaign.key, content, amendments=return_amendments(session, campaign, member))
    data = lock_return(text, campaign.key, member.name, keys.signing.private, keys.recipient)
    record(
        session, action="export", entity="return", entity_id=member.id, campaign_id=campaign.id,
        actor=actor or member.name, new=f"{len(content['assessments'])} assessments",
    )
    session.commit()
    return data, len(content["assessments"])


# --- import: resolve names to this database's ids ------------------------------------------


@dataclass
class _FileEvidence:
    item_id: int
    item_name: str
    notes: str
    star: str
    score: float | None
    tags: dict[int, str]
    updated_at: datetime


@dataclass
class _FileAssessment:
    candidate_id: int
    ref: str
    submitted_at: datetime | None
    updated_at: datetime
    items: list[_FileEvidence]


def _resolve(session: Session, campaign: Campaign, content: ReturnContent, source: str) -> list[_FileAssessment]:
    """Every name in the return as this database's ids; refuse on the first unknown."""
    candidates = dict(
        session.exec(select(Candidate.ref, Candidate.id).where(Candidate.campaign_id == campaign.id)).all()
    )
    items = {
        i.name.lower(): i
        for i in session.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign.id)).all()
    }
    wanted = sorted({t["element"] for a in content.assessments for ev in a["items"] for t in ev.get("tags", ())})
    indicator_ids: dict[tuple[str, int, str, int], int] = {}
    if wanted:
        for iid, name, level, kind, position in session.exec(
            select(Indicator.id, Element.name, Indicator.level, Indicator.kind, Indicator.position)
            .join(Element, col(Element.id) == Indicator.element_id)
            .where(Element.framework_id == campaign.framework_id, col(Element.name).in_(wanted))
        ).all():
            indicator_ids[(name, level, kind, position)] = iid  # type: ignore[assignment]
    allowed = {i.id: set(scales.values(i.scale or campaign.scale)) for i in items.values()}
    out: list[_FileAssessment] = []
    for n, a in enumerate(content.assessments):
        ref = a["ref"]
        if ref not in candidates:
            raise ImportRefused(f"{source}: assessments[{n}].ref: unknown candidate {ref!r} in campaign {campaign.key}")
        evidence: list[_FileEvidence] = []
        for m, ev in enumerate(a["items"]):
            where = f"{source}: assessments[{n}].items[{m}]"
            item = items.get(ev["item"].lower())
            if item is None:
                raise ImportRefused(f"{where}.item: unknown item {ev['item']!r} in campaign {campaign.key}")
            score = ev.get("score")
            if score is not None and score not in allowed[item.id]:
                try:
                    scales.check_score(item.scale or campaign.scale, score)
                except ValidationError as exc:
                    raise ImportRefused(f"{where}.score: candidate {ref}, {item.name}: {exc}") from None
            tags: dict[int, str] = {}
            for k, t in enumerate(ev.get("tags", ())):
                iid = indicator_ids.get((t["element"], t["level"], t["kind"], t["position"]))
                if iid is None:
                    raise ImportRefused(
                        f"{where}.tags[{k}]: candidate {ref}, {item.name}: unknown indicator "
                        f"({t['element']}, level {t['level']} {t['kind']} {t['position'] + 1})"
                    )
                tags[iid] = t["tag"]
            evidence.append(
                _FileEvidence(
                    item_id=item.id, item_name=item.name, notes=ev.get("notes", ""), star=ev.get("star", ""),  # type: ignore[arg-type]
                    score=None if score is None else float(score), tags=tags, updated_at=ev["updated_at"],
                )
            )
        out.append(_FileAssessment(candidates[ref], ref, a.get("submitted_at"), a["updated_at"], evidence))
    return out


# --- import: plan and write ----------------------------------------------------------------


def merge_return(
    session: Session, data: str | bytes, *, source: str, campaign_key: str | None = None, actor: str = ""
) -> ReturnImport:
    """Check one return and write it into the caller's transaction (no commit).

    Evidence already held and different is overwritten only by a later
    ``updated_at``; newer held evidence, or a held submitted assessment that the
    file has unsubmitted, refuses the whole file as a Conflict. Refusals are
    raised before anything is written.
    """
    raw = data.encode() if isinstance(data, str) else data
    signed = open_return(raw, exchange_keys.campaign_identities(session), source)
    key = signed.campaign
    if campaign_key is not None and key != campaign_key:
        raise ImportRefused(f"{source} is a return for campaign {key}, not {campaign_key}")
    campaign = session.exec(select(Campaign).where(Campaign.key == key)).first()
    if campaign is None:
        raise ImportRefused(f"{source} is a return for campaign {key}, which this database does not hold")
    members = session.exec(select(PanelMember).where(PanelMember.campaign_id == campaign.id)).all()
    member = next((m for m in members if m.name.lower() == signed.member.lower()), None)
    if member is None:
        raise ImportRefused(f"{source}: {signed.member!r} is not on the panel for campaign {key}")
    # The author first: nothing the file says is read until its signature is known to be the member's.
    check_author(signed, exchange_keys.member_public_keys(session, campaign.id, member.id), source)  # type: ignore[arg-type]
    env = unseal(signed.body, source, FORMAT_RETURN)
    content = validate(ReturnContent, env.content, source=source, what="return", error=ImportRefused)
    if env.campaign != key or content.member.lower() != member.name.lower():
        raise ImportRefused(f"{source}: the signed header and the content disagree on campaign or member; refused")
    amendments = _amendments_by_evidence(env.amendments, source)
    actor = actor or laptop_user(session, campaign.id)  # type: ignore[arg-type]
    assessments = _resolve(session, campaign, content, source)
    # A purged candidate's record stays gone: a late return may not write notes back onto it.
    refuse_purged(session, (a.candidate_id for a in assessments), "given a return")
    mine = (Assessment.member_id == member.id, Candidate.campaign_id == campaign.id)

    # What this database already holds from this member, in three queries.
    held_assessments = {
        cid: (aid, submitted_at, updated_at)
        for aid, cid, submitted_at, updated_at in session.exec(
            select(Assessment.id, Assessment.candidate_id, Assessment.submitted_at, Assessment.updated_at)
            .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
            .where(*mine)
        ).all()
    }
    held_evidence = {
        (cid, item_id): (eid, notes, star, score, updated_at)
        for eid, cid, item_id, notes, star, score, updated_at in session.exec(
            select(
                ItemEvidence.id, Assessment.candidate_id, ItemEvidence.item_id, ItemEvidence.notes, ItemEvidence.star,
                ItemEvidence.score, ItemEvidence.updated_at,
            )
            .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
            .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
            .where(*mine)
        ).all()
    }
    held_tags: dict[int, dict[int, str]] = {}
    for eid, indicator_id, tag in session.exec(
        select(IndicatorTag.evidence_id, IndicatorTag.indicator_id, IndicatorTag.tag)
        .join(ItemEvidence, col(ItemEvidence.id) == IndicatorTag.evidence_id)
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(*mine)
    ).all():
        held_tags.setdefault(eid, {})[indicator_id] = tag

    # The plan: nothing is written until every assessment has been checked.
    conflicts: list[str] = []
    new_assessments: list[dict[str, Any]] = []
    changed_assessments: list[dict[str, Any]] = []
    new_evidence: list[tuple[int, _FileEvidence]] = []  # (candidate id, evidence)
    changed_evidence: list[tuple[int, _FileEvidence]] = []  # (evidence id, evidence)
    amended: list[tuple[int, AmendmentSpec]] = []  # (evidence id, amendment) for the chair's audit
    touched = 0
    for a in assessments:
        held = held_assessments.get(a.candidate_id)
        if held is not None and held[1] is not None and a.submitted_at is None:
            conflicts.append(
                f"candidate {a.ref}: this database holds {member.name}'s submitted assessment, the file's is not submitted"
            )
            continue
        changed = False
        for ev in a.items:
            h = held_evidence.get((a.candidate_id, ev.item_id))
            if h is None:
                new_evidence.append((a.candidate_id, ev))
                changed = True
                continue
            eid, notes, star, score, updated_at = h
            held_score = None if score is None else float(score)
            if (notes, star, held_score, held_tags.get(eid, {})) == (ev.notes, ev.star, ev.score, ev.tags):
                continue
            if updated_at >= ev.updated_at:
                conflicts.append(f"candidate {a.ref}, {ev.item_name}: this database holds newer evidence from {member.name}")
                continue
            if held is not None and held[1] is not None:
                # Submitted work changes only with the panellist's reasons, which go into this audit trail.
                why = [m for m in amendments.get((a.ref, ev.item_name.lower()), ()) if m.at > updated_at]
                if not why:
                    conflicts.append(
                        f"candidate {a.ref}, {ev.item_name}: changes {member.name}'s submitted assessment "
                        "without an amendment reason"
                    )
                    continue
                amended += [(eid, m) for m in why]
            changed_evidence.append((eid, ev))
            changed = True
        if held is None:
            new_assessments.append(
                {"candidate_id": a.candidate_id, "member_id": member.id, "submitted_at": a.submitted_at, "updated_at": a.updated_at}
            )
            touched += 1
            continue
        aid, held_submitted, held_updated = held
        submitted = held_submitted
        if a.submitted_at is not None and (held_submitted is None or (held_submitted != a.submitted_at and a.updated_at > held_updated)):
            submitted = a.submitted_at
        if changed or submitted != held_submitted:
            changed_assessments.append(
                # Now, not the file's time: the merit-list cache watches Assessment.updated_at for changes.
                {"id": aid, "submitted_at": submitted, "updated_at": max(held_updated, a.updated_at, utcnow())}
            )
            touched += 1
    if conflicts:
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        raise Conflict(f"{source}: conflict: {conflicts[0]}{more}; nothing imported")
    result = ReturnImport(
        source=source, campaign_key=key, member=member.name, assessments=touched,
        evidence=len(new_evidence) + len(changed_evidence),
    )
    if not touched:
        return result

    bulk_insert(session, Assessment, new_assessments)
    if changed_assessments:
        session.exec(update(Assessment), params=changed_assessments)  # type: ignore[call-overload]
    assessment_ids = {cid: v[0] for cid, v in held_assessments.items()}
    if new_assessments:
        new_cids = {r["candidate_id"] for r in new_assessments}
        for aid, cid in session.exec(
            select(Assessment.id, Assessment.candidate_id)
            .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
            .where(*mine)
        ).all():
            if cid in new_cids:
                assessment_ids[cid] = aid  # type: ignore[assignment]
    if changed_evidence:
        session.exec(  # type: ignore[call-overload]
            update(ItemEvidence),
            params=[
                {"id": eid, "notes": ev.notes, "star": ev.star, "score": ev.score, "updated_at": ev.updated_at}
                for eid, ev in changed_evidence
            ],
        )
        for chunk in chunks([eid for eid, _ in changed_evidence]):
            session.exec(delete(IndicatorTag).where(col(IndicatorTag.evidence_id).in_(chunk)))  # type: ignore[call-overload]
    bulk_insert(
        session,
        ItemEvidence,
        [
            {
                "assessment_id": assessment_ids[cid], "item_id": ev.item_id, "notes": ev.notes, "star": ev.star,
                "score": ev.score, "updated_at": ev.updated_at,
            }
            for cid, ev in new_evidence
        ],
    )
    tag_rows = [
        {"evidence_id": eid, "indicator_id": ind, "tag": tag} for eid, ev in changed_evidence for ind, tag in ev.tags.items()
    ]
    if new_evidence and any(ev.tags for _, ev in new_evidence):
        ids = {
            (aid, item_id): eid
            for eid, aid, item_id in session.exec(
                select(ItemEvidence.id, ItemEvidence.assessment_id, ItemEvidence.item_id)
                .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
                .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
                .where(*mine)
            ).all()
        }
        tag_rows += [
            {"evidence_id": ids[(assessment_ids[cid], ev.item_id)], "indicator_id": ind, "tag": tag}
            for cid, ev in new_evidence
            for ind, tag in ev.tags.items()
        ]
    bulk_insert(session, IndicatorTag, tag_rows)
    for eid, m in amended:
        record(
            session, action="amend", entity=f"evidence.{m.field}", entity_id=eid, campaign_id=campaign.id,
            actor=member.name, old=m.old, new=m.new, reason=f"{m.reason} (amended {iso(m.at)}; from {source})",
        )
    record(
        session, action="import", entity="return", entity_id=member.id, campaign_id=campaign.id, actor=actor,
        new=f"{touched} assessments, {result.evidence} item evidence from {member.name}", reason=source,
    )
    session.flush()
    return result


def _amendments_by_evidence(raw: list[dict[str, Any]] | None, source: str) -> dict[tuple[str, str], list[AmendmentSpec]]:
    if not raw:
        return {}
    checked = validate(_Amendments, {"amendments": raw}, source=source, what="return", error=ImportRefused)
    out: dict[tuple[str, str], list[AmendmentSpec]] = {}
    for m in checked.amendments:
        out.setdefault((m.ref, m.item.lower()), []).append(m)
    return out
