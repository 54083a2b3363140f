"""Outcomes: merit list, ties, appointments, reserve list, calibration and distribution."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from db.campaigns import campaign_items, create_campaign, find_member
from db.consolidation import record_consensus
from db.errors import ValidationError
from db.interview import EvidenceState, save_evidence, submit
from db.models import AuditEvent, Campaign, Candidate, Outcome
from db.outcomes import (
    add_to_reserve,
    appoint,
    calibration,
    distribution,
    extend_reserve,
    merit_list,
    order_tie,
    set_status,
    with_outcome,
)

DECISION = date(2026, 1, 31)

# Item values A (lead), B, C for a one-member "mean" panel: what each candidate scores is final.
TIES = {
    "P1": [6, 5, 5],  # 16, lead 6
    "P2": [5, 6, 5],  # 16, lead 5: the lead item breaks the tie with P1
    "P3": [5, 5, 5],  # 15, lead 5
    "P4": [5, 4, 6],  # 15, lead 5: tied with P3
    "P5": [4, 5, 5],  # 14, lead 4
    "P6": [4, 4, 6],  # 14, lead 4
    "P7": [4, 6, 4],  # 14, lead 4: a three-way tie
    "P8": [3, 7, 7],  # 17 but below the pass mark on A
    "P9": [None, None, None],  # not assessed
}


def build(session, rows, *, method="mean", members=("Chair",), decision_date=DECISION, key="ties", min_total=None):
    """A campaign with items A (lead), B, C; every member gives the scores in rows and submits."""
    campaign = create_campaign(session, {
        "key": key, "title": "Policy Adviser", "grade": "SEO", "department": "Cabinet Office",
        "framework": "competencies-2012",
        "items": [{"name": n, "kind": "technical"} for n in ("A", "B", "C")], "lead": "A",
        "scoring_method": method, "min_total": min_total,
        "decision_date": decision_date.isoformat() if decision_date else None,
        "panel": [{"name": m, "role": "chair" if n == 0 else "member"} for n, m in enumerate(members)],
        "candidates": [{"ref": ref, "name": f"Candidate {ref}"} for ref in rows],
    })
    cands = {c.ref: c.id for c in session.exec(select(Candidate).where(Candidate.campaign_id == campaign.id)).all()}
    items = [i.id for i in campaign_items(session, campaign.id)]
    member_ids = [find_member(session, campaign.id, m).id for m in members]
    for ref, scores in rows.items():
        if all(s is None for s in scores):
            continue
        for member in member_ids:
            for item, s in zip(items, scores):
                save_evidence(session, cands[ref], member, item, EvidenceState(score=s))
            submit(session, cands[ref], member)
    return campaign, cands, items


def ranks(merit):
    return {r.ref: r.rank for r in merit.rows}


# --- merit list -------------------------------------------------------------------------


def test_demo_merit_list(session, demo):
    merit = merit_list(session, demo.id)
    assert [r.ref for r in merit.ranked] == ["HRBP-001"]
    top = merit.ranked[0]
    assert top.rank == 1 and top.provisional and top.total == pytest.approx(29)
    assert top.item_values[0] == pytest.approx(16 / 3)
    assert merit.items[0] == "Leading and Communicating" and merit.lead_item == "Leading and Communicating"
    unranked = {r.ref: r for r in merit.unranked}
    assert unranked["HRBP-002"].passed is False and unranked["HRBP-002"].result == "fail"
    assert unranked["HRBP-003"].passed is None and unranked["HRBP-003"].result == "incomplete"
    assert all(r.status == "pending" for r in merit.rows)
    assert merit.next_offer == (top.candidate_id,)


def test_ties_at_several_depths(session):
    campaign, cands, _ = build(session, TIES)
    merit = merit_list(session, campaign.id)
    assert ranks(merit) == {"P1": 1, "P2": 2, "P3": 3, "P4": 3, "P5": 5, "P6": 5, "P7": 5, "P8": None, "P9": None}
    rows = {r.ref: r for r in merit.rows}
    assert not rows["P1"].tied and not rows["P2"].tied and rows["P1"].tie_group is None
    assert rows["P3"].tied and rows["P4"].tied and rows["P3"].tie_group == rows["P4"].tie_group
    assert {rows[p].tie_group for p in ("P5", "P6", "P7")} == {rows["P5"].tie_group}
    assert rows["P5"].tie_group != rows["P3"].tie_group
    assert rows["P8"].failed_items == ("A",) and rows["P8"].total == 17
    assert rows["P9"].total is None and rows["P9"].passed is None
    assert [r.position for r in merit.ranked] == list(range(1, 8))
    assert merit.next_offer == (cands["P1"],)


def test_min_total_fails_a_candidate(session):
    campaign, _, _ = build(session, {"Q1": [5, 5, 5], "Q2": [4, 4, 4]}, min_total=13, key="mintotal")
    merit = merit_list(session, campaign.id)
    assert ranks(merit) == {"Q1": 1, "Q2": None}
    assert merit.row(merit.unranked[0].candidate_id).failed_items == ()


def test_chair_orders_a_tie_with_a_reason(session):
    campaign, cands, _ = build(session, TIES)
    with pytest.raises(ValidationError, match="needs a reason"):
        order_tie(session, campaign.id, [cands["P7"], cands["P5"], cands["P6"]], " ", "Chair")
    with pytest.raises(ValidationError, match=r"every candidate in the tie \(also P6\)"):
        order_tie(session, campaign.id, [cands["P7"], cands["P5"]], "reason", "Chair")
    with pytest.raises(ValidationError, match="not tied with each other"):
        order_tie(session, campaign.id, [cands["P3"], cands["P5"]], "reason", "Chair")
    with pytest.raises(ValidationError, match="P1, P2 are not in a tie"):
        order_tie(session, campaign.id, [cands["P1"], cands["P2"]], "reason", "Chair")
    assert session.exec(select(Outcome)).all() == []

    order_tie(session, campaign.id, [cands["P7"], cands["P5"], cands["P6"]],
              "P7 gave the strongest evidence on B, the next most critical item", "Chair")
    merit = merit_list(session, campaign.id)
    assert ranks(merit) == {"P1": 1, "P2": 2, "P3": 3, "P4": 3, "P7": 5, "P5": 6, "P6": 7, "P8": None, "P9": None}
    assert [r.ref for r in merit.ranked] == ["P1", "P2", "P3", "P4", "P7", "P5", "P6"]
    p7 = merit.row(cands["P7"])
    assert not p7.tied and p7.tie_group is not None and p7.tie_reason.startswith("P7 gave")

    # A second group, ordered separately: positions never collide with the first group's.
    order_tie(session, campaign.id, [cands["P4"], cands["P3"]], "P4 stronger on C", "Chair")
    merit = merit_list(session, campaign.id)
    assert [r.ref for r in merit.ranked] == ["P1", "P2", "P4", "P3", "P7", "P5", "P6"]
    assert [r.rank for r in merit.ranked] == [1, 2, 3, 4, 5, 6, 7]
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "tie order")).all()
    assert len(events) == 5 and all(e.reason for e in events)


def test_changing_a_consensus_clears_that_candidates_tie_order(session):
    rows = {"T1": [5, 5, 5], "T2": [5, 5, 5]}
    campaign, cands, items = build(session, rows, method="consensus", key="tie-consensus")
    for ref in rows:
        for item in items:
            record_consensus(session, cands[ref], item, 5, "agreed", "Chair")
    order_tie(session, campaign.id, [cands["T2"], cands["T1"]], "T2 stronger on A", "Chair")
    assert [r.ref for r in merit_list(session, campaign.id).ranked] == ["T2", "T1"]
    record_consensus(session, cands["T2"], items[1], 5, "same score, clearer words", "Chair")
    assert [r.ref for r in merit_list(session, campaign.id).ranked] == ["T2", "T1"]  # score unchanged: order kept
    record_consensus(session, cands["T2"], items[1], 4, "re-read the evidence", "Chair")
    merit = merit_list(session, campaign.id)
    assert [r.ref for r in merit.ranked] == ["T1", "T2"] and ranks(merit) == {"T1": 1, "T2": 2}
    record_consensus(session, cands["T2"], items[1], 5, "back again", "Chair")
    merit = merit_list(session, campaign.id)
    assert all(r.tied for r in merit.ranked)  # T2's order was cleared: the tie is open again


# --- appointments ----------------------------------------------------------------------------


def test_appoint_out_of_merit_order_needs_a_reason(session):
    campaign, cands, _ = build(session, TIES)
    with pytest.raises(ValidationError, match="^offering out of merit order needs a reason: P1 is ranked higher$"):
        appoint(session, cands["P2"], "Chair")
    with pytest.raises(ValidationError, match="P1, P2 are ranked higher"):
        appoint(session, cands["P3"], "Chair", reason="  ")
    appoint(session, cands["P2"], "Chair", reason="P1 withdrew before the offer")
    row = merit_list(session, campaign.id).row(cands["P2"])
    assert row.status == "appointed" and row.offer_reason == "P1 withdrew before the offer"
    with pytest.raises(ValidationError, match="already appointed"):
        appoint(session, cands["P2"], "Chair", reason="again")
    appoint(session, cands["P1"], "Chair")  # top of the list: no reason needed
    # P3 and P4 share rank 3: choosing between equals is not out of order.
    appoint(session, cands["P4"], "Chair")
    assert merit_list(session, campaign.id).row(cands["P4"]).offer_reason == ""
    with pytest.raises(ValidationError, match="P8 is not on the merit list \\(did not pass\\)"):
        appoint(session, cands["P8"], "Chair", reason="x")
    with pytest.raises(ValidationError, match="not yet fully scored"):
        appoint(session, cands["P9"], "Chair", reason="x")
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "appoint").order_by(AuditEvent.id)).all()
    assert [(e.old_value, e.new_value, e.reason) for e in events] == [
        ("pending", "appointed", "P1 withdrew before the offer"),
        ("pending", "appointed", ""),
        ("pending", "appointed", ""),
    ]


def test_declined_candidates_do_not_block_offers(session):
    campaign, cands, _ = build(session, TIES)
    set_status(session, cands["P1"], "declined", "Chair", reason="took another post")
    appoint(session, cands["P2"], "Chair")
    merit = merit_list(session, campaign.id)
    assert merit.row(cands["P1"]).status == "declined"
    assert set(merit.next_offer) == {cands["P3"], cands["P4"]}  # a tie the chair must order
    with pytest.raises(ValidationError, match="has declined"):
        appoint(session, cands["P1"], "Chair")


def test_provisional_results_cannot_be_appointed(session, demo):
    one = session.exec(select(Candidate).where(Candidate.ref == "HRBP-001")).one()
    with pytest.raises(ValidationError, match="provisional"):
        appoint(session, one.id, "Sam Whitfield")


def test_set_status(session):
    campaign, cands, _ = build(session, TIES)
    set_status(session, cands["P8"], "not_appointed", "Chair")
    assert merit_list(session, campaign.id).row(cands["P8"]).status == "not_appointed"
    with pytest.raises(ValidationError, match="use appoint"):
        set_status(session, cands["P8"], "appointed", "Chair")
    with pytest.raises(ValidationError, match="status must be one of"):
        set_status(session, cands["P8"], "hired", "Chair")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "status")).one()
    assert (event.old_value, event.new_value) == ("pending", "not_appointed")


# --- reserve list -----------------------------------------------------------------------


def test_reserve_list_expiry_extension_and_expired(session):
    today = date(2026, 6, 1)  # fixed: the rules depend on the day, and the test must not age
    campaign, cands, _ = build(session, TIES)
    appoint(session, cands["P1"], "Chair", today=today)
    expiry = add_to_reserve(session, cands["P2"], "Chair", today=today)
    assert expiry == date(2027, 1, 31)  # decision date + 12 months
    row = merit_list(session, campaign.id, today=date(2026, 6, 1)).row(cands["P2"])
    assert row.status == "reserve" and row.reserve_expiry == expiry and not row.expired
    assert not merit_list(session, campaign.id, today=expiry).row(cands["P2"]).expired
    assert merit_list(session, campaign.id, today=expiry + timedelta(days=1)).row(cands["P2"]).expired

    with pytest.raises(ValidationError, match="already appointed"):
        add_to_reserve(session, cands["P1"], "Chair", today=today)
    with pytest.raises(ValidationError, match="already on the reserve list"):
        add_to_reserve(session, cands["P2"], "Chair", today=today)
    with pytest.raises(ValidationError, match="did not pass"):
        add_to_reserve(session, cands["P8"], "Chair", today=today)
    with pytest.raises(ValidationError, match="not on the reserve list"):
        extend_reserve(session, cands["P3"], 18, "vacancies", "Chair", today=today)

    with pytest.raises(ValidationError, match="needs a reason"):
        extend_reserve(session, cands["P2"], 18, "", "Chair", today=today)
    with pytest.raises(ValidationError, match="may not exceed 24 months"):
        extend_reserve(session, cands["P2"], 25, "more vacancies", "Chair", today=today)
    with pytest.raises(ValidationError, match="must end after"):
        extend_reserve(session, cands["P2"], 12, "more vacancies", "Chair", today=today)
    new = extend_reserve(session, cands["P2"], 18, "Two more vacancies expected", "Chair", today=today)
    assert new == date(2027, 7, 31)
    row = merit_list(session, campaign.id, today=today).row(cands["P2"])
    assert row.reserve_expiry == new and row.reserve_extended and row.reserve_reason == "Two more vacancies expected"
    with pytest.raises(ValidationError, match="already been extended once"):
        extend_reserve(session, cands["P2"], 24, "again", "Chair", today=today)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "extend reserve")).one()
    assert (event.old_value, event.new_value) == ("2027-01-31", "2027-07-31")


def test_expired_reserve_place_cannot_be_offered_and_does_not_block(session):
    campaign, cands, _ = build(session, TIES)
    add_to_reserve(session, cands["P1"], "Chair")
    later = date(2027, 3, 1)
    with pytest.raises(ValidationError, match="expired on 2027-01-31"):
        appoint(session, cands["P1"], "Chair", today=later)
    appoint(session, cands["P2"], "Chair", today=later)  # P1's expired place does not rank above P2
    assert merit_list(session, campaign.id).row(cands["P2"]).offer_reason == ""


def test_reserve_needs_a_decision_date(session):
    campaign, cands, _ = build(session, {"R1": [5, 5, 5]}, decision_date=None, key="nodate")
    with pytest.raises(ValidationError, match="decision date"):
        add_to_reserve(session, cands["R1"], "Chair")


# --- cache correctness ------------------------------------------------------------------


def test_merit_list_follows_every_kind_of_change(session):
    campaign, cands, items = build(session, {"C1": [5, 5, 5], "C2": [4, 4, 4]}, members=("Ann", "Bob"), key="cache")
    assert ranks(merit_list(session, campaign.id)) == {"C1": 1, "C2": 2}
    ann = find_member(session, campaign.id, "Ann").id
    # An amended member score (mean method) reaches the merit list.
    save_evidence(session, cands["C2"], ann, items[0], EvidenceState(score=7), amend_reason="typo")
    merit = merit_list(session, campaign.id)
    assert merit.row(cands["C2"]).total == pytest.approx(13.5) and ranks(merit) == {"C1": 1, "C2": 2}
    for item in items[1:]:
        save_evidence(session, cands["C2"], ann, item, EvidenceState(score=7), amend_reason="typo")
    merit = merit_list(session, campaign.id)
    assert merit.row(cands["C2"]).total == pytest.approx(16.5) and ranks(merit) == {"C2": 1, "C1": 2}
    # A campaign setting change does too.
    c = session.get(Campaign, campaign.id)
    c.min_total = 16
    session.add(c)
    session.commit()
    assert ranks(merit_list(session, campaign.id)) == {"C2": 1, "C1": None}


def test_with_outcome_equals_the_merit_list_reread_after_each_decision(session):
    """The incremental path the Outcomes screen shows at once: one decision applied to the list on
    screen must give exactly what merit_list reads afterwards (the row, expiry and the next offer)."""
    today = date(2026, 6, 1)
    campaign, cands, _ = build(session, TIES)
    merit = merit_list(session, campaign.id, today=today)
    assert set(merit.next_offer) == {cands["P1"]}

    def step(candidate_id, **changes):
        nonlocal merit
        merit = with_outcome(merit, candidate_id, **changes)
        assert merit == merit_list(session, campaign.id, today=today)

    appoint(session, cands["P1"], "Chair", today=today)
    step(cands["P1"], status="appointed", offer_reason="")
    assert merit.next_offer == (cands["P2"],)
    set_status(session, cands["P2"], "declined", "Chair")
    step(cands["P2"], status="declined")
    assert set(merit.next_offer) == {cands["P3"], cands["P4"]}  # now a tie
    expiry = add_to_reserve(session, cands["P3"], "Chair", today=today)
    step(cands["P3"], status="reserve", reserve_expiry=expiry, reserve_extended=False, reserve_reason="")
    new = extend_reserve(session, cands["P3"], 18, "More vacancies", "Chair", today=today)
    step(cands["P3"], reserve_expiry=new, reserve_extended=True, reserve_reason="More vacancies")
    set_status(session, cands["P3"], "not_appointed", "Chair")
    step(cands["P3"], status="not_appointed")  # a reserve place left behind no longer counts as expired
    set_status(session, cands["P2"], "pending", "Chair")
    step(cands["P2"], status="pending")
    assert merit.next_offer == (cands["P2"],)
    # An expired reserve place is worked out from the list's own day.
    later = date(2027, 3, 1)
    merit = merit_list(session, campaign.id, today=later)
    expiry = add_to_reserve(session, cands["P4"], "Chair", allow_expired=True, today=later)
    merit = with_outcome(merit, cands["P4"], status="reserve", reserve_expiry=expiry, reserve_extended=False,
                         reserve_reason="")
    assert merit.row(cands["P4"]).expired and merit == merit_list(session, campaign.id, today=later)
    with pytest.raises(ValueError, match="not an outcome field"):
        with_outcome(merit, cands["P4"], rank=1)


# --- calibration and distribution -----------------------------------------------------------


def test_calibration_by_hand(session, demo):
    cands = {c.ref: c.id for c in session.exec(select(Candidate).where(Candidate.campaign_id == demo.id)).all()}
    items = [i.id for i in campaign_items(session, demo.id)]
    cal = calibration(session, demo.id)
    # Mean spread of (HRBP-001, HRBP-002) per item; HRBP-003 has one unsubmitted score and does not count.
    assert [a.mean_spread for a in cal.items] == [1.5, 1.0, 0.5, 0.5, 1.0, 0.5]
    assert all(a.candidates == 2 for a in cal.items)
    assert [(m.name, m.leniency, m.compared) for m in cal.members] == [
        ("Sam Whitfield", None, 0), ("Priya Raman", None, 0), ("Joe Lambert", None, 0)]

    agreed = {"HRBP-001": [5, 5, 4, 5, 5, 5], "HRBP-002": [4, 4, 4, 4, 4, 4]}
    for ref, scores in agreed.items():
        for item, s in zip(items, scores):
            record_consensus(session, cands[ref], item, s, "agreed", "Sam Whitfield")
    cal = calibration(session, demo.id)
    # Sam: +1 (001 DP), -1 (002 SBP) -> 0/12. Priya: -1 (001 CP), +1 -1 (002 CP, MQS) -> -1/12.
    # Joe: +1 -1 (001 LC, CI), -2 +1 (002 LC, DP) -> -1/12.
    lenient = {m.name: m.leniency for m in cal.members}
    assert lenient["Sam Whitfield"] == pytest.approx(0.0)
    assert lenient["Priya Raman"] == pytest.approx(-1 / 12)
    assert lenient["Joe Lambert"] == pytest.approx(-1 / 12)
    assert all(m.compared == 12 for m in cal.members)


def test_distribution(session, demo):
    cands = {c.ref: c.id for c in session.exec(select(Candidate).where(Candidate.campaign_id == demo.id)).all()}
    items = [i.id for i in campaign_items(session, demo.id)]
    record_consensus(session, cands["HRBP-001"], items[0], 5, "agreed", "Sam Whitfield")
    dist = distribution(session, demo.id)
    lc = dist[0]
    assert lc.name == "Leading and Communicating"
    counts = {v: n for v, _, n in lc.counts}
    # HRBP-001 agreed 5; HRBP-002 provisional mean 3.33 -> 3; HRBP-003 Priya's draft 5.
    assert counts == {1: 0, 2: 0, 3: 1, 4: 0, 5: 2, 6: 0, 7: 0}
    assert (lc.values, lc.provisional) == (3, 2)
    final = distribution(session, demo.id, final_only=True)[0]
    assert {v: n for v, _, n in final.counts if n} == {5: 1} and final.provisional == 0
    assert [label for _, label, _ in lc.counts] == ["1", "2", "3", "4", "5", "6", "7"]


# --- field-trial fixes --------------------------------------------------------------------


def test_next_offer_skips_not_appointed_declined_and_appointed(session):
    campaign, cands, _ = build(session, TIES)
    set_status(session, cands["P1"], "not_appointed", "Chair", reason="references not satisfactory")
    assert merit_list(session, campaign.id).next_offer == (cands["P2"],)
    appoint(session, cands["P2"], "Chair")  # P1 is out of the running: P2 is next in merit order, no reason needed
    assert merit_list(session, campaign.id).row(cands["P2"]).offer_reason == ""
    assert set(merit_list(session, campaign.id).next_offer) == {cands["P3"], cands["P4"]}
    set_status(session, cands["P3"], "declined", "Chair", reason="withdrew")
    assert merit_list(session, campaign.id).next_offer == (cands["P4"],)


def test_fail_reasons_list_every_reason(session):
    rows = {"F1": [3, 6, 6], "F2": [4, 4, 4], "F3": [3, 7, 7], "F4": [6, 6, 6]}
    campaign, cands, _ = build(session, rows, min_total=16, key="reasons")
    merit = merit_list(session, campaign.id)
    assert merit.row(cands["F1"]).fail_reasons == ("below the pass mark: A", "below the minimum total: 15, needs 16")
    assert merit.row(cands["F2"]).fail_reasons == ("below the minimum total: 12, needs 16",)
    assert merit.row(cands["F3"]).fail_reasons == ("below the pass mark: A",)
    assert merit.row(cands["F4"]).fail_reasons == ()


def test_reserve_place_already_expired_is_refused_unless_confirmed(session):
    from db.reserve import reserve_warning

    campaign, cands, _ = build(session, TIES)
    later = date(2028, 6, 1)  # long after the decision date (2026-01-31)
    assert reserve_warning(session, cands["P2"], today=date(2026, 6, 1)) is None
    warning = reserve_warning(session, cands["P2"], today=later)
    assert warning and "would already be expired" in warning and "2027-01-31" in warning
    with pytest.raises(ValidationError, match="would already be expired"):
        add_to_reserve(session, cands["P2"], "Chair", today=later)
    assert merit_list(session, campaign.id).row(cands["P2"]).status == "pending"  # nothing changed
    assert add_to_reserve(session, cands["P2"], "Chair", allow_expired=True, today=later) == date(2027, 1, 31)
    with pytest.raises(ValidationError, match="cannot be kept within the 24-month limit"):
        extend_reserve(session, cands["P2"], 24, "late vacancies", "Chair", today=later)
    assert extend_reserve(session, cands["P2"], 24, "late vacancies", "Chair", today=date(2027, 6, 1)) == date(2028, 1, 31)
