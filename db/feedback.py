"""Feedback to a candidate: a draft written from the consensus rationales, the chair's edited text, export.

The draft follows the candidate's merit-list result (``db.outcomes``), so it
gives every reason a candidate did not pass.
"""

from __future__ import annotations

from sqlmodel import Session, select

from db import queries, scales
from db.audit import record
from db.models import Consensus, Framework, Outcome, utcnow
from db.record import candidate_context
from db.text import MARKING
from db.vocabulary import ItemKind, OutcomeStatus, score_text

__all__ = ["feedback_document", "feedback_draft", "feedback_text", "save_feedback"]


def feedback_draft(session: Session, candidate_id: int) -> str:
    """A feedback letter written to the candidate from the consensus rationales (to edit before sending)."""
    candidate, campaign, items, row = candidate_context(session, candidate_id)
    framework = session.get(Framework, campaign.framework_id)
    consensus = {
        c.item_id: c for c in session.exec(select(Consensus).where(Consensus.candidate_id == candidate_id)).all()
    }
    greeting = "Dear candidate," if campaign.anonymised or not candidate.name else f"Dear {candidate.name},"
    post = campaign.title + (f" ({campaign.grade})" if campaign.grade else "")
    where = f", {campaign.department}" if campaign.department else ""
    kinds = {i.kind for i in items}
    what = "behaviours" if kinds == {ItemKind.BEHAVIOUR} else "competencies" if kinds == {ItemKind.COMPETENCY} else "areas"
    paras = [
        greeting,
        f"Thank you for attending the interview for the post of {post}{where}.",
        f"You were assessed against the following {what}: {_and([i.name for i in items])}"
        + (f", using the {framework.name} at level {campaign.level}." if framework else "."),
    ]
    for n, item in enumerate(items):
        scale = item.scale or campaign.scale
        c = consensus.get(item.id)
        if c is not None:
            rationale = c.rationale.strip().rstrip(".")
            point = next((p for p in scale if float(p["value"]) == c.score), None)
            score = scales.label_for(scale, c.score) + (f" ({point['name']})" if point and point.get("name") else "")
            paras.append(f"For {item.name}, the panel noted: {rationale}. The panel's score was {score}.")
        elif row.item_values and row.item_values[n] is not None:
            paras.append(f"For {item.name}, your score was {score_text(row.item_values[n])}.")
        else:
            paras.append(f"For {item.name}, the panel has not yet agreed a score.")
    if row.passed is None:
        paras.append("[The assessment is not yet complete: the outcome will follow.]")
    elif not row.passed:
        # Every reason, as on the record: an item below its pass mark and a total below the minimum.
        reasons = []
        if row.failed_items:
            reasons.append("you did not meet the standard required for " + _and(list(row.failed_items)))
        if row.below_min_total:
            reasons.append("your overall score did not meet the standard required")
        paras.append(f"On this occasion {', and '.join(reasons)}, so we are unable to offer you the post.")
    elif row.status == OutcomeStatus.APPOINTED:
        paras.append("The panel found you met the standard required and recommended you for appointment.")
    elif row.status == OutcomeStatus.RESERVE and row.reserve_expiry:
        paras.append("You met the standard required. You have been placed on a reserve list until "
                     f"{row.reserve_expiry.strftime('%d %B %Y').lstrip('0')}, and may be offered a post "
                     "if one becomes available.")
    elif row.status == OutcomeStatus.NOT_APPOINTED:
        paras.append("You met the standard required, but on this occasion we are unable to offer you the post.")
    else:
        paras.append("You met the standard required for the role.")
    paras.append("Thank you again for your interest in this role.")
    return "\n\n".join(paras) + "\n"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def save_feedback(session: Session, candidate_id: int, text: str, actor: str) -> None:
    """Store the (edited) feedback for export; empty text goes back to the draft."""
    candidate = queries.candidate(session, candidate_id)
    outcome = queries.outcome_of(session, candidate_id) or Outcome(candidate_id=candidate_id)
    text = (text or "").strip()
    old = outcome.feedback
    if old == text:
        return
    outcome.feedback = text + ("\n" if text else "")
    if old == outcome.feedback:
        return
    outcome.updated_at = utcnow()
    session.add(outcome)
    session.flush()
    record(session, action="feedback", entity="outcome", entity_id=outcome.id, campaign_id=candidate.campaign_id,
           actor=actor, old=old, new=outcome.feedback)
    session.commit()


def feedback_text(session: Session, candidate_id: int) -> str:
    """The feedback to send: the saved text if any, else the draft."""
    saved = session.exec(select(Outcome.feedback).where(Outcome.candidate_id == candidate_id)).first()
    return saved if saved and saved.strip() else feedback_draft(session, candidate_id)



def feedback_document(session: Session, candidate_id: int) -> str:
    """The feedback as a file to send on: the text, with the protective marking above and below.

    The marking is not part of the stored or drafted text, so the editor never shows it."""
    return f"{MARKING}\n\n{feedback_text(session, candidate_id).strip()}\n\n{MARKING}\n"
