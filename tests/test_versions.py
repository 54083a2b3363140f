"""No lost updates: a write based on stale data is refused with who changed it and when."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.consolidation import cell_evidence, record_consensus, set_scoring_method
from db.engine import open_database
from db.models import Campaign, Candidate, Consensus, Outcome
from db.outcomes import set_status
from db.versions import StaleData, outcome_versions
from tests.test_consolidation import _ids


@pytest.fixture
def second(database):
    other = open_database(database.url, load_frameworks=False)
    yield other
    other.dispose()


def test_stale_consensus_refused_between_two_people(database, demo, second):
    with database.session() as s:
        cands, items, _ = _ids(s, demo)
    cand, item = cands["HRBP-001"], items[0]
    # Both chairs open the same cell: no consensus yet (version 0).
    with database.session() as a, second.session() as b:
        seen_a = cell_evidence(a, cand, item, None).consensus_version
        seen_b = cell_evidence(b, cand, item, None).consensus_version
        assert seen_a == seen_b == 0
        view = record_consensus(a, cand, item, 5, "agreed strong", "Sam Whitfield", expected_version=seen_a)
        assert view.version == 1
        with pytest.raises(StaleData, match=r"changed by Sam Whitfield at \d\d:\d\d .* reload to see it"):
            record_consensus(b, cand, item, 4, "agreed weaker", "Joe Lambert", expected_version=seen_b)
    with second.session() as b:
        fresh = cell_evidence(b, cand, item, None)
        assert (fresh.consensus, fresh.rationale, fresh.consensus_version) == (5, "agreed strong", 1)
        # Reloaded, Joe may change it.
        assert record_consensus(b, cand, item, 4, "agreed weaker", "Joe Lambert", expected_version=1).version == 2
        with pytest.raises(StaleData) as err:
            record_consensus(b, cand, item, 6, "again", "Joe Lambert", expected_version=1)
        assert err.value.current_version == 2
        rows = b.exec(select(Consensus).where(Consensus.candidate_id == cand)).all()
        assert [(r.score, r.version) for r in rows] == [(4, 2)]


def test_without_expected_version_writes_still_bump(session, demo):
    cands, items, _ = _ids(session, demo)
    record_consensus(session, cands["HRBP-001"], items[0], 5, "one", "Sam")
    view = record_consensus(session, cands["HRBP-001"], items[0], 6, "two", "Sam")
    assert view.version == 2


def test_stale_outcome_refused(database, demo, second):
    with database.session() as s:
        cand = s.exec(select(Candidate.id).where(Candidate.campaign_id == demo.id, Candidate.ref == "HRBP-002")).one()
        assert outcome_versions(s, demo.id) == {}
    # Each step in its own session, as the app's service workers do.
    def act(db, *args, **kw):
        with db.session() as s:
            return set_status(s, cand, *args, **kw)

    act(database, "declined", "Sam Whitfield", expected_version=0)
    with pytest.raises(StaleData, match="changed by Sam Whitfield"):
        act(second, "not_appointed", "Joe Lambert", expected_version=0)
    with second.session() as b:
        assert outcome_versions(b, demo.id) == {cand: 1}
    act(second, "not_appointed", "Joe Lambert", expected_version=1)
    with pytest.raises(StaleData):
        act(database, "pending", "Sam Whitfield", expected_version=1)
    with database.session() as s:
        o = s.exec(select(Outcome).where(Outcome.candidate_id == cand)).one()
        assert (o.status, o.version) == ("not_appointed", 2)


def test_stale_campaign_edit_refused(session, database, second):
    from db.campaigns import create_campaign

    c = create_campaign(session, {
        "title": "Versions", "grade": "HEO", "framework": "success-profiles-behaviours",
        "items": [{"name": "Working Together"}], "panel": [{"name": "Ann", "role": "chair"}],
    })
    assert c.version == 1
    with second.session() as b:
        set_scoring_method(b, c.id, "mean", "Bob", expected_version=1)
    with pytest.raises(StaleData, match="changed by Bob"), database.session() as a:
        set_scoring_method(a, c.id, "consensus", "Ann", expected_version=1)
    with database.session() as a:
        fresh = a.get(Campaign, c.id)
        assert (fresh.scoring_method, fresh.version) == ("mean", 2)
