"""campaign_results works each kind of cell out once (db.results): its results are exactly what
``evaluate`` gives each candidate on its own, for both scoring methods."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from db import queries
from db.cache import clear_cache
from db.models import Assessment, Campaign, CampaignItem, Candidate, Consensus, ItemEvidence, PanelMember
from db.results import campaign_results, evaluate, item_rules


def _many_candidates(session, campaign_id: int, n: int = 40, seed: int = 3) -> None:
    """Candidates whose cells repeat (1-7 scale), with gaps, half scores, consensus and unsubmitted work."""
    rng = random.Random(seed)
    items = session.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == campaign_id)).all()
    members = session.exec(select(PanelMember.id).where(PanelMember.campaign_id == campaign_id)).all()
    now = datetime.now(timezone.utc)
    for k in range(n):
        cand = Candidate(campaign_id=campaign_id, ref=f"R-{k:03d}", name=f"R {k}")
        session.add(cand)
        session.flush()
        for m in members:
            if rng.random() < 0.1:
                continue  # this member has not assessed them
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
            if rng.random() < 0.5:
                session.add(Consensus(candidate_id=cand.id, item_id=i, score=rng.choice([4.0, 5.0]), updated_at=now))
    session.commit()


@pytest.mark.parametrize("method", ["consensus", "mean"])
def test_campaign_results_are_each_candidates_own_evaluation(session, demo, method):
    _many_candidates(session, demo.id)
    campaign = session.get(Campaign, demo.id)
    campaign.scoring_method = method
    session.add(campaign)
    session.commit()
    clear_cache()
    res = campaign_results(session, demo.id)
    assert len(res.results) == 46

    scores = queries.member_scores(session, demo.id)
    agreed = queries.consensus_scores(session, demo.id)
    members = {m.id for m in queries.members(session, demo.id)}
    submitted = queries.submitted(session, demo.id)
    rules_for_items = item_rules(res.items)
    kinds = set()
    for c in res.candidates:
        per_item = {i: list(by_member.values()) for i, by_member in scores.get(c.id, {}).items()}
        kinds.update((i, tuple(v)) for i, v in per_item.items())
        _, expected = evaluate(c.id, res.items, rules_for_items, method, res.min_total, per_item,
                               agreed.get(c.id, {}), members <= submitted.get(c.id, set()))
        assert res.results[c.id] == expected, c.ref
    assert len(kinds) < sum(len(v) for v in scores.values())  # cells do repeat: the shared work is exercised
