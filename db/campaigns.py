"""Campaigns: create from a spec (TOML or the setup screen), list, look up, panel identity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from db.audit import record
from db.campaign_view import CampaignRow, list_campaigns  # noqa: F401  (re-exported)
from db.errors import NotFound, ValidationError
from db.frameworks import get_framework
from db.vocabulary import PanelRole
from db.models import Campaign, CampaignItem, Candidate, PanelMember

if TYPE_CHECKING:  # built on first use (db.models)
    from db.models import RoleTemplate

if TYPE_CHECKING:  # db.specs (pydantic models) is imported when a campaign is created, not by every start
    from db.specs import CampaignSpec

PANEL_ROLES = PanelRole.values()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "campaign"


def level_for_grade(session: Session, grade: str) -> int:
    """The framework level for a Civil Service grade or a COPFS band."""
    from db.models import GradeLevel
    wanted = _norm_grade(grade)
    for g, level in session.exec(select(GradeLevel.grade, GradeLevel.level)).all():
        if _norm_grade(g) == wanted:
            return level
    known = ", ".join(session.exec(select(GradeLevel.grade)).all())
    raise ValidationError(f"unknown grade {grade!r} (known: {known})")


def _norm_grade(grade: str) -> str:
    g = re.sub(r"\s+", " ", grade.strip().lower())
    return g.removeprefix("band ")


def role_templates(session: Session) -> list[RoleTemplate]:
    from db.models import RoleTemplate
    return list(session.exec(select(RoleTemplate).order_by(RoleTemplate.annex)).all())


def create_campaign(session: Session, spec: dict[str, Any] | CampaignSpec, *, actor: str = "") -> Campaign:
    """Create a campaign from a spec (the documented TOML shape); all-or-nothing.

    Returns the new campaign; raises ValidationError naming the first problem
    (and rolls the session back, so nothing is left half-made).
    """
    try:
        return _create_campaign(session, spec, actor)
    except Exception:
        session.rollback()
        raise


@dataclass(frozen=True)
class CopfsTable:
    """COPFS's bands and the levels at which it uses each competency: read once, then asked in
    memory (the set-up wizard asks at every change of item, on the UI thread)."""

    grades: frozenset[str]  # normalised COPFS bands
    levels: dict[str, tuple[int, ...]]  # competency name -> the levels COPFS uses it at

    @classmethod
    def read(cls, session: Session) -> "CopfsTable":
        from db.models import ElementLevelUse, GradeLevel
        grades = session.exec(select(GradeLevel.grade).where(GradeLevel.scheme == "copfs")).all()
        levels: dict[str, list[int]] = {}
        for name, level in session.exec(select(ElementLevelUse.element_name, ElementLevelUse.level)).all():
            levels.setdefault(name, []).append(level)
        return cls(frozenset(_norm_grade(g) for g in grades), {k: tuple(sorted(v)) for k, v in levels.items()})

    def is_copfs(self, grade: str, department: str = "") -> bool:
        """A COPFS campaign: its grade is a COPFS band, or its department is the Crown Office.

        COPFS's table of which competencies it uses at which level applies only to
        COPFS campaigns; a Home Office panel on the same competencies is not told.
        """
        dept = department.lower()
        if "copfs" in dept or "procurator fiscal" in dept:
            return True
        wanted = _norm_grade(grade)
        return bool(wanted) and wanted in self.grades

    def warning(self, element_name: str, level: int) -> str | None:
        levels = self.levels.get(element_name)
        if levels and level not in levels:
            return f"COPFS does not use {element_name} at level {level} (used at levels {', '.join(map(str, levels))})"
        return None

    def warnings(self, framework_key: str, names: list[str], level: int, *, grade: str = "", department: str = "") -> dict[str, str]:
        """Advice by item name: only for a COPFS campaign on the 2012 competencies (the framework COPFS uses)."""
        if framework_key != "competencies-2012" or not self.is_copfs(grade, department):
            return {}
        return {name: w for name in names if (w := self.warning(name, level))}


def campaign_warnings(session: Session, campaign: Campaign, *, today: date | None = None) -> list[str]:
    """Advice that does not stop a campaign: a decision date already past or before the interviews,
    and (COPFS campaigns only) competencies used at a level COPFS does not use them."""
    from db.models import Framework
    from db.specs.values import decision_date_warnings

    slots = session.exec(select(Candidate.slot).where(Candidate.campaign_id == campaign.id)).all()
    out = decision_date_warnings(campaign.decision_date, today or date.today(), [s for s in slots if s is not None])
    fw = session.get(Framework, campaign.framework_id)
    if fw is None:
        return out
    names = [i.name for i in campaign_items(session, campaign.id) if i.element_id is not None]  # type: ignore[arg-type]
    advice = CopfsTable.read(session).warnings(fw.key, names, campaign.level, grade=campaign.grade, department=campaign.department)
    return out + list(advice.values())


def _create_campaign(session: Session, data: Any, actor: str) -> Campaign:
    from db.models import Element, Question
    from db.specs import read_spec

    spec = read_spec(data)
    fw = get_framework(session, spec.framework)
    if spec.level is not None:
        try:
            grade_level = level_for_grade(session, spec.grade) if spec.grade else None
        except ValidationError:
            grade_level = None  # a department's own grade: the level given is the level used
        problem = spec.level_problem(grade_level)
        if problem:
            raise ValidationError(problem)
        level = spec.level
    else:
        level = level_for_grade(session, spec.grade)
    key = spec.key or slug(spec.title)
    base, n = key, 2
    while session.exec(select(Campaign.id).where(Campaign.key == key)).first() is not None:
        key, n = f"{base}-{n}", n + 1
    elements = {e.name.lower(): e for e in session.exec(select(Element).where(Element.framework_id == fw.id)).all()}
    campaign = Campaign(
        key=key, title=spec.title, department=spec.department, reference=spec.reference, location=spec.location,
        grade=spec.grade, level=level, level_reason=spec.level_reason,
        framework_id=fw.id,  # type: ignore[arg-type]
        scale=spec.points, min_total=spec.min_total, divergence_threshold=spec.divergence_threshold,
        scoring_method=spec.scoring_method, decision_date=spec.decision_date,
        retention_months=spec.retention_months, anonymised=spec.anonymised, interview_minutes=spec.interview_minutes,
    )
    session.add(campaign)
    session.flush()
    for pos, item in enumerate(spec.items):
        element = elements.get(item.name.lower()) if item.from_framework else None
        if item.from_framework and element is None:
            raise ValidationError(f"{item.name!r} is not an element of framework {fw.key}")
        kind = ("competency" if fw.kind == "competencies" else "behaviour") if item.from_framework else str(item.kind)
        ci = CampaignItem(
            campaign_id=campaign.id,  # type: ignore[arg-type]
            position=pos,
            kind=kind,
            element_id=element.id if element else None,
            name=element.name if element else item.name,
            description=item.description or (element.definition if element else ""),
            pass_mark=spec.pass_mark_for(item.name, item.scale),
            is_lead=bool(spec.lead) and str(spec.lead).lower() == item.name.lower(),
            scale=item.scale,
        )
        session.add(ci)
        session.flush()
        questions, probes = spec.item_questions(item)
        for i, text in enumerate(questions):
            session.add(Question(item_id=ci.id, position=i, kind="question", text=text))  # type: ignore[arg-type]
        for i, text in enumerate(probes):
            session.add(Question(item_id=ci.id, position=i, kind="probe", text=text))  # type: ignore[arg-type]
    for m in spec.panel:
        session.add(PanelMember(campaign_id=campaign.id, name=m.name, role=str(m.role)))  # type: ignore[arg-type]
    for values in spec.candidates:
        session.add(Candidate(campaign_id=campaign.id, **values))  # type: ignore[arg-type]
    record(session, action="create", entity="campaign", entity_id=campaign.id, campaign_id=campaign.id, actor=actor, new=key)
    session.commit()
    return campaign


def get_campaign(session: Session, key: str | int) -> Campaign:
    if isinstance(key, int):  # already in the session (e.g. just found or made at start-up): no query
        campaign = session.get(Campaign, key)
    else:
        campaign = session.exec(select(Campaign).where(Campaign.key == key)).first()
    if campaign is None:
        raise NotFound(f"unknown campaign {key!r} (see 'panel-tui campaign list')")
    return campaign


def campaign_items(session: Session, campaign_id: int) -> list[CampaignItem]:
    return list(session.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign_id).order_by(CampaignItem.position)).all())


def panel_members(session: Session, campaign_id: int) -> list[PanelMember]:
    return list(session.exec(select(PanelMember).where(PanelMember.campaign_id == campaign_id).order_by(PanelMember.id)).all())


def find_member(session: Session, campaign_id: int, name: str) -> PanelMember:
    """A panel member by name: the exact name (any case), or the one name it starts (e.g. a first name)."""
    members = panel_members(session, campaign_id)
    wanted = " ".join(name.split()).lower()
    exact = [m for m in members if m.name.lower() == wanted]
    if exact:
        return exact[0]
    matches = [m for m in members if wanted and m.name.lower().startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(m.name for m in (matches or members)) or "nobody yet"
    if matches:
        raise NotFound(f"{name!r} could be any of: {names}; give more of the name")
    raise NotFound(f"no panel member {name!r} in this campaign (the panel: {names})")


# --- who is using the app (db/identity.py: kept per person, never in the shared database) ---


def current_member(session: Session, campaign_id: int) -> PanelMember | None:
    from db import identity

    return identity.current_member(session, campaign_id)


def set_current_member(session: Session, campaign_id: int, member_id: int, *, actor: str = "") -> None:
    from db import identity

    identity.set_current_member(session, campaign_id, member_id, actor=actor)


def link_member(session: Session, campaign_id: int, name: str, role: str, *, actor: str = "") -> PanelMember:
    """Link a panel member to the PostgreSQL login role that is them on a department server."""
    from db import identity

    return identity.link_member(session, campaign_id, name, role, actor=actor)


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
