"""The audit trail: who changed what, when, from what to what, and why."""

from __future__ import annotations

from sqlmodel import Session

from db.models import AuditEvent


def record(
    session: Session,
    *,
    action: str,
    entity: str,
    entity_id: int | None = None,
    campaign_id: int | None = None,
    actor: str = "",
    old: object = "",
    new: object = "",
    reason: str = "",
) -> None:
    """Add an audit row to the caller's transaction (it commits with the change it records)."""
    session.add(
        AuditEvent(
            action=action,
            entity=entity,
            entity_id=entity_id,
            campaign_id=campaign_id,
            actor=actor,
            old_value="" if old is None else str(old),
            new_value="" if new is None else str(new),
            reason=reason,
        )
    )
