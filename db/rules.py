"""Pure scoring and ranking rules for interview panels.

Plain values in, frozen dataclasses out. No database or UI imports, so these
rules can be tested in isolation and reused by any layer.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date
from typing import AbstractSet, Iterable, Mapping, Sequence

__all__ = [
    "ItemScore",
    "ItemRule",
    "CandidateResult",
    "TieOrder",
    "MeritEntry",
    "item_score",
    "spread",
    "is_divergent",
    "lead_item_key",
    "candidate_result",
    "merit_order",
    "unranked",
    "reserve_expiry",
    "extend_reserve",
    "is_expired",
    "expired_at_start",
    "MAX_RESERVE_MONTHS",
    "offer_candidates",
    "next_offer",
    "offer_out_of_order",
    "member_leniency",
    "item_agreement",
    "histogram",
]

# Totals are sums of means, so two genuinely equal totals can differ in the
# last bits (0.1 + 0.2 != 0.3). Comparing on a rounded key stops float noise
# from silently breaking a real tie.
_COMPARE_DP = 9

MAX_RESERVE_MONTHS = 24


# --------------------------------------------------------------------------
# Item scores
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemScore:
    """Score for one item for one candidate."""

    value: float | None
    provisional: bool


def item_score(
    member_scores: Sequence[float],
    consensus: float | None,
    method: str = "consensus",
    *,
    all_submitted: bool = False,
) -> ItemScore:
    """Score an item from panel members' scores.

    "consensus": the recorded consensus (final), else the members' mean
    (provisional). "mean": the members' mean, final only when all_submitted.
    """
    mean = statistics.fmean(member_scores) if len(member_scores) else None
    if method == "consensus":
        if consensus is not None:
            return ItemScore(float(consensus), False)
        return ItemScore(mean, True)
    if method == "mean":
        # No scores can never be final, whatever the caller says.
        return ItemScore(mean, mean is None or not all_submitted)
    raise ValueError(f"unknown scoring method: {method!r}")


def spread(scores: Sequence[float]) -> float:
    """Max minus min; 0 for fewer than two scores."""
    if len(scores) < 2:
        return 0.0
    return float(max(scores) - min(scores))


def is_divergent(scores: Sequence[float], threshold: float = 2) -> bool:
    """True when the members' spread reaches the threshold."""
    return spread(scores) >= threshold


# --------------------------------------------------------------------------
# Candidate results
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemRule:
    """An assessed item, its pass mark and whether it is the lead item."""

    key: str
    pass_mark: float
    lead: bool = False


@dataclass(frozen=True, slots=True)
class CandidateResult:
    """A candidate's outcome across all items.

    passed is None (and total None) while any item is unscored.
    failed_items lists items already below their pass mark, even when the
    result is incomplete; below_min_total says the total missed the
    campaign's minimum. A fail can have both reasons, and both are reported.
    """

    candidate_id: int
    total: float | None
    item_values: dict[str, float | None]
    passed: bool | None
    provisional: bool
    failed_items: tuple[str, ...]
    below_min_total: bool = False


def lead_item_key(items: Sequence[ItemRule]) -> str | None:
    """Key of the lead item, None if none; ValueError if more than one."""
    leads = [i.key for i in items if i.lead]
    if len(leads) > 1:
        raise ValueError(f"more than one lead item: {leads}")
    return leads[0] if leads else None


def candidate_result(
    candidate_id: int,
    items: Sequence[ItemRule],
    item_scores: Mapping[str, ItemScore],
    min_total: float | None = None,
) -> CandidateResult:
    """Combine item scores into a pass/fail result for one candidate."""
    values: dict[str, float | None] = {}
    failed: list[str] = []
    provisional = False
    complete = True
    for rule in items:
        score = item_scores.get(rule.key)
        value = score.value if score is not None else None
        values[rule.key] = value
        if score is None or score.provisional:
            # An item nobody has scored is as unsettled as a provisional one.
            provisional = True
        if value is None:
            complete = False
        elif value < rule.pass_mark:
            failed.append(rule.key)

    if not complete:
        return CandidateResult(candidate_id, None, values, None, provisional, tuple(failed))

    total = float(sum(v for v in values.values()))  # type: ignore[misc]
    below_min_total = min_total is not None and total < min_total
    passed = not failed and not below_min_total
    return CandidateResult(candidate_id, total, values, passed, provisional, tuple(failed), below_min_total)


# --------------------------------------------------------------------------
# Merit order
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TieOrder:
    """The chair's recorded order for one candidate within a tie group."""

    position: int
    reason: str

    def __post_init__(self) -> None:
        _require_reason(self.reason)


def _require_reason(reason: object) -> None:
    # A tie may never be broken without a recorded, auditable reason.
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("a tie order needs a non-empty reason")


@dataclass(frozen=True, slots=True)
class MeritEntry:
    """One ranked candidate.

    tied: shares its rank with another candidate.
    tie_group: numbers every group that was tied on total and lead score,
    kept even after the chair resolves it (then tied is False and
    tie_reason holds the chair's reason).
    position: 1-based place in the list.
    """

    candidate_id: int
    rank: int
    total: float
    lead_value: float | None
    tied: bool
    tie_group: int | None
    position: int
    tie_reason: str | None
    provisional: bool


def _cmp(x: float | None) -> float:
    return 0.0 if x is None else round(x, _COMPARE_DP)


def merit_order(
    results: Sequence[CandidateResult],
    lead_key: str | None,
    tie_orders: Mapping[int, TieOrder] | None = None,
) -> list[MeritEntry]:
    """Rank passed candidates: total desc, then lead item score desc.

    Equal candidates share a rank and the next rank skips (1, 2, 2, 4).
    A tie group is ordered by the chair only when every member has a
    TieOrder (each with a reason); members then get distinct ranks from the
    group's base rank. A partial order for a group is ignored: the group
    stays tied. Unresolved ties are listed by candidate_id for display only.
    TieOrders for candidates not in a tie are ignored.
    Raises ValueError for a TieOrder without a reason, duplicate positions
    within a fully ordered group, or a lead_key a candidate does not have.
    """
    tie_orders = tie_orders or {}
    for order in tie_orders.values():
        _require_reason(order.reason)

    ranked: list[tuple[float, float, int, CandidateResult, float | None]] = []
    for r in results:
        if r.passed is not True:
            continue
        if r.total is None:  # defensive: a pass always has a total
            raise ValueError(f"candidate {r.candidate_id} passed without a total")
        if lead_key is None:
            lead = None
        else:
            if lead_key not in r.item_values:
                raise ValueError(f"candidate {r.candidate_id} has no item {lead_key!r}")
            lead = r.item_values[lead_key]
        ranked.append((-_cmp(r.total), -_cmp(lead), r.candidate_id, r, lead))
    # One sort: O(n log n). candidate_id gives a stable display order in ties.
    ranked.sort(key=lambda t: (t[0], t[1], t[2]))

    out: list[MeritEntry] = []
    group_no = 0
    i = 0
    n = len(ranked)
    while i < n:
        j = i + 1
        while j < n and ranked[j][0] == ranked[i][0] and ranked[j][1] == ranked[i][1]:
            j += 1
        group = ranked[i:j]
        base_rank = i + 1  # competition ranking: 1 + number strictly better
        if len(group) == 1:
            _, _, cid, r, lead = group[0]
            out.append(MeritEntry(cid, base_rank, r.total, lead, False, None,
                                  len(out) + 1, None, r.provisional))  # type: ignore[arg-type]
        else:
            group_no += 1
            orders = [tie_orders.get(g[2]) for g in group]
            if all(o is not None for o in orders):
                positions = [o.position for o in orders]  # type: ignore[union-attr]
                if len(set(positions)) != len(positions):
                    raise ValueError(
                        f"tie group {group_no} has duplicate chair positions: {positions}"
                    )
                resolved = sorted(zip(orders, group), key=lambda og: og[0].position)  # type: ignore[union-attr]
                for k, (o, (_, _, cid, r, lead)) in enumerate(resolved):
                    out.append(MeritEntry(cid, base_rank + k, r.total, lead, False, group_no,
                                          len(out) + 1, o.reason, r.provisional))  # type: ignore[union-attr,arg-type]
            else:
                for _, _, cid, r, lead in group:
                    out.append(MeritEntry(cid, base_rank, r.total, lead, True, group_no,
                                          len(out) + 1, None, r.provisional))  # type: ignore[arg-type]
        i = j
    return out


def unranked(results: Sequence[CandidateResult]) -> list[CandidateResult]:
    """Failed and incomplete results, in input order."""
    return [r for r in results if r.passed is not True]


# --------------------------------------------------------------------------
# Reserve list
# --------------------------------------------------------------------------


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    # Last day of target month: day before the 1st of the following month.
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = (nxt - date.resolution).day
    return date(year, month, min(d.day, last))


def reserve_expiry(decision_date: date, months: int = 12) -> date:
    """Decision date plus months, clamped to the end of a shorter month."""
    if months < 0:
        raise ValueError("months must not be negative")
    return _add_months(decision_date, months)


def extend_reserve(
    decision_date: date,
    current_expiry: date,
    new_months: int,
    reason: str,
    already_extended: bool,
    today: date | None = None,
) -> date:
    """New expiry, new_months from the decision date.

    One extension only, with a reason, up to 24 months in total, and it must
    end later than the current expiry. An expired place may be extended (a
    decision date in the past makes one) as long as the new expiry, still
    within the 24 months, is not itself past ``today``.
    """
    if not reason or not reason.strip():
        raise ValueError("an extension needs a reason")
    if already_extended:
        raise ValueError("the reserve list has already been extended once")
    if new_months > MAX_RESERVE_MONTHS:
        raise ValueError(f"a reserve list may not exceed {MAX_RESERVE_MONTHS} months")
    new_expiry = reserve_expiry(decision_date, new_months)
    if new_expiry <= current_expiry:
        raise ValueError("an extension must end after the current expiry")
    if today is not None and is_expired(new_expiry, today):
        raise ValueError(
            f"{new_months} months from the decision date ({decision_date.isoformat()}) ended on "
            f"{new_expiry.isoformat()}: the place cannot be kept within the {MAX_RESERVE_MONTHS}-month limit"
        )
    return new_expiry


def is_expired(expiry: date, today: date) -> bool:
    """Expired once today is after the expiry date."""
    return today > expiry


def expired_at_start(decision_date: date, today: date, months: int = 12) -> date | None:
    """The expiry of a reserve place made today, if it would already have passed (else None)."""
    expiry = reserve_expiry(decision_date, months)
    return expiry if is_expired(expiry, today) else None



# --------------------------------------------------------------------------
# Offers
# --------------------------------------------------------------------------


def _available(cid: int, appointed: AbstractSet[int], reserve_expired: AbstractSet[int],
               declined: AbstractSet[int], not_appointed: AbstractSet[int]) -> bool:
    return cid not in appointed and cid not in reserve_expired and cid not in declined and cid not in not_appointed


def offer_candidates(
    merit: Sequence[MeritEntry],
    appointed: AbstractSet[int],
    reserve_expired: AbstractSet[int],
    declined: AbstractSet[int],
    *,
    not_appointed: AbstractSet[int] = frozenset(),
) -> tuple[int, ...]:
    """All available candidates at the best available rank.

    Appointed, declined (withdrawn), not appointed and expired reserve
    candidates are not available. More than one means an unresolved tie the
    chair must decide.
    """
    best: int | None = None
    found: list[int] = []
    for e in merit:
        if not _available(e.candidate_id, appointed, reserve_expired, declined, not_appointed):
            continue
        if best is None:
            best = e.rank
        elif e.rank != best:
            break
        found.append(e.candidate_id)
    return tuple(found)


def next_offer(
    merit: Sequence[MeritEntry],
    appointed: AbstractSet[int],
    reserve_expired: AbstractSet[int],
    declined: AbstractSet[int],
    *,
    not_appointed: AbstractSet[int] = frozenset(),
) -> int | None:
    """First available candidate in merit order, or None.

    Within an unresolved tie this is only the display order; use
    offer_candidates to show the chair everyone who is equal.
    """
    top = offer_candidates(merit, appointed, reserve_expired, declined, not_appointed=not_appointed)
    return top[0] if top else None


def offer_out_of_order(
    merit: Sequence[MeritEntry],
    candidate_id: int,
    appointed: AbstractSet[int],
    reserve_expired: AbstractSet[int],
    declined: AbstractSet[int],
    *,
    not_appointed: AbstractSet[int] = frozenset(),
) -> bool:
    """True if an available candidate ranks strictly above candidate_id.

    Candidates sharing a rank are equal, so choosing between them is not
    out of order. ValueError if candidate_id is not on the merit list.
    """
    rank = next((e.rank for e in merit if e.candidate_id == candidate_id), None)
    if rank is None:
        raise ValueError(f"candidate {candidate_id} is not on the merit list")
    return any(
        e.rank < rank and _available(e.candidate_id, appointed, reserve_expired, declined, not_appointed)
        for e in merit
    )


# --------------------------------------------------------------------------
# Calibration and distribution
# --------------------------------------------------------------------------


def member_leniency(pairs: Iterable[tuple[str, float, float]]) -> dict[str, float]:
    """Per member, mean of (member score - agreed score); positive = lenient."""
    diffs: dict[str, list[float]] = {}
    for member, score, agreed in pairs:
        diffs.setdefault(member, []).append(score - agreed)
    return {m: statistics.fmean(d) for m, d in diffs.items()}


def item_agreement(
    scores_by_item: Mapping[str, Sequence[Sequence[float]]],
) -> dict[str, float]:
    """Per item, mean spread of members' scores across candidates.

    Candidates with fewer than two scores say nothing about agreement and are
    skipped; an item with no such candidates is left out.
    """
    out: dict[str, float] = {}
    for item, per_candidate in scores_by_item.items():
        spreads = [spread(s) for s in per_candidate if len(s) >= 2]
        if spreads:
            out[item] = statistics.fmean(spreads)
    return out


def histogram(values: Iterable[float], scale_points: Sequence[float]) -> dict[float, int]:
    """Count values at their nearest scale point (halfway goes up)."""
    if not scale_points:
        raise ValueError("scale_points must not be empty")
    counts = {p: 0 for p in scale_points}
    points = sorted(counts)
    for v in values:
        # Scales are short (~5-10 points), so a linear scan beats bisecting.
        nearest = min(points, key=lambda p: (abs(v - p), -p))
        counts[nearest] += 1
    return counts
