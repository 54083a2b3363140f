"""The chair's consolidation: the score grid, side-by-side evidence, consensus.

Reads come from ``db.queries`` (column queries, never ORM objects per row), so
the grid for thousands of candidates loads quickly. Item values, pass/fail and
divergence come from ``db.rules`` (through ``db.results.evaluate``); nothing
here re-implements them.

Independence: a panel member (viewer) sees other members' scores and the
consensus for a candidate only after submitting their own assessment of that
candidate. ``viewer_member_id=None`` (an administrator, the CLI) sees all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from sqlmodel import Session, col, select

from db import queries, rules, scales
from db.audit import record
from db.cache import gc_paused
from db.review import needs_review
from db.errors import NotFound, ValidationError
from db.text import clean_line
from db.interview import candidate_item
from db.models import Assessment, Campaign, Candidate, Consensus, Indicator, IndicatorTag, ItemEvidence, utcnow
from db.queries import GridItem, GridMember
from db.results import evaluate, item_rules
from db.versions import claim
from db.vocabulary import score_text

SCORING_METHODS = ("consensus", "mean")

__all__ = [
    "GridMember",  # defined in db.queries: the grid shows the campaign's panel and items as read there
    "GridItem",
    "GridCell", "GridRow", "Grid",
    "TagView",
    "MemberCell",
    "CellEvidence",
    "ConsensusView",
    "load_grid",
    "grid_rows",
    "refresh_grid",
    "cell_evidence",
    "record_consensus",
    "set_scoring_method",
]


# --- views -------------------------------------------------------------------


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
    needs_review: bool = False  # a member amended their evidence after this consensus (db.review)


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
    complete: bool = True  # False: only the first rows were read (load_grid(first=N))
    stamp: tuple = field(default=(), compare=False, repr=False)  # what refresh_grid compares
    index: Mapping[int, int] = field(default_factory=dict, compare=False, repr=False)  # candidate id -> row
    longest_label: int = field(default=0, compare=False, repr=False)  # of every candidate, even on a first page

    def __post_init__(self) -> None:
        if not self.index:
            object.__setattr__(self, "index", {r.candidate_id: n for n, r in enumerate(self.rows)})

    def row(self, candidate_id: int) -> GridRow:
        n = self.index.get(candidate_id)
        if n is None:
            raise NotFound(f"no candidate with id {candidate_id} in this campaign")
        return self.rows[n]

    def with_rows(self, rows: Sequence[GridRow], *, stamp: tuple | None = None) -> "Grid":
        """This grid with these candidates' rows replaced (rows of other candidates are ignored)."""
        new = list(self.rows)
        for r in rows:
            n = self.index.get(r.candidate_id)
            if n is not None and r != new[n]:  # an unchanged row keeps its object (nothing to redraw)
                new[n] = r
        return replace(self, rows=tuple(new), stamp=self.stamp if stamp is None else stamp, index=self.index)

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
    consensus_version: int = 0  # 0: none recorded; pass to record_consensus as expected_version


@dataclass(frozen=True, slots=True)
class ConsensusView:
    candidate_id: int
    item_id: int
    score: float
    rationale: str
    updated_at: datetime
    version: int = 1  # pass it back as expected_version: a change made since is refused, not overwritten


# --- the grid ------------------------------------------------------------------


def load_grid(session: Session, campaign_id: int, viewer_member_id: int | None, *, first: int | None = None) -> Grid:
    """Every candidate x item with members' scores, spread, divergence, consensus and result.

    For a viewer who has not yet submitted their assessment of a candidate,
    that row shows only the viewer's own scores; its statistics and value are
    computed from those alone and the consensus is withheld.

    ``first=N``: only the first N candidates in ref order (``complete`` False), so
    a screen can draw its first page at once and read the rest behind it.
    """
    with gc_paused():
        campaign = queries.campaign_row(session, campaign_id)
        # First: rows read after it are at least as new. A first page is never refreshed, so it needs none.
        stamp = _stamp(session, campaign_id) if first is None else ()
        items = queries.items(session, campaign_id, campaign.scale)
        members = _panel(session, campaign_id, viewer_member_id)
        candidates = queries.candidates(session, campaign_id, campaign.anonymised)
        wanted = candidates if first is None else candidates[:first]
        rows = _rows(session, campaign, items, members, wanted, viewer_member_id, whole=first is None)
        # The longest GridRow.label as drawn (clean_line); printable text is clean: lengths alone, ~0.3 ms not ~4.
        longest = (max((len(c.name) + len(c.ref) + 3 if c.name else len(c.ref) for c in candidates), default=0)
                   if "".join(c.name + c.ref for c in candidates).isprintable()
                   else max(len(clean_line(f"{c.name} ({c.ref})" if c.name else c.ref)) for c in candidates))
        return Grid(
            campaign_id=campaign.id, title=campaign.title, scoring_method=campaign.scoring_method,
            divergence_threshold=campaign.divergence_threshold, min_total=campaign.min_total,
            anonymised=campaign.anonymised, viewer_member_id=viewer_member_id, members=members, items=items,
            rows=rows, complete=len(wanted) == len(candidates), stamp=stamp, longest_label=longest,
        )


def grid_rows(session: Session, grid: Grid, candidate_ids: Sequence[int]) -> tuple[GridRow, ...]:
    """Fresh rows for a few candidates of ``grid`` (after a consensus, or another terminal's change)."""
    with gc_paused():
        campaign = queries.campaign_row(session, grid.campaign_id)
        candidates = queries.some_candidates(session, grid.campaign_id, candidate_ids, campaign.anonymised)
        return _rows(session, campaign, grid.items, grid.members, candidates, grid.viewer_member_id, whole=False)


def refresh_grid(session: Session, grid: Grid) -> Grid:
    """``grid`` brought up to date: itself if nothing changed, the changed rows replaced, or read afresh.

    Rows are replaced for candidates whose assessments or consensus were updated
    since the grid was read; a change to the campaign, its panel, items or
    candidates (or one no update time explains) reads the whole grid again.
    """
    stamp = _stamp(session, grid.campaign_id)
    if stamp == grid.stamp:
        return grid
    shape = stamp[0]
    old_latest = grid.stamp[2] if grid.stamp else (None, None)
    if not grid.complete or not grid.stamp or shape != grid.stamp[0]:
        return load_grid(session, grid.campaign_id, grid.viewer_member_id)
    # No update time yet (no assessment / consensus when the grid was read): every one now is new.
    since = [t if t is not None else datetime(1970, 1, 1, tzinfo=timezone.utc) for t in old_latest]
    changed = set(queries.assessments_updated_since(session, grid.campaign_id, since[0]))
    changed.update(queries.consensus_updated_since(session, grid.campaign_id, since[1]))
    if not changed or len(changed) > 500:
        return load_grid(session, grid.campaign_id, grid.viewer_member_id)
    return grid.with_rows(grid_rows(session, grid, sorted(changed)), stamp=stamp)


def _stamp(session: Session, campaign_id: int) -> tuple:
    """(shape, counts, latest update times): what refresh_grid compares."""
    campaign = queries.campaign_row(session, campaign_id)
    shape = (campaign, queries.members(session, campaign_id), queries.candidate_fingerprint(session, campaign_id),
             queries.items(session, campaign_id, campaign.scale))
    assessments = queries.assessment_fingerprint(session, campaign_id)
    totals, c_latest = queries.consensus_totals(session, campaign_id)
    return shape, (assessments, totals), (assessments[3], c_latest)


def _panel(session: Session, campaign_id: int, viewer_member_id: int | None) -> tuple[GridMember, ...]:
    members = queries.members(session, campaign_id)
    if viewer_member_id is not None and viewer_member_id not in {m.id for m in members}:
        raise NotFound("that panel member is not on this campaign's panel")
    return members


def _rows(
    session: Session, campaign: Any, items: tuple[GridItem, ...], members: tuple[GridMember, ...],
    candidates: Sequence[Any], viewer_member_id: int | None, *, whole: bool,
) -> tuple[GridRow, ...]:
    """Grid rows for these candidates (``whole``: every candidate of the campaign, read without an id list)."""
    campaign_id = campaign.id
    method, min_total, threshold = campaign.scoring_method, campaign.min_total, campaign.divergence_threshold
    ids = None if whole else [c.id for c in candidates]
    if ids == []:
        return ()
    scores = queries.member_scores(session, campaign_id, ids)
    submitted = queries.submitted(session, campaign_id, ids)
    consensus = queries.consensus(session, campaign_id, ids)
    review = needs_review(session, campaign_id)
    rules_for_items = item_rules(items)
    member_ids = frozenset(m.id for m in members)
    empty: dict = {}

    rows: list[GridRow] = []
    for cand in candidates:
        cand_id = cand.id
        subs = frozenset(submitted.get(cand_id, ()))
        all_submitted = bool(member_ids) and member_ids <= subs
        visible = viewer_member_id is None or viewer_member_id in subs
        cand_scores = scores.get(cand_id, empty)
        cand_consensus = consensus.get(cand_id, empty) if visible else empty
        per_item: dict[int, list[float]] = {}
        by_member: dict[int, dict[int, float]] = {}
        for item in items:
            scored = cand_scores.get(item.id, empty)  # member id -> score, read fresh for this grid
            if not visible:
                scored = {m: s for m, s in scored.items() if m == viewer_member_id}
            by_member[item.id] = scored
            per_item[item.id] = list(scored.values())
        item_scores, result = evaluate(
            cand_id, items, rules_for_items, method, min_total, per_item,
            {k: v.score for k, v in cand_consensus.items()}, all_submitted and visible,
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
                    mean=sum(s) / len(s) if s else None,
                    spread=rules.spread(s),
                    divergent=rules.is_divergent(s, threshold),
                    consensus=c.score if c else None,
                    rationale=c.rationale if c else "",
                    value=value,
                    provisional=isc.provisional if isc is not None else True,
                    below_pass=value is not None and value < item.pass_mark,
                    needs_review=c is not None and (cand_id, item.id) in review,
                )
            )
        rows.append(
            GridRow(
                candidate_id=cand_id, ref=cand.ref, name=cand.name, cells=tuple(cells), submitted=subs,
                all_submitted=all_submitted, visible=visible, total=result.total, passed=result.passed,
                provisional=result.provisional, failed_items=result.failed_items,
            )
        )
    return tuple(rows)


# --- side-by-side evidence -------------------------------------------------------


def cell_evidence(session: Session, candidate_id: int, item_id: int, viewer_member_id: int | None) -> CellEvidence:
    """Each panel member's notes, STAR, indicator tags and score for one item, side by side.

    A viewer who has not submitted their own assessment of the candidate sees
    only their own evidence (independence), and no consensus.
    """
    candidate, item, campaign = candidate_item(session, candidate_id, item_id)
    members = _panel(session, candidate.campaign_id, viewer_member_id)
    # Rows are read by column name (SQLAlchemy Row attributes), never by position.
    assessments = {
        r.member_id: r
        for r in queries.fetch(
            session,
            select(Assessment.id, Assessment.member_id, Assessment.submitted_at)
            .where(Assessment.candidate_id == candidate_id),
        )
    }
    mine = assessments.get(viewer_member_id)  # type: ignore[arg-type]
    visible = viewer_member_id is None or (mine is not None and mine.submitted_at is not None)
    shown = [m for m in members if visible or m.id == viewer_member_id]
    evidence = {
        r.assessment_id: r
        for r in queries.fetch(
            session,
            select(ItemEvidence.id, ItemEvidence.assessment_id, ItemEvidence.notes, ItemEvidence.star, ItemEvidence.score)
            .where(ItemEvidence.item_id == item_id)
            .where(col(ItemEvidence.assessment_id).in_([assessments[m.id].id for m in shown if m.id in assessments])),
        )
    }
    tags: dict[int, list[TagView]] = {}
    if evidence:
        for r in queries.fetch(
            session,
            select(IndicatorTag.evidence_id, IndicatorTag.indicator_id, Indicator.kind, Indicator.text, IndicatorTag.tag)
            .join(Indicator, col(Indicator.id) == IndicatorTag.indicator_id)
            .where(col(IndicatorTag.evidence_id).in_([e.id for e in evidence.values()]))
            .order_by(Indicator.kind, Indicator.position),
        ):
            tags.setdefault(r.evidence_id, []).append(
                TagView(indicator_id=r.indicator_id, kind=r.kind, text=r.text, tag=r.tag)
            )
    cells = []
    for m in shown:
        a = assessments.get(m.id)
        e = evidence.get(a.id) if a is not None else None
        cells.append(
            MemberCell(
                member_id=m.id, member_name=m.name, role=m.role,
                submitted=a is not None and a.submitted_at is not None,
                notes=(e.notes if e else "") or "", star=(e.star if e else "") or "",
                score=None if e is None or e.score is None else float(e.score),
                tags=tuple(tags.get(e.id, ())) if e else (),
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
        consensus_version=consensus.version if consensus else 0,
    )


# --- writing -------------------------------------------------------------------


def record_consensus(
    session: Session, candidate_id: int, item_id: int, score: float, rationale: str, actor: str,
    expected_version: int | None = None,
) -> ConsensusView:
    """Record (or change) the panel's agreed score and rationale for one item.

    The score must be a point on the item's scale and the rationale non-empty;
    every panel member must have submitted their assessment first. A change
    is audited with the old and new score and rationale. Changing the score
    clears any tie order the chair gave this candidate (their place may move).
    ``expected_version``: the consensus version the caller showed (0: none yet); if it has changed
    since, StaleData names who changed it and nothing is written.
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
    members = queries.members(session, campaign.id)  # type: ignore[arg-type]
    submitted = queries.submitted(session, campaign.id, [candidate_id]).get(candidate_id, set())  # type: ignore[arg-type]
    waiting = [m.name for m in members if m.id not in submitted]
    if waiting:
        raise ValidationError(f"consensus waits until every panel member has submitted (still to submit: {', '.join(waiting)})")
    existing = session.exec(
        select(Consensus).where(Consensus.candidate_id == candidate_id, Consensus.item_id == item_id)
    ).first()
    old_score = existing.score if existing else None
    old_text = f"{score_text(existing.score)}: {existing.rationale}" if existing else ""
    now = utcnow()
    if existing is None:
        existing = Consensus(candidate_id=candidate_id, item_id=item_id, score=value, rationale=rationale, updated_at=now)
        claim(session, existing, expected_version, entity="consensus")
    else:
        claim(session, existing, expected_version, entity="consensus")
        existing.score, existing.rationale, existing.updated_at = value, rationale, now
    session.add(existing)
    session.flush()
    record(
        session, action="record" if old_score is None else "change", entity="consensus", entity_id=existing.id,
        campaign_id=campaign.id, actor=actor, old=old_text, new=f"{score_text(value)}: {rationale}",
        reason=f"{candidate.ref} {item.name}",
    )
    if old_score != value:
        outcome = queries.outcome_of(session, candidate_id)
        if outcome is not None and outcome.tie_position is not None:
            record(
                session, action="clear tie order", entity="outcome", entity_id=outcome.id, campaign_id=campaign.id,
                actor=actor, old=f"{outcome.tie_position}: {outcome.tie_reason}", new="",
                reason=f"consensus for {item.name} changed",
            )
            claim(session, outcome, None, entity="outcome")
            outcome.tie_position, outcome.tie_reason, outcome.updated_at = None, "", now
            session.add(outcome)
    session.commit()
    return ConsensusView(candidate_id=candidate_id, item_id=item_id, score=value, rationale=rationale, updated_at=now,
                         version=existing.version)


def set_scoring_method(
    session: Session, campaign_id: int, method: str, actor: str = "", expected_version: int | None = None
) -> None:
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
    claim(session, campaign, expected_version, entity="campaign")
    record(session, action="change", entity="campaign.scoring_method", entity_id=campaign_id, campaign_id=campaign_id,
           actor=actor, old=campaign.scoring_method, new=method)
    campaign.scoring_method = method
    session.add(campaign)
    session.commit()
