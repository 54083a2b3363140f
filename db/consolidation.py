"""The chair's consolidation: the score grid, side-by-side evidence, consensus.

Reads use a few column-tuple queries (never ORM objects per row), so the grid
for thousands of candidates loads quickly. Item values, pass/fail and
divergence come from ``db.rules``; nothing here re-implements them.

Independence: a panel member (viewer) sees other members' scores and the
consensus for a candidate only after submitting their own assessment of that
candidate. ``viewer_member_id=None`` (an administrator, the CLI) sees all.
"""

from __future__ import annotations

import gc
import math
import statistics
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import rules, scales
from db.interview import candidate_item
from db.audit import record
from db.errors import NotFound, ValidationError
from db.models import (
    Assessment,
    Campaign,
    CampaignItem,
    Candidate,
    Consensus,
    Indicator,
    IndicatorTag,
    ItemEvidence,
    Outcome,
    PanelMember,
    utcnow,
)

SCORING_METHODS = ("consensus", "mean")

__all__ = [
    "GridMember",
    "GridItem",
    "GridCell",
    "GridRow",
    "Grid",
    "TagView",
    "MemberCell",
    "CellEvidence",
    "ConsensusView",
    "CampaignResults",
    "load_grid",
    "cell_evidence",
    "record_consensus",
    "set_scoring_method",
    "campaign_results",
]


# --- views -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GridMember:
    id: int
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class GridItem:
    id: int
    name: str
    pass_mark: float
    is_lead: bool
    scale: tuple[dict[str, Any], ...]  # the item's own scale, else the campaign's


@dataclass(frozen=True, slots=True)
class GridCell:
    """One candidate x one item."""

    item_id: int
    scores: Mapping[int, float]  # member id -> score, only scores the viewer may see
    min_score: float | None
    max_score: float | None
    mean: float | None
    spread: float
    divergent: bool
    consensus: float | None
    rationale: str
    value: float | None  # rules.item_score: the consensus, else the mean
    provisional: bool
    below_pass: bool


@dataclass(frozen=True, slots=True)
class GridRow:
    candidate_id: int
    ref: str
    name: str  # "" when the campaign is anonymised
    cells: tuple[GridCell, ...]  # aligned with Grid.items
    submitted: frozenset[int]  # member ids who have submitted for this candidate
    all_submitted: bool
    visible: bool  # False: the viewer has not submitted, others' scores are withheld
    total: float | None
    passed: bool | None  # None while any item is unscored
    provisional: bool
    failed_items: tuple[str, ...]  # item names below their pass mark

    @property
    def label(self) -> str:
        return f"{self.name} ({self.ref})" if self.name else self.ref


@dataclass(frozen=True, slots=True)
class Grid:
    campaign_id: int
    title: str
    scoring_method: str
    divergence_threshold: float
    min_total: float | None
    anonymised: bool
    viewer_member_id: int | None
    members: tuple[GridMember, ...]
    items: tuple[GridItem, ...]
    rows: tuple[GridRow, ...]  # in candidate ref order

    def row(self, candidate_id: int) -> GridRow:
        for r in self.rows:
            if r.candidate_id == candidate_id:
                return r
        raise NotFound(f"no candidate with id {candidate_id} in this campaign")

    @property
    def divergent_cells(self) -> int:
        return sum(1 for r in self.rows for c in r.cells if c.divergent)


@dataclass(frozen=True, slots=True)
class TagView:
    indicator_id: int
    kind: str  # "effective" | "ineffective" | "example"
    text: str
    tag: str  # "seen" | "contrary"


@dataclass(frozen=True, slots=True)
class MemberCell:
    """One panel member's evidence for one candidate and item."""

    member_id: int
    member_name: str
    role: str
    submitted: bool
    notes: str
    star: str
    score: float | None
    tags: tuple[TagView, ...]


@dataclass(frozen=True, slots=True)
class CellEvidence:
    candidate_id: int
    candidate_ref: str
    item_id: int
    item_name: str
    scale: tuple[dict[str, Any], ...]
    visible: bool  # False: only the viewer's own evidence is shown
    members: tuple[MemberCell, ...]
    consensus: float | None
    rationale: str


@dataclass(frozen=True, slots=True)
class ConsensusView:
    candidate_id: int
    item_id: int
    score: float
    rationale: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CampaignResults:
    """Every candidate's rules.CandidateResult for a campaign (shared, read-only)."""

    campaign_id: int
    title: str
    scoring_method: str
    min_total: float | None
    anonymised: bool
    decision_date: Any
    items: tuple[GridItem, ...]
    lead_key: str | None  # the lead item's name (rules key), if any
    candidates: tuple[tuple[int, str, str], ...]  # (id, ref, name) in ref order; name "" if anonymised
    results: Mapping[int, rules.CandidateResult]  # keyed by candidate id; rules keys are item names


# --- shared reading ------------------------------------------------------------


def _rows(session: Session, stmt) -> list:
    # Core execution on the session's connection: plain tuples, no ORM row overhead.
    return session.connection().execute(stmt).all()


def _campaign_row(session: Session, campaign_id: int):
    row = _rows(
        session,
        select(
            Campaign.id, Campaign.title, Campaign.scale, Campaign.scoring_method, Campaign.min_total,
            Campaign.divergence_threshold, Campaign.anonymised, Campaign.decision_date,
        ).where(Campaign.id == campaign_id),
    )
    if not row:
        raise NotFound(f"no campaign with id {campaign_id}")
    return row[0]


def _items(session: Session, campaign_id: int, campaign_scale: list) -> tuple[GridItem, ...]:
    rows = _rows(
        session,
        select(CampaignItem.id, CampaignItem.name, CampaignItem.pass_mark, CampaignItem.is_lead, CampaignItem.scale)
        .where(CampaignItem.campaign_id == campaign_id)
        .order_by(CampaignItem.position, CampaignItem.id),
    )
    return tuple(
        GridItem(id=i, name=n, pass_mark=float(pm), is_lead=bool(lead), scale=tuple(sc or campaign_scale))
        for i, n, pm, lead, sc in rows
    )


def _members(session: Session, campaign_id: int) -> tuple[GridMember, ...]:
    rows = _rows(
        session,
        select(PanelMember.id, PanelMember.name, PanelMember.role)
        .where(PanelMember.campaign_id == campaign_id)
        .order_by(PanelMember.id),
    )
    return tuple(GridMember(id=i, name=n, role=r) for i, n, r in rows)


def _candidates(session: Session, campaign_id: int, anonymised: bool) -> tuple[tuple[int, str, str], ...]:
    rows = _rows(
        session,
        select(Candidate.id, Candidate.ref, Candidate.name)
        .where(Candidate.campaign_id == campaign_id)
        .order_by(Candidate.ref, Candidate.id),
    )
    return tuple((i, ref, "" if anonymised else (name or "")) for i, ref, name in rows)


def _member_scores(
    session: Session, campaign_id: int, candidate_ids: Sequence[int] | None = None
) -> dict[int, dict[int, list[tuple[int, float]]]]:
    """candidate id -> item id -> [(member id, score)], scored evidence only."""
    stmt = (
        select(Assessment.candidate_id, ItemEvidence.item_id, Assessment.member_id, ItemEvidence.score)
        .join(ItemEvidence, col(ItemEvidence.assessment_id) == Assessment.id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Candidate.campaign_id == campaign_id, col(ItemEvidence.score).is_not(None))
    )
    if candidate_ids is not None:
        stmt = stmt.where(col(Assessment.candidate_id).in_(list(candidate_ids)))
    out: dict[int, dict[int, list[tuple[int, float]]]] = {}
    for cid, item_id, member_id, score in _rows(session, stmt.order_by(Assessment.member_id)):
        out.setdefault(cid, {}).setdefault(item_id, []).append((member_id, float(score)))
    return out


def _submitted(
    session: Session, campaign_id: int, candidate_ids: Sequence[int] | None = None
) -> dict[int, set[int]]:
    """candidate id -> member ids who have submitted."""
    stmt = (
        select(Assessment.candidate_id, Assessment.member_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Candidate.campaign_id == campaign_id, col(Assessment.submitted_at).is_not(None))
    )
    if candidate_ids is not None:
        stmt = stmt.where(col(Assessment.candidate_id).in_(list(candidate_ids)))
    out: dict[int, set[int]] = {}
    for cid, member_id in _rows(session, stmt):
        out.setdefault(cid, set()).add(member_id)
    return out


def _consensus(
    session: Session, campaign_id: int, *, rationale: bool, candidate_ids: Sequence[int] | None = None
) -> dict[int, dict[int, tuple[float, str]]]:
    """candidate id -> item id -> (score, rationale or "")."""
    cols = [Consensus.candidate_id, Consensus.item_id, Consensus.score]
    if rationale:
        cols.append(Consensus.rationale)  # type: ignore[arg-type]
    stmt = (
        select(*cols)
        .join(Candidate, col(Candidate.id) == Consensus.candidate_id)
        .where(Candidate.campaign_id == campaign_id)
    )
    if candidate_ids is not None:
        stmt = stmt.where(col(Consensus.candidate_id).in_(list(candidate_ids)))
    out: dict[int, dict[int, tuple[float, str]]] = {}
    for row in _rows(session, stmt):
        out.setdefault(row[0], {})[row[1]] = (float(row[2]), row[3] if rationale else "")
    return out


@contextmanager
def _bulk():
    """Pause the cyclic garbage collector while building many small objects.

    Building a grid makes tens of thousands of tuples and dataclasses that all
    survive; each automatic collection would re-scan them (over half the time
    for 2,000 candidates). Nothing built here forms a reference cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _item_rules(items: Sequence[GridItem]) -> list[rules.ItemRule]:
    return [rules.ItemRule(key=i.name, pass_mark=i.pass_mark, lead=i.is_lead) for i in items]


def _evaluate(
    candidate_id: int,
    items: Sequence[GridItem],
    item_rules: Sequence[rules.ItemRule],
    method: str,
    min_total: float | None,
    scores: Mapping[int, Sequence[float]],
    consensus: Mapping[int, float],
    all_submitted: bool,
) -> tuple[dict[str, rules.ItemScore], rules.CandidateResult]:
    """Item scores and the candidate result, by the rules."""
    item_scores: dict[str, rules.ItemScore] = {}
    for item in items:
        s = scores.get(item.id, ())
        c = consensus.get(item.id)
        if not s and c is None:
            continue  # unscored: candidate_result treats a missing item as unsettled
        item_scores[item.name] = rules.item_score(s, c, method, all_submitted=all_submitted)
    return item_scores, rules.candidate_result(candidate_id, item_rules, item_scores, min_total)


# --- the grid ------------------------------------------------------------------


def load_grid(session: Session, campaign_id: int, viewer_member_id: int | None) -> Grid:
    """Every candidate x item with members' scores, spread, divergence, consensus and result.

    For a viewer who has not yet submitted their assessment of a candidate,
    that row shows only the viewer's own scores; its statistics and value are
    computed from those alone and the consensus is withheld.
    """
    with _bulk():
        return _load_grid(session, campaign_id, viewer_member_id)


def _load_grid(session: Session, campaign_id: int, viewer_member_id: int | None) -> Grid:
    (cid_, title, c_scale, method, min_total, threshold, anonymised, _dd) = _campaign_row(session, campaign_id)
    items = _items(session, campaign_id, c_scale)
    members = _members(session, campaign_id)
    if viewer_member_id is not None and viewer_member_id not in {m.id for m in members}:
        raise NotFound("that panel member is not on this campaign's panel")
    candidates = _candidates(session, campaign_id, bool(anonymised))
    scores = _member_scores(session, campaign_id)
    submitted = _submitted(session, campaign_id)
    consensus = _consensus(session, campaign_id, rationale=True)
    item_rules = _item_rules(items)
    member_ids = frozenset(m.id for m in members)
    threshold = float(threshold)
    empty: dict = {}

    rows: list[GridRow] = []
    for cand_id, ref, name in candidates:
        subs = frozenset(submitted.get(cand_id, ()))
        all_submitted = bool(member_ids) and member_ids <= subs
        visible = viewer_member_id is None or viewer_member_id in subs
        cand_scores = scores.get(cand_id, empty)
        cand_consensus = consensus.get(cand_id, empty) if visible else empty
        per_item: dict[int, list[float]] = {}
        by_member: dict[int, dict[int, float]] = {}
        for item in items:
            pairs = cand_scores.get(item.id, ())
            if not visible:
                pairs = [p for p in pairs if p[0] == viewer_member_id]
            by_member[item.id] = dict(pairs)
            per_item[item.id] = [s for _, s in pairs]
        item_scores, result = _evaluate(
            cand_id, items, item_rules, method, min_total, per_item,
            {k: v[0] for k, v in cand_consensus.items()}, all_submitted and visible,
        )
        cells = []
        for item in items:
            s = per_item[item.id]
            isc = item_scores.get(item.name)
            value = isc.value if isc is not None else None
            c = cand_consensus.get(item.id)
            cells.append(
                GridCell(
                    item_id=item.id,
                    scores=by_member[item.id],
                    min_score=min(s) if s else None,
                    max_score=max(s) if s else None,
                    mean=statistics.fmean(s) if s else None,
                    spread=rules.spread(s),
                    divergent=rules.is_divergent(s, threshold),
                    consensus=c[0] if c else None,
                    rationale=c[1] if c else "",
                    value=value,
                    provisional=isc.provisional if isc is not None else True,
                    below_pass=value is not None and value < item.pass_mark,
                )
            )
        rows.append(
            GridRow(
                candidate_id=cand_id, ref=ref, name=name, cells=tuple(cells), submitted=subs,
                all_submitted=all_submitted, visible=visible, total=result.total, passed=result.passed,
                provisional=result.provisional, failed_items=result.failed_items,
            )
        )
    return Grid(
        campaign_id=cid_, title=title, scoring_method=method, divergence_threshold=threshold,
        min_total=min_total, anonymised=bool(anonymised), viewer_member_id=viewer_member_id,
        members=members, items=items, rows=tuple(rows),
    )


# --- side-by-side evidence -------------------------------------------------------




def cell_evidence(session: Session, candidate_id: int, item_id: int, viewer_member_id: int | None) -> CellEvidence:
    """Each panel member's notes, STAR, indicator tags and score for one item, side by side.

    A viewer who has not submitted their own assessment of the candidate sees
    only their own evidence (independence), and no consensus.
    """
    candidate, item, campaign = candidate_item(session, candidate_id, item_id)
    members = _members(session, candidate.campaign_id)
    if viewer_member_id is not None and viewer_member_id not in {m.id for m in members}:
        raise NotFound("that panel member is not on this campaign's panel")
    assessments = {
        member_id: (aid, submitted_at is not None)
        for aid, member_id, submitted_at in _rows(
            session,
            select(Assessment.id, Assessment.member_id, Assessment.submitted_at).where(
                Assessment.candidate_id == candidate_id
            ),
        )
    }
    visible = viewer_member_id is None or assessments.get(viewer_member_id, (0, False))[1]
    shown = [m for m in members if visible or m.id == viewer_member_id]
    evidence = {
        aid: (eid, notes, star, score)
        for eid, aid, notes, star, score in _rows(
            session,
            select(ItemEvidence.id, ItemEvidence.assessment_id, ItemEvidence.notes, ItemEvidence.star, ItemEvidence.score)
            .where(ItemEvidence.item_id == item_id)
            .where(col(ItemEvidence.assessment_id).in_([assessments[m.id][0] for m in shown if m.id in assessments])),
        )
    }
    tags: dict[int, list[TagView]] = {}
    evidence_ids = [e[0] for e in evidence.values()]
    if evidence_ids:
        for eid, ind_id, kind, text, tag in _rows(
            session,
            select(IndicatorTag.evidence_id, IndicatorTag.indicator_id, Indicator.kind, Indicator.text, IndicatorTag.tag)
            .join(Indicator, col(Indicator.id) == IndicatorTag.indicator_id)
            .where(col(IndicatorTag.evidence_id).in_(evidence_ids))
            .order_by(Indicator.kind, Indicator.position),
        ):
            tags.setdefault(eid, []).append(TagView(indicator_id=ind_id, kind=kind, text=text, tag=tag))
    cells = []
    for m in shown:
        aid, submitted = assessments.get(m.id, (None, False))
        eid, notes, star, score = evidence.get(aid, (None, "", "", None))  # type: ignore[arg-type]
        cells.append(
            MemberCell(
                member_id=m.id, member_name=m.name, role=m.role, submitted=submitted, notes=notes or "",
                star=star or "", score=None if score is None else float(score), tags=tuple(tags.get(eid, ())),  # type: ignore[arg-type]
            )
        )
    consensus = None
    if visible:
        consensus = session.exec(
            select(Consensus).where(Consensus.candidate_id == candidate_id, Consensus.item_id == item_id)
        ).first()
    return CellEvidence(
        candidate_id=candidate_id, candidate_ref=candidate.ref, item_id=item_id, item_name=item.name,
        scale=tuple(item.scale or campaign.scale), visible=visible, members=tuple(cells),
        consensus=consensus.score if consensus else None, rationale=consensus.rationale if consensus else "",
    )


# --- writing -------------------------------------------------------------------


def _fmt(score: float | None) -> str:
    return "" if score is None else f"{score:g}"


def record_consensus(
    session: Session, candidate_id: int, item_id: int, score: float, rationale: str, actor: str
) -> ConsensusView:
    """Record (or change) the panel's agreed score and rationale for one item.

    The score must be a point on the item's scale and the rationale non-empty;
    every panel member must have submitted their assessment first. A change
    is audited with the old and new score and rationale. Changing the score
    clears any tie order the chair gave this candidate (their place may move).
    """
    candidate, item, campaign = candidate_item(session, candidate_id, item_id)
    if campaign.scoring_method == "mean":
        raise ValidationError("this campaign scores items by the panel's mean: there is no consensus score to record")
    try:
        value = scales.check_score(item.scale or campaign.scale, float(score))
    except (TypeError, ValueError):
        raise ValidationError(f"score {score!r} is not a number") from None
    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationError("a consensus score needs a rationale")
    members = _members(session, campaign.id)  # type: ignore[arg-type]
    submitted = _submitted(session, campaign.id, [candidate_id]).get(candidate_id, set())  # type: ignore[arg-type]
    waiting = [m.name for m in members if m.id not in submitted]
    if waiting:
        raise ValidationError(f"consensus waits until every panel member has submitted (still to submit: {', '.join(waiting)})")
    existing = session.exec(
        select(Consensus).where(Consensus.candidate_id == candidate_id, Consensus.item_id == item_id)
    ).first()
    old_score = existing.score if existing else None
    old_text = f"{_fmt(existing.score)}: {existing.rationale}" if existing else ""
    now = utcnow()
    if existing is None:
        existing = Consensus(candidate_id=candidate_id, item_id=item_id, score=value, rationale=rationale, updated_at=now)
    else:
        existing.score, existing.rationale, existing.updated_at = value, rationale, now
    session.add(existing)
    session.flush()
    record(
        session, action="record" if old_score is None else "change", entity="consensus", entity_id=existing.id,
        campaign_id=campaign.id, actor=actor, old=old_text, new=f"{_fmt(value)}: {rationale}",
        reason=f"{candidate.ref} {item.name}",
    )
    if old_score != value:
        outcome = session.exec(select(Outcome).where(Outcome.candidate_id == candidate_id)).first()
        if outcome is not None and outcome.tie_position is not None:
            record(
                session, action="clear tie order", entity="outcome", entity_id=outcome.id, campaign_id=campaign.id,
                actor=actor, old=f"{outcome.tie_position}: {outcome.tie_reason}", new="",
                reason=f"consensus for {item.name} changed",
            )
            outcome.tie_position, outcome.tie_reason, outcome.updated_at = None, "", now
            session.add(outcome)
    session.commit()
    return ConsensusView(candidate_id=candidate_id, item_id=item_id, score=value, rationale=rationale, updated_at=now)


def set_scoring_method(session: Session, campaign_id: int, method: str, actor: str = "") -> None:
    """Choose "consensus" or "mean" scoring; refused once any score is recorded."""
    if method not in SCORING_METHODS:
        raise ValidationError(f"scoring method must be 'consensus' or 'mean', not {method!r}")
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign with id {campaign_id}")
    if campaign.scoring_method == method:
        return
    any_score = session.exec(
        select(ItemEvidence.id)
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Candidate.campaign_id == campaign_id, col(ItemEvidence.score).is_not(None))
        .limit(1)
    ).first()
    any_consensus = session.exec(
        select(Consensus.id).join(Candidate, col(Candidate.id) == Consensus.candidate_id)
        .where(Candidate.campaign_id == campaign_id).limit(1)
    ).first()
    if any_score is not None or any_consensus is not None:
        raise ValidationError("the scoring method cannot change once scores have been recorded")
    record(session, action="change", entity="campaign.scoring_method", entity_id=campaign_id, campaign_id=campaign_id,
           actor=actor, old=campaign.scoring_method, new=method)
    campaign.scoring_method = method
    session.add(campaign)
    session.commit()


# --- every candidate's result, cached ---------------------------------------------
#
# The merit list needs every candidate's result after each consensus change,
# fast. Members' scores rarely change during consolidation, so they are cached
# per database engine and campaign and checked on every call against a cheap
# fingerprint of the assessments and the panel. This relies on every writer of
# ItemEvidence also bumping Assessment.updated_at (interview.save_evidence and
# submit do). Consensus is checked with campaign totals (count and sums); when
# they move, only candidates with consensus rows updated since the last call
# are re-read and re-evaluated by the rules, and the totals must then agree
# again or everything is re-read.


@dataclass(frozen=True)
class _Entry:
    fingerprint: tuple
    scores: dict[int, dict[int, tuple[float, ...]]]  # candidate -> item -> member scores
    all_submitted: dict[int, bool]
    config: tuple = ()
    consensus: dict[int, dict[int, float]] | None = None  # candidate -> item -> agreed score
    consensus_totals: tuple = ()
    consensus_latest: Any = None  # latest Consensus.updated_at seen
    results: dict[int, rules.CandidateResult] | None = None


_cache: "weakref.WeakKeyDictionary[Any, dict[int, _Entry]]" = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _fingerprint(session: Session, campaign_id: int) -> tuple:
    asm = (
        select(
            func.count(Assessment.id), func.count(Assessment.submitted_at), func.sum(Assessment.id),
            func.max(Assessment.updated_at),
        )
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Candidate.campaign_id == campaign_id)
    )
    panel = select(func.count(PanelMember.id), func.sum(PanelMember.id)).where(PanelMember.campaign_id == campaign_id)
    return tuple(_rows(session, asm)[0]) + tuple(_rows(session, panel)[0])


def _consensus_totals(session: Session, campaign_id: int) -> tuple[tuple, Any]:
    score, item = col(Consensus.score), col(Consensus.item_id)
    n, total, weighted, squares, latest = _rows(
        session,
        select(func.count(Consensus.id), func.sum(score), func.sum(score * item), func.sum(score * score),
               func.max(Consensus.updated_at))
        .join(Candidate, col(Candidate.id) == Consensus.candidate_id)
        .where(Candidate.campaign_id == campaign_id),
    )[0]
    return (int(n or 0), float(total or 0), float(weighted or 0), float(squares or 0)), latest


def _totals_of(consensus: Mapping[int, Mapping[int, float]]) -> tuple:
    """(count, sum, sum of score x item id, sum of squares) of cached consensus scores."""
    values = [(i, v) for per_item in consensus.values() for i, v in per_item.items()]
    return (
        len(values), math.fsum(v for _, v in values), math.fsum(v * i for i, v in values),
        math.fsum(v * v for _, v in values),
    )


def _moved(totals: tuple, old: Mapping[int, float], new: Mapping[int, float]) -> tuple:
    """Totals after one candidate's consensus changed from old to new."""
    a, b = _totals_of({0: new}), _totals_of({0: old})
    return (totals[0] + a[0] - b[0],) + tuple(t + x - y for t, x, y in zip(totals[1:], a[1:], b[1:]))


def _same_totals(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) == 4 and a[0] == b[0] and all(
        math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-6) for x, y in zip(a[1:], b[1:])
    )


def _updated_since(session: Session, campaign_id: int, since: Any) -> list[int]:
    return [
        c for (c,) in _rows(
            session,
            select(Consensus.candidate_id).distinct()
            .join(Candidate, col(Candidate.id) == Consensus.candidate_id)
            .where(Candidate.campaign_id == campaign_id, col(Consensus.updated_at) >= since),
        )
    ]


def campaign_results(session: Session, campaign_id: int) -> CampaignResults:
    """Every candidate's result by the rules: fast on repeat calls (see the cache note above)."""
    with _bulk():
        return _campaign_results(session, campaign_id)


def _campaign_results(session: Session, campaign_id: int) -> CampaignResults:
    (cid_, title, c_scale, method, min_total, _t, anonymised, decision_date) = _campaign_row(session, campaign_id)
    items = _items(session, campaign_id, c_scale)
    try:
        lead_key = rules.lead_item_key(_item_rules(items))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    # Fingerprints first: data read after them is at least as new, so a race costs only a re-read.
    fingerprint = _fingerprint(session, campaign_id)
    totals, latest = _consensus_totals(session, campaign_id)
    candidates = _candidates(session, campaign_id, bool(anonymised))
    bind = session.get_bind()
    with _cache_lock:
        entry = _cache.get(bind, {}).get(campaign_id)
    if entry is None or entry.fingerprint != fingerprint:
        members = frozenset(m.id for m in _members(session, campaign_id))
        scores = {
            c: {i: tuple(s for _, s in pairs) for i, pairs in per_item.items()}
            for c, per_item in _member_scores(session, campaign_id).items()
        }
        submitted = _submitted(session, campaign_id)
        entry = _Entry(
            fingerprint=fingerprint,
            scores=scores,
            all_submitted={c: bool(members) and members <= s for c, s in submitted.items()},
        )
    config = (method, min_total, items)
    consensus: dict[int, dict[int, float]] | None = None
    changed: set[int] = set()
    if entry.config == config and entry.results is not None and entry.consensus is not None:
        results, consensus = dict(entry.results), entry.consensus
        if not _same_totals(totals, entry.consensus_totals):
            recent = (
                _updated_since(session, campaign_id, entry.consensus_latest)
                if entry.consensus_latest is not None else None
            )
            if recent is not None and len(recent) <= 500:
                consensus = dict(consensus)
                fresh = _consensus(session, campaign_id, rationale=False, candidate_ids=recent) if recent else {}
                mine = entry.consensus_totals
                for c in recent:
                    new = {i: v[0] for i, v in fresh.get(c, {}).items()}
                    mine = _moved(mine, consensus.get(c, {}), new)
                    consensus[c] = new
                changed.update(recent)
                if not _same_totals(totals, mine):
                    consensus = None  # something changed out of order: re-read everything
            else:
                consensus = None
    if consensus is None:
        results = {}
        consensus = {
            c: {i: v[0] for i, v in per_item.items()}
            for c, per_item in _consensus(session, campaign_id, rationale=False).items()
        }
        totals = _totals_of(consensus)  # describe what was read, even if it is newer than the totals query
    changed.update(c for c, _r, _n in candidates if c not in results)
    if changed:
        item_rules = _item_rules(items)
        empty: dict = {}
        live = {c for c, _r, _n in candidates}
        for cand_id in changed:
            if cand_id not in live:
                continue
            _, results[cand_id] = _evaluate(
                cand_id, items, item_rules, method, min_total, entry.scores.get(cand_id, empty),
                consensus.get(cand_id, empty), entry.all_submitted.get(cand_id, False),
            )
    stored = _Entry(entry.fingerprint, entry.scores, entry.all_submitted, config, consensus, totals, latest, results)
    with _cache_lock:
        _cache.setdefault(bind, {})[campaign_id] = stored
    return CampaignResults(
        campaign_id=cid_, title=title, scoring_method=method, min_total=min_total, anonymised=bool(anonymised),
        decision_date=decision_date, items=items, lead_key=lead_key, candidates=candidates,
        results={c: results[c] for c, _r, _n in candidates},
    )


def clear_cache() -> None:
    """Forget cached results (tests, benchmarks)."""
    with _cache_lock:
        _cache.clear()
