"""Outcomes: the merit list, tie orders, appointments, the reserve list.

Ranking, tie, offer and reserve rules all come from ``db.rules``. Every
writing function owns one unit of work, validates first (changing nothing on
a ValidationError) and records an audit row. Calibration and distribution
live in ``db.calibration`` and are re-exported here for the outcomes screen (loaded on first use).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

from sqlmodel import Session

from db import queries, rules
from db.audit import record
from db.cache import gc_paused
from db.errors import NotFound, ValidationError
from db.models import Campaign, Candidate, Outcome, utcnow
from db.results import CampaignResults, campaign_results
from db.versions import claim
from db.vocabulary import OutcomeStatus, Result, score_text

__all__ = [
    "MeritRow",
    "MeritList",
    "merit_list",
    "merit_ranks",
    "with_outcome",
    "order_tie",
    "appoint",
    "add_to_reserve",
    "extend_reserve",
    "set_status",
]


# Calibration and distribution (and their views) live in db.calibration, which reads the whole
# grid; imported on first use, so the services that need only the merit list (the results
# export's command) do not load the grid's modules.
_CALIBRATION = frozenset({"Calibration", "ItemAgreement", "ItemDistribution", "MemberLeniency", "calibration", "distribution"})


def __getattr__(name: str) -> object:
    if name in _CALIBRATION:
        from db import calibration as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- views -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeritRow:
    candidate_id: int
    ref: str
    name: str  # "" when the campaign is anonymised
    rank: int | None  # None: not ranked (failed, or not yet fully scored)
    position: int | None  # 1-based place among ranked candidates
    total: float | None
    lead_value: float | None
    item_values: tuple[float | None, ...]  # aligned with MeritList.items
    passed: bool | None
    provisional: bool
    failed_items: tuple[str, ...]
    below_min_total: bool
    min_total: float | None  # the campaign's minimum total, if any (for fail_reasons)
    tied: bool  # shares its rank in an unresolved tie
    tie_group: int | None  # tied on total and lead item, resolved or not
    tie_reason: str  # the chair's reason, once the tie is ordered
    status: str  # an OutcomeStatus value
    offer_reason: str
    reserve_expiry: date | None
    reserve_extended: bool
    reserve_reason: str
    expired: bool  # on the reserve list and past its expiry

    @property
    def label(self) -> str:
        return f"{self.name} ({self.ref})" if self.name else self.ref

    @property
    def fail_reasons(self) -> tuple[str, ...]:
        """Every reason a failed candidate failed, in words: the records, feedback and screens give them all."""
        reasons = []
        if self.passed is False and self.failed_items:
            reasons.append("below the pass mark: " + ", ".join(self.failed_items))
        if self.passed is False and self.below_min_total:
            reasons.append(f"below the minimum total: {score_text(self.total)}, needs {score_text(self.min_total)}")
        return tuple(reasons)

    @property
    def result(self) -> Result:
        return Result.INCOMPLETE if self.passed is None else (Result.PASS if self.passed else Result.FAIL)


@dataclass(frozen=True, slots=True)
class MeritList:
    campaign_id: int
    title: str
    items: tuple[str, ...]  # item names, in campaign order
    lead_item: str | None
    decision_date: date | None
    today: date
    rows: tuple[MeritRow, ...]  # ranked in merit order, then the unranked in ref order
    next_offer: tuple[int, ...]  # rules.offer_candidates: more than one = a tie the chair must order

    @property
    def ranked(self) -> tuple[MeritRow, ...]:
        return tuple(r for r in self.rows if r.rank is not None)

    @property
    def unranked(self) -> tuple[MeritRow, ...]:
        return tuple(r for r in self.rows if r.rank is None)

    def row(self, candidate_id: int) -> MeritRow:
        for r in self.rows:
            if r.candidate_id == candidate_id:
                return r
        raise NotFound(f"no candidate with id {candidate_id} in this campaign")

    def tie_groups(self) -> dict[int, tuple[MeritRow, ...]]:
        groups: dict[int, list[MeritRow]] = {}
        for r in self.rows:
            if r.tie_group is not None:
                groups.setdefault(r.tie_group, []).append(r)
        return {g: tuple(rs) for g, rs in groups.items()}


# --- the merit list ------------------------------------------------------------------


class _Unavailable(NamedTuple):
    """Candidates the next offer passes over (rules.offer_candidates)."""

    appointed: set[int]
    expired: set[int]  # reserve place expired
    declined: set[int]  # withdrawn
    not_appointed: set[int]

    def offer_candidates(self, entries: list[rules.MeritEntry]) -> tuple[int, ...]:
        return rules.offer_candidates(entries, self.appointed, self.expired, self.declined,
                                      not_appointed=self.not_appointed)

    def out_of_order(self, entries: list[rules.MeritEntry], candidate_id: int) -> bool:
        return rules.offer_out_of_order(entries, candidate_id, self.appointed, self.expired, self.declined,
                                        not_appointed=self.not_appointed)

    def holds(self, candidate_id: int) -> bool:
        return any(candidate_id in s for s in self)


def _entries(res: CampaignResults, outcomes: dict[int, queries.OutcomeRow]) -> list[rules.MeritEntry]:
    """The ranked candidates in merit order, with the chair's stored tie orders."""
    tie_orders = {
        cid: rules.TieOrder(o.tie_position, o.tie_reason)
        for cid, o in outcomes.items()
        if o.tie_position is not None and o.tie_reason.strip()
    }
    ordered = [res.results[c.id] for c in res.candidates]
    try:
        return rules.merit_order(ordered, res.lead_key, tie_orders)
    except ValueError:
        # Conflicting stored orders (e.g. two groups merged after a score changed): show the ties unresolved.
        return rules.merit_order(ordered, res.lead_key, {})


def merit_ranks(session: Session, res: CampaignResults) -> tuple[dict[int, int], dict[int, queries.OutcomeRow]]:
    """The merit list's ranks (candidate id -> rank, ranked candidates only) and the stored outcomes,
    without its rows: the results export shows only these beside ``res`` (a row each for 20,000
    candidates costs more than the ranking). ``res``: db.results.campaign_results, or the export's own."""
    outcomes = queries.outcomes(session, res.campaign_id)
    return {e.candidate_id: e.rank for e in _entries(res, outcomes)}, outcomes


def _compute(session: Session, campaign_id: int, today: date | None) -> tuple[MeritList, list[rules.MeritEntry], _Unavailable]:
    today = today or date.today()
    res = campaign_results(session, campaign_id)
    outcomes = queries.outcomes(session, campaign_id)
    entries = _entries(res, outcomes)
    ordered = [res.results[c.id] for c in res.candidates]
    info = {c.id: c for c in res.candidates}
    pending = queries.OutcomeRow(0, OutcomeStatus.PENDING, None, "", "", None, False, "")
    expired = {
        cid for cid, o in outcomes.items()
        if o.status == OutcomeStatus.RESERVE and o.reserve_expiry is not None and rules.is_expired(o.reserve_expiry, today)
    }
    lead = res.lead_key

    def row(r: rules.CandidateResult, e: rules.MeritEntry | None) -> MeritRow:
        cid = r.candidate_id
        o = outcomes.get(cid, pending)
        # candidate_result fills item_values in item order, so its values line up with MeritList.items.
        return MeritRow(
            candidate_id=cid, ref=info[cid].ref, name=info[cid].name,
            rank=e.rank if e else None, position=e.position if e else None, total=r.total,
            lead_value=e.lead_value if e else (r.item_values.get(lead) if lead else None),
            item_values=tuple(r.item_values.values()), passed=r.passed,
            provisional=e.provisional if e else r.provisional, failed_items=r.failed_items,
            below_min_total=r.below_min_total, min_total=res.min_total,
            tied=e.tied if e else False, tie_group=e.tie_group if e else None, tie_reason=(e.tie_reason or "") if e else "",
            status=o.status, offer_reason=o.offer_reason, reserve_expiry=o.reserve_expiry,
            reserve_extended=o.reserve_extended, reserve_reason=o.reserve_reason, expired=cid in expired,
        )

    rows = [row(res.results[e.candidate_id], e) for e in entries]
    rows.extend(row(r, None) for r in rules.unranked(ordered))
    unavailable = _Unavailable(
        appointed={c for c, o in outcomes.items() if o.status == OutcomeStatus.APPOINTED},
        expired=expired,
        declined={c for c, o in outcomes.items() if o.status == OutcomeStatus.DECLINED},
        not_appointed={c for c, o in outcomes.items() if o.status == OutcomeStatus.NOT_APPOINTED},
    )
    merit = MeritList(
        campaign_id=res.campaign_id, title=res.title, items=tuple(i.name for i in res.items), lead_item=lead,
        decision_date=res.decision_date, today=today, rows=tuple(rows),
        next_offer=unavailable.offer_candidates(entries),
    )
    return merit, entries, unavailable


def merit_list(session: Session, campaign_id: int, today: date | None = None) -> MeritList:
    """Passed candidates in merit order (total, then the lead item, then the chair's tie order),
    then failed and incomplete candidates; with each candidate's status and reserve expiry.

    ``today`` decides which reserve places have expired (default: the real date).
    """
    with gc_paused():
        return _compute(session, campaign_id, today)[0]


# Outcome fields one decision may change (appoint, reserve, extend, status); nothing else moves with them.
OUTCOME_FIELDS = frozenset({"status", "offer_reason", "reserve_expiry", "reserve_extended", "reserve_reason"})


def with_outcome(merit: MeritList, candidate_id: int, **changes: object) -> MeritList:
    """``merit`` after one outcome decision on one candidate, computed from the list alone.

    Ranks, totals and ties never depend on outcomes, so only that row (its status and
    reserve fields, and whether the place has expired) and the next offer change: equal to
    ``merit_list`` re-read after the decision, in microseconds instead of a full recompute.
    A tie order or a score change moves ranks: re-read those with ``merit_list``.
    """
    unknown = set(changes) - OUTCOME_FIELDS
    if unknown:
        raise ValueError(f"not an outcome field: {', '.join(sorted(unknown))}")
    n = next((k for k, r in enumerate(merit.rows) if r.candidate_id == candidate_id), None)
    if n is None:
        raise NotFound(f"no candidate with id {candidate_id} in this campaign")
    row = replace(merit.rows[n], **changes)  # type: ignore[arg-type]
    expired = (row.status == OutcomeStatus.RESERVE and row.reserve_expiry is not None
               and rules.is_expired(row.reserve_expiry, merit.today))
    rows = merit.rows[:n] + (replace(row, expired=expired),) + merit.rows[n + 1:]
    return replace(merit, rows=rows, next_offer=_next_offer(rows))


def _next_offer(rows: tuple[MeritRow, ...]) -> tuple[int, ...]:
    """rules.offer_candidates from the rows' own ranks and statuses (as _compute has them)."""
    entries = [
        rules.MeritEntry(r.candidate_id, r.rank, r.total, r.lead_value, r.tied, r.tie_group,  # type: ignore[arg-type]
                         r.position, r.tie_reason or None, r.provisional)  # type: ignore[arg-type]
        for r in rows if r.rank is not None
    ]
    by = {s: {r.candidate_id for r in rows if r.status == s} for s in OutcomeStatus}
    return rules.offer_candidates(entries, by[OutcomeStatus.APPOINTED], {r.candidate_id for r in rows if r.expired},
                                  by[OutcomeStatus.DECLINED], not_appointed=by[OutcomeStatus.NOT_APPOINTED])


# --- writing -------------------------------------------------------------------


def _outcome(session: Session, candidate_id: int) -> Outcome:
    return queries.outcome_of(session, candidate_id) or Outcome(candidate_id=candidate_id)


def _save(session: Session, outcome: Outcome, expected_version: int | None = None) -> None:
    # A write based on an outcome the caller saw at an older version is refused (db/versions.py).
    claim(session, outcome, expected_version, entity="outcome")
    outcome.updated_at = utcnow()
    session.add(outcome)
    session.flush()


def _audit(session: Session, outcome: Outcome, campaign_id: int, action: str, actor: str,
           old: object = "", new: object = "", reason: str = "") -> None:
    record(session, action=action, entity="outcome", entity_id=outcome.id, campaign_id=campaign_id,
           actor=actor, old=old, new=new, reason=reason)


def order_tie(session: Session, campaign_id: int, candidate_ids: list[int], reason: str, actor: str,
              expected_versions: dict[int, int] | None = None) -> None:
    """Record the chair's order for one tie group (every candidate in it, best first) with a reason.

    ``expected_versions``: candidate id -> the outcome version the caller showed (0: none yet).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("ordering a tie needs a reason")
    if len(candidate_ids) < 2 or len(set(candidate_ids)) != len(candidate_ids):
        raise ValidationError("a tie order lists two or more different candidates")
    merit = merit_list(session, campaign_id)
    rows = []
    for cid in candidate_ids:
        try:
            rows.append(merit.row(cid))
        except NotFound:
            raise NotFound(f"candidate {cid} is not in this campaign") from None
    untied = [r.ref for r in rows if r.tie_group is None]
    if untied:
        raise ValidationError(f"{', '.join(untied)} {'is' if len(untied) == 1 else 'are'} not in a tie")
    group = rows[0].tie_group
    if any(r.tie_group != group for r in rows):
        raise ValidationError("those candidates are not tied with each other")
    members = merit.tie_groups()[group]  # type: ignore[index]
    missing = [r.ref for r in members if r.candidate_id not in candidate_ids]
    if missing:
        raise ValidationError(f"the order must list every candidate in the tie (also {', '.join(missing)})")
    # Positions are unique across the campaign, so orders for different groups never collide.
    base = queries.top_tie_position(session, campaign_id) + 1
    for n, r in enumerate(rows):
        outcome = _outcome(session, r.candidate_id)
        old = f"{outcome.tie_position}: {outcome.tie_reason}" if outcome.tie_position is not None else ""
        outcome.tie_position, outcome.tie_reason = base + n, reason
        _save(session, outcome, (expected_versions or {}).get(r.candidate_id))
        _audit(session, outcome, campaign_id, "tie order", actor, old, f"{n + 1} of {len(rows)} ({r.ref})", reason)
    session.commit()


def _offerable(merit: MeritList, candidate: Candidate, what: str) -> MeritRow:
    """The candidate's row, if they are on the merit list with a final result and not appointed or declined."""
    row = merit.row(candidate.id)  # type: ignore[arg-type]
    if row.rank is None:
        why = "did not pass" if row.passed is False else "is not yet fully scored"
        raise ValidationError(f"{row.ref} is not on the merit list ({why})")
    if row.provisional:
        raise ValidationError(f"{row.ref}'s result is still provisional: agree every item score before {what}")
    if row.status == OutcomeStatus.APPOINTED:
        raise ValidationError(f"{row.ref} is already appointed")
    if row.status == OutcomeStatus.DECLINED:
        raise ValidationError(f"{row.ref} has declined")
    return row


def appoint(session: Session, candidate_id: int, actor: str, reason: str = "", today: date | None = None,
            expected_version: int | None = None) -> None:
    """Offer the post to a candidate on the merit list.

    Passing over an available candidate ranked higher needs a reason
    (rules.offer_out_of_order); the reason is kept as the offer reason.
    """
    candidate = queries.candidate(session, candidate_id)
    merit, entries, unavailable = _compute(session, candidate.campaign_id, today)
    row = _offerable(merit, candidate, "appointing")
    if row.expired:
        raise ValidationError(f"{row.ref}'s reserve place expired on {row.reserve_expiry}")
    reason = (reason or "").strip()
    if unavailable.out_of_order(entries, candidate_id) and not reason:
        higher = [
            r.ref for r in merit.ranked
            if r.rank < row.rank and not unavailable.holds(r.candidate_id)  # type: ignore[operator]
        ]
        verb = "is" if len(higher) == 1 else "are"
        raise ValidationError(f"offering out of merit order needs a reason: {', '.join(higher)} {verb} ranked higher")
    outcome = _outcome(session, candidate_id)
    old = outcome.status
    outcome.status, outcome.offer_reason = OutcomeStatus.APPOINTED.value, reason
    _save(session, outcome, expected_version)
    _audit(session, outcome, candidate.campaign_id, "appoint", actor, old, OutcomeStatus.APPOINTED.value, reason)
    session.commit()


def add_to_reserve(session: Session, candidate_id: int, actor: str, allow_expired: bool = False,
                   today: date | None = None, expected_version: int | None = None) -> date:
    """Put a passing, not appointed candidate on the reserve list; returns the expiry date.

    The expiry is rules.reserve_expiry of the campaign's decision date. A place that would
    already have expired (a past decision date) is refused unless ``allow_expired``.
    """
    candidate = queries.candidate(session, candidate_id)
    campaign = session.get(Campaign, candidate.campaign_id)
    assert campaign is not None
    if campaign.decision_date is None:
        raise ValidationError("set the campaign's decision date before making a reserve list")
    merit = merit_list(session, candidate.campaign_id)
    row = _offerable(merit, candidate, "making a reserve list")
    if row.status == OutcomeStatus.RESERVE:
        raise ValidationError(f"{row.ref} is already on the reserve list")
    expiry = rules.reserve_expiry(campaign.decision_date)
    if not allow_expired and rules.expired_at_start(campaign.decision_date, today or date.today()):
        from db.reserve import expired_warning

        raise ValidationError(expired_warning(row.ref, campaign.decision_date, expiry))
    outcome = _outcome(session, candidate_id)
    old = outcome.status
    outcome.status, outcome.reserve_expiry = OutcomeStatus.RESERVE.value, expiry
    outcome.reserve_extended, outcome.reserve_reason = False, ""
    _save(session, outcome, expected_version)
    _audit(session, outcome, campaign.id, "reserve", actor, old, f"reserve until {expiry.isoformat()}")  # type: ignore[arg-type]
    session.commit()
    return expiry


def extend_reserve(session: Session, candidate_id: int, months: int, reason: str, actor: str,
                   today: date | None = None, expected_version: int | None = None) -> date:
    """Extend a reserve place to ``months`` after the decision date (once, at most 24 months); returns the new expiry."""
    candidate = queries.candidate(session, candidate_id)
    campaign = session.get(Campaign, candidate.campaign_id)
    assert campaign is not None
    outcome = queries.outcome_of(session, candidate_id)
    if outcome is None or outcome.status != OutcomeStatus.RESERVE or outcome.reserve_expiry is None:
        raise ValidationError(f"{candidate.ref} is not on the reserve list")
    if campaign.decision_date is None:
        raise ValidationError("the campaign has no decision date")
    try:
        new_expiry = rules.extend_reserve(
            campaign.decision_date, outcome.reserve_expiry, int(months), reason or "", outcome.reserve_extended,
            today or date.today(),
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    old = outcome.reserve_expiry
    outcome.reserve_expiry, outcome.reserve_extended, outcome.reserve_reason = new_expiry, True, reason.strip()
    _save(session, outcome, expected_version)
    _audit(session, outcome, campaign.id, "extend reserve", actor, old.isoformat(), new_expiry.isoformat(),  # type: ignore[arg-type]
           reason.strip())
    session.commit()
    return new_expiry


def set_status(session: Session, candidate_id: int, status: str, actor: str, reason: str = "",
               expected_version: int | None = None) -> None:
    """Mark a candidate not appointed or declined (or back to pending).

    Use appoint and add_to_reserve for those statuses: they apply the merit rules.
    """
    if status not in (OutcomeStatus.PENDING, OutcomeStatus.NOT_APPOINTED, OutcomeStatus.DECLINED):
        if status in (OutcomeStatus.APPOINTED, OutcomeStatus.RESERVE):
            use = "appoint" if status == OutcomeStatus.APPOINTED else "add to reserve"
            raise ValidationError(f"use {use} for {status!r}")
        raise ValidationError(f"status must be one of {', '.join(OutcomeStatus.values())}, not {status!r}")
    candidate = queries.candidate(session, candidate_id)
    outcome = _outcome(session, candidate_id)
    old = outcome.status
    if old == status:
        return
    outcome.status = status
    _save(session, outcome, expected_version)
    _audit(session, outcome, candidate.campaign_id, "status", actor, old, status, (reason or "").strip())
    session.commit()


