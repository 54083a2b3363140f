"""Outcomes: the merit list, tie orders, appointments, the reserve list, calibration and distribution.

Ranking, tie, offer and reserve rules all come from ``db.rules``. Every
writing function owns one unit of work, validates first (changing nothing on
a ValidationError) and records an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from db import rules, scales
from db.audit import record
from db.consolidation import (
    _bulk,
    _campaign_row,
    _consensus,
    _items,
    _members,
    _rows,
    _submitted,
    campaign_results,
    load_grid,
)
from db.errors import NotFound, ValidationError
from db.models import Assessment, Campaign, Candidate, ItemEvidence, Outcome, utcnow

STATUSES = ("pending", "appointed", "reserve", "not_appointed", "declined")

__all__ = [
    "STATUSES",
    "MeritRow",
    "MeritList",
    "ItemAgreement",
    "MemberLeniency",
    "Calibration",
    "ItemDistribution",
    "merit_list",
    "order_tie",
    "appoint",
    "add_to_reserve",
    "extend_reserve",
    "set_status",
    "calibration",
    "distribution",
]


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
    tied: bool  # shares its rank in an unresolved tie
    tie_group: int | None  # tied on total and lead item, resolved or not
    tie_reason: str  # the chair's reason, once the tie is ordered
    status: str  # one of STATUSES
    offer_reason: str
    reserve_expiry: date | None
    reserve_extended: bool
    reserve_reason: str
    expired: bool  # on the reserve list and past its expiry

    @property
    def label(self) -> str:
        return f"{self.name} ({self.ref})" if self.name else self.ref

    @property
    def result(self) -> str:
        """'pass', 'fail' or 'incomplete'."""
        return "incomplete" if self.passed is None else ("pass" if self.passed else "fail")


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


@dataclass(frozen=True, slots=True)
class ItemAgreement:
    item_id: int
    name: str
    mean_spread: float | None  # rules.item_agreement; None: no candidate has two submitted scores
    candidates: int  # candidates with at least two submitted scores


@dataclass(frozen=True, slots=True)
class MemberLeniency:
    member_id: int
    name: str
    leniency: float | None  # rules.member_leniency: mean (score - agreed); positive = lenient
    compared: int  # scores compared with an agreed score


@dataclass(frozen=True, slots=True)
class Calibration:
    campaign_id: int
    items: tuple[ItemAgreement, ...]
    members: tuple[MemberLeniency, ...]


@dataclass(frozen=True, slots=True)
class ItemDistribution:
    item_id: int
    name: str
    counts: tuple[tuple[float, str, int], ...]  # (scale value, label, candidates), low to high
    values: int  # item values counted
    provisional: int  # of which still provisional


# --- the merit list ------------------------------------------------------------------


_OUTCOME_COLS = (
    Outcome.candidate_id, Outcome.status, Outcome.tie_position, Outcome.tie_reason, Outcome.offer_reason,
    Outcome.reserve_expiry, Outcome.reserve_extended, Outcome.reserve_reason,
)


def _compute(session: Session, campaign_id: int, today: date | None) -> tuple[MeritList, list[rules.MeritEntry]]:
    today = today or date.today()
    res = campaign_results(session, campaign_id)
    outcomes = {
        row[0]: row
        for row in _rows(
            session,
            select(*_OUTCOME_COLS)
            .join(Candidate, col(Candidate.id) == Outcome.candidate_id)
            .where(Candidate.campaign_id == campaign_id),
        )
    }
    tie_orders = {
        cid: rules.TieOrder(o[2], o[3])
        for cid, o in outcomes.items()
        if o[2] is not None and (o[3] or "").strip()
    }
    ordered = [res.results[c] for c, _, _ in res.candidates]
    try:
        entries = rules.merit_order(ordered, res.lead_key, tie_orders)
    except ValueError:
        # Conflicting stored orders (e.g. two groups merged after a score changed): show the ties unresolved.
        entries = rules.merit_order(ordered, res.lead_key, {})
    names = [i.name for i in res.items]
    info = {c: (ref, name) for c, ref, name in res.candidates}
    pending = ("pending", "", None, False, "", False)
    statuses = {}
    for cid, o in outcomes.items():
        expiry = o[5]
        expired = o[1] == "reserve" and expiry is not None and rules.is_expired(expiry, today)
        statuses[cid] = (o[1], o[4] or "", expiry, bool(o[6]), o[7] or "", expired)
    results = res.results
    rows: list[MeritRow] = []
    add = rows.append
    # candidate_result fills item_values in item order, so its values line up with names.
    for e in entries:
        cid = e.candidate_id
        r = results[cid]
        add(MeritRow(
            cid, *info[cid], e.rank, e.position, e.total, e.lead_value, tuple(r.item_values.values()), r.passed,
            e.provisional, r.failed_items, e.tied, e.tie_group, e.tie_reason or "", *statuses.get(cid, pending),
        ))
    lead = res.lead_key
    for r in rules.unranked(ordered):
        cid = r.candidate_id
        add(MeritRow(
            cid, *info[cid], None, None, r.total, r.item_values.get(lead) if lead else None,
            tuple(r.item_values.values()), r.passed, r.provisional, r.failed_items, False, None, "",
            *statuses.get(cid, pending),
        ))
    appointed = {c for c, st in statuses.items() if st[0] == "appointed"}
    expired_set = {c for c, st in statuses.items() if st[5]}
    declined = {c for c, st in statuses.items() if st[0] == "declined"}
    merit = MeritList(
        campaign_id=res.campaign_id, title=res.title, items=tuple(names), lead_item=lead,
        decision_date=res.decision_date, today=today, rows=tuple(rows),
        next_offer=rules.offer_candidates(entries, appointed, expired_set, declined),
    )
    return merit, entries


def _status_sets(rows) -> tuple[set[int], set[int], set[int]]:
    appointed = {r.candidate_id for r in rows if r.status == "appointed"}
    expired = {r.candidate_id for r in rows if r.expired}
    declined = {r.candidate_id for r in rows if r.status == "declined"}
    return appointed, expired, declined


def merit_list(session: Session, campaign_id: int, today: date | None = None) -> MeritList:
    """Passed candidates in merit order (total, then the lead item, then the chair's tie order),
    then failed and incomplete candidates; with each candidate's status and reserve expiry.

    ``today`` decides which reserve places have expired (default: the real date).
    """
    with _bulk():
        return _compute(session, campaign_id, today)[0]


# --- writing -------------------------------------------------------------------


def _candidate(session: Session, candidate_id: int) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no candidate with id {candidate_id}")
    return candidate


def _outcome(session: Session, candidate_id: int) -> Outcome:
    outcome = session.exec(select(Outcome).where(Outcome.candidate_id == candidate_id)).first()
    return outcome or Outcome(candidate_id=candidate_id)


def _save(session: Session, outcome: Outcome) -> None:
    outcome.updated_at = utcnow()
    session.add(outcome)
    session.flush()


def _audit(session: Session, outcome: Outcome, campaign_id: int, action: str, actor: str,
           old: object = "", new: object = "", reason: str = "") -> None:
    record(session, action=action, entity="outcome", entity_id=outcome.id, campaign_id=campaign_id,
           actor=actor, old=old, new=new, reason=reason)


def order_tie(session: Session, campaign_id: int, candidate_ids: list[int], reason: str, actor: str) -> None:
    """Record the chair's order for one tie group (every candidate in it, best first) with a reason."""
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
    top = _rows(
        session,
        select(Outcome.tie_position)
        .join(Candidate, col(Candidate.id) == Outcome.candidate_id)
        .where(Candidate.campaign_id == campaign_id, col(Outcome.tie_position).is_not(None))
        .order_by(col(Outcome.tie_position).desc())
        .limit(1),
    )
    base = (top[0][0] if top else 0) + 1
    for n, r in enumerate(rows):
        outcome = _outcome(session, r.candidate_id)
        old = f"{outcome.tie_position}: {outcome.tie_reason}" if outcome.tie_position is not None else ""
        outcome.tie_position, outcome.tie_reason = base + n, reason
        _save(session, outcome)
        _audit(session, outcome, campaign_id, "tie order", actor, old, f"{n + 1} of {len(rows)} ({r.ref})", reason)
    session.commit()


def _offerable(merit: MeritList, candidate: Candidate, what: str) -> MeritRow:
    row = merit.row(candidate.id)  # type: ignore[arg-type]
    if row.rank is None:
        why = "did not pass" if row.passed is False else "is not yet fully scored"
        raise ValidationError(f"{row.ref} is not on the merit list ({why})")
    if row.provisional:
        raise ValidationError(f"{row.ref}'s result is still provisional: agree every item score before {what}")
    return row


def appoint(session: Session, candidate_id: int, actor: str, reason: str = "", today: date | None = None) -> None:
    """Offer the post to a candidate on the merit list.

    Passing over an available candidate ranked higher needs a reason
    (rules.offer_out_of_order); the reason is kept as the offer reason.
    """
    candidate = _candidate(session, candidate_id)
    merit, entries = _compute(session, candidate.campaign_id, today)
    row = _offerable(merit, candidate, "appointing")
    if row.status == "appointed":
        raise ValidationError(f"{row.ref} is already appointed")
    if row.status == "declined":
        raise ValidationError(f"{row.ref} has declined")
    if row.expired:
        raise ValidationError(f"{row.ref}'s reserve place expired on {row.reserve_expiry}")
    appointed, expired, declined = _status_sets(merit.rows)
    reason = (reason or "").strip()
    if rules.offer_out_of_order(entries, candidate_id, appointed, expired, declined) and not reason:
        higher = [
            r.ref for r in merit.ranked
            if r.rank < row.rank  # type: ignore[operator]
            and r.candidate_id not in appointed | expired | declined
        ]
        verb = "is" if len(higher) == 1 else "are"
        raise ValidationError(f"offering out of merit order needs a reason: {', '.join(higher)} {verb} ranked higher")
    outcome = _outcome(session, candidate_id)
    old = outcome.status
    outcome.status, outcome.offer_reason = "appointed", reason
    _save(session, outcome)
    _audit(session, outcome, candidate.campaign_id, "appoint", actor, old, "appointed", reason)
    session.commit()


def add_to_reserve(session: Session, candidate_id: int, actor: str) -> date:
    """Put a passing, not appointed candidate on the reserve list; returns the expiry date.

    The expiry is rules.reserve_expiry of the campaign's decision date.
    """
    candidate = _candidate(session, candidate_id)
    campaign = session.get(Campaign, candidate.campaign_id)
    assert campaign is not None
    if campaign.decision_date is None:
        raise ValidationError("set the campaign's decision date before making a reserve list")
    merit = merit_list(session, candidate.campaign_id)
    row = _offerable(merit, candidate, "making a reserve list")
    if row.status in ("appointed", "reserve", "declined"):
        raise ValidationError(f"{row.ref} is {_STATUS_TEXT[row.status]}")
    expiry = rules.reserve_expiry(campaign.decision_date)
    outcome = _outcome(session, candidate_id)
    old = outcome.status
    outcome.status, outcome.reserve_expiry, outcome.reserve_extended, outcome.reserve_reason = "reserve", expiry, False, ""
    _save(session, outcome)
    _audit(session, outcome, campaign.id, "reserve", actor, old, f"reserve until {expiry.isoformat()}")  # type: ignore[arg-type]
    session.commit()
    return expiry


def extend_reserve(session: Session, candidate_id: int, months: int, reason: str, actor: str) -> date:
    """Extend a reserve place to ``months`` after the decision date (once, at most 24 months); returns the new expiry."""
    candidate = _candidate(session, candidate_id)
    campaign = session.get(Campaign, candidate.campaign_id)
    assert campaign is not None
    outcome = session.exec(select(Outcome).where(Outcome.candidate_id == candidate_id)).first()
    if outcome is None or outcome.status != "reserve" or outcome.reserve_expiry is None:
        raise ValidationError(f"{candidate.ref} is not on the reserve list")
    if campaign.decision_date is None:
        raise ValidationError("the campaign has no decision date")
    try:
        new_expiry = rules.extend_reserve(
            campaign.decision_date, outcome.reserve_expiry, int(months), reason or "", outcome.reserve_extended
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    old = outcome.reserve_expiry
    outcome.reserve_expiry, outcome.reserve_extended, outcome.reserve_reason = new_expiry, True, reason.strip()
    _save(session, outcome)
    _audit(session, outcome, campaign.id, "extend reserve", actor, old.isoformat(), new_expiry.isoformat(),  # type: ignore[arg-type]
           reason.strip())
    session.commit()
    return new_expiry


_STATUS_TEXT = {
    "pending": "pending",
    "appointed": "already appointed",
    "reserve": "already on the reserve list",
    "not_appointed": "not appointed",
    "declined": "recorded as declined",
}


def set_status(session: Session, candidate_id: int, status: str, actor: str, reason: str = "") -> None:
    """Mark a candidate not appointed or declined (or back to pending).

    Use appoint and add_to_reserve for those statuses: they apply the merit rules.
    """
    if status not in ("pending", "not_appointed", "declined"):
        if status in ("appointed", "reserve"):
            raise ValidationError(f"use {'appoint' if status == 'appointed' else 'add to reserve'} for {status!r}")
        raise ValidationError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    candidate = _candidate(session, candidate_id)
    outcome = _outcome(session, candidate_id)
    old = outcome.status
    if old == status:
        return
    outcome.status = status
    _save(session, outcome)
    _audit(session, outcome, candidate.campaign_id, "status", actor, old, status, (reason or "").strip())
    session.commit()


# --- calibration and distribution ---------------------------------------------------


def calibration(session: Session, campaign_id: int) -> Calibration:
    """Per item, how far submitted scores spread (rules.item_agreement); per member, how far
    their submitted scores sit from the agreed score (rules.member_leniency).

    Only submitted assessments count. The agreed score is the item's final
    value by rules.item_score: the consensus, or in "mean" campaigns the mean
    once everyone has submitted.
    """
    (_id, _t, c_scale, method, _mt, _th, _an, _dd) = _campaign_row(session, campaign_id)
    items = _items(session, campaign_id, c_scale)
    members = _members(session, campaign_id)
    member_ids = frozenset(m.id for m in members)
    submitted = _submitted(session, campaign_id)
    consensus = _consensus(session, campaign_id, rationale=False)
    rows = _rows(
        session,
        select(Assessment.candidate_id, ItemEvidence.item_id, Assessment.member_id, ItemEvidence.score)
        .join(ItemEvidence, col(ItemEvidence.assessment_id) == Assessment.id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Candidate.campaign_id == campaign_id, col(Assessment.submitted_at).is_not(None),
               col(ItemEvidence.score).is_not(None))
        .order_by(Assessment.candidate_id, Assessment.member_id),
    )
    cells: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for cid, item_id, member_id, score in rows:
        cells.setdefault((cid, item_id), []).append((member_id, float(score)))
    by_item: dict[str, list[list[float]]] = {str(i.id): [] for i in items}
    pairs: list[tuple[str, float, float]] = []
    for (cid, item_id), scored in cells.items():
        values = [s for _, s in scored]
        by_item.setdefault(str(item_id), []).append(values)
        c = consensus.get(cid, {}).get(item_id)
        all_submitted = bool(member_ids) and member_ids <= submitted.get(cid, set())
        agreed = rules.item_score(values, c[0] if c else None, method, all_submitted=all_submitted)
        if agreed.provisional or agreed.value is None:
            continue
        pairs.extend((str(m), s, agreed.value) for m, s in scored)
    agreement = rules.item_agreement(by_item)
    leniency = rules.member_leniency(pairs)
    compared: dict[str, int] = {}
    for m, _, _ in pairs:
        compared[m] = compared.get(m, 0) + 1
    return Calibration(
        campaign_id=campaign_id,
        items=tuple(
            ItemAgreement(i.id, i.name, agreement.get(str(i.id)), sum(1 for s in by_item[str(i.id)] if len(s) >= 2))
            for i in items
        ),
        members=tuple(
            MemberLeniency(m.id, m.name, leniency.get(str(m.id)), compared.get(str(m.id), 0)) for m in members
        ),
    )


def distribution(session: Session, campaign_id: int, *, final_only: bool = False) -> tuple[ItemDistribution, ...]:
    """Per item, how many candidates' item values (agreed, else provisional) fall at each scale point
    (rules.histogram). ``final_only`` leaves out provisional values."""
    grid = load_grid(session, campaign_id, None)
    out = []
    for n, item in enumerate(grid.items):
        values, provisional = [], 0
        for row in grid.rows:
            cell = row.cells[n]
            if cell.value is None or (final_only and cell.provisional):
                continue
            values.append(cell.value)
            provisional += cell.provisional
        points = scales.values(list(item.scale))
        hist = rules.histogram(values, points)
        out.append(ItemDistribution(
            item_id=item.id, name=item.name,
            counts=tuple((p, scales.label_for(list(item.scale), p), hist[p]) for p in sorted(hist)),
            values=len(values), provisional=provisional,
        ))
    return tuple(out)
