"""Consolidation: the score grid, independence, side-by-side evidence, consensus."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.campaigns import campaign_items, create_campaign, find_member
from db.consolidation import cell_evidence, load_grid, record_consensus, set_scoring_method
from db.errors import NotFound, ValidationError
from db.interview import EvidenceState, save_evidence, submit
from db.models import AuditEvent, Campaign, Candidate, Consensus
from db.results import campaign_results

# Demo scores by item position (see db/demo.py).
SAM_1 = [5, 5, 4, 5, 6, 5]
PRIYA_1 = [5, 4, 4, 5, 5, 5]
JOE_1 = [6, 5, 4, 4, 5, 5]
SAM_2 = [4, 4, 3, 4, 4, 4]
PRIYA_2 = [4, 5, 4, 4, 4, 3]
JOE_2 = [2, 4, 4, 4, 5, 4]


def _ids(session, campaign):
    cands = {c.ref: c.id for c in session.exec(select(Candidate).where(Candidate.campaign_id == campaign.id)).all()}
    items = [i.id for i in campaign_items(session, campaign.id)]
    members = {name: find_member(session, campaign.id, name).id for name in ("Sam Whitfield", "Priya Raman", "Joe Lambert")}
    return cands, items, members


def _audit_count(session) -> int:
    return len(session.exec(select(AuditEvent)).all())


# --- grid values ------------------------------------------------------------------


def test_grid_values_for_demo(session, demo):
    cands, items, m = _ids(session, demo)
    grid = load_grid(session, demo.id, None)
    assert [r.ref for r in grid.rows] == [f"HRBP-00{n}" for n in range(1, 7)]
    assert [i.id for i in grid.items] == items
    assert grid.items[0].is_lead and grid.items[0].name == "Leading and Communicating"
    assert [mm.name for mm in grid.members] == ["Sam Whitfield", "Priya Raman", "Joe Lambert"]

    one = grid.row(cands["HRBP-001"])
    lc = one.cells[0]
    assert lc.scores == {m["Sam Whitfield"]: 5, m["Priya Raman"]: 5, m["Joe Lambert"]: 6}
    assert (lc.min_score, lc.max_score, lc.spread, lc.divergent) == (5, 6, 1, False)
    assert lc.mean == pytest.approx(16 / 3)
    assert lc.value == pytest.approx(16 / 3) and lc.provisional and lc.consensus is None
    for n, cell in enumerate(one.cells):
        trio = [SAM_1[n], PRIYA_1[n], JOE_1[n]]
        assert cell.min_score == min(trio) and cell.max_score == max(trio)
        assert cell.mean == pytest.approx(sum(trio) / 3)
        assert cell.spread == max(trio) - min(trio)
    assert one.total == pytest.approx(29.0)
    assert one.passed is True and one.provisional is True and one.all_submitted
    assert one.submitted == frozenset(m.values()) and one.visible

    two = grid.row(cands["HRBP-002"])
    lc2 = two.cells[0]
    assert (lc2.min_score, lc2.max_score, lc2.spread) == (2, 4, 2)
    assert lc2.divergent is True  # spread 2 reaches the campaign's threshold of 2
    assert lc2.mean == pytest.approx(10 / 3) and lc2.below_pass
    assert two.total == pytest.approx(70 / 3)
    assert two.passed is False
    assert two.failed_items == ("Leading and Communicating", "Seeing the Big Picture", "Managing a Quality Service")
    assert grid.divergent_cells == 1

    three = grid.row(cands["HRBP-003"])
    assert three.cells[0].scores == {m["Priya Raman"]: 5}
    assert three.cells[1].scores == {m["Priya Raman"]: 6}
    assert three.cells[2].scores == {} and three.cells[2].value is None
    assert three.total is None and three.passed is None and three.provisional
    assert three.submitted == frozenset() and not three.all_submitted

    assert grid.row(cands["HRBP-006"]).cells[0].mean is None


def test_divergence_threshold_comes_from_campaign(session, demo):
    campaign = session.get(Campaign, demo.id)
    campaign.divergence_threshold = 1
    session.add(campaign)
    session.commit()
    grid = load_grid(session, demo.id, None)
    assert grid.divergence_threshold == 1
    # Every cell with spread >= 1 now counts.
    assert grid.divergent_cells == 9


def test_anonymised_grid_hides_names(session, demo):
    campaign = session.get(Campaign, demo.id)
    campaign.anonymised = True
    session.add(campaign)
    session.commit()
    grid = load_grid(session, demo.id, None)
    assert all(r.name == "" for r in grid.rows)
    assert grid.rows[0].label == "HRBP-001"


# --- independence -------------------------------------------------------------------


def test_grid_independence(session, demo):
    cands, items, m = _ids(session, demo)
    # Sam has submitted HRBP-001 but has not assessed HRBP-003: Priya's draft scores stay hidden.
    sam = load_grid(session, demo.id, m["Sam Whitfield"])
    assert sam.row(cands["HRBP-001"]).visible
    assert len(sam.row(cands["HRBP-001"]).cells[0].scores) == 3
    hidden = sam.row(cands["HRBP-003"])
    assert hidden.visible is False
    assert all(c.scores == {} and c.mean is None and c.value is None for c in hidden.cells)

    # Priya sees only her own scores for HRBP-003 (she has not submitted it).
    priya = load_grid(session, demo.id, m["Priya Raman"]).row(cands["HRBP-003"])
    assert priya.visible is False
    assert priya.cells[0].scores == {m["Priya Raman"]: 5} and priya.cells[0].mean == 5

    # Once Sam submits HRBP-003 he sees Priya's scores there too.
    for n, item in enumerate(items):
        save_evidence(session, cands["HRBP-003"], m["Sam Whitfield"], item, EvidenceState(score=4))
    submit(session, cands["HRBP-003"], m["Sam Whitfield"])
    now = load_grid(session, demo.id, m["Sam Whitfield"]).row(cands["HRBP-003"])
    assert now.visible and now.cells[0].scores == {m["Sam Whitfield"]: 4, m["Priya Raman"]: 5}


def test_grid_withholds_consensus_from_a_member_who_has_not_submitted(session, demo):
    cands, items, m = _ids(session, demo)
    record_consensus(session, cands["HRBP-001"], items[0], 5, "Clear example with results", "Sam Whitfield")
    # Joe's submission is withdrawn for this test (as if amended back to draft).
    from db.models import Assessment

    a = session.exec(select(Assessment).where(Assessment.candidate_id == cands["HRBP-001"],
                                              Assessment.member_id == m["Joe Lambert"])).one()
    a.submitted_at = None
    session.add(a)
    session.commit()
    joe = load_grid(session, demo.id, m["Joe Lambert"]).row(cands["HRBP-001"])
    assert not joe.visible
    assert joe.cells[0].consensus is None and joe.cells[0].rationale == ""
    assert joe.cells[0].scores == {m["Joe Lambert"]: 6}
    assert load_grid(session, demo.id, None).row(cands["HRBP-001"]).cells[0].consensus == 5


def test_grid_refuses_a_viewer_from_another_panel(session, demo):
    with pytest.raises(NotFound):
        load_grid(session, demo.id, 9999)
    with pytest.raises(NotFound):
        load_grid(session, 9999, None)


def test_cell_evidence_side_by_side(session, demo):
    cands, items, m = _ids(session, demo)
    ev = cell_evidence(session, cands["HRBP-001"], items[0], None)
    assert ev.visible and ev.item_name == "Leading and Communicating"
    assert [c.member_name for c in ev.members] == ["Sam Whitfield", "Priya Raman", "Joe Lambert"]
    assert [c.score for c in ev.members] == [5, 5, 6]
    assert all(c.submitted for c in ev.members)
    sam = ev.members[0]
    assert "Restructure of regional HR team" in sam.notes
    assert sam.star == "STAR"
    assert len(sam.tags) == 1 and sam.tags[0].tag == "seen" and sam.tags[0].kind == "effective"
    assert sam.tags[0].text  # the indicator's words, not just its id
    assert [p["value"] for p in ev.scale] == [1, 2, 3, 4, 5, 6, 7]


def test_cell_evidence_independence(session, demo):
    cands, items, m = _ids(session, demo)
    sam = cell_evidence(session, cands["HRBP-003"], items[0], m["Sam Whitfield"])
    assert sam.visible is False
    assert [c.member_name for c in sam.members] == ["Sam Whitfield"]
    assert sam.members[0].score is None and sam.members[0].notes == ""
    priya = cell_evidence(session, cands["HRBP-003"], items[0], m["Priya Raman"])
    assert [(c.member_name, c.score) for c in priya.members] == [("Priya Raman", 5)]
    # After submitting, the same member sees everyone.
    full = cell_evidence(session, cands["HRBP-001"], items[0], m["Joe Lambert"])
    assert full.visible and len(full.members) == 3
    with pytest.raises(NotFound):
        cell_evidence(session, cands["HRBP-001"], 9999, None)


# --- consensus ------------------------------------------------------------------------


def test_record_consensus_validates_and_changes_nothing_on_error(session, demo):
    cands, items, _ = _ids(session, demo)
    before = _audit_count(session)
    with pytest.raises(ValidationError, match="not on the scale"):
        record_consensus(session, cands["HRBP-001"], items[0], 8, "reason", "Sam Whitfield")
    with pytest.raises(ValidationError, match="not on the scale"):
        record_consensus(session, cands["HRBP-001"], items[0], 4.5, "reason", "Sam Whitfield")
    with pytest.raises(ValidationError, match="rationale"):
        record_consensus(session, cands["HRBP-001"], items[0], 5, "   ", "Sam Whitfield")
    with pytest.raises(ValidationError, match=r"still to submit: Sam Whitfield, Priya Raman, Joe Lambert\)"):
        record_consensus(session, cands["HRBP-003"], items[0], 5, "reason", "Sam Whitfield")
    with pytest.raises(NotFound):
        record_consensus(session, cands["HRBP-001"], 9999, 5, "reason", "Sam Whitfield")
    assert session.exec(select(Consensus)).all() == []
    assert _audit_count(session) == before


def test_record_consensus_writes_and_audits(session, demo):
    cands, items, _ = _ids(session, demo)
    view = record_consensus(session, cands["HRBP-001"], items[0], 5, "  Clear, structured example.  ", "Sam Whitfield")
    assert (view.score, view.rationale) == (5, "Clear, structured example.")
    row = session.exec(select(Consensus)).one()
    assert (row.candidate_id, row.item_id, row.score) == (cands["HRBP-001"], items[0], 5)
    record_consensus(session, cands["HRBP-001"], items[0], 6, "Exceeded at this level.", "Sam Whitfield")
    assert session.exec(select(Consensus)).one().score == 6
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "consensus").order_by(AuditEvent.id)).all()
    assert [(e.action, e.old_value, e.new_value, e.actor) for e in events] == [
        ("record", "", "5: Clear, structured example.", "Sam Whitfield"),
        ("change", "5: Clear, structured example.", "6: Exceeded at this level.", "Sam Whitfield"),
    ]
    assert events[0].campaign_id == demo.id


def test_provisional_until_consensus_on_every_item(session, demo):
    cands, items, _ = _ids(session, demo)
    agreed = [5, 5, 4, 5, 5, 5]
    for n, item in enumerate(items):
        row = load_grid(session, demo.id, None).row(cands["HRBP-001"])
        assert row.provisional
        record_consensus(session, cands["HRBP-001"], item, agreed[n], "Agreed", "Sam Whitfield")
        cell = load_grid(session, demo.id, None).row(cands["HRBP-001"]).cells[n]
        assert cell.value == agreed[n] and not cell.provisional and cell.consensus == agreed[n]
        assert cell.rationale == "Agreed"
    row = load_grid(session, demo.id, None).row(cands["HRBP-001"])
    assert not row.provisional and row.total == 29 and row.passed
    result = campaign_results(session, demo.id).results[cands["HRBP-001"]]
    assert result.total == 29 and not result.provisional


# --- scoring method -----------------------------------------------------------------------


def _small_campaign(session, method: str, key: str):
    return create_campaign(session, {
        "key": key, "title": "Analyst", "grade": "HEO", "framework": "competencies-2012",
        "items": [{"name": "Skill A", "kind": "technical"}, {"name": "Skill B", "kind": "technical"}],
        "lead": "Skill A", "scoring_method": method,
        "panel": [{"name": "Ann", "role": "chair"}, {"name": "Bob"}],
        "candidates": [{"ref": "X-1"}, {"ref": "X-2"}],
    })


def test_set_scoring_method(session, demo):
    with pytest.raises(ValidationError, match="once scores have been recorded"):
        set_scoring_method(session, demo.id, "mean", actor="admin")
    assert session.get(Campaign, demo.id).scoring_method == "consensus"
    fresh = _small_campaign(session, "consensus", "fresh")
    with pytest.raises(ValidationError, match="'consensus' or 'mean'"):
        set_scoring_method(session, fresh.id, "median")
    set_scoring_method(session, fresh.id, "mean", actor="admin")
    assert session.get(Campaign, fresh.id).scoring_method == "mean"
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "campaign.scoring_method")).one()
    assert (event.old_value, event.new_value) == ("consensus", "mean")


def test_mean_method(session):
    campaign = _small_campaign(session, "mean", "mean-one")
    cands = {c.ref: c.id for c in session.exec(select(Candidate).where(Candidate.campaign_id == campaign.id)).all()}
    items = [i.id for i in campaign_items(session, campaign.id)]
    ann, bob = find_member(session, campaign.id, "Ann").id, find_member(session, campaign.id, "Bob").id
    for member, scores in ((ann, [5, 4]), (bob, [6, 4])):
        for item, s in zip(items, scores):
            save_evidence(session, cands["X-1"], member, item, EvidenceState(score=s))
    submit(session, cands["X-1"], ann)
    row = load_grid(session, campaign.id, None).row(cands["X-1"])
    assert row.cells[0].value == 5.5 and row.provisional  # Bob has not submitted
    submit(session, cands["X-1"], bob)
    row = load_grid(session, campaign.id, None).row(cands["X-1"])
    assert row.cells[0].value == 5.5 and not row.cells[0].provisional
    assert row.total == 9.5 and row.passed and not row.provisional
    with pytest.raises(ValidationError, match="mean"):
        record_consensus(session, cands["X-1"], items[0], 5, "agreed", "Ann")


def test_first_page_knows_the_longest_label_of_every_candidate(session, demo):
    """A first page carries the longest label (cleaned, as drawn) over every candidate, so the grid's
    first page is drawn with the columns the whole grid will have."""
    from db.text import clean_line

    last = session.exec(select(Candidate).where(Candidate.campaign_id == demo.id).order_by(Candidate.ref.desc())).first()
    last.name = "A much longer candidate name\x1b[31m, with an escape"
    session.add(last)
    session.commit()
    whole = load_grid(session, demo.id, None)
    first = load_grid(session, demo.id, None, first=2)
    assert not first.complete and len(first.rows) == 2
    expected = max(len(clean_line(r.label)) for r in whole.rows)
    assert first.longest_label == whole.longest_label == expected
    assert expected == len(clean_line(whole.rows[-1].label)) < len(whole.rows[-1].label)
    last.name = "Plain Name"
    session.add(last)
    session.commit()
    assert load_grid(session, demo.id, None, first=1).longest_label == max(len(r.label) for r in load_grid(session, demo.id, None).rows)
