"""Edit a campaign after creation: title, decision date, interview length, panel (rename, remove, add).

Every value is checked through the campaign spec's parts (``db.specs.parts``), the same checks as
creation; every change is audited with the old value, the new value and the reason. Nothing is
changed unless everything asked is valid. A member who has recorded evidence or scores stays:
their scores are part of the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from db import campaigns as campaign_service
from db import identity
from db.audit import record
from db.versions import claim
from db.errors import ValidationError
from db.models import Assessment, Campaign, Candidate, ItemEvidence, PanelMember, Setting
from db.specs.parts import DatesPart, PanelPart, RolePart
from db.specs.parts import PanelMember as MemberPart

__all__ = ["CampaignEdit", "EditResult", "edit_campaign", "login_links", "member_has_evidence"]


@dataclass(frozen=True)
class CampaignEdit:
    """What to change; None / empty leaves a value as it is."""

    title: str | None = None
    decision_date: str | date | None = None
    interview_minutes: int | str | None = None
    rename: tuple[tuple[str, str], ...] = ()  # (old name, new name)
    remove: tuple[str, ...] = ()
    add: tuple[tuple[str, str], ...] = ()  # (name, role)
    reason: str = ""
    expected_version: int | None = None  # the campaign version the editor saw (None: as it is now)
    links: tuple[tuple[str, str], ...] = ()  # department server: (member name, login role; "" unlinks)


@dataclass
class EditResult:
    changes: list[str] = field(default_factory=list)  # one line per change, as audited
    warnings: list[str] = field(default_factory=list)  # advice that did not stop the edit


def member_has_evidence(session: Session, member_id: int) -> int:
    """How many candidates this member has recorded evidence or a score for."""
    return session.exec(
        select(func.count(func.distinct(Assessment.candidate_id)))
        .select_from(Assessment)
        .join(ItemEvidence, ItemEvidence.assessment_id == Assessment.id)
        .where(Assessment.member_id == member_id)
    ).one()


def _find(members: list[PanelMember], name: str) -> PanelMember:
    wanted = name.strip().lower()
    for m in members:
        if m.name.lower() == wanted:
            return m
    raise ValidationError(f"{name.strip()!r} is not on the panel (panel: {', '.join(m.name for m in members) or 'none'})")


def _check_values(campaign: Campaign, edit: CampaignEdit) -> dict[str, Any]:
    """The new field values, validated by the spec's parts; only those that differ."""
    new: dict[str, Any] = {}
    if edit.title is not None:
        title = RolePart.parse({"title": edit.title}).title
        if title != campaign.title:
            new["title"] = title
    dates: dict[str, Any] = {}
    if edit.decision_date not in (None, ""):
        dates["decision_date"] = edit.decision_date
    if edit.interview_minutes not in (None, ""):
        dates["interview_minutes"] = edit.interview_minutes
    if dates:
        part = DatesPart.parse(dates)
        if "decision_date" in dates and part.decision_date != campaign.decision_date:
            new["decision_date"] = part.decision_date
        if "interview_minutes" in dates and part.interview_minutes != campaign.interview_minutes:
            new["interview_minutes"] = part.interview_minutes
    return new


def _plan_panel(session: Session, members: list[PanelMember], edit: CampaignEdit) -> tuple[
        list[tuple[PanelMember, str]], list[PanelMember], list[tuple[str, str]]]:
    """Renames, removals and additions, checked against each other and the whole new panel."""
    renames = []
    for old, new in edit.rename:
        member = _find(members, old)
        name = MemberPart.parse({"name": new, "role": member.role}, "new name").name
        if not name:
            raise ValidationError(f"the new name for {member.name!r} is empty")
        if name != member.name:
            renames.append((member, name))
    removals = []
    for name in edit.remove:
        member = _find(members, name)
        n = member_has_evidence(session, member.id)  # type: ignore[arg-type]
        if n:
            raise ValidationError(
                f"{member.name} cannot be removed: they have evidence or scores for {n} candidate"
                f"{'s' if n != 1 else ''}, which are part of the record"
            )
        removals.append(member)
    if {m.id for m, _ in renames} & {m.id for m in removals}:
        raise ValidationError("a member cannot be renamed and removed at once")
    additions = []
    for name, role in edit.add:
        part = MemberPart.parse({"name": name, "role": role or "member"}, "new panel member")
        additions.append((part.name, part.role.value))
    renamed = {m.id: name for m, name in renames}
    gone = {m.id for m in removals}
    panel = [{"name": renamed.get(m.id, m.name), "role": m.role} for m in members if m.id not in gone]
    PanelPart.parse({"panel": panel + [{"name": n, "role": r} for n, r in additions]})  # names unique
    return renames, removals, additions


def login_links(session: Session, campaign_id: int) -> dict[int, str] | None:
    """Member id -> the login role linked to them ('' none); None when the database is not a
    department server (PostgreSQL), where there are no logins to link."""
    if not identity.is_postgres(session):
        return None
    return {m.id: m.db_role or "" for m in campaign_service.panel_members(session, campaign_id)}  # type: ignore[misc]


def _plan_links(session: Session, campaign_id: int, members: list[PanelMember], edit: CampaignEdit
                ) -> list[tuple[PanelMember, str]]:
    """The links that change, checked as `panel-tui campaign link-member` checks them."""
    if not edit.links:
        return []
    if not identity.is_postgres(session):
        raise ValidationError("linking panel members to logins is for a department server (PostgreSQL)")
    wanted = {}
    for name, role in edit.links:
        member = _find(members, name)
        wanted[member.id] = (member, (role or "").strip())
    # Judge against the links as they will be: a login may move from one member to another.
    final = {m.id: m.db_role or "" for m in members} | {mid: role for mid, (_, role) in wanted.items()}
    taken: dict[str, int] = {}
    for mid, role in final.items():
        if role and taken.setdefault(role, mid) != mid:
            names = sorted(m.name for m in members if m.id in (mid, taken[role]))
            raise ValidationError(f"{role!r} would be linked to both {names[0]} and {names[1]}")
    plan = []
    for member, role in wanted.values():
        if role == (member.db_role or ""):
            continue
        plan.append((member, identity.check_role(session, role)))
    return plan


def edit_campaign(session: Session, campaign: str | int, edit: CampaignEdit, *, actor: str = "",
                  today: date | None = None) -> EditResult:
    """Apply the edit in one transaction; every change audited (old, new, reason). Returns what changed."""
    camp = campaign_service.get_campaign(session, campaign)
    reason = " ".join((edit.reason or "").split())
    if not reason:
        raise ValidationError("editing a campaign needs a reason (it is kept in the audit trail)")
    members = campaign_service.panel_members(session, camp.id)  # type: ignore[arg-type]
    new = _check_values(camp, edit)
    renames, removals, additions = _plan_panel(session, members, edit)
    links = _plan_links(session, camp.id, members, edit)  # type: ignore[arg-type]
    if not (new or renames or removals or additions or links):
        raise ValidationError("nothing to change: every value given is the campaign's current one")

    # Two owners editing at once: the second is told who changed it, not silently overwritten.
    claim(session, camp, edit.expected_version, entity="campaign")
    result = EditResult()
    cid = camp.id

    def audit(action: str, entity: str, entity_id: int | None, old: object, value: object) -> None:
        record(session, action=action, entity=entity, entity_id=entity_id, campaign_id=cid, actor=actor,
               old=old, new=value, reason=reason)
        result.changes.append(f"{entity}: {old or '(none)'} -> {value or '(none)'}")

    for name, value in new.items():
        old = getattr(camp, name)
        setattr(camp, name, value)
        audit("edit", f"campaign.{name}", cid, old, value)
    session.add(camp)
    # Links first: unlinking one member frees a login for another in the same edit.
    for member, role in sorted(links, key=lambda pair: bool(pair[1])):
        old_role = identity.apply_link(session, cid, member, role, actor=actor, reason=reason)  # type: ignore[arg-type]
        result.changes.append(f"login of {member.name}: {old_role or '(none)'} -> {role or '(none)'}")
    for member, name in renames:
        old = member.name
        member.name = name
        session.add(member)
        audit("rename", "panel", member.id, old, name)
    for member in removals:
        # Only empty assessments can remain (no evidence): they go with the member.
        session.exec(delete(Assessment).where(col(Assessment.member_id) == member.id))  # type: ignore[call-overload]
        setting = session.get(Setting, f"member:{cid}")
        if setting is not None and setting.value == str(member.id):
            session.delete(setting)
        audit("remove", "panel", member.id, f"{member.name} ({member.role})", "")
        session.delete(member)
    session.flush()
    for name, role in additions:
        member = PanelMember(campaign_id=cid, name=name, role=role)  # type: ignore[arg-type]
        session.add(member)
        session.flush()
        audit("add", "panel", member.id, "", f"{name} ({role})")
    if "decision_date" in new:
        slots = session.exec(select(Candidate.slot).where(Candidate.campaign_id == cid)).all()
        result.warnings = DatesPart(decision_date=new["decision_date"]).warnings(
            today or date.today(), [s for s in slots if s is not None])
    session.commit()
    return result
