"""How the panel scores: per-item agreement, per-member leniency, and each item's score distribution.

The measures come from ``db.rules`` (item_agreement, member_leniency,
histogram); the reads from ``db.queries`` and the consolidation grid.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from db import queries, rules, scales
from db.consolidation import load_grid

__all__ = ["ItemAgreement", "MemberLeniency", "Calibration", "ItemDistribution", "calibration", "distribution"]


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


def calibration(session: Session, campaign_id: int) -> Calibration:
    """Per item, how far submitted scores spread (rules.item_agreement); per member, how far
    their submitted scores sit from the agreed score (rules.member_leniency).

    Only submitted assessments count. The agreed score is the item's final
    value by rules.item_score: the consensus, or in "mean" campaigns the mean
    once everyone has submitted.
    """
    campaign = queries.campaign_row(session, campaign_id)
    items = queries.items(session, campaign_id, campaign.scale)
    members = queries.members(session, campaign_id)
    member_ids = frozenset(m.id for m in members)
    submitted = queries.submitted(session, campaign_id)
    consensus = queries.consensus_scores(session, campaign_id)
    scores = queries.member_scores(session, campaign_id, submitted_only=True)
    by_item: dict[str, list[list[float]]] = {str(i.id): [] for i in items}
    pairs: list[tuple[str, float, float]] = []
    for cid, per_item in scores.items():
        all_submitted = bool(member_ids) and member_ids <= submitted.get(cid, set())
        for item_id, by_member in per_item.items():
            values = list(by_member.values())
            by_item.setdefault(str(item_id), []).append(values)
            agreed = rules.item_score(values, consensus.get(cid, {}).get(item_id), campaign.scoring_method,
                                      all_submitted=all_submitted)
            if agreed.provisional or agreed.value is None:
                continue
            pairs.extend((str(m), s, agreed.value) for m, s in by_member.items())
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
