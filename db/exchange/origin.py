"""Where a campaign and a framework came from, so a panel pack can never rewrite the chair's data.

The chair's database is the one that created the campaign (``create_campaign``
records a "create campaign" audit event); a panellist's laptop got it from a
pack. A pack import marks what it created with a Setting row
(``origin:campaign:ID`` / ``origin:framework:ID`` = ``pack``), so no new
column is needed. Campaigns imported before these marks existed are recognised
by their audit trail (an "import pack" event and no "create campaign" event).
Anything else counts as created here: the safe side.
"""

from __future__ import annotations

from sqlmodel import Session, select

from db.models import AuditEvent, Setting

FROM_PACK = "pack"


def _key(kind: str, ident: int) -> str:
    return f"origin:{kind}:{ident}"


def mark_from_pack(session: Session, kind: str, ident: int, source: str) -> None:
    """Record (in the caller's transaction) that a pack created this campaign or framework."""
    session.add(Setting(key=_key(kind, ident), value=f"{FROM_PACK} {source}"[:500]))


def _from_pack(session: Session, kind: str, ident: int) -> bool:
    setting = session.get(Setting, _key(kind, ident))
    return setting is not None and setting.value.split(" ", 1)[0] == FROM_PACK


def campaign_created_here(session: Session, campaign_id: int) -> bool:
    """True on the chair's database (the campaign was made here, not loaded from a pack)."""
    if _from_pack(session, "campaign", campaign_id):
        return False
    events = set(
        session.exec(
            select(AuditEvent.action, AuditEvent.entity).where(
                AuditEvent.campaign_id == campaign_id, AuditEvent.entity.in_(("campaign", "pack"))  # type: ignore[attr-defined]
            )
        ).all()
    )
    if ("create", "campaign") in events:
        return True
    return ("import", "pack") not in events


def framework_from_pack(session: Session, framework_id: int) -> bool:
    """True for a framework copy a pack brought (one a later pack of the same chair may extend)."""
    return _from_pack(session, "framework", framework_id)
