"""Every candidate's result by the rules, fast on repeat calls (the merit list reads it after each change).

Item values, pass/fail and totals come from ``db.rules``; the reads from
``db.queries``; the cache store and the garbage-collector pause from
``db.cache``.

Why the cache holds: members' scores rarely change during consolidation, so
they are cached per database engine and campaign and checked on every call
against a cheap fingerprint of the assessments and the panel. This relies on
every writer of ItemEvidence also bumping Assessment.updated_at
(interview.save_evidence and submit do). Consensus is checked with campaign
totals (count and sums); when they move, only candidates with consensus rows
updated since the last call are re-read and re-evaluated, and the totals must
then agree again or everything is re-read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from sqlmodel import Session

from db import queries, rules
from db.cache import CampaignCache, gc_paused, moved, same_totals, totals_of
from db.errors import ValidationError
from db.queries import CandidateRow, GridItem

__all__ = ["CampaignResults", "campaign_results", "all_submitted", "item_rules", "cell_score", "evaluate"]

_UNKNOWN: Any = object()  # a cache miss (None is a cached answer: cell_score's "unscored")

# Re-reading this many changed candidates is still cheaper than reading the whole campaign.
_MAX_INCREMENTAL = 500


@dataclass(frozen=True, slots=True)
class CampaignResults:
    """Every candidate's rules.CandidateResult for a campaign (shared, read-only)."""

    campaign_id: int
    title: str
    scoring_method: str
    min_total: float | None
    anonymised: bool
    decision_date: date | None
    items: tuple[GridItem, ...]
    lead_key: str | None  # the lead item's name (rules key), if any
    candidates: tuple[CandidateRow, ...]  # in ref order; name "" if anonymised
    results: Mapping[int, rules.CandidateResult]  # keyed by candidate id; rules keys are item names


def item_rules(items: Sequence[GridItem]) -> list[rules.ItemRule]:
    return [rules.ItemRule(key=i.name, pass_mark=i.pass_mark, lead=i.is_lead) for i in items]


def cell_score(
    member_scores: Sequence[float], consensus: float | None, method: str, all_submitted: bool
) -> rules.ItemScore | None:
    """One item's score for one candidate by the rules; None when nobody has scored it and there is
    no consensus (candidate_result then treats the item as unsettled)."""
    if not member_scores and consensus is None:
        return None
    return rules.item_score(member_scores, consensus, method, all_submitted=all_submitted)


def evaluate(
    candidate_id: int,
    items: Sequence[GridItem],
    rules_for_items: Sequence[rules.ItemRule],
    method: str,
    min_total: float | None,
    scores: Mapping[int, Sequence[float]],
    consensus: Mapping[int, float],
    all_submitted: bool,
) -> tuple[dict[str, rules.ItemScore], rules.CandidateResult]:
    """Item scores (by item name) and the candidate's result, by the rules."""
    item_scores: dict[str, rules.ItemScore] = {}
    for item in items:
        score = cell_score(scores.get(item.id, ()), consensus.get(item.id), method, all_submitted)
        if score is not None:
            item_scores[item.name] = score
    return item_scores, rules.candidate_result(candidate_id, rules_for_items, item_scores, min_total)


@dataclass(frozen=True)
class _Entry:
    fingerprint: tuple
    scores: Mapping[int, Mapping[int, Mapping[int, float]]]  # candidate -> item -> member -> score (as read)
    all_submitted: dict[int, bool]
    config: tuple = ()
    consensus: dict[int, dict[int, float]] | None = None  # candidate -> item -> agreed score
    consensus_totals: tuple = ()
    consensus_latest: Any = None  # latest Consensus.updated_at seen
    results: dict[int, rules.CandidateResult] | None = None


_cache: CampaignCache[_Entry] = CampaignCache()


def campaign_results(session: Session, campaign_id: int) -> CampaignResults:
    """Every candidate's result by the rules: fast on repeat calls (see the module note)."""
    with gc_paused():
        return _campaign_results(session, campaign_id)


def all_submitted(session: Session, campaign_id: int) -> dict[int, bool]:
    """candidate id -> every panel member has submitted their assessment."""
    members = frozenset(m.id for m in queries.members(session, campaign_id))
    return {c: bool(members) and members <= s for c, s in queries.submitted(session, campaign_id).items()}


def _member_entry(session: Session, campaign_id: int, fingerprint: tuple) -> _Entry:
    return _Entry(fingerprint, queries.member_scores(session, campaign_id), all_submitted(session, campaign_id))


def _evaluate_all(
    candidate_ids: Iterable[int], items: Sequence[GridItem], method: str, min_total: float | None,
    scores: Mapping[int, Mapping[int, Mapping[int, float]]], consensus: Mapping[int, Mapping[int, float]],
    all_submitted: Mapping[int, bool],
) -> dict[int, rules.CandidateResult]:
    """``evaluate`` for many candidates at once, each item score worked out once per kind of cell:
    a scale has few points, so 120,000 cells (20,000 candidates) have a few hundred kinds."""
    rules_for_items = item_rules(items)
    pairs = [(i.id, i.name) for i in items]
    candidate_result = rules.candidate_result
    known: dict[tuple, rules.ItemScore | None] = {}  # (consensus, all submitted, *scores) -> cell_score
    empty: dict = {}
    out = {}
    for cand_id in candidate_ids:
        by_item, agreed, submitted = scores.get(cand_id, empty), consensus.get(cand_id, empty), all_submitted.get(cand_id, False)
        item_scores: dict[str, rules.ItemScore] = {}
        for item_id, name in pairs:
            by_member = by_item.get(item_id, empty)
            c = agreed.get(item_id)
            key = (c, submitted, *by_member.values())
            found = known.get(key, _UNKNOWN)
            if found is _UNKNOWN:
                found = known[key] = cell_score(tuple(by_member.values()), c, method, submitted)
            if found is not None:
                item_scores[name] = found
        out[cand_id] = candidate_result(cand_id, rules_for_items, item_scores, min_total)
    return out


def _campaign_results(session: Session, campaign_id: int) -> CampaignResults:
    campaign = queries.campaign_row(session, campaign_id)
    items = queries.items(session, campaign_id, campaign.scale)
    try:
        lead_key = rules.lead_item_key(item_rules(items))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    # Fingerprints first: data read after them is at least as new, so a race costs only a re-read.
    fingerprint = queries.assessment_fingerprint(session, campaign_id)
    totals, latest = queries.consensus_totals(session, campaign_id)
    candidates = queries.candidates(session, campaign_id, campaign.anonymised)
    bind = session.get_bind()
    entry = _cache.get(bind, campaign_id)
    if entry is None or entry.fingerprint != fingerprint:
        entry = _member_entry(session, campaign_id, fingerprint)
    method, min_total = campaign.scoring_method, campaign.min_total
    config = (method, min_total, items)
    consensus: dict[int, dict[int, float]] | None = None
    results: dict[int, rules.CandidateResult] = {}
    changed: set[int] = set()
    if entry.config == config and entry.results is not None and entry.consensus is not None:
        results, consensus = dict(entry.results), entry.consensus
        if not same_totals(totals, entry.consensus_totals):
            recent = (
                queries.consensus_updated_since(session, campaign_id, entry.consensus_latest)
                if entry.consensus_latest is not None else None
            )
            if recent is not None and len(recent) <= _MAX_INCREMENTAL:
                consensus = dict(consensus)
                fresh = queries.consensus_scores(session, campaign_id, recent) if recent else {}
                mine = entry.consensus_totals
                for c in recent:
                    new = fresh.get(c, {})
                    mine = moved(mine, consensus.get(c, {}), new)
                    consensus[c] = new
                changed.update(recent)
                if not same_totals(totals, mine):
                    consensus = None  # something changed out of order: re-read everything
            else:
                consensus = None
    elif entry.consensus is not None and entry.results is None and same_totals(totals, entry.consensus_totals):
        consensus = entry.consensus  # primed by the caller (see prime), no results computed yet
        latest = entry.consensus_latest  # what was read then: later changes are re-read next time
    if consensus is None:
        results = {}
        consensus = queries.consensus_scores(session, campaign_id)
        totals = totals_of(consensus)  # describe what was read, even if it is newer than the totals query
    live = {c.id for c in candidates}
    changed.update(c for c in live if c not in results)
    if changed:
        results.update(_evaluate_all(changed & live, items, method, min_total, entry.scores, consensus, entry.all_submitted))
    _cache.put(bind, campaign_id,
               _Entry(entry.fingerprint, entry.scores, entry.all_submitted, config, consensus, totals, latest, results))
    return CampaignResults(
        campaign_id=campaign.id, title=campaign.title, scoring_method=method, min_total=min_total,
        anonymised=campaign.anonymised, decision_date=campaign.decision_date, items=items, lead_key=lead_key,
        candidates=candidates, results={c.id: results[c.id] for c in candidates},
    )
