"""The reads that consolidation, results, outcomes, calibration and reports share.

Each function runs one column query on the session's connection and returns
small frozen values read by name, never ORM objects per row, so a grid or
merit list for thousands of candidates loads quickly. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.errors import NotFound
from db.models import Assessment, Campaign, CampaignItem, Candidate, ItemEvidence, PanelMember

if TYPE_CHECKING:  # built on first use (db.models)
    from db.models import Outcome

T = TypeVar("T")
# Ids per IN-list: well under SQLite's limit on bound parameters, and short enough to plan quickly.
IN_LIST = 900


def chunks(values: Sequence[T], size: int = IN_LIST) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size`` (one IN-list, one statement each)."""
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


__all__ = [
    "fetch",
    "CampaignRow",
    "GridItem",
    "GridMember",
    "CandidateRow",
    "Agreed",
    "OutcomeRow",
    "campaign_row",
    "items",
    "members",
    "candidates",
    "member_scores",
    "submitted",
    "consensus",
    "consensus_scores",
    "outcomes",
    "candidate",
    "outcome_of",
    "top_tie_position",
    "assessment_fingerprint",
    "consensus_totals",
    "consensus_updated_since",
]


def fetch(session: Session, stmt) -> list:
    """Run a select on the session's connection: plain rows, no ORM row overhead."""
    return session.connection().execute(stmt).all()


# --- what the reads return ------------------------------------------------------------


class CampaignRow(NamedTuple):
    id: int
    title: str
    scale: list[dict[str, Any]]
    scoring_method: str
    min_total: float | None
    divergence_threshold: float
    anonymised: bool
    decision_date: date | None


@dataclass(frozen=True, slots=True)
class GridItem:
    """An assessed item as the grid, the results and the reports read it."""

    id: int
    name: str
    pass_mark: float
    is_lead: bool
    scale: tuple[dict[str, Any], ...]  # the item's own scale, else the campaign's


@dataclass(frozen=True, slots=True)
class GridMember:
    id: int
    name: str
    role: str  # a vocabulary.PanelRole value


class CandidateRow(NamedTuple):
    id: int
    ref: str
    name: str  # "" when the campaign is anonymised


class Agreed(NamedTuple):
    """The panel's consensus for one item."""

    score: float
    rationale: str


class OutcomeRow(NamedTuple):
    candidate_id: int
    status: str  # a vocabulary.OutcomeStatus value
    tie_position: int | None
    tie_reason: str
    offer_reason: str
    reserve_expiry: date | None
    reserve_extended: bool
    reserve_reason: str


# --- campaign, items, panel, candidates ---------------------------------------------------


def campaign_row(session: Session, campaign_id: int) -> CampaignRow:
    row = fetch(
        session,
        select(
            Campaign.id, Campaign.title, Campaign.scale, Campaign.scoring_method, Campaign.min_total,
            Campaign.divergence_threshold, Campaign.anonymised, Campaign.decision_date,
        ).where(Campaign.id == campaign_id),
    )
    if not row:
        raise NotFound(f"no campaign with id {campaign_id}")
    c = CampaignRow(*row[0])
    return c._replace(divergence_threshold=float(c.divergence_threshold), anonymised=bool(c.anonymised))


def items(session: Session, campaign_id: int, campaign_scale: Sequence[dict[str, Any]]) -> tuple[GridItem, ...]:
    """The campaign's items in their order, each with its own scale or the campaign's."""
    rows = fetch(
        session,
        select(CampaignItem.id, CampaignItem.name, CampaignItem.pass_mark, CampaignItem.is_lead, CampaignItem.scale)
        .where(CampaignItem.campaign_id == campaign_id)
        .order_by(CampaignItem.position, CampaignItem.id),
    )
    return tuple(
        GridItem(id=i, name=n, pass_mark=float(pm), is_lead=bool(lead), scale=tuple(sc or campaign_scale))
        for i, n, pm, lead, sc in rows
    )


def members(session: Session, campaign_id: int) -> tuple[GridMember, ...]:
    rows = fetch(
        session,
        select(PanelMember.id, PanelMember.name, PanelMember.role)
        .where(PanelMember.campaign_id == campaign_id)
        .order_by(PanelMember.id),
    )
    return tuple(GridMember(id=i, name=n, role=r) for i, n, r in rows)


def candidates(session: Session, campaign_id: int, anonymised: bool) -> tuple[CandidateRow, ...]:
    """Every candidate in ref order; names left out when the campaign is anonymised."""
    rows = fetch(
        session,
        select(Candidate.id, Candidate.ref, Candidate.name)
        .where(Candidate.campaign_id == campaign_id)
        .order_by(Candidate.ref, Candidate.id),
    )
    return tuple(CandidateRow(i, ref, "" if anonymised else (name or "")) for i, ref, name in rows)


def some_candidates(
    session: Session, campaign_id: int, candidate_ids: Sequence[int], anonymised: bool
) -> tuple[CandidateRow, ...]:
    """These candidates (of this campaign) in ref order."""
    rows = fetch(
        session,
        select(Candidate.id, Candidate.ref, Candidate.name)
        .where(Candidate.campaign_id == campaign_id, col(Candidate.id).in_(list(candidate_ids)))
        .order_by(Candidate.ref, Candidate.id),
    )
    return tuple(CandidateRow(i, ref, "" if anonymised else (name or "")) for i, ref, name in rows)


def candidate_fingerprint(session: Session, campaign_id: int) -> tuple:
    """(count, sum of ids): moves when candidates come or go."""
    return tuple(fetch(
        session, select(func.count(Candidate.id), func.sum(Candidate.id)).where(Candidate.campaign_id == campaign_id)
    )[0])


# --- scores, submissions, consensus --------------------------------------------------------


def _for_candidates(stmt, column, candidate_ids: Sequence[int] | None):
    return stmt if candidate_ids is None else stmt.where(col(column).in_(list(candidate_ids)))


# Scores come back as nested dicts keyed by id (no per-row objects): a grid reads ~36,000 of them.


def member_scores(
    session: Session, campaign_id: int, candidate_ids: Sequence[int] | None = None, *, submitted_only: bool = False
) -> dict[int, dict[int, dict[int, float]]]:
    """candidate id -> item id -> member id -> score (scored evidence only, in member order)."""
    stmt = (
        select(Assessment.candidate_id, ItemEvidence.item_id, Assessment.member_id, ItemEvidence.score)
        .join(ItemEvidence, col(ItemEvidence.assessment_id) == Assessment.id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Candidate.campaign_id == campaign_id, col(ItemEvidence.score).is_not(None))
    )
    if submitted_only:
        stmt = stmt.where(col(Assessment.submitted_at).is_not(None))
    stmt = _for_candidates(stmt, Assessment.candidate_id, candidate_ids)
    out: dict[int, dict[int, dict[int, float]]] = {}
    last, per_item = None, out
    # Candidate, then member: SQLite reads it in index order (no sort of ~360,000 rows at 20,000 candidates).
    for cid, item_id, member_id, score in fetch(session, stmt.order_by(Candidate.id, Assessment.member_id)):
        if cid != last:
            last, per_item = cid, out.setdefault(cid, {})
        cell = per_item.get(item_id)
        if cell is None:
            per_item[item_id] = {member_id: float(score)}
        else:
            cell[member_id] = float(score)
    return out


def submitted(session: Session, campaign_id: int, candidate_ids: Sequence[int] | None = None) -> dict[int, set[int]]:
    """candidate id -> ids of the members who have submitted their assessment."""
    stmt = (
        select(Assessment.candidate_id, Assessment.member_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Candidate.campaign_id == campaign_id, col(Assessment.submitted_at).is_not(None))
    )
    out: dict[int, set[int]] = {}
    for cid, member_id in fetch(session, _for_candidates(stmt, Assessment.candidate_id, candidate_ids)):
        out.setdefault(cid, set()).add(member_id)
    return out


def _consensus_rows(session: Session, campaign_id: int, candidate_ids: Sequence[int] | None, *cols) -> list:
    from db.models import Consensus
    stmt = (
        select(Consensus.candidate_id, Consensus.item_id, Consensus.score, *cols)
        .join(Candidate, col(Candidate.id) == Consensus.candidate_id)
        .where(Candidate.campaign_id == campaign_id)
    )
    return fetch(session, _for_candidates(stmt, Consensus.candidate_id, candidate_ids))


def consensus(
    session: Session, campaign_id: int, candidate_ids: Sequence[int] | None = None
) -> dict[int, dict[int, Agreed]]:
    """candidate id -> item id -> the agreed score and its rationale."""
    from db.models import Consensus
    out: dict[int, dict[int, Agreed]] = {}
    for cid, item_id, score, rationale in _consensus_rows(session, campaign_id, candidate_ids, Consensus.rationale):
        out.setdefault(cid, {})[item_id] = Agreed(float(score), rationale)
    return out


def consensus_scores(
    session: Session, campaign_id: int, candidate_ids: Sequence[int] | None = None
) -> dict[int, dict[int, float]]:
    """candidate id -> item id -> the agreed score (no rationale: the merit list reads only scores)."""
    out: dict[int, dict[int, float]] = {}
    for cid, item_id, score in _consensus_rows(session, campaign_id, candidate_ids):
        out.setdefault(cid, {})[item_id] = float(score)
    return out


# --- outcomes ------------------------------------------------------------------------------


def outcomes(session: Session, campaign_id: int) -> dict[int, OutcomeRow]:
    """candidate id -> their stored outcome (candidates without one are pending)."""
    from db.models import Outcome
    rows = fetch(
        session,
        select(
            Outcome.candidate_id, Outcome.status, Outcome.tie_position, Outcome.tie_reason, Outcome.offer_reason,
            Outcome.reserve_expiry, Outcome.reserve_extended, Outcome.reserve_reason,
        )
        .join(Candidate, col(Candidate.id) == Outcome.candidate_id)
        .where(Candidate.campaign_id == campaign_id),
    )
    return {
        cid: OutcomeRow(cid, status, pos, tie or "", offer or "", expiry, bool(ext), res or "")
        for cid, status, pos, tie, offer, expiry, ext, res in rows
    }


def candidate(session: Session, candidate_id: int) -> Candidate:
    """One candidate (ORM object, for the services that change or describe them)."""
    found = session.get(Candidate, candidate_id)
    if found is None:
        raise NotFound(f"no candidate with id {candidate_id}")
    return found


def outcome_of(session: Session, candidate_id: int) -> Outcome | None:
    """A candidate's stored outcome (ORM object), if they have one yet."""
    from db.models import Outcome
    return session.exec(select(Outcome).where(Outcome.candidate_id == candidate_id)).first()


def top_tie_position(session: Session, campaign_id: int) -> int:
    """The highest tie position given in the campaign (0 if none)."""
    from db.models import Outcome
    top = fetch(
        session,
        select(func.max(Outcome.tie_position))
        .join(Candidate, col(Candidate.id) == Outcome.candidate_id)
        .where(Candidate.campaign_id == campaign_id),
    )
    return int(top[0][0] or 0)


# --- cheap fingerprints (db.results checks its cache with these) ---------------------------------


def assessment_fingerprint(session: Session, campaign_id: int) -> tuple:
    """Moves whenever an assessment or the panel changes (count, submissions, ids, latest update)."""
    asm = (
        select(
            func.count(Assessment.id), func.count(Assessment.submitted_at), func.sum(Assessment.id),
            func.max(Assessment.updated_at),
        )
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Candidate.campaign_id == campaign_id)
    )
    panel = select(func.count(PanelMember.id), func.sum(PanelMember.id)).where(PanelMember.campaign_id == campaign_id)
    return tuple(fetch(session, asm)[0]) + tuple(fetch(session, panel)[0])


def consensus_totals(session: Session, campaign_id: int) -> tuple[tuple[int, float, float, float], Any]:
    """((count, sum, sum of score x item id, sum of squares), latest update) of the campaign's consensus."""
    from db.models import Consensus
    score, item = col(Consensus.score), col(Consensus.item_id)
    n, total, weighted, squares, latest = fetch(
        session,
        select(func.count(Consensus.id), func.sum(score), func.sum(score * item), func.sum(score * score),
               func.max(Consensus.updated_at))
        .join(Candidate, col(Candidate.id) == Consensus.candidate_id)
        .where(Candidate.campaign_id == campaign_id),
    )[0]
    return (int(n or 0), float(total or 0), float(weighted or 0), float(squares or 0)), latest


def consensus_updated_since(session: Session, campaign_id: int, since: Any) -> list[int]:
    """Ids of candidates with a consensus row updated at or after ``since``."""
    from db.models import Consensus
    return [
        c for (c,) in fetch(
            session,
            select(Consensus.candidate_id).distinct()
            .join(Candidate, col(Candidate.id) == Consensus.candidate_id)
            .where(Candidate.campaign_id == campaign_id, col(Consensus.updated_at) >= since),
        )
    ]


def assessments_updated_since(session: Session, campaign_id: int, since: Any) -> list[int]:
    """Ids of candidates with an assessment updated at or after ``since`` (evidence writers bump it)."""
    return [
        c for (c,) in fetch(
            session,
            select(Assessment.candidate_id).distinct()
            .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
            .where(Candidate.campaign_id == campaign_id, col(Assessment.updated_at) >= since),
        )
    ]
