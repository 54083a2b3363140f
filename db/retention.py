"""Retention: remove candidates' personal data once it may no longer be kept.

Who is purged (appointed candidates never are):

* (a) "retention ended": the campaign has a decision date and
  decision date + ``retention_months`` is before today, and the candidate is
  not appointed and not on a live reserve list (any other outcome -- not
  appointed, declined, pending or none -- counts);
* (b) "reserve list expired": the candidate's outcome is ``reserve`` and its
  ``reserve_expiry`` is before today. A reserve entry with no expiry date is
  treated as live.

What goes: the candidate's name, email and adjustments (and the extra minutes
read from them), every panel member's evidence notes for the candidate, the
outcome's feedback, and the old/new values of audit rows that copied those
texts (``candidate.name|email|adjustments|extra_minutes``, ``evidence.notes``,
``outcome.feedback``, and "feedback" entries on ``outcome``), with their salts
(db.audit), so the chain still verifies and nothing can confirm a guessed name.
What stays, for statistics: the ref, scores, STAR coverage, indicator tags,
consensus scores and rationale, the outcome status, and the Disability
Confident flag. Each purged candidate gets ``purged_at`` and
an audit row (action "purge").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

from sqlalchemy import text
from sqlmodel import Session, col, select

from db.audit import PERSONAL_ENTITIES, record
from db.errors import ValidationError
from db.models import Assessment, AuditEvent, Campaign, Candidate, ItemEvidence, Outcome, utcnow
from db.queries import chunks
from db.rules import reserve_expiry
from db.text import clean_line

REASON_RETENTION = "retention ended"
REASON_RESERVE = "reserve list expired"
# Audit entities whose old/new values copy personal text.
PERSONAL_CANDIDATE_AUDIT = tuple(e for e in PERSONAL_ENTITIES if e.startswith("candidate."))


@dataclass(frozen=True)
class PurgeItem:
    campaign_id: int
    campaign_key: str
    candidate_id: int
    ref: str
    reason: str  # e.g. "retention ended 2026-01-31 (decision 2024-01-31 + 24 months)"


def _reason(campaign: Campaign, outcome: Outcome | None, today: date) -> str | None:
    status = outcome.status if outcome else None
    if status == "appointed":
        return None
    if status == "reserve":
        if outcome.reserve_expiry is not None and outcome.reserve_expiry < today:  # type: ignore[union-attr]
            return f"{REASON_RESERVE} {outcome.reserve_expiry.isoformat()}"  # type: ignore[union-attr]
        return None  # a live reserve list (or one with no expiry date)
    if campaign.decision_date is None:
        return None
    ends = reserve_expiry(campaign.decision_date, max(campaign.retention_months, 0))
    if ends < today:
        return (
            f"{REASON_RETENTION} {ends.isoformat()} "
            f"(decision {campaign.decision_date.isoformat()} + {campaign.retention_months} months)"
        )
    return None


def due_for_purge(session: Session, today: date, warnings: list[str] | None = None) -> list[PurgeItem]:
    """Candidates whose personal data should go, by campaign key and ref; changes nothing.

    A campaign whose dates cannot be worked with (a decision date in the year
    9999, a value written behind the app's back) is skipped with a line in
    ``warnings``; the others are still judged.
    """
    items = []
    for campaign_id, key in session.exec(select(Campaign.id, Campaign.key).order_by(Campaign.key)).all():
        try:
            items += _due_in(session, campaign_id, today)  # type: ignore[arg-type]
        except (ValueError, OverflowError, TypeError, ArithmeticError) as exc:
            if warnings is not None:
                warnings.append(f"campaign {clean_line(key)} skipped: its dates cannot be used ({exc})")
    return items


def _due_in(session: Session, campaign_id: int, today: date) -> list[PurgeItem]:
    rows = session.exec(
        select(Candidate, Campaign, Outcome)
        .join(Campaign, col(Campaign.id) == Candidate.campaign_id)
        .join(Outcome, col(Outcome.candidate_id) == Candidate.id, isouter=True)
        .where(Candidate.campaign_id == campaign_id, col(Candidate.purged_at).is_(None))
        .order_by(Candidate.ref)
    ).all()
    items = []
    for candidate, campaign, outcome in rows:
        reason = _reason(campaign, outcome, today)
        if reason is not None:
            items.append(
                PurgeItem(
                    campaign_id=campaign.id,  # type: ignore[arg-type]
                    campaign_key=campaign.key,
                    candidate_id=candidate.id,  # type: ignore[arg-type]
                    ref=candidate.ref,
                    reason=reason,
                )
            )
    return items


def refuse_purged(session: Session, candidate_ids: Iterable[int], what: str = "changed") -> None:
    """Raise ValidationError (one line, naming the first) if any of these candidates was purged.

    Writers of scores, notes and returns call this before writing, so a later
    import cannot put personal data back onto a purged candidate.
    """
    ids = list(dict.fromkeys(candidate_ids))
    for chunk in chunks(ids, 500):
        purged = session.exec(
            select(Candidate.ref).where(col(Candidate.id).in_(chunk), col(Candidate.purged_at).is_not(None))
            .order_by(Candidate.ref)
        ).all()
        if purged:
            more = f" (and {len(purged) - 1} more)" if len(purged) > 1 else ""
            raise ValidationError(
                f"candidate {clean_line(purged[0])}{more} was purged under the retention policy and cannot be {what}"
            )


def checkpoint(session: Session) -> None:
    """SQLite: copy the WAL into the database file and empty it, so purged text is not left in the -wal file."""
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def purge(
    session: Session, today: date, dry_run: bool, actor: str = "", warnings: list[str] | None = None
) -> list[PurgeItem]:
    """Remove the personal data of every candidate due for purging (see the module notes).

    With ``dry_run`` nothing changes. Otherwise one transaction: all or nothing;
    then (SQLite) the WAL is checkpointed so the old text is not left in it.
    Returns what was (or would be) purged; campaigns skipped go to ``warnings``.
    """
    items = due_for_purge(session, today, warnings)
    if dry_run or not items:
        return items
    _require_audit_owner(session)
    now = utcnow()
    try:
        for item in items:
            _purge_one(session, item, now, actor)
        session.commit()
    except Exception:
        session.rollback()
        raise
    checkpoint(session)
    return items


def _require_audit_owner(session: Session) -> None:
    """PostgreSQL: chained audit entries are fixed for every login but the tables' owner
    (migration 0005), and purge must blank their personal values: refuse up front, in one line."""
    if session.get_bind().dialect.name != "postgresql":
        return
    owns = session.execute(text(
        "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = 'auditevent'::regclass"
    )).scalar()
    if not owns:
        raise ValidationError("purge blanks personal values in audit entries, which only the database owner "
                              "(the login that created it) may change: run purge as that login; nothing purged")


def _purge_one(session: Session, item: PurgeItem, now, actor: str) -> None:
    candidate = session.get(Candidate, item.candidate_id)
    assert candidate is not None
    candidate.name = ""
    candidate.email = ""
    candidate.adjustments = ""
    candidate.extra_minutes = 0
    candidate.purged_at = now
    session.add(candidate)

    evidence = session.exec(
        select(ItemEvidence)
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .where(Assessment.candidate_id == item.candidate_id)
    ).all()
    for ev in evidence:
        if ev.notes:
            ev.notes = ""
            session.add(ev)
    outcome = session.exec(select(Outcome).where(Outcome.candidate_id == item.candidate_id)).first()
    if outcome is not None and outcome.feedback:
        outcome.feedback = ""
        session.add(outcome)

    audit_rows = list(
        session.exec(
            select(AuditEvent).where(
                col(AuditEvent.entity).in_(PERSONAL_CANDIDATE_AUDIT), AuditEvent.entity_id == item.candidate_id
            )
        ).all()
    )
    evidence_ids = [ev.id for ev in evidence]
    if evidence_ids:
        audit_rows += session.exec(
            select(AuditEvent).where(AuditEvent.entity == "evidence.notes", col(AuditEvent.entity_id).in_(evidence_ids))
        ).all()
    if outcome is not None:
        audit_rows += session.exec(
            select(AuditEvent).where(AuditEvent.entity == "outcome.feedback", AuditEvent.entity_id == outcome.id)
        ).all()
        # Saved feedback is audited as entity "outcome", action "feedback", with the text as old/new.
        audit_rows += session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "outcome", AuditEvent.action == "feedback", AuditEvent.entity_id == outcome.id
            )
        ).all()
    for row in audit_rows:
        # The salt goes too: with it, the kept value digest could confirm a guessed name.
        row.old_value = ""
        row.new_value = ""
        row.salt = ""
        session.add(row)

    record(
        session, action="purge", entity="candidate", entity_id=item.candidate_id, campaign_id=item.campaign_id,
        actor=actor, reason=item.reason,
    )
