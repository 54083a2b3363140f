"""The results export works its results out itself (db.results_export): a score read a row per
assessment, each kind of cell scored once, the merit list's ranks without its rows. What it writes
is what the merit list and the shared reads say, for both scoring methods, with gaps, half scores,
unsubmitted work and a reserve place; and its score read never opens an evidence row."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timezone

import pytest
from sqlmodel import select

from db import queries
from db.cache import clear_cache
from db.models import Assessment, Campaign, CampaignItem, Candidate, Consensus, ItemEvidence, Outcome, PanelMember
from db.outcomes import merit_list
from tests.test_migrations_score_index import evidence_read_plan


def _candidates(session, campaign_id: int, n: int = 40, seed: int = 11) -> None:
    """Candidates whose cells repeat, with gaps (no assessment, no evidence, no score), half
    scores, some consensus, some unsubmitted work, and one reserve place."""
    rng = random.Random(seed)
    items = session.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == campaign_id)).all()
    members = session.exec(select(PanelMember.id).where(PanelMember.campaign_id == campaign_id)).all()
    now = datetime.now(timezone.utc)
    for k in range(n):
        cand = Candidate(campaign_id=campaign_id, ref=f"X-{n - k:03d}", name=f"X {k}")  # ref order is not id order
        session.add(cand)
        session.flush()
        for m in reversed(members):  # assessment ids out of member order
            if rng.random() < 0.1 or k == 1:  # (the second: consensus alone)
                continue
            a = Assessment(candidate_id=cand.id, member_id=m, updated_at=now,
                           submitted_at=now if rng.random() < 0.8 else None)
            session.add(a)
            session.flush()
            for i in items:
                if rng.random() < 0.1:
                    continue
                score = None if rng.random() < 0.05 else rng.choice([3.0, 4.0, 4.5, 5.0, 6.0])
                session.add(ItemEvidence(assessment_id=a.id, item_id=i, score=score, updated_at=now))
        for i in items:
            if rng.random() < 0.6 or k == 1:
                session.add(Consensus(candidate_id=cand.id, item_id=i, score=rng.choice([4.0, 5.0, 6.0]), updated_at=now))
        if k == 0:
            session.add(Outcome(candidate_id=cand.id, status="reserve", reserve_expiry=date(2027, 3, 31)))
    session.commit()


def _expected(session, campaign_id: int) -> list[dict]:
    """The export's candidates as the merit list and the shared reads give them."""
    clear_cache()
    merit = {r.candidate_id: r for r in merit_list(session, campaign_id).rows}
    scores = queries.member_scores(session, campaign_id)
    agreed = queries.consensus_scores(session, campaign_id)
    campaign = session.get(Campaign, campaign_id)
    items = queries.items(session, campaign_id, campaign.scale)
    members = {m.id: m.name for m in queries.members(session, campaign_id)}
    out = []
    for c in queries.candidates(session, campaign_id, True):
        m = merit[c.id]
        out.append({
            "ref": c.ref,
            "items": {i.name: {"scores": {members[mid]: s for mid, s in scores.get(c.id, {}).get(i.id, {}).items()},
                               "consensus": agreed.get(c.id, {}).get(i.id)} for i in items},
            "total": None if m.total is None else round(m.total, 2),
            "provisional": m.provisional,
            "passed": m.passed,
            "rank": m.rank,
            "reserve_until": m.reserve_expiry.isoformat() if m.status == "reserve" and m.reserve_expiry else None,
        })
    return out


@pytest.mark.parametrize("method", ["consensus", "mean"])
def test_the_export_says_what_the_merit_list_and_the_reads_say(session, demo, method):
    from db.results_export import results_document, results_json

    _candidates(session, demo.id)
    campaign = session.get(Campaign, demo.id)
    campaign.scoring_method = method
    session.add(campaign)
    session.commit()
    expected = _expected(session, demo.id)
    doc = results_document(session, demo.id)
    assert doc["candidates"] == expected
    assert json.loads("".join(results_json(session, demo.id))) == doc
    assert {c["rank"] for c in expected} - {None} and {c["passed"] for c in expected} >= {True, False, None}
    assert any(c["reserve_until"] for c in expected)
    # Every shape of cell is there: members without a score, an item nobody scored, consensus alone.
    cells = [b for c in expected for b in c["items"].values()]
    assert any(not b["scores"] and b["consensus"] is not None for b in cells)
    assert any(0 < len(b["scores"]) < 3 for b in cells)


def test_a_campaign_with_many_items_reads_a_score_per_row_and_writes_the_same(session, demo, monkeypatch):
    import db.results_export as export

    _candidates(session, demo.id, n=12)
    pivot = "".join(export.results_json(session, demo.id))
    monkeypatch.setattr(export, "_PIVOT_ITEMS", 0)  # as a campaign with more items than one read joins
    assert "".join(export.results_json(session, demo.id)) == pivot
    assert json.loads(pivot)["candidates"] == _expected(session, demo.id)


def test_sqlite_reads_the_export_scores_from_the_covering_index(database, demo):
    """Each item's score column is read from (assessment, item, score) alone: never the evidence
    rows (notes and all), which the unique (assessment, item) index would open."""
    from db.results_export import results_json

    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    plan = evidence_read_plan(database, lambda s: "".join(results_json(s, demo.id)))
    evidence = [step for step in plan if "itemevidence" in step]
    assert len(evidence) == 6 and all("COVERING INDEX ix_itemevidence_score" in step for step in evidence), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan  # read in order: no sort
