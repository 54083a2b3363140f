"""Which consensus scores need the chair's review: a query, not a flag.

A candidate's item needs review when any panel member's evidence for it was
amended (an ``amend`` audit entry on ``evidence.*``: made on this database, or
carried in by a return) after its consensus was recorded. Re-recording the
consensus (same score or a new one) moves ``Consensus.updated_at`` past the
amendment, which clears it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from db.models import Assessment, AuditEvent, Candidate, Consensus, ItemEvidence

_EVIDENCE_FIELDS = ("evidence.notes", "evidence.score", "evidence.star", "evidence.tags")


def needs_review(session: Session, campaign_id: int) -> set[tuple[int, int]]:
    """(candidate id, item id) pairs whose consensus predates an amendment to a member's evidence."""
    rows = session.exec(
        select(Consensus.candidate_id, Consensus.item_id)
        .join(Assessment, col(Assessment.candidate_id) == Consensus.candidate_id)
        .join(
            ItemEvidence,
            (col(ItemEvidence.assessment_id) == Assessment.id) & (col(ItemEvidence.item_id) == Consensus.item_id),
        )
        .join(
            AuditEvent,
            (col(AuditEvent.entity_id) == ItemEvidence.id)
            & (col(AuditEvent.entity).in_(_EVIDENCE_FIELDS))
            & (AuditEvent.action == "amend")
            & (AuditEvent.campaign_id == campaign_id),
        )
        .join(Candidate, col(Candidate.id) == Consensus.candidate_id)
        .where(Candidate.campaign_id == campaign_id, col(AuditEvent.at) > col(Consensus.updated_at))
        .distinct()
    ).all()
    return {(c, i) for c, i in rows}
