"""Issue 11 items whose fix had no test of its own: STAR letters typed in another order are not an amendment
(item 17), and `return export --member` takes a first name and names the panel when nothing matches (item 7)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from db.campaigns import find_member, get_campaign
from db.interview import EvidenceState, candidate_rows, load_interview, save_evidence, submit
from db.models import AuditEvent
from tests.test_cli_exchange import assess, chair_db, laptop_for, run  # noqa: F401 (chair_db is a fixture)


def test_star_letters_in_another_order_are_not_an_amendment(session, demo):
    campaign = get_campaign(session, demo.key)
    cand = next(r.id for r in candidate_rows(session, campaign.id, None) if r.ref == "HRBP-004")
    sam = find_member(session, campaign.id, "Sam Whitfield").id
    items = [i.id for i in load_interview(session, cand, sam).items]
    for item in items:
        save_evidence(session, cand, sam, item, EvidenceState(notes="n", star="STAR", score=4))
    submit(session, cand, sam)
    save_evidence(session, cand, sam, items[0], EvidenceState(notes="n", star="TSAR", score=5), amend_reason="typo")
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == "amend")).all()
    assert [(r.entity, r.old_value, r.new_value) for r in rows] == [("evidence.score", "4.0", "5.0")]
    save_evidence(session, cand, sam, items[0], EvidenceState(notes="n", star="RA", score=5), amend_reason="fewer parts")
    star = session.exec(select(AuditEvent).where(AuditEvent.entity == "evidence.star")).one()
    assert (star.old_value, star.new_value) == ("STAR", "AR")  # stored and audited in S, T, A, R order


def test_return_export_takes_a_first_name_and_names_the_panel_otherwise(tmp_path, capsys, chair_db):  # noqa: F811
    laptop = laptop_for(tmp_path, chair_db, "Priya Raman")
    assess(laptop, "Priya Raman")
    out_file = tmp_path / "r.age"
    code, out, err = run(capsys, "--db", laptop, "return", "export", "demo-hr-business-partner", str(out_file),
                         "--member", "priya")
    assert (code, err) == (0, "") and out.startswith("wrote 1 assessments for priya") and Path(out_file).exists()
    code, out, err = run(capsys, "--db", laptop, "return", "export", "demo-hr-business-partner", str(tmp_path / "x"),
                         "--member", "Hannah")
    assert code == 1 and err == (
        "panel-tui: no panel member 'Hannah' in this campaign (the panel: Sam Whitfield, Priya Raman, Joe Lambert)\n"
    )
