"""The panellist's services: saving evidence, validation, submit and amend, independence."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.campaigns import find_member, get_campaign
from db.errors import ValidationError
from db.errors import NotFound
from db.autosave import autosave, autosave_target
from db.interview import (
    EvidenceState,
    resubmit,
    candidate_rows,
    load_interview,
    save_evidence,
    submit,
)
from db.models import AuditEvent, ItemEvidence


@pytest.fixture
def ids(session, demo):
    campaign = get_campaign(session, demo.key)
    refs = {r.ref: r.id for r in candidate_rows(session, campaign.id, None)}
    members = {n: find_member(session, campaign.id, n).id for n in ("Sam Whitfield", "Priya Raman", "Joe Lambert")}
    items = [i.id for i in load_interview(session, refs["HRBP-004"], members["Sam Whitfield"]).items]
    return refs, members, items


def test_save_and_reload(session, ids):
    refs, members, items = ids
    state = EvidenceState(notes="S T A R", star="RS", score=4, tags={})
    save_evidence(session, refs["HRBP-004"], members["Sam Whitfield"], items[0], state)
    view = load_interview(session, refs["HRBP-004"], members["Sam Whitfield"])
    assert view.evidence[items[0]].notes == "S T A R"
    assert view.evidence[items[0]].star == "SR"  # stored in STAR order
    assert view.evidence[items[0]].score == 4


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (EvidenceState(score=8), "score 8 is not on the scale"),
        (EvidenceState(score=4.5), "score 4.5 is not on the scale"),
        (EvidenceState(star="SX"), "STAR coverage 'SX'"),
        (EvidenceState(tags={1: "maybe"}), "indicator tags must be"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(session, ids, state, message):
    refs, members, items = ids
    before = session.exec(select(ItemEvidence)).all()
    with pytest.raises(ValidationError, match=message):
        save_evidence(session, refs["HRBP-004"], members["Sam Whitfield"], items[0], state)
    session.rollback()
    assert session.exec(select(ItemEvidence)).all() == before


def test_states_move_from_not_started_to_submitted(session, ids, demo):
    refs, members, items = ids
    sam = members["Sam Whitfield"]

    def state():
        return {r.ref: r.state for r in candidate_rows(session, demo.id, sam)}["HRBP-004"]

    assert state() == "not started"
    save_evidence(session, refs["HRBP-004"], sam, items[0], EvidenceState(notes="x"))
    assert state() == "in progress"
    with pytest.raises(ValidationError, match="no score yet for"):
        submit(session, refs["HRBP-004"], sam)
    for item in items:
        save_evidence(session, refs["HRBP-004"], sam, item, EvidenceState(notes="x", score=5))
    submit(session, refs["HRBP-004"], sam)
    assert state() == "submitted"


def test_submitted_needs_a_reason_to_amend_and_is_audited(session, ids):
    refs, members, items = ids
    sam = members["Sam Whitfield"]
    for item in items:
        save_evidence(session, refs["HRBP-004"], sam, item, EvidenceState(notes="n", score=4))
    submit(session, refs["HRBP-004"], sam)
    with pytest.raises(ValidationError, match="needs a reason"):
        save_evidence(session, refs["HRBP-004"], sam, items[0], EvidenceState(notes="n", score=5))
    session.rollback()
    save_evidence(session, refs["HRBP-004"], sam, items[0], EvidenceState(notes="n2", score=5), amend_reason="typo")
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == "amend").order_by(AuditEvent.entity)).all()
    assert [(r.entity, r.old_value, r.new_value, r.reason) for r in rows] == [
        ("evidence.notes", "n", "n2", "typo"),
        ("evidence.score", "4.0", "5.0", "typo"),
    ]


def test_independence_until_the_viewer_has_submitted(session, ids):
    from db.consolidation import cell_evidence

    refs, members, items = ids
    sam, priya = members["Sam Whitfield"], members["Priya Raman"]
    for item in items:
        save_evidence(session, refs["HRBP-004"], priya, item, EvidenceState(notes="Priya's view", score=6))
    submit(session, refs["HRBP-004"], priya)
    # Sam (the chair) has not submitted: he sees nobody else's evidence.
    hidden = cell_evidence(session, refs["HRBP-004"], items[0], sam)
    assert not hidden.visible
    assert [m.member_name for m in hidden.members] == ["Sam Whitfield"]
    assert hidden.members[0].notes == ""
    for item in items:
        save_evidence(session, refs["HRBP-004"], sam, item, EvidenceState(notes="Sam's view", score=5))
    submit(session, refs["HRBP-004"], sam)
    seen = cell_evidence(session, refs["HRBP-004"], items[0], sam)
    assert seen.visible
    notes = {m.member_name: m.notes for m in seen.members}
    assert notes["Priya Raman"] == "Priya's view" and notes["Sam Whitfield"] == "Sam's view"


def _indicator_ids(session, item_id, n):
    from db.interview import indicators
    from db.models import CampaignItem

    item = session.get(CampaignItem, item_id)
    view_level = 4
    return [i.id for i in indicators(session, item.element_id, view_level)][:n]


def test_autosave_writes_what_save_evidence_writes(session, ids):
    refs, members, items = ids
    cand, sam = refs["HRBP-004"], members["Sam Whitfield"]
    target = autosave_target(session, cand, sam)
    assert target.assessment_id is None  # nothing written by opening
    a, b, c = _indicator_ids(session, items[0], 3)
    autosave(session, target, items[0], EvidenceState(notes="first", star="RS", score=4, tags={a: "seen", b: "contrary"}))
    autosave(session, target, items[0], EvidenceState(notes="first and more", star="RS", score=4, tags={b: "seen", c: "contrary"}))
    autosave(session, target, items[1], EvidenceState(notes="second"))
    view = load_interview(session, cand, sam)
    assert view.evidence[items[0]] == EvidenceState(notes="first and more", star="SR", score=4, tags={b: "seen", c: "contrary"})
    assert view.evidence[items[1]].notes == "second"
    # A second target (the screen opened again) sees the same rows and keeps writing them.
    again = autosave_target(session, cand, sam)
    assert again.assessment_id == target.assessment_id and again.evidence_ids == target.evidence_ids
    autosave(session, again, items[0], EvidenceState(notes="third", tags={}))
    assert load_interview(session, cand, sam).evidence[items[0]] == EvidenceState(notes="third")


def test_autosave_refuses_bad_input_and_a_submitted_assessment(session, ids):
    refs, members, items = ids
    cand, sam = refs["HRBP-004"], members["Sam Whitfield"]
    target = autosave_target(session, cand, sam)
    with pytest.raises(ValidationError, match="not on the scale"):
        autosave(session, target, items[0], EvidenceState(score=11))
    with pytest.raises(NotFound):
        autosave(session, target, 999_999, EvidenceState(notes="x"))
    for item in items:
        autosave(session, target, item, EvidenceState(notes="n", score=4))
    submit(session, cand, sam)
    with pytest.raises(ValidationError, match="submitted"):
        autosave(session, target, items[0], EvidenceState(notes="after submit", score=4))
    assert load_interview(session, cand, sam).evidence[items[0]].notes == "n"


def test_resubmit_after_amending_is_audited(session, ids):
    refs, members, items = ids
    cand, sam = refs["HRBP-004"], members["Sam Whitfield"]
    for item in items:
        save_evidence(session, cand, sam, item, EvidenceState(score=4))
    first = submit(session, cand, sam)
    with pytest.raises(ValidationError, match="reason"):
        resubmit(session, cand, sam, " ")
    save_evidence(session, cand, sam, items[0], EvidenceState(score=5), amend_reason="misheard")
    again = resubmit(session, cand, sam, "misheard")
    assert again >= first
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "resubmit")).all()
    assert [(e.reason, e.actor) for e in events] == [("misheard", "Sam Whitfield")]
