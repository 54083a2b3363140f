"""Reserve places and past decision dates: the warning asked before a place is made already expired.

The dates are ``db.rules``' (expired_at_start, extend_reserve); reserve_refusal is the plain rule the outcomes
screen uses so a key never does nothing silently.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from db import queries, rules
from db.models import Campaign

__all__ = ["expired_warning", "reserve_refusal", "reserve_warning"]


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


def reserve_refusal(action: str, status: str, expired: bool, extended: bool, final: bool = True) -> str | None:
    """Why a reserve-list action cannot be taken on a candidate, as one line (None: it can).

    ``action`` is "appoint", "reserve" or "extend"; every refusal has words so a key never does nothing.
    """
    if action == "extend":
        if status != "reserve":
            return "only a reserve place can be extended"
        if extended:
            return f"the reserve place has already been extended once (at most {rules.MAX_RESERVE_MONTHS} months)"
        return None
    if not final:
        return "the result is not final: agree every item score first"
    if action == "appoint":
        if status in ("appointed", "declined"):
            return f"already {status}"
        if expired:
            return "the reserve place has expired: extend it (x) before appointing"
        return None
    if action == "reserve":
        if status == "reserve":
            return "already on the reserve list"
        if status not in ("pending", "not_appointed"):
            return f"cannot go on the reserve list when {status.replace('_', ' ')}"
        return None
    raise ValueError(f"unknown reserve action {action!r}")
