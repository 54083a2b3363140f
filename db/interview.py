"""The panellist's side: candidates to assess, the interview view, saving evidence, submit and amend.

Every function takes ``session`` and owns one unit of work. Views are plain
frozen dataclasses so nothing on screen holds a live session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_
from sqlmodel import Session, col, select

from db import scales
from db.audit import record
from db.campaign_view import CandidateRow, candidate_rows  # noqa: F401  (re-exported: the interview's list)
from db.errors import NotFound, ValidationError
from db.models import Assessment, Campaign, CampaignItem, Candidate, ItemEvidence, PanelMember, utcnow

STAR = "STAR"
TAGS = ("seen", "contrary")


# --- views -------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorView:
    id: int
    kind: str  # "effective" | "ineffective" | "example"
    text: str


@dataclass(frozen=True)
class ItemView:
    id: int
    name: str
    kind: str
    element_id: int | None
    description: str
    pass_mark: float
    is_lead: bool
    scale: list[dict]
    questions: tuple[str, ...]
    probes: tuple[str, ...]


@dataclass
class EvidenceState:
    """What one panel member has recorded for one item (mutable: the screen edits a copy)."""

    notes: str = ""
    star: str = ""
    score: float | None = None
    tags: dict[int, str] = field(default_factory=dict)  # indicator id -> "seen" | "contrary"

    @property
    def state(self) -> str:
        if self.score is not None:
            return "scored"
        return "notes" if self.notes.strip() or self.tags or self.star else "no notes"


@dataclass(frozen=True)
class InterviewView:
    campaign_id: int
    campaign_title: str
    level: int
    level_name: str
    framework_kind: str
    interview_minutes: int
    anonymised: bool
    candidate_id: int
    candidate_ref: str
    candidate_name: str
    adjustments: str
    extra_minutes: int
    member_id: int
    member_name: str
    submitted_at: datetime | None
    items: tuple[ItemView, ...]
    evidence: dict[int, EvidenceState]
    framework_key: str = ""
    # The items' indicators at the role's level, keyed (element id, level): the screen opens
    # without another read, and reads other levels off the UI thread when asked.
    indicators: dict[tuple[int, int], list[IndicatorView]] = field(default_factory=dict)

    @property
    def candidate_label(self) -> str:
        if self.anonymised or not self.candidate_name:
            return self.candidate_ref
        return f"{self.candidate_name} ({self.candidate_ref})"


# --- reading -------------------------------------------------------------------


def _item_views(session: Session, campaign: Campaign) -> tuple[ItemView, ...]:
    from db.models import Question
    rows = session.exec(
        select(CampaignItem, Question.kind, Question.text)
        .outerjoin(Question, col(Question.item_id) == CampaignItem.id)
        .where(CampaignItem.campaign_id == campaign.id)
        .order_by(CampaignItem.position, Question.kind, Question.position)
    ).all()
    items: dict[int, CampaignItem] = {}
    texts: dict[int, dict[str, list[str]]] = {}
    for item, kind, q_text in rows:
        items.setdefault(item.id, item)  # type: ignore[arg-type]
        if kind is not None:
            texts.setdefault(item.id, {}).setdefault(kind, []).append(q_text)  # type: ignore[arg-type]
    return tuple(
        ItemView(
            id=i.id,  # type: ignore[arg-type]
            name=i.name,
            kind=i.kind,
            element_id=i.element_id,
            description=i.description,
            pass_mark=i.pass_mark,
            is_lead=i.is_lead,
            scale=i.scale or campaign.scale,
            questions=tuple(texts.get(i.id, {}).get("question", ())),  # type: ignore[arg-type]
            probes=tuple(texts.get(i.id, {}).get("probe", ())),  # type: ignore[arg-type]
        )
        for i in items.values()
    )


def _seat_query(candidate_id: int, member_id: int):
    # The candidate and their campaign, and the member only if on that campaign's panel: one statement.
    on_panel = and_(col(PanelMember.id) == member_id, col(PanelMember.campaign_id) == Candidate.campaign_id)
    return (
        select(Candidate, PanelMember, Campaign)
        .join(Campaign, col(Campaign.id) == Candidate.campaign_id)
        .outerjoin(PanelMember, on_panel)
        .where(Candidate.id == candidate_id)
    )


def _checked_seat(row, candidate_id: int) -> None:
    if row is None:
        raise NotFound(f"no candidate with id {candidate_id}")
    if row[1] is None:
        raise NotFound("that panel member is not on this candidate's panel")


def panel_seat(session: Session, candidate_id: int, member_id: int) -> tuple[Candidate, PanelMember, Campaign]:
    """The candidate, the member and their campaign, or NotFound when the member is not on that panel."""
    row = session.exec(_seat_query(candidate_id, member_id)).first()
    _checked_seat(row, candidate_id)
    return row[0], row[1], row[2]  # type: ignore[index]


def load_interview(session: Session, candidate_id: int, member_id: int) -> InterviewView:
    from db.models import Framework

    # The seat, the framework and this member's assessment in one statement; items with their
    # questions in a second; the evidence with its tags in a third; the indicators in a fourth.
    row = session.exec(
        _seat_query(candidate_id, member_id)
        .add_columns(Framework, Assessment)
        .join(Framework, col(Framework.id) == Campaign.framework_id)
        .outerjoin(Assessment, and_(col(Assessment.candidate_id) == Candidate.id, col(Assessment.member_id) == member_id))
    ).first()
    _checked_seat(row, candidate_id)
    candidate, member, campaign, framework, assessment = row  # type: ignore[misc]
    items = _item_views(session, campaign)
    return InterviewView(
        campaign_id=campaign.id,  # type: ignore[arg-type]
        campaign_title=campaign.title,
        level=campaign.level,
        level_name=framework.level_names.get(str(campaign.level), ""),
        framework_kind=framework.kind,
        interview_minutes=campaign.interview_minutes,
        anonymised=campaign.anonymised,
        candidate_id=candidate_id,
        candidate_ref=candidate.ref,
        candidate_name=candidate.name,
        adjustments=candidate.adjustments,
        extra_minutes=candidate.extra_minutes,
        member_id=member_id,
        member_name=member.name,
        submitted_at=assessment.submitted_at if assessment else None,
        items=items,
        evidence=_evidence(session, assessment.id if assessment else None),
        framework_key=framework.key,
        indicators=indicators_at(session, [i.element_id for i in items if i.element_id is not None], campaign.level),
    )


def _evidence(session: Session, assessment_id: int | None) -> dict[int, EvidenceState]:
    from db.models import IndicatorTag
    if assessment_id is None:
        return {}
    out: dict[int, EvidenceState] = {}
    for item_id, notes, star, score, indicator_id, tag in session.exec(
        select(ItemEvidence.item_id, ItemEvidence.notes, ItemEvidence.star, ItemEvidence.score,
               IndicatorTag.indicator_id, IndicatorTag.tag)
        .outerjoin(IndicatorTag, col(IndicatorTag.evidence_id) == ItemEvidence.id)
        .where(ItemEvidence.assessment_id == assessment_id)
    ).all():
        state = out.get(item_id)
        if state is None:
            state = out[item_id] = EvidenceState(notes=notes, star=star, score=score)
        if indicator_id is not None:
            state.tags[indicator_id] = tag
    return out


def indicators(session: Session, element_id: int, level: int) -> list[IndicatorView]:
    from db.models import Indicator
    rows = session.exec(
        select(Indicator.id, Indicator.kind, Indicator.text)
        .where(Indicator.element_id == element_id, Indicator.level == level)
        .order_by(Indicator.kind, Indicator.position)
    ).all()
    return [IndicatorView(id=i, kind=k, text=t) for i, k, t in rows]  # type: ignore[arg-type]


def indicators_at(session: Session, element_ids: list[int], level: int) -> dict[tuple[int, int], list[IndicatorView]]:
    """Several elements' indicators at one level in one statement, keyed (element id, level)."""
    from db.models import Indicator
    out: dict[tuple[int, int], list[IndicatorView]] = {(e, level): [] for e in element_ids}
    if not element_ids:
        return out
    for element_id, i, k, t in session.exec(
        select(Indicator.element_id, Indicator.id, Indicator.kind, Indicator.text)
        .where(col(Indicator.element_id).in_(element_ids), Indicator.level == level)
        .order_by(Indicator.element_id, Indicator.kind, Indicator.position)
    ).all():
        out[(element_id, level)].append(IndicatorView(id=i, kind=k, text=t))  # type: ignore[arg-type]
    return out


# --- writing -------------------------------------------------------------------


def _assessment(session: Session, candidate_id: int, member_id: int) -> Assessment | None:
    return session.exec(
        select(Assessment).where(Assessment.candidate_id == candidate_id, Assessment.member_id == member_id)
    ).first()


def candidate_item(session: Session, candidate_id: int, item_id: int) -> tuple[Candidate, CampaignItem, Campaign]:
    """The candidate, the item and their campaign; NotFound unless the item is assessed in that campaign."""
    candidate = session.get(Candidate, candidate_id)
    item = session.get(CampaignItem, item_id)
    if candidate is None or item is None or item.campaign_id != candidate.campaign_id:
        raise NotFound("that item is not assessed in this candidate's campaign")
    campaign = session.get(Campaign, candidate.campaign_id)
    assert campaign is not None
    return candidate, item, campaign


def save_evidence(
    session: Session,
    candidate_id: int,
    member_id: int,
    item_id: int,
    state: EvidenceState,
    *,
    amend_reason: str = "",
) -> datetime:
    """Write one item's notes, STAR coverage, score and tags in one transaction.

    Refuses a submitted assessment unless ``amend_reason`` is given; then each
    changed field is recorded in the audit table with old and new values.
    Returns the time saved.
    """
    from db.models import IndicatorTag
    # One query checks that candidate, item and member belong together (this runs on every autosave).
    found = session.exec(
        select(Candidate.campaign_id, CampaignItem.campaign_id, PanelMember.campaign_id, PanelMember.name,
               CampaignItem.scale, Campaign.scale)
        .select_from(Candidate)
        .join(Campaign, col(Campaign.id) == Candidate.campaign_id)
        .join(CampaignItem, col(CampaignItem.id) == item_id)
        .join(PanelMember, col(PanelMember.id) == member_id)
        .where(Candidate.id == candidate_id)
    ).first()
    if found is None or found[0] != found[1]:
        raise NotFound("that item is not assessed in this candidate's campaign")
    campaign_id, _, member_campaign, member_name, item_scale, campaign_scale = found
    if member_campaign != campaign_id:
        raise NotFound("that panel member is not on this candidate's panel")
    score = None if state.score is None else scales.check_score(item_scale or campaign_scale, state.score)
    if any(c not in STAR for c in state.star):
        raise ValidationError(f"STAR coverage {state.star!r} may only use the letters S, T, A, R")
    if any(t not in TAGS for t in state.tags.values()):
        raise ValidationError("indicator tags must be 'seen' or 'contrary'")
    now = utcnow()
    assessment = _assessment(session, candidate_id, member_id)
    if assessment is None:
        assessment = Assessment(candidate_id=candidate_id, member_id=member_id, updated_at=now)
        session.add(assessment)
        session.flush()
    if assessment.submitted_at is not None and not amend_reason.strip():
        raise ValidationError("this assessment is submitted: amending it needs a reason")
    evidence = session.exec(
        select(ItemEvidence).where(ItemEvidence.assessment_id == assessment.id, ItemEvidence.item_id == item_id)
    ).first()
    if evidence is None:
        evidence = ItemEvidence(assessment_id=assessment.id, item_id=item_id)  # type: ignore[arg-type]
        session.add(evidence)
        session.flush()
    old_tags = {
        t.indicator_id: t for t in session.exec(select(IndicatorTag).where(IndicatorTag.evidence_id == evidence.id)).all()
    }
    star = "".join(c for c in STAR if c in state.star)  # in S, T, A, R order: "TSAR" is "STAR", not an amendment
    if assessment.submitted_at is not None:
        for name, old, new in (
            ("notes", evidence.notes, state.notes),
            ("score", evidence.score, score),
            ("star", evidence.star, star),
            ("tags", _tags_text(old_tags), _tags_text(state.tags)),
        ):
            if old != new:
                record(
                    session, action="amend", entity=f"evidence.{name}", entity_id=evidence.id,
                    campaign_id=campaign_id, actor=member_name, old=old, new=new, reason=amend_reason.strip(),
                )
    evidence.notes = state.notes
    evidence.star = star
    evidence.score = score
    evidence.updated_at = now
    for indicator_id, tag in old_tags.items():
        if indicator_id not in state.tags:
            session.delete(tag)
        elif tag.tag != state.tags[indicator_id]:
            tag.tag = state.tags[indicator_id]
            session.add(tag)
    for indicator_id, tag_name in state.tags.items():
        if indicator_id not in old_tags:
            session.add(IndicatorTag(evidence_id=evidence.id, indicator_id=indicator_id, tag=tag_name))  # type: ignore[arg-type]
    assessment.updated_at = now
    session.add(evidence)
    session.add(assessment)
    session.commit()
    return now


def _tags_text(tags: dict) -> str:
    return ", ".join(f"{k}:{v.tag if hasattr(v, 'tag') else v}" for k, v in sorted(tags.items()))


def submit(session: Session, candidate_id: int, member_id: int) -> datetime:
    """Mark a member's assessment submitted; every item must have a score."""
    return _mark_submitted(session, candidate_id, member_id, action="submit")


def resubmit(session: Session, candidate_id: int, member_id: int, reason: str) -> datetime:
    """Close an amendment: the submitted assessment is submitted again, audited with the amend reason."""
    if not reason.strip():
        raise ValidationError("resubmitting an amended assessment needs the amend reason")
    return _mark_submitted(session, candidate_id, member_id, action="resubmit", reason=reason.strip())


def _mark_submitted(session: Session, candidate_id: int, member_id: int, *, action: str, reason: str = "") -> datetime:
    view = load_interview(session, candidate_id, member_id)
    if action == "submit" and view.submitted_at is not None:
        raise ValidationError("this assessment is already submitted")
    if action == "resubmit" and view.submitted_at is None:
        raise ValidationError("this assessment is not submitted yet: submit it instead")
    missing = [i.name for i in view.items if view.evidence.get(i.id, EvidenceState()).score is None]
    if missing:
        raise ValidationError(f"cannot {action}: no score yet for {', '.join(missing)}")
    assessment = _assessment(session, candidate_id, member_id)
    assert assessment is not None
    now = utcnow()
    assessment.submitted_at = now
    assessment.updated_at = now
    session.add(assessment)
    record(
        session, action=action, entity="assessment", entity_id=assessment.id, campaign_id=view.campaign_id,
        actor=view.member_name, reason=reason,
    )
    session.commit()
    return now


def submitted_candidate_ids(session: Session, campaign_id: int, member_id: int) -> set[int]:
    """The candidates this member has submitted: the ones whose panel results they may see."""
    return set(
        session.exec(
            select(Assessment.candidate_id)
            .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
            .where(Candidate.campaign_id == campaign_id, Assessment.member_id == member_id)
            .where(col(Assessment.submitted_at).is_not(None))
        ).all()
    )
