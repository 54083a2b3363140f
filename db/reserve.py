"""Reserve places and past decision dates: the warning asked before a place is made already expired.

The rules are in ``db.rules`` (expired_at_start, reserve_refusal); db.outcomes applies them.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from db import queries, rules
from db.models import Campaign

__all__ = ["expired_warning", "reserve_warning"]


def expired_warning(ref: str, decision_date: date, expiry: date) -> str:
    """The one line shown (and raised) when a new reserve place would already be expired."""
    return (
        f"{ref}'s reserve place would already be expired: 12 months from the decision date "
        f"{decision_date.isoformat()} ended on {expiry.isoformat()}. Add it anyway, then extend it "
        f"(at most {rules.MAX_RESERVE_MONTHS} months from the decision date)"
    )


def reserve_warning(session: Session, candidate_id: int, today: date | None = None) -> str | None:
    """The warning to confirm before putting this candidate on the reserve list, or None."""
    candidate = queries.candidate(session, candidate_id)
    campaign = session.get(Campaign, candidate.campaign_id)
    if campaign is None or campaign.decision_date is None:
        return None  # add_to_reserve refuses these with its own line
    expiry = rules.expired_at_start(campaign.decision_date, today or date.today())
    return None if expiry is None else expired_warning(candidate.ref, campaign.decision_date, expiry)
