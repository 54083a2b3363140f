"""The built-in demo campaign: Annex D of the Home Office HR pack, HR Business Partner, Grade 7."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from db.audit import record
from db.campaign_view import DEMO_KEY
from db.campaigns import create_campaign, set_current_member
from db.engine import single_transaction
from db.models import Assessment, Campaign, CampaignItem, Candidate, ItemEvidence, PanelMember, utcnow
from db.scales import check_score
from db.vocabulary import STAR


QUESTIONS = {
    "Leading and Communicating": (
        "Tell us about a time you had to communicate a difficult message to staff or stakeholders.",
        ["How did you tailor the message to your audience?", "How did you know it had landed?"],
    ),
    "Collaborating and Partnering": (
        "Describe a time you built a working relationship with a senior stakeholder who did not share your view.",
        ["What did you do to understand their position?", "What was the outcome for the business?"],
    ),
    "Seeing the Big Picture": (
        "Give an example of when you aligned HR activity with wider departmental priorities.",
        ["Which developments did you anticipate?", "What would you do differently?"],
    ),
    "Changing and Improving": (
        "Tell us about a change you led to improve an HR service.",
        ["How did you bring people with you?", "How did you measure the improvement?"],
    ),
    "Delivering at Pace": (
        "Describe a time you delivered a piece of work to a tight deadline with competing priorities.",
        ["How did you decide what to drop?", "How did you keep the team motivated?"],
    ),
    "Managing a Quality Service": (
        "Give an example of how you improved the quality of service your customers received.",
        ["How did you find out what customers needed?", "How did you manage risk?"],
    ),
}

CANDIDATES = [
    ("HRBP-001", "Amira Okafor", "Extra time: 15 minutes", 15),
    ("HRBP-002", "Ben Castell", "", 0),
    ("HRBP-003", "Catriona MacLeod", "Questions in advance: give the printed questions 10 minutes before the interview", 0),
    ("HRBP-004", "Dev Patel", "", 0),
    ("HRBP-005", "Eleanor Hughes", "Breaks: offer a five-minute break half way through", 0),
    ("HRBP-006", "Farid Haddad", "", 0),
]
PANEL = [("Sam Whitfield", "chair"), ("Priya Raman", "member"), ("Joe Lambert", "independent")]

# (candidate ref, member, scores by item position); the first two candidates are fully assessed.
SCORES = {
    ("HRBP-001", "Sam Whitfield"): [5, 5, 4, 5, 6, 5],
    ("HRBP-001", "Priya Raman"): [5, 4, 4, 5, 5, 5],
    ("HRBP-001", "Joe Lambert"): [6, 5, 4, 4, 5, 5],
    ("HRBP-002", "Sam Whitfield"): [4, 4, 3, 4, 4, 4],
    ("HRBP-002", "Priya Raman"): [4, 5, 4, 4, 4, 3],
    ("HRBP-002", "Joe Lambert"): [2, 4, 4, 4, 5, 4],
    ("HRBP-003", "Priya Raman"): [5, 6, None, None, None, None],
}

NOTES = [
    "S: Restructure of regional HR team, 40 staff affected.\nT: Tell staff about role changes before the public announcement.\n"
    "A: Held face-to-face briefings, wrote plain-English FAQs, met union reps first.\nR: No grievances; 90% attendance at briefings.",
    "S: Director wanted to cut the L&D budget by half.\nT: Keep the mandatory training programme.\n"
    "A: Met weekly, brought workforce data, offered a phased plan.\nR: Budget cut by 20% instead; programme kept.",
    "S: New HR system rolled out to 3,000 staff.\nT: Keep casework moving during the switch.\n"
    "A: Ran a daily stand-up, set up a triage inbox, coached two team leaders.\nR: No missed deadlines; result less clear.",
]


def ensure_demo(session: Session, today: date | None = None) -> Campaign:
    """Create the demo campaign on first use; return it. ``today`` fixes its dates (tests)."""
    existing = session.exec(select(Campaign).where(Campaign.key == DEMO_KEY)).first()
    if existing is not None:
        return existing
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return _create_demo(session, today)
    # One transaction for the whole demo (~40 evidence saves, each committing): one fsync instead
    # of forty on the first start, and never a half-made demo that the check above would accept.
    with single_transaction(bind) as writer:
        campaign = _create_demo(writer, today)
    return campaign


def _create_demo(session: Session, today: date | None) -> Campaign:
    from db.models import RoleTemplate
    role = session.exec(select(RoleTemplate).where(RoleTemplate.annex == "D")).one()
    today = today or date.today()
    first_slot = datetime.combine(today, time(9, 30))
    spec = {
        "key": DEMO_KEY,
        "title": role.title,
        "department": "Home Office",
        "reference": "HO-HR-D",
        "location": role.location,
        "grade": role.grade,
        "framework": "competencies-2012",
        "items": role.items,
        "lead": role.items[0],
        "scale": "csj-1-7",
        "pass_mark": 4,
        "min_total": 26,
        "decision_date": (today + timedelta(days=14)).isoformat(),
        "interview_minutes": 60,
        "questions": {k: {"questions": [q], "probes": p} for k, (q, p) in QUESTIONS.items()},
        "panel": [{"name": n, "role": r} for n, r in PANEL],
        "candidates": [
            {"ref": ref, "name": name, "email": f"{ref.lower()}@example.org", "adjustments": adj,
             "extra_minutes": extra, "slot": first_slot + timedelta(minutes=75 * i)}
            for i, (ref, name, adj, extra) in enumerate(CANDIDATES)
        ],
    }
    campaign = create_campaign(session, spec, actor="demo")
    items = session.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign.id).order_by(CampaignItem.position)).all()
    members = {m.name: m for m in session.exec(select(PanelMember).where(PanelMember.campaign_id == campaign.id)).all()}
    candidates = {c.ref: c for c in session.exec(select(Candidate).where(Candidate.campaign_id == campaign.id)).all()}
    _write_assessments(session, campaign, items, members, candidates)
    set_current_member(session, campaign.id, members["Sam Whitfield"].id)  # type: ignore[arg-type]
    return campaign


def _write_assessments(session: Session, campaign: Campaign, items, members, candidates) -> None:
    """The demo panel's evidence and scores, as save_evidence and submit would store them
    (tests/test_engine.py compares the two), but in three batched INSERTs instead of ~40 saves
    of a dozen statements each: this runs on the first start, before anything is shown."""
    from db.models import Indicator, IndicatorTag
    now = utcnow()
    element_ids = [i.element_id for i in items if i.element_id is not None]
    # The first effective indicator of each item's element at the campaign's level: tagged "seen".
    seen: dict[int, int] = {}
    for element_id, indicator_id in session.exec(
        select(Indicator.element_id, Indicator.id)
        .where(col(Indicator.element_id).in_(element_ids), Indicator.level == campaign.level, Indicator.kind == "effective")
        .order_by(Indicator.element_id, Indicator.position)
    ).all():
        seen.setdefault(element_id, indicator_id)
    assessments = {}
    for (ref, member_name), scores in SCORES.items():
        submitted = now if all(score is not None for score in scores) else None
        assessments[ref, member_name] = Assessment(
            candidate_id=candidates[ref].id, member_id=members[member_name].id, submitted_at=submitted, updated_at=now
        )
    session.add_all(assessments.values())
    session.flush()
    evidence: list[tuple[ItemEvidence, int | None]] = []
    for (ref, member_name), scores in SCORES.items():
        offset = [name for name, _ in PANEL].index(member_name)
        for n, (item, score) in enumerate(zip(items, scores)):
            if score is None:
                continue
            star = "STAR" if score >= 4 else "SA"
            row = ItemEvidence(
                assessment_id=assessments[ref, member_name].id, item_id=item.id, notes=NOTES[(n + offset) % len(NOTES)],
                star="".join(c for c in STAR if c in star), score=check_score(item.scale or campaign.scale, score),
                updated_at=now,
            )
            evidence.append((row, seen.get(item.element_id) if item.element_id is not None else None))
    session.add_all(row for row, _ in evidence)
    session.flush()
    session.add_all(
        IndicatorTag(evidence_id=row.id, indicator_id=indicator_id, tag="seen")
        for row, indicator_id in evidence
        if indicator_id is not None
    )
    for (ref, member_name), assessment in assessments.items():
        if assessment.submitted_at is not None:
            record(session, action="submit", entity="assessment", entity_id=assessment.id, campaign_id=campaign.id,
                   actor=member_name)
    session.commit()
