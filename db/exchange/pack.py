"""Panel packs: a campaign carried from the chair's laptop to a panellist's.

Nothing in a pack is a database id: items are named, candidates are refs,
panel members are names and indicators are (element name, level, kind,
position), so a file written on one laptop means the same on another.

Import checks the whole file (envelope, then ``db.specs.exchange.PackContent``,
then the trust rules below) before writing, then writes it in one transaction.

Trust rules: a pack never changes a bundled or shared framework (see
``pack_framework``), and never changes a campaign on the database that
created it (the chair's): there it may only be "already up to date".

Sealing: a pack is made for one panel member and locked with a passphrase
(``export_pack`` / ``import_pack``). ``pack_text`` / ``import_pack_text`` are
the same steps without the passphrase layer (tests and fuzzing use them: age's
scrypt costs about a second each way).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from db.audit import record
from db.campaigns import find_member, get_campaign, set_current_member
from db.errors import ImportRefused, ValidationError
from db.exchange import keys as exchange_keys
from db.exchange.common import PackImport, bulk_insert, laptop_user
from db.exchange.envelope import (
    FORMAT_PACK,
    PackKeys,
    iso,
    lock_pack,
    open_pack,
    seal,
    unseal,
)
from db.exchange.origin import campaign_created_here, mark_from_pack
from db.exchange.pack_framework import apply_framework, plan_framework
from db.models import (
    Campaign,
    CampaignItem,
    Candidate,
    Element,
    Framework,
    Indicator,
    PanelMember,
    Question,
    utcnow,
)
from db.specs.base import validate
from db.specs.exchange import PackContent, scale_rows

MIN_PASSPHRASE = 8
CAMPAIGN_FIELDS = (
    "key", "title", "department", "reference", "location", "grade", "level", "level_reason", "scale",
    "min_total", "divergence_threshold", "scoring_method", "decision_date", "retention_months",
    "anonymised", "interview_minutes", "created_at",
)


# --- export ------------------------------------------------------------------------


def calibration_levels(level: int) -> list[int]:
    """The campaign's level and the levels directly below and above it."""
    return [lv for lv in (level - 1, level, level + 1) if 1 <= lv <= 6]


def _jsonable(value: Any) -> Any:
    return iso(value) if isinstance(value, (datetime, date)) else value


def pack_content(session: Session, campaign: Campaign) -> dict[str, Any]:
    framework = session.get(Framework, campaign.framework_id)
    assert framework is not None
    items = session.exec(
        select(CampaignItem).where(CampaignItem.campaign_id == campaign.id).order_by(CampaignItem.position)
    ).all()
    questions = session.exec(
        select(Question)
        .join(CampaignItem, col(CampaignItem.id) == Question.item_id)
        .where(CampaignItem.campaign_id == campaign.id)
        .order_by(Question.item_id, Question.kind, Question.position, Question.id)
    ).all()
    element_ids = sorted({i.element_id for i in items if i.element_id is not None})
    elements = (
        session.exec(select(Element).where(col(Element.id).in_(element_ids)).order_by(Element.position)).all()
        if element_ids
        else []
    )
    indicator_rows = (
        session.exec(
            select(Indicator.element_id, Indicator.level, Indicator.kind, Indicator.position, Indicator.text)
            .where(col(Indicator.element_id).in_(element_ids), col(Indicator.level).in_(calibration_levels(campaign.level)))
            .order_by(Indicator.element_id, Indicator.level, Indicator.kind, Indicator.position)
        ).all()
        if element_ids
        else []
    )
    by_element: dict[int, list[dict[str, Any]]] = {e: [] for e in element_ids}
    for element_id, level, kind, position, text in indicator_rows:
        by_element[element_id].append({"level": level, "kind": kind, "position": position, "text": text})
    element_name = {e.id: e.name for e in elements}
    candidates = session.exec(
        select(Candidate)
        .where(Candidate.campaign_id == campaign.id, col(Candidate.purged_at).is_(None))
        .order_by(Candidate.id)
    ).all()
    members = session.exec(
        select(PanelMember).where(PanelMember.campaign_id == campaign.id).order_by(PanelMember.id)
    ).all()
    return {
        "framework": {
            "key": framework.key,
            "name": framework.name,
            "kind": framework.kind,
            "level_names": dict(framework.level_names),
            "elements": [
                {
                    "name": e.name,
                    "position": e.position,
                    "cluster": e.cluster,
                    "definition": e.definition,
                    "indicators": by_element[e.id],  # type: ignore[index]
                }
                for e in elements
            ],
        },
        "campaign": {f: _jsonable(getattr(campaign, f)) for f in CAMPAIGN_FIELDS},
        "items": [
            {
                "position": i.position,
                "kind": i.kind,
                "element": element_name.get(i.element_id) if i.element_id is not None else None,
                "name": i.name,
                "description": i.description,
                "pass_mark": i.pass_mark,
                "is_lead": i.is_lead,
                "scale": i.scale,
                "questions": [
                    {"position": q.position, "kind": q.kind, "text": q.text} for q in questions if q.item_id == i.id
                ],
            }
            for i in items
        ],
        "candidates": [
            {
                "ref": c.ref,
                "name": "" if campaign.anonymised else c.name,
                "adjustments": c.adjustments,
                "extra_minutes": c.extra_minutes,
                "slot": iso(c.slot),
            }
            for c in candidates
        ],
        "panel": [{"name": m.name, "role": m.role} for m in members],
    }


def pack_text(session: Session, campaign_key: str, member_name: str, *, actor: str = "") -> str:
    """One member's panel pack before the passphrase layer: the campaign, their new signing key, the recipient.

    Makes a new Ed25519 key pair for the member (only the public half is kept
    here) and records the export in the audit trail.
    """
    campaign = get_campaign(session, campaign_key)
    member = find_member(session, campaign.id, member_name)  # type: ignore[arg-type]
    actor = actor or laptop_user(session, campaign.id)  # type: ignore[arg-type]
    content = pack_content(session, campaign)
    recipient = exchange_keys.campaign_keys(session, campaign.id).recipient  # type: ignore[arg-type]
    signing = exchange_keys.new_member_key(session, campaign.id, member.id)  # type: ignore[arg-type]
    keys = {"member": member.name, "signing_key": signing.private, "public_key": signing.public, "recipient": recipient}
    text = seal(FORMAT_PACK, campaign.key, content, keys=keys)
    record(
        session, action="export", entity="pack", entity_id=campaign.id, campaign_id=campaign.id, actor=actor,
        new=f"{len(content['candidates'])} candidates, {len(content['items'])} items, for {member.name}",
    )
    session.commit()
    return text


def export_pack(session: Session, campaign_key: str, member_name: str, passphrase: str, *, actor: str = "") -> bytes:
    """The sealed panel pack for one member: the bytes of a file only ``passphrase`` opens."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(f"a panel pack passphrase needs at least {MIN_PASSPHRASE} characters")
    return lock_pack(pack_text(session, campaign_key, member_name, actor=actor), passphrase)


# --- import ------------------------------------------------------------------------


def read_pack(data: str | bytes, source: str) -> PackContent:
    """A plain pack's content, checked (envelope and spec); ImportRefused with one line otherwise."""
    return _read(data, source)[0]


def _read(data: str | bytes, source: str) -> tuple[PackContent, PackKeys]:
    env = unseal(data, source, FORMAT_PACK)
    pack = validate(PackContent, env.content, source=source, what="panel pack", error=ImportRefused)
    if pack.campaign.key != env.campaign:
        raise ImportRefused(
            f"{source}: not a valid panel pack: campaign.key {pack.campaign.key!r} differs from the envelope's {env.campaign!r}"
        )
    if env.keys is None:
        raise ImportRefused(f"{source}: not a valid panel pack: it carries no keys (made by an older panel-tui?)")
    if env.keys.member.lower() not in {m.name.lower() for m in pack.panel}:
        raise ImportRefused(f"{source}: not a valid panel pack: it is for {env.keys.member!r}, who is not on its panel")
    return pack, env.keys


def import_pack(
    session: Session, data: bytes, passphrase: str, *, source: str = "pack", actor: str = "", member: str | None = None
) -> PackImport:
    """Open a sealed pack with its passphrase and load it (see ``import_pack_text``)."""
    return import_pack_text(session, open_pack(data, passphrase, source), source=source, actor=actor, member=member)


def import_pack_text(
    session: Session, data: str | bytes, *, source: str = "pack", actor: str = "", member: str | None = None
) -> PackImport:
    """Load a plain pack: its framework (matched by content, see ``pack_framework``), then the campaign,
    then the member's keys, and make this laptop that member's.

    A campaign already held under the same key gains only the pack's new
    candidates and panel members (never on the database that created it); one
    whose items differ is refused. ``member``, if given, must be whom the pack is for.
    """
    pack, keys = _read(data, source)
    if member is not None and " ".join(member.split()).lower() != keys.member.lower():
        raise ImportRefused(f"{source}: this pack is not for {member!r}; nothing imported")
    result = _load(session, pack, source, actor)
    _adopt_keys(session, result.campaign_key, keys)
    return result


def _adopt_keys(session: Session, campaign_key: str, keys: PackKeys) -> None:
    """Keep the pack's keys and make this laptop its member's; never on the chair's database."""
    campaign = get_campaign(session, campaign_key)
    if campaign_created_here(session, campaign.id):  # type: ignore[arg-type]
        return  # the chair's database keeps no member's private key
    member = find_member(session, campaign.id, keys.member)  # type: ignore[arg-type]
    signing = exchange_keys.SigningKey(private=keys.signing_key, public=keys.public_key)
    exchange_keys.store_laptop_keys(session, campaign.id, member.id, signing, keys.recipient)  # type: ignore[arg-type]
    set_current_member(session, campaign.id, member.id)  # type: ignore[arg-type]  # commits


def _load(session: Session, pack: PackContent, source: str, actor: str) -> PackImport:
    key = pack.campaign.key
    existing = session.exec(select(Campaign).where(Campaign.key == key)).first()
    if existing is not None:
        return _merge_pack(session, existing, pack, source, actor)

    fw_plan = plan_framework(session, pack.framework, source)
    try:
        framework_id, element_ids, added = apply_framework(session, fw_plan, source)
        c = pack.campaign
        campaign = Campaign(
            **c.model_dump(exclude={"scale", "created_at"}),
            framework_id=framework_id,
            scale=scale_rows(c.scale),
            created_at=c.created_at or utcnow(),
        )
        session.add(campaign)
        session.flush()
        mark_from_pack(session, "campaign", campaign.id, source)  # type: ignore[arg-type]
        questions: list[dict[str, Any]] = []
        for item in pack.items:
            ci = CampaignItem(
                campaign_id=campaign.id,  # type: ignore[arg-type]
                position=item.position,
                kind=item.kind,
                element_id=element_ids[item.element] if item.element is not None else None,
                name=item.name,
                description=item.description,
                pass_mark=item.pass_mark,
                is_lead=item.is_lead,
                scale=scale_rows(item.scale) if item.scale is not None else None,
            )
            session.add(ci)
            session.flush()
            questions += [{"item_id": ci.id, **vars(q)} for q in item.questions]
        bulk_insert(session, Question, questions)
        # vars(), not model_dump(): the fields as validated, without a serializer pass per row.
        bulk_insert(session, Candidate, [{"campaign_id": campaign.id, **vars(x)} for x in pack.candidates])
        bulk_insert(session, PanelMember, [{"campaign_id": campaign.id, **vars(m)} for m in pack.panel])
        record(
            session, action="import", entity="pack", entity_id=campaign.id, campaign_id=campaign.id, actor=actor,
            new=f"{len(pack.candidates)} candidates, {len(pack.items)} items", reason=source,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return PackImport(
        source=source, campaign_key=key, created=True, items=len(pack.items),
        candidates_added=len(pack.candidates), members_added=len(pack.panel), indicators_added=added,
    )


def _merge_pack(session: Session, campaign: Campaign, pack: PackContent, source: str, actor: str) -> PackImport:
    framework = session.get(Framework, campaign.framework_id)
    assert framework is not None
    if framework.key != pack.framework.key:
        raise ImportRefused(
            f"{source}: campaign {campaign.key} is already here, using framework {framework.key}, not {pack.framework.key}"
        )
    held_items = set(session.exec(select(CampaignItem.name).where(CampaignItem.campaign_id == campaign.id)).all())
    if held_items != {i.name for i in pack.items}:
        raise ImportRefused(f"{source}: campaign {campaign.key} is already here with different items; nothing imported")
    held_refs = set(session.exec(select(Candidate.ref).where(Candidate.campaign_id == campaign.id)).all())
    held_members = {
        n.lower() for n in session.exec(select(PanelMember.name).where(PanelMember.campaign_id == campaign.id)).all()
    }
    new_candidates = [c for c in pack.candidates if c.ref not in held_refs]
    new_members = [m for m in pack.panel if m.name.lower() not in held_members]
    if (new_candidates or new_members) and campaign_created_here(session, campaign.id):  # type: ignore[arg-type]
        # The chair's database is the source of the panel and the candidate list: a pack
        # (perhaps forged) may not add to it. Add people there with `campaign` commands.
        first = f"panel member {new_members[0].name!r}" if new_members else f"candidate {new_candidates[0].ref!r}"
        raise ImportRefused(
            f"{source}: campaign {campaign.key} was created on this database; a panel pack cannot add to it "
            f"(it would add {first}); nothing imported"
        )
    if new_candidates or new_members:
        try:
            bulk_insert(session, Candidate, [{"campaign_id": campaign.id, **vars(c)} for c in new_candidates])
            bulk_insert(session, PanelMember, [{"campaign_id": campaign.id, **vars(m)} for m in new_members])
            record(
                session, action="import", entity="pack", entity_id=campaign.id, campaign_id=campaign.id, actor=actor,
                new=f"added {len(new_candidates)} candidates, {len(new_members)} panel members", reason=source,
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return PackImport(
        source=source, campaign_key=campaign.key, created=False, items=len(held_items),
        candidates_added=len(new_candidates), members_added=len(new_members), indicators_added=0,
    )
