"""Campaigns: create from a spec (TOML or the setup screen), list, look up, panel identity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import scales
from db.audit import record
from db.errors import NotFound, ValidationError
from db.frameworks import get_framework
from db.models import (
    Campaign,
    CampaignItem,
    Candidate,
    Element,
    ElementLevelUse,
    GradeLevel,
    PanelMember,
    Question,
    RoleTemplate,
    Setting,
)

PANEL_ROLES = ("chair", "member", "independent")
OTHER_KINDS = ("strength", "experience", "technical", "ability", "presentation")


@dataclass(frozen=True)
class CampaignRow:
    id: int
    key: str
    title: str
    grade: str
    level: int
    framework: str
    candidates: int
    decision_date: date | None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "campaign"


def level_for_grade(session: Session, grade: str) -> int:
    """The framework level for a Civil Service grade or a COPFS band."""
    wanted = _norm_grade(grade)
    for g, level in session.exec(select(GradeLevel.grade, GradeLevel.level)).all():
        if _norm_grade(g) == wanted:
            return level
    known = ", ".join(session.exec(select(GradeLevel.grade)).all())
    raise ValidationError(f"unknown grade {grade!r} (known: {known})")


def _norm_grade(grade: str) -> str:
    g = re.sub(r"\s+", " ", grade.strip().lower())
    return g.removeprefix("band ")


def copfs_warning(session: Session, element_name: str, level: int) -> str | None:
    levels = session.exec(select(ElementLevelUse.level).where(ElementLevelUse.element_name == element_name)).all()
    if levels and level not in levels:
        return f"COPFS does not use {element_name} at level {level} (used at levels {', '.join(map(str, sorted(levels)))})"
    return None


def role_templates(session: Session) -> list[RoleTemplate]:
    return list(session.exec(select(RoleTemplate).order_by(RoleTemplate.annex)).all())


SPEC_FIELDS = (
    "key", "title", "department", "reference", "location", "grade", "level", "level_reason", "framework",
    "items", "lead", "scale", "pass_mark", "min_total", "decision_date", "divergence_threshold",
    "scoring_method", "retention_months", "anonymised", "interview_minutes", "questions", "panel", "candidates",
)
ITEM_FIELDS = ("name", "kind", "description", "scale", "questions", "probes")
PANEL_FIELDS = ("name", "role")


def create_campaign(session: Session, spec: dict[str, Any], *, actor: str = "") -> Campaign:
    """Create a campaign from a spec (the documented TOML shape); all-or-nothing.

    Returns the new campaign; raises ValidationError naming the first problem
    (and rolls the session back, so nothing is left half-made).
    """
    try:
        return _create_campaign(session, spec, actor)
    except Exception:
        session.rollback()
        raise


def campaign_warnings(session: Session, campaign: Campaign) -> list[str]:
    """Advice that does not stop a campaign: COPFS competencies used at a level COPFS does not use them."""
    from db.models import Framework

    fw = session.get(Framework, campaign.framework_id)
    if fw is None or fw.key != "competencies-2012":
        return []
    out = []
    for item in session.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign.id).order_by(CampaignItem.position)).all():
        if item.element_id is not None:
            warning = copfs_warning(session, item.name, campaign.level)
            if warning:
                out.append(warning)
    return out


def _unknown(d: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    for name in d:
        if name not in known:
            raise ValidationError(f"{where}: unknown field {name!r} (known: {', '.join(known)})")


def _texts(v: Any, what: str) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v.strip()] if v.strip() else []
    if isinstance(v, list) and all(isinstance(t, str) for t in v):
        return [t.strip() for t in v if t.strip()]
    raise ValidationError(f"{what} must be a text or a list of texts")


def _questions(q: Any, name: str) -> tuple[list[str], list[str]]:
    """(questions, probes) from a text, a list of texts, or a table {questions, probes}."""
    if isinstance(q, dict):
        _unknown(q, ("questions", "probes"), f"questions for {name!r}")
        return _texts(q.get("questions"), f"questions for {name!r}"), _texts(q.get("probes"), f"probes for {name!r}")
    return _texts(q, f"questions for {name!r}"), []


def _create_campaign(session: Session, spec: dict[str, Any], actor: str) -> Campaign:
    if not isinstance(spec, dict):
        raise ValidationError("a campaign spec must be a table of fields")
    _unknown(spec, SPEC_FIELDS, "campaign")
    title = str(spec.get("title") or "").strip()
    if not title:
        raise ValidationError("campaign needs a title")
    fw = get_framework(session, str(spec.get("framework") or "success-profiles-behaviours"))
    grade = str(spec.get("grade") or "").strip()
    if "level" in spec:
        level = _int(spec["level"], "level")
        if not 1 <= level <= 6:
            raise ValidationError(f"level {level} is not 1-6")
        try:
            grade_level = level_for_grade(session, grade) if grade else None
        except ValidationError:
            grade_level = None  # a department's own grade: the level given is the level used
        if grade_level is not None and level != grade_level and not str(spec.get("level_reason") or "").strip():
            raise ValidationError(f"level {level} overrides grade {grade} (level {grade_level}): give a level_reason")
    elif grade:
        level = level_for_grade(session, grade)
    else:
        raise ValidationError("campaign needs a grade (or a level)")
    scale = scales.validate_scale(spec.get("scale", "csj-1-7"))
    method = spec.get("scoring_method", "consensus")
    if method not in ("consensus", "mean"):
        raise ValidationError(f"scoring_method must be 'consensus' or 'mean', not {method!r}")
    key = str(spec.get("key") or slug(title))
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", key) or len(key) > 80:
        raise ValidationError(f"campaign key {key!r} must be lower-case letters, digits and hyphens (at most 80)")
    base, n = key, 2
    while session.exec(select(Campaign.id).where(Campaign.key == key)).first() is not None:
        key, n = f"{base}-{n}", n + 1
    divergence = _float(spec.get("divergence_threshold", 2), "divergence_threshold")
    if divergence <= 0:
        raise ValidationError(f"divergence_threshold must be more than 0, not {divergence:g}")
    retention = _int(spec.get("retention_months", 24), "retention_months")
    if not 0 <= retention <= 1200:
        raise ValidationError(f"retention_months {retention} is not 0-1200")
    minutes = _int(spec.get("interview_minutes", 60), "interview_minutes")
    if not 1 <= minutes <= 600:
        raise ValidationError(f"interview_minutes {minutes} is not 1-600")
    min_total = _opt_float(spec.get("min_total"), "min_total")
    if min_total is not None and min_total < 0:
        raise ValidationError(f"min_total must not be negative, not {min_total:g}")

    items_spec = spec.get("items") or []
    if not isinstance(items_spec, list) or not items_spec:
        raise ValidationError("campaign needs at least one item to assess")
    elements = {e.name.lower(): e for e in session.exec(select(Element).where(Element.framework_id == fw.id)).all()}
    lead = spec.get("lead")
    if lead is not None and not isinstance(lead, str):
        raise ValidationError("lead must be the name of one of the items")
    pass_mark = spec.get("pass_mark", scales.DEFAULT_PASS_MARK.get(str(spec.get("scale", "csj-1-7")), scale[len(scale) // 2]["value"]))
    if isinstance(pass_mark, dict):
        pass_mark = {str(k).strip().lower(): v for k, v in pass_mark.items()}
    elif isinstance(pass_mark, bool) or not isinstance(pass_mark, (int, float, str)):
        raise ValidationError("pass_mark must be a number, a scale label, or a table of them by item name")
    questions = spec.get("questions") or {}
    if not isinstance(questions, dict):
        raise ValidationError('questions must be tables by item name, e.g. [questions."Leadership"]')
    questions = {str(k).strip().lower(): v for k, v in questions.items()}
    campaign = Campaign(
        key=key,
        title=title,
        department=str(spec.get("department") or ""),
        reference=str(spec.get("reference") or ""),
        location=str(spec.get("location") or ""),
        grade=grade,
        level=level,
        level_reason=str(spec.get("level_reason") or ""),
        framework_id=fw.id,  # type: ignore[arg-type]
        scale=scale,
        min_total=min_total,
        divergence_threshold=divergence,
        scoring_method=method,
        decision_date=_date(spec.get("decision_date")),
        retention_months=retention,
        anonymised=_bool(spec.get("anonymised", False), "anonymised"),
        interview_minutes=minutes,
    )
    session.add(campaign)
    session.flush()
    names: set[str] = set()
    for pos, raw in enumerate(items_spec):
        if isinstance(raw, dict):
            item = raw
            _unknown(item, ITEM_FIELDS, f"item {pos + 1}")
        elif isinstance(raw, str):
            item = {"name": raw}
        else:
            raise ValidationError(f"item {pos + 1} must be a name or a table {{name, kind, description, scale}}")
        name = str(item.get("name") or "").strip()
        if not name:
            raise ValidationError(f"item {pos + 1} has no name")
        if name.lower() in names:
            raise ValidationError(f"item {name!r} is listed twice")
        names.add(name.lower())
        kind = item.get("kind")
        element = elements.get(name.lower())
        if kind in (None, "behaviour", "competency"):
            if element is None:
                raise ValidationError(f"{name!r} is not an element of framework {fw.key}")
            kind = "competency" if fw.kind == "competencies" else "behaviour"
        elif kind not in OTHER_KINDS:
            raise ValidationError(f"item {name!r}: kind {kind!r} is not one of behaviour, competency, {', '.join(OTHER_KINDS)}")
        else:
            element = None
        own_scale = scales.validate_scale(item["scale"]) if "scale" in item else None
        pm = pass_mark.get(name.lower(), pass_mark.get("default")) if isinstance(pass_mark, dict) else pass_mark
        if pm is None:
            raise ValidationError(f"no pass mark for item {name!r} (give it one, or a \"default\", in [pass_mark])")
        if isinstance(pm, bool):
            raise ValidationError(f"pass mark for {name!r} must be a number or a scale label, not {pm!r}")
        pm = _float(pm if not isinstance(pm, str) else scales.parse_score(own_scale or scale, pm), f"pass mark for {name}")
        if not min(scales.values(own_scale or scale)) <= pm <= max(scales.values(own_scale or scale)):
            raise ValidationError(f"pass mark {pm:g} for {name!r} is outside the scale")
        ci = CampaignItem(
            campaign_id=campaign.id,  # type: ignore[arg-type]
            position=pos,
            kind=kind,
            element_id=element.id if element else None,
            name=element.name if element else name,
            description=str(item.get("description") or (element.definition if element else "")),
            pass_mark=pm,
            is_lead=bool(lead) and str(lead).strip().lower() == name.lower(),
            scale=own_scale,
        )
        session.add(ci)
        session.flush()
        qs, probes = _questions(questions.get(name.lower(), item.get("questions")), name)
        probes += _texts(item.get("probes"), f"probes for {name!r}")
        for i, text in enumerate(qs):
            session.add(Question(item_id=ci.id, position=i, kind="question", text=text))  # type: ignore[arg-type]
        for i, text in enumerate(probes):
            session.add(Question(item_id=ci.id, position=i, kind="probe", text=text))  # type: ignore[arg-type]
    if lead and str(lead).strip().lower() not in names:
        raise ValidationError(f"lead item {lead!r} is not one of the items")
    if isinstance(pass_mark, dict):
        for k in pass_mark:
            if k != "default" and k not in names:
                raise ValidationError(f"pass_mark for {k!r}, which is not one of the items")
    for k in questions:
        if k not in names:
            raise ValidationError(f"questions for {k!r}, which is not one of the items")
    panel = spec.get("panel") or []
    if not isinstance(panel, list):
        raise ValidationError("panel must be a list of [[panel]] tables with name and role")
    members: set[str] = set()
    for n, m in enumerate(panel, 1):
        if not isinstance(m, dict):
            raise ValidationError(f"panel member {n} must be a table with name and role")
        _unknown(m, PANEL_FIELDS, f"panel member {n}")
        name = str(m.get("name") or "").strip()
        role = str(m.get("role") or "member").strip().lower()
        if not name:
            raise ValidationError(f"panel member {n} has no name")
        if role not in PANEL_ROLES:
            raise ValidationError(f"panel member {name!r}: role {role!r} is not one of {', '.join(PANEL_ROLES)}")
        if name.lower() in members:
            raise ValidationError(f"panel member {name!r} is listed twice")
        members.add(name.lower())
        session.add(PanelMember(campaign_id=campaign.id, name=name, role=role))  # type: ignore[arg-type]
    from db.candidates import clean_candidate

    candidates = spec.get("candidates") or []
    if not isinstance(candidates, list):
        raise ValidationError("candidates must be a list of [[candidates]] tables")
    refs: set[str] = set()
    for n, c in enumerate(candidates, 1):
        if not isinstance(c, dict):
            raise ValidationError(f"candidate {n} must be a table with ref, name, email, ...")
        values, problems = clean_candidate(c)
        if problems:
            raise ValidationError(f"candidate {n}{' ' + repr(values['ref']) if values.get('ref') else ''}: {problems[0]}")
        if values["ref"] in refs:
            raise ValidationError(f"candidate ref {values['ref']!r} is listed twice")
        refs.add(values["ref"])
        session.add(Candidate(campaign_id=campaign.id, **values))  # type: ignore[arg-type]
    record(session, action="create", entity="campaign", entity_id=campaign.id, campaign_id=campaign.id, actor=actor, new=key)
    session.commit()
    return campaign


def list_campaigns(session: Session) -> list[CampaignRow]:
    from db.models import Framework

    counts = (
        select(Candidate.campaign_id, func.count().label("n")).group_by(Candidate.campaign_id).subquery()
    )
    rows = session.exec(
        select(Campaign, Framework.name, counts.c.n)
        .join(Framework, col(Framework.id) == Campaign.framework_id)
        .join(counts, counts.c.campaign_id == Campaign.id, isouter=True)
        .order_by(col(Campaign.created_at).desc(), col(Campaign.id).desc())
    ).all()
    return [
        CampaignRow(
            id=c.id, key=c.key, title=c.title, grade=c.grade, level=c.level, framework=fname,  # type: ignore[arg-type]
            candidates=n or 0, decision_date=c.decision_date,
        )
        for c, fname, n in rows
    ]


def get_campaign(session: Session, key: str | int) -> Campaign:
    stmt = select(Campaign).where(Campaign.id == key) if isinstance(key, int) else select(Campaign).where(Campaign.key == key)
    campaign = session.exec(stmt).first()
    if campaign is None:
        raise NotFound(f"unknown campaign {key!r} (see 'panel-tui campaign list')")
    return campaign


def campaign_items(session: Session, campaign_id: int) -> list[CampaignItem]:
    return list(session.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign_id).order_by(CampaignItem.position)).all())


def panel_members(session: Session, campaign_id: int) -> list[PanelMember]:
    return list(session.exec(select(PanelMember).where(PanelMember.campaign_id == campaign_id).order_by(PanelMember.id)).all())


def find_member(session: Session, campaign_id: int, name: str) -> PanelMember:
    for m in panel_members(session, campaign_id):
        if m.name.lower() == name.strip().lower():
            return m
    raise NotFound(f"no panel member {name!r} in this campaign")


# --- who is using this laptop ----------------------------------------------


def _member_setting_key(campaign_id: int) -> str:
    return f"member:{campaign_id}"


def current_member(session: Session, campaign_id: int) -> PanelMember | None:
    setting = session.get(Setting, _member_setting_key(campaign_id))
    if setting is None:
        return None
    member = session.get(PanelMember, int(setting.value))
    return member if member is not None and member.campaign_id == campaign_id else None


def set_current_member(session: Session, campaign_id: int, member_id: int) -> None:
    member = session.get(PanelMember, member_id)
    if member is None or member.campaign_id != campaign_id:
        raise NotFound("that panel member is not on this campaign's panel")
    setting = session.get(Setting, _member_setting_key(campaign_id)) or Setting(key=_member_setting_key(campaign_id))
    setting.value = str(member_id)
    session.add(setting)
    session.commit()


# --- value parsing -----------------------------------------------------------


def _int(v: Any, what: str) -> int:
    try:
        if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
            raise ValueError
        return int(v)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"{what} must be a whole number, not {v!r}") from None


def _float(v: Any, what: str) -> float:
    try:
        if isinstance(v, bool):
            raise ValueError
        f = float(v)
        if f != f or f in (float("inf"), float("-inf")):
            raise ValueError
        return f
    except (TypeError, ValueError):
        raise ValidationError(f"{what} must be a number, not {v!r}") from None


def _bool(v: Any, what: str) -> bool:
    if isinstance(v, bool):
        return v
    text = str(v).strip().lower()
    if text in ("yes", "true", "1"):
        return True
    if text in ("no", "false", "0", ""):
        return False
    raise ValidationError(f"{what} must be true or false, not {v!r}")


def _opt_float(v: Any, what: str) -> float | None:
    return None if v in (None, "") else _float(v, what)


def _date(v: Any) -> date | None:
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        raise ValidationError(f"date {v!r} is not YYYY-MM-DD") from None


def _datetime(v: Any) -> datetime | None:
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        dt = v
    else:
        try:
            dt = datetime.fromisoformat(str(v))
        except ValueError:
            raise ValidationError(f"slot {v!r} is not YYYY-MM-DD HH:MM") from None
    # Slots are typed in local time; store aware.
    return dt.astimezone() if dt.tzinfo is None else dt


def add_panel_member(session: Session, campaign_id: int, name: str, role: str = "member", *, actor: str = "") -> PanelMember:
    """Add a member to a campaign's panel (a late replacement, an extra independent member)."""
    get_campaign(session, campaign_id)
    name, role = name.strip(), role.strip().lower()
    if not name:
        raise ValidationError("a panel member needs a name")
    if role not in PANEL_ROLES:
        raise ValidationError(f"role {role!r} is not one of {', '.join(PANEL_ROLES)}")
    if any(m.name.lower() == name.lower() for m in panel_members(session, campaign_id)):
        raise ValidationError(f"{name!r} is already on the panel")
    member = PanelMember(campaign_id=campaign_id, name=name, role=role)
    session.add(member)
    session.flush()
    record(session, action="add", entity="panel", entity_id=member.id, campaign_id=campaign_id, actor=actor,
           new=f"{name} ({role})")
    session.commit()
    return member
