"""Offline exchange between laptops: panel packs (chair -> panellists) and returns (panellist -> chair).

Both are versioned JSON files::

    {"format": "panel-tui/pack" | "panel-tui/return", "version": 1, "campaign": KEY,
     "created_at": ISO-8601, "content": {...}, "sha256": HEX}

``sha256`` is over the canonical JSON of ``content`` (sorted keys, no spaces,
UTF-8), so an edited or damaged file is refused. Nothing in a file is a
database id: items are named, candidates are refs, panel members are names and
indicators are (element name, level, kind, position), so a file written on one
laptop means the same on another.

Every import validates the whole file before writing, then writes it in one
transaction; a refusal raises an ``ImportRefused`` (or ``Conflict``) with one
line naming the problem and changes nothing. Returns are written with bulk
statements (a few queries per file, not per row), so a 2,000-candidate return
imports in about a second.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from db import scales
from db.audit import record
from db.campaigns import current_member, find_member, get_campaign
from db.errors import Conflict, ImportRefused, ValidationError
from db.interview import STAR, TAGS
from db.models import (
    Assessment,
    Campaign,
    CampaignItem,
    Candidate,
    Element,
    Framework,
    Indicator,
    IndicatorTag,
    ItemEvidence,
    PanelMember,
    Question,
    utcnow,
)

FORMAT_PACK = "panel-tui/pack"
FORMAT_RETURN = "panel-tui/return"
VERSION = 1
FORMAT_NAMES = {FORMAT_PACK: "panel pack", FORMAT_RETURN: "return"}
# Bound parameters per IN (...) list: well inside SQLite's and PostgreSQL's limits.
CHUNK = 900

CAMPAIGN_FIELDS = (
    "key", "title", "department", "reference", "location", "grade", "level", "level_reason", "scale",
    "min_total", "divergence_threshold", "scoring_method", "decision_date", "retention_months",
    "anonymised", "interview_minutes", "created_at",
)


# --- the envelope ----------------------------------------------------------------


def canonical(content: Any) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checksum(content: Any) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def envelope(fmt: str, campaign_key: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": fmt,
        "version": VERSION,
        "campaign": campaign_key,
        "created_at": _iso(utcnow()),
        "content": content,
        "sha256": checksum(content),
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def read_envelope(data: str | bytes, source: str, expected: str) -> dict[str, Any]:
    """Parse and check an exchange file; return the whole document or raise ImportRefused."""
    not_ours = f"{source}: not a panel-tui file (truncated or not JSON)"
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportRefused(not_ours) from None
    try:
        doc = json.loads(data)
    except ValueError:
        raise ImportRefused(not_ours) from None
    fmt = doc.get("format") if isinstance(doc, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith("panel-tui/"):
        raise ImportRefused(f"{source}: not a panel-tui file (no panel-tui format marker)")
    if fmt not in FORMAT_NAMES:
        raise ImportRefused(f"{source}: unknown kind of panel-tui file {fmt!r}; upgrade panel-tui to import it")
    if fmt != expected:
        raise ImportRefused(f"{source} is a {FORMAT_NAMES[fmt]}, not a {FORMAT_NAMES[expected]}")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportRefused(f"{source}: not a panel-tui file (bad format version {version!r})")
    if version > VERSION:
        raise ImportRefused(
            f"{source} was written by a newer panel-tui (format version {version}; this one reads {VERSION}); "
            "upgrade panel-tui to import it"
        )
    content, sha = doc.get("content"), doc.get("sha256")
    if not isinstance(content, dict) or not isinstance(sha, str):
        raise ImportRefused(f"{source}: not a panel-tui file (no content or checksum)")
    if checksum(content) != sha.strip().lower():
        raise ImportRefused(f"{source}: checksum does not match: the file was edited or damaged")
    if not isinstance(doc.get("campaign"), str) or not doc["campaign"]:
        raise ImportRefused(f"{source}: not a panel-tui file (no campaign named)")
    return doc


def write_exchange_file(path: str | os.PathLike[str], text: str) -> Path:
    """Write atomically, readable by the owner only (packs and returns hold personal data)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_exchange_file(path: str | os.PathLike[str]) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ImportRefused(f"cannot read {path}: {exc.strerror}") from None


# --- results -------------------------------------------------------------------


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

    @property
    def up_to_date(self) -> bool:
        return self.assessments == 0

    @property
    def summary(self) -> str:
        if self.up_to_date:
            return f"{self.source}: already up to date ({self.member})"
        return f"{self.source}: imported {self.assessments} assessments for {self.member}"


# --- panel pack: export ----------------------------------------------------------


def calibration_levels(level: int) -> list[int]:
    """The campaign's level and the levels directly below and above it."""
    return [lv for lv in (level - 1, level, level + 1) if 1 <= lv <= 6]


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
                "slot": _iso(c.slot),
            }
            for c in candidates
        ],
        "panel": [{"name": m.name, "role": m.role} for m in members],
    }


def export_pack(session: Session, campaign_key: str, *, actor: str = "") -> str:
    """The panel pack for a campaign, as the text of a file. Records the export in the audit trail."""
    campaign = get_campaign(session, campaign_key)
    actor = actor or _laptop_user(session, campaign.id)  # type: ignore[arg-type]
    content = pack_content(session, campaign)
    text = dumps(envelope(FORMAT_PACK, campaign.key, content))
    record(
        session, action="export", entity="pack", entity_id=campaign.id, campaign_id=campaign.id, actor=actor,
        new=f"{len(content['candidates'])} candidates, {len(content['items'])} items",
    )
    session.commit()
    return text


# --- panel pack: import ----------------------------------------------------------


def import_pack(session: Session, data: str | bytes, *, source: str = "pack", actor: str = "") -> PackImport:
    """Load a panel pack: its framework rows (reusing a framework with the same key), then the campaign.

    A campaign already held under the same key gains only the pack's new
    candidates and panel members; one whose items differ is refused.
    """
    doc = read_envelope(data, source, FORMAT_PACK)
    try:
        pack = _parse_pack(doc["content"], doc["campaign"])
    except (KeyError, TypeError, ValueError, AttributeError, ValidationError) as exc:
        raise ImportRefused(f"{source}: not a valid panel pack ({_reason(exc)})") from None
    key = pack["campaign"]["key"]

    existing = session.exec(select(Campaign).where(Campaign.key == key)).first()
    if existing is not None:
        return _merge_pack(session, existing, pack, source, actor)

    fw_plan = _plan_framework(session, pack["framework"], source)
    for item in pack["items"]:
        if item["element"] is not None and item["element"] not in fw_plan.element_names:
            raise ImportRefused(f"{source}: item {item['name']!r} names element {item['element']!r}, which the pack lacks")
    try:
        framework_id, element_ids, added = _apply_framework(session, fw_plan)
        c = pack["campaign"]
        campaign = Campaign(
            key=key,
            title=c["title"],
            department=c["department"],
            reference=c["reference"],
            location=c["location"],
            grade=c["grade"],
            level=c["level"],
            level_reason=c["level_reason"],
            framework_id=framework_id,
            scale=c["scale"],
            min_total=c["min_total"],
            divergence_threshold=c["divergence_threshold"],
            scoring_method=c["scoring_method"],
            decision_date=c["decision_date"],
            retention_months=c["retention_months"],
            anonymised=c["anonymised"],
            interview_minutes=c["interview_minutes"],
            created_at=c["created_at"] or utcnow(),
        )
        session.add(campaign)
        session.flush()
        questions: list[dict[str, Any]] = []
        for item in pack["items"]:
            ci = CampaignItem(
                campaign_id=campaign.id,  # type: ignore[arg-type]
                position=item["position"],
                kind=item["kind"],
                element_id=element_ids[item["element"]] if item["element"] is not None else None,
                name=item["name"],
                description=item["description"],
                pass_mark=item["pass_mark"],
                is_lead=item["is_lead"],
                scale=item["scale"],
            )
            session.add(ci)
            session.flush()
            questions += [{"item_id": ci.id, **q} for q in item["questions"]]
        _bulk_insert(session, Question, questions)
        _bulk_insert(session, Candidate, [{"campaign_id": campaign.id, **cand} for cand in pack["candidates"]])
        _bulk_insert(session, PanelMember, [{"campaign_id": campaign.id, **m} for m in pack["panel"]])
        record(
            session, action="import", entity="pack", entity_id=campaign.id, campaign_id=campaign.id, actor=actor,
            new=f"{len(pack['candidates'])} candidates, {len(pack['items'])} items", reason=source,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return PackImport(
        source=source, campaign_key=key, created=True, items=len(pack["items"]),
        candidates_added=len(pack["candidates"]), members_added=len(pack["panel"]), indicators_added=added,
    )


def _merge_pack(session: Session, campaign: Campaign, pack: dict[str, Any], source: str, actor: str) -> PackImport:
    framework = session.get(Framework, campaign.framework_id)
    assert framework is not None
    if framework.key != pack["framework"]["key"]:
        raise ImportRefused(
            f"{source}: campaign {campaign.key} is already here, using framework {framework.key}, "
            f"not {pack['framework']['key']}"
        )
    held_items = set(session.exec(select(CampaignItem.name).where(CampaignItem.campaign_id == campaign.id)).all())
    if held_items != {i["name"] for i in pack["items"]}:
        raise ImportRefused(f"{source}: campaign {campaign.key} is already here with different items; nothing imported")
    held_refs = set(session.exec(select(Candidate.ref).where(Candidate.campaign_id == campaign.id)).all())
    held_members = {
        n.lower() for n in session.exec(select(PanelMember.name).where(PanelMember.campaign_id == campaign.id)).all()
    }
    new_candidates = [c for c in pack["candidates"] if c["ref"] not in held_refs]
    new_members = [m for m in pack["panel"] if m["name"].lower() not in held_members]
    if new_candidates or new_members:
        try:
            _bulk_insert(session, Candidate, [{"campaign_id": campaign.id, **c} for c in new_candidates])
            _bulk_insert(session, PanelMember, [{"campaign_id": campaign.id, **m} for m in new_members])
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


@dataclass
class _FrameworkPlan:
    framework: Framework | None  # None: create it
    data: dict[str, Any]
    element_names: set[str]
    held_elements: dict[str, int]  # name -> id, for elements already held
    new_indicators: list[tuple[str, dict[str, Any]]]  # (element name, indicator)


def _plan_framework(session: Session, fw: dict[str, Any], source: str) -> _FrameworkPlan:
    """Work out what to add to (or whether to refuse) the framework, without writing."""
    framework = session.exec(select(Framework).where(Framework.key == fw["key"])).first()
    names = {e["name"] for e in fw["elements"]}
    if framework is None:
        return _FrameworkPlan(
            None, fw, names, {}, [(e["name"], ind) for e in fw["elements"] for ind in e["indicators"]]
        )
    if framework.kind != fw["kind"]:
        raise ImportRefused(
            f"{source}: framework {fw['key']} here holds {framework.kind}, but the pack's holds {fw['kind']}"
        )
    held = {
        name: eid
        for eid, name in session.exec(
            select(Element.id, Element.name).where(Element.framework_id == framework.id, col(Element.name).in_(sorted(names)))
        ).all()
    }
    held_texts: dict[tuple[str, int, str, int], str] = {}
    if held:
        for name, level, kind, position, text in session.exec(
            select(Element.name, Indicator.level, Indicator.kind, Indicator.position, Indicator.text)
            .join(Element, col(Element.id) == Indicator.element_id)
            .where(col(Indicator.element_id).in_(list(held.values())))
        ).all():
            held_texts[(name, level, kind, position)] = text
    new: list[tuple[str, dict[str, Any]]] = []
    for e in fw["elements"]:
        for ind in e["indicators"]:
            ident = (e["name"], ind["level"], ind["kind"], ind["position"])
            text = held_texts.get(ident)
            if text is None:
                new.append((e["name"], ind))
            elif text.strip() != ind["text"].strip():
                raise ImportRefused(
                    f"{source}: framework {fw['key']} here differs from the pack's "
                    f"({e['name']}, level {ind['level']} {ind['kind']} indicator {ind['position'] + 1})"
                )
    return _FrameworkPlan(framework, fw, names, held, new)


def _apply_framework(session: Session, plan: _FrameworkPlan) -> tuple[int, dict[str, int], int]:
    fw = plan.data
    framework = plan.framework
    if framework is None:
        framework = Framework(
            key=fw["key"], name=fw["name"], kind=fw["kind"], bundled=False, level_names=dict(fw["level_names"])
        )
        session.add(framework)
        session.flush()
    element_ids = dict(plan.held_elements)
    for e in fw["elements"]:
        if e["name"] in element_ids:
            continue
        element = Element(
            framework_id=framework.id,  # type: ignore[arg-type]
            position=e["position"],
            name=e["name"],
            cluster=e["cluster"],
            definition=e["definition"],
        )
        session.add(element)
        session.flush()
        element_ids[e["name"]] = element.id  # type: ignore[assignment]
    _bulk_insert(
        session,
        Indicator,
        [
            {"element_id": element_ids[name], "level": i["level"], "kind": i["kind"], "position": i["position"], "text": i["text"]}
            for name, i in plan.new_indicators
        ],
    )
    return framework.id, element_ids, len(plan.new_indicators)  # type: ignore[return-value]


def _parse_pack(content: dict[str, Any], campaign_key: str) -> dict[str, Any]:
    """Check the pack's shape and types; convert dates. Raises KeyError/TypeError/ValueError."""
    fw = content["framework"]
    if fw["kind"] not in ("competencies", "behaviours"):
        raise ValueError(f"framework kind {fw['kind']!r}")
    elements = []
    for e in _list(fw["elements"], "framework elements"):
        elements.append(
            {
                "name": _str(e["name"], "element name"),
                "position": _int(e["position"], "element position"),
                "cluster": None if e.get("cluster") is None else _str(e["cluster"], "cluster"),
                "definition": _str(e.get("definition", ""), "definition"),
                "indicators": [
                    {
                        "level": _int(i["level"], "indicator level"),
                        "kind": _str(i["kind"], "indicator kind"),
                        "position": _int(i["position"], "indicator position"),
                        "text": _str(i["text"], "indicator text"),
                    }
                    for i in _list(e["indicators"], "indicators")
                ],
            }
        )
    _unique((e["name"] for e in elements), "element")
    framework = {
        "key": _str(fw["key"], "framework key"),
        "name": _str(fw["name"], "framework name"),
        "kind": fw["kind"],
        "level_names": {str(k): _str(v, "level name") for k, v in dict(fw.get("level_names") or {}).items()},
        "elements": elements,
    }
    c = content["campaign"]
    if c["key"] != campaign_key:
        raise ValueError(f"campaign key {c['key']!r} inside, {campaign_key!r} outside")
    campaign = {
        "key": _str(c["key"], "campaign key"),
        "title": _str(c["title"], "title"),
        "department": _str(c.get("department", ""), "department"),
        "reference": _str(c.get("reference", ""), "reference"),
        "location": _str(c.get("location", ""), "location"),
        "grade": _str(c.get("grade", ""), "grade"),
        "level": _int(c["level"], "level"),
        "level_reason": _str(c.get("level_reason", ""), "level_reason"),
        "scale": scales.validate_scale(c["scale"]),
        "min_total": None if c.get("min_total") is None else _num(c["min_total"], "min_total"),
        "divergence_threshold": _num(c.get("divergence_threshold", 2), "divergence_threshold"),
        "scoring_method": _str(c.get("scoring_method", "consensus"), "scoring_method"),
        "decision_date": None if not c.get("decision_date") else date.fromisoformat(c["decision_date"]),
        "retention_months": _int(c.get("retention_months", 24), "retention_months"),
        "anonymised": bool(c.get("anonymised", False)),
        "interview_minutes": _int(c.get("interview_minutes", 60), "interview_minutes"),
        "created_at": _datetime(c.get("created_at"), "created_at"),
    }
    items = []
    for i in _list(content["items"], "items"):
        items.append(
            {
                "position": _int(i["position"], "item position"),
                "kind": _str(i["kind"], "item kind"),
                "element": None if i.get("element") is None else _str(i["element"], "item element"),
                "name": _str(i["name"], "item name"),
                "description": _str(i.get("description", ""), "description"),
                "pass_mark": _num(i["pass_mark"], "pass_mark"),
                "is_lead": bool(i.get("is_lead", False)),
                "scale": None if i.get("scale") is None else scales.validate_scale(i["scale"]),
                "questions": [
                    {
                        "position": _int(q["position"], "question position"),
                        "kind": _str(q.get("kind", "question"), "question kind"),
                        "text": _str(q["text"], "question text"),
                    }
                    for q in _list(i.get("questions", []), "questions")
                ],
            }
        )
    if not items:
        raise ValueError("no items")
    _unique((i["name"].lower() for i in items), "item")
    candidates = [
        {
            "ref": _str(x["ref"], "candidate ref"),
            "name": _str(x.get("name", ""), "candidate name"),
            "adjustments": _str(x.get("adjustments", ""), "adjustments"),
            "extra_minutes": _int(x.get("extra_minutes", 0), "extra_minutes"),
            "slot": _datetime(x.get("slot"), "slot"),
        }
        for x in _list(content["candidates"], "candidates")
    ]
    _unique((x["ref"] for x in candidates), "candidate ref")
    panel = [
        {"name": _str(m["name"], "member name"), "role": _str(m.get("role", "member"), "role")}
        for m in _list(content["panel"], "panel")
    ]
    _unique((m["name"].lower() for m in panel), "panel member")
    return {"framework": framework, "campaign": campaign, "items": items, "candidates": candidates, "panel": panel}


# --- returns: export ---------------------------------------------------------------


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
                "tags": tags.get(ev_id, []), "updated_at": _iso(updated_at),
            }
        )
    return {
        "member": member.name,
        "assessments": [
            {
                "ref": ref,
                "submitted_at": _iso(submitted_at),
                "updated_at": _iso(updated_at),
                "items": items.get(assessment_id, []),
            }
            for assessment_id, ref, submitted_at, updated_at in assessments
        ],
    }


def export_return(session: Session, campaign_key: str, member_name: str, *, actor: str = "") -> tuple[str, int]:
    """A panel member's return for a campaign, as the text of a file, and how many assessments it holds."""
    campaign = get_campaign(session, campaign_key)
    member = find_member(session, campaign.id, member_name)  # type: ignore[arg-type]
    content = return_content(session, campaign, member)
    text = dumps(envelope(FORMAT_RETURN, campaign.key, content))
    record(
        session, action="export", entity="return", entity_id=member.id, campaign_id=campaign.id,
        actor=actor or member.name, new=f"{len(content['assessments'])} assessments",
    )
    session.commit()
    return text, len(content["assessments"])


# --- returns: import ---------------------------------------------------------------


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


def import_return(
    session: Session,
    data: str | bytes,
    *,
    source: str = "return",
    campaign_key: str | None = None,
    actor: str = "",
) -> ReturnImport:
    """Merge one panel member's return into this database: all of it, or (refused) none of it.

    Evidence already held and different is overwritten only by a later
    ``updated_at``; newer held evidence, or a held submitted assessment that the
    file has unsubmitted, refuses the whole file as a Conflict. Importing the
    same file again changes nothing.
    """
    doc = read_envelope(data, source, FORMAT_RETURN)
    key = doc["campaign"]
    if campaign_key is not None and key != campaign_key:
        raise ImportRefused(f"{source} is a return for campaign {key}, not {campaign_key}")
    campaign = session.exec(select(Campaign).where(Campaign.key == key)).first()
    if campaign is None:
        raise ImportRefused(f"{source} is a return for campaign {key}, which this database does not hold")
    content = doc["content"]
    member_name = content.get("member")
    if not isinstance(member_name, str) or not member_name.strip():
        raise ImportRefused(f"{source}: not a valid return (no panel member named)")
    members = session.exec(select(PanelMember).where(PanelMember.campaign_id == campaign.id)).all()
    member = next((m for m in members if m.name.lower() == member_name.strip().lower()), None)
    if member is None:
        raise ImportRefused(f"{source}: {member_name!r} is not on the panel for campaign {key}")
    actor = actor or _laptop_user(session, campaign.id)  # type: ignore[arg-type]
    try:
        assessments = _parse_return(session, campaign, content, source)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ImportRefused(f"{source}: not a valid return ({_reason(exc)})") from None

    # What this database already holds from this member, in three queries.
    held_assessments = {
        cid: (aid, submitted_at, updated_at)
        for aid, cid, submitted_at, updated_at in session.exec(
            select(Assessment.id, Assessment.candidate_id, Assessment.submitted_at, Assessment.updated_at)
            .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
            .where(Assessment.member_id == member.id, Candidate.campaign_id == campaign.id)
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
            .where(Assessment.member_id == member.id, Candidate.campaign_id == campaign.id)
        ).all()
    }
    held_tags: dict[int, dict[int, str]] = {}
    for eid, indicator_id, tag in session.exec(
        select(IndicatorTag.evidence_id, IndicatorTag.indicator_id, IndicatorTag.tag)
        .join(ItemEvidence, col(ItemEvidence.id) == IndicatorTag.evidence_id)
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Assessment.member_id == member.id, Candidate.campaign_id == campaign.id)
    ).all():
        held_tags.setdefault(eid, {})[indicator_id] = tag

    # The plan: nothing is written until every assessment has been checked.
    conflicts: list[str] = []
    new_assessments: list[dict[str, Any]] = []
    changed_assessments: list[dict[str, Any]] = []
    new_evidence: list[tuple[int, _FileEvidence]] = []  # (candidate id, evidence)
    changed_evidence: list[tuple[int, _FileEvidence]] = []  # (evidence id, evidence)
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
            if (notes, star, _score(score), held_tags.get(eid, {})) == (ev.notes, ev.star, ev.score, ev.tags):
                continue
            if updated_at >= ev.updated_at:
                conflicts.append(
                    f"candidate {a.ref}, {ev.item_name}: this database holds newer evidence from {member.name}"
                )
                continue
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
    if not touched:
        session.rollback()
        return ReturnImport(source=source, campaign_key=key, member=member.name, assessments=0, evidence=0)

    try:
        _bulk_insert(session, Assessment, new_assessments)
        if changed_assessments:
            session.exec(update(Assessment), params=changed_assessments)  # type: ignore[call-overload]
        assessment_ids = {cid: v[0] for cid, v in held_assessments.items()}
        if new_assessments:
            new_cids = {r["candidate_id"] for r in new_assessments}
            for aid, cid in session.exec(
                select(Assessment.id, Assessment.candidate_id)
                .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
                .where(Assessment.member_id == member.id, Candidate.campaign_id == campaign.id)
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
            for chunk in _chunks([eid for eid, _ in changed_evidence]):
                session.exec(delete(IndicatorTag).where(col(IndicatorTag.evidence_id).in_(chunk)))  # type: ignore[call-overload]
        _bulk_insert(
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
                    .where(Assessment.member_id == member.id, Candidate.campaign_id == campaign.id)
                ).all()
            }
            tag_rows += [
                {"evidence_id": ids[(assessment_ids[cid], ev.item_id)], "indicator_id": ind, "tag": tag}
                for cid, ev in new_evidence
                for ind, tag in ev.tags.items()
            ]
        _bulk_insert(session, IndicatorTag, tag_rows)
        record(
            session, action="import", entity="return", entity_id=member.id, campaign_id=campaign.id,
            actor=actor, new=f"{touched} assessments, {len(new_evidence) + len(changed_evidence)} item evidence from {member.name}",
            reason=source,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return ReturnImport(
        source=source, campaign_key=key, member=member.name, assessments=touched,
        evidence=len(new_evidence) + len(changed_evidence),
    )


def _parse_return(session: Session, campaign: Campaign, content: dict[str, Any], source: str) -> list[_FileAssessment]:
    """Resolve every name in the return to this database's ids; refuse on the first unknown."""
    candidates = dict(
        session.exec(select(Candidate.ref, Candidate.id).where(Candidate.campaign_id == campaign.id)).all()
    )
    items = {
        i.name.lower(): i
        for i in session.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign.id)).all()
    }
    raw = _list(content["assessments"], "assessments")
    wanted_elements = {
        _str(t["element"], "tag element")
        for a in raw
        for ev in _list(a["items"], "items")
        for t in _list(ev.get("tags", []), "tags")
    }
    indicator_ids: dict[tuple[str, int, str, int], int] = {}
    if wanted_elements:
        for iid, name, level, kind, position in session.exec(
            select(Indicator.id, Element.name, Indicator.level, Indicator.kind, Indicator.position)
            .join(Element, col(Element.id) == Indicator.element_id)
            .where(Element.framework_id == campaign.framework_id, col(Element.name).in_(sorted(wanted_elements)))
        ).all():
            indicator_ids[(name, level, kind, position)] = iid  # type: ignore[assignment]
    allowed = {i.id: set(scales.values(i.scale or campaign.scale)) for i in items.values()}
    out: list[_FileAssessment] = []
    seen_refs: set[str] = set()
    for a in raw:
        ref = _str(a["ref"], "candidate ref")
        if ref not in candidates:
            raise ImportRefused(f"{source}: unknown candidate {ref!r} in campaign {campaign.key}")
        if ref in seen_refs:
            raise ImportRefused(f"{source}: candidate {ref!r} appears twice")
        seen_refs.add(ref)
        evidence: list[_FileEvidence] = []
        seen_items: set[int] = set()
        for ev in _list(a["items"], "items"):
            name = _str(ev["item"], "item name")
            item = items.get(name.strip().lower())
            if item is None:
                raise ImportRefused(f"{source}: unknown item {name!r} in campaign {campaign.key}")
            if item.id in seen_items:
                raise ImportRefused(f"{source}: candidate {ref}: item {item.name!r} appears twice")
            seen_items.add(item.id)  # type: ignore[arg-type]
            score = ev.get("score")
            if score is not None:
                score = _num(score, "score")
                if score not in allowed[item.id]:
                    try:
                        scales.check_score(item.scale or campaign.scale, score)
                    except ValidationError as exc:
                        raise ImportRefused(f"{source}: candidate {ref}, {item.name}: {exc}") from None
            star = _str(ev.get("star", ""), "star")
            if any(ch not in STAR for ch in star):
                raise ImportRefused(f"{source}: candidate {ref}, {item.name}: STAR coverage {star!r} is not S, T, A, R")
            tags: dict[int, str] = {}
            for t in _list(ev.get("tags", []), "tags"):
                ident = (t["element"], _int(t["level"], "tag level"), _str(t["kind"], "tag kind"), _int(t["position"], "tag position"))
                iid = indicator_ids.get(ident)
                if iid is None:
                    raise ImportRefused(
                        f"{source}: candidate {ref}, {item.name}: unknown indicator "
                        f"({ident[0]}, level {ident[1]} {ident[2]} {ident[3] + 1})"
                    )
                if t["tag"] not in TAGS:
                    raise ImportRefused(f"{source}: candidate {ref}, {item.name}: tag {t['tag']!r} is not seen or contrary")
                tags[iid] = t["tag"]
            evidence.append(
                _FileEvidence(
                    item_id=item.id,  # type: ignore[arg-type]
                    item_name=item.name,
                    notes=_str(ev.get("notes", ""), "notes"),
                    star=star,
                    score=score,
                    tags=tags,
                    updated_at=_required_datetime(ev["updated_at"], "item updated_at"),
                )
            )
        out.append(
            _FileAssessment(
                candidate_id=candidates[ref],
                ref=ref,
                submitted_at=_datetime(a.get("submitted_at"), "submitted_at"),
                updated_at=_required_datetime(a["updated_at"], "updated_at"),
                items=evidence,
            )
        )
    return out


# --- helpers ---------------------------------------------------------------------


def _laptop_user(session: Session, campaign_id: int) -> str:
    member = current_member(session, campaign_id)
    return member.name if member is not None else ""


def _bulk_insert(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany on the table (Core: no per-row ORM work); column defaults fill missing keys."""
    if rows:
        session.exec(insert(model.__table__), params=list(rows))  # type: ignore[attr-defined, call-overload]


def _chunks(values: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def _jsonable(value: Any) -> Any:
    return _iso(value) if isinstance(value, (datetime, date)) else value


def _datetime(value: Any, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    dt = datetime.fromisoformat(_str(value, what))
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


def _required_datetime(value: Any, what: str) -> datetime:
    dt = _datetime(value, what)
    if dt is None:
        raise ValueError(f"no {what}")
    return dt


def _score(value: float | None) -> float | None:
    return None if value is None else float(value)


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} is not text")
    return value


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} is not a whole number")
    return value


def _num(value: Any, what: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise TypeError(f"{what} is not a number")
    return float(value)


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{what} is not a list")
    return value


def _unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{what} {v!r} appears twice")
        seen.add(v)


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def import_any(session: Session, data: bytes, *, source: str, actor: str = "") -> str:
    """Import a panel pack or a return, whichever the file is; return the one-line summary."""
    fmt = None
    try:
        doc = json.loads(data.decode("utf-8"))
        fmt = doc.get("format") if isinstance(doc, dict) else None
    except (ValueError, UnicodeDecodeError):
        pass  # read_envelope (via the importers) names the problem
    if fmt == FORMAT_RETURN:
        return import_return(session, data, source=source, actor=actor).summary
    return import_pack(session, data, source=source, actor=actor).summary
