"""Paper score sheets imported from CSV: every bad row reported by line, all-or-nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from db.campaigns import create_campaign, get_campaign
from db.errors import NotFound, ValidationError
from db.interview import EvidenceState, save_evidence, submit
from db.models import Assessment, AuditEvent, CampaignItem, Candidate, ItemEvidence, PanelMember
from db.paper_scores import import_paper_scores

KEY = "paper-2026"
SPEC: dict[str, Any] = {
    "key": KEY,
    "title": "Policy Adviser",
    "grade": "SEO",
    "framework": "success-profiles-behaviours",
    "items": [
        "Seeing the Big Picture",
        "Working Together",
        {"name": "Motivation", "kind": "strength"},
        {"name": "Written exercise", "kind": "technical", "scale": "csc-a-e"},
    ],
    "pass_mark": {"default": 4, "Written exercise": "C"},
    "panel": [{"name": "Sam Whitfield", "role": "chair"}, {"name": "Priya Raman"}, {"name": "Joe Lambert"}],
    "candidates": [{"ref": f"C-{n:03}", "name": f"Person {n}"} for n in range(1, 5)],
}
HEADER = "candidate_ref,item,member,score,evidence\n"


@pytest.fixture
def campaign(session: Session):
    campaign = create_campaign(session, SPEC)
    # Joe has scored and submitted C-003 already (Motivation: 5); Priya has notes on C-001.
    cands, members, items = _ids(session)
    for name, item in items.items():
        state = EvidenceState(notes="typed in", score=4 if name != "Motivation" else 5)
        save_evidence(session, cands["C-003"], members["Joe Lambert"], item.id, state)  # type: ignore[arg-type]
    submit(session, cands["C-003"], members["Joe Lambert"])
    save_evidence(session, cands["C-001"], members["Priya Raman"], items["Working Together"].id,  # type: ignore[arg-type]
                  EvidenceState(notes="Priya's own notes", star="ST"))
    return campaign


def _ids(session: Session):
    c = get_campaign(session, KEY)
    cands = dict(session.exec(select(Candidate.ref, Candidate.id).where(Candidate.campaign_id == c.id)).all())
    members = dict(session.exec(select(PanelMember.name, PanelMember.id).where(PanelMember.campaign_id == c.id)).all())
    items = {i.name: i for i in session.exec(select(CampaignItem).where(CampaignItem.campaign_id == c.id)).all()}
    return cands, members, items


def evidence(session: Session) -> dict:
    rows = session.exec(
        select(Candidate.ref, PanelMember.name, CampaignItem.name, ItemEvidence.score, ItemEvidence.notes,
               ItemEvidence.star, ItemEvidence.updated_at, Assessment.submitted_at)
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .join(PanelMember, col(PanelMember.id) == Assessment.member_id)
        .join(CampaignItem, col(CampaignItem.id) == ItemEvidence.item_id)
    ).all()
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}


def state(session: Session) -> tuple:
    n = tuple(session.exec(select(func.count()).select_from(m)).one() for m in (Assessment, ItemEvidence, AuditEvent))
    return n, evidence(session)


def test_good_csv_imports_scores_labels_and_evidence(session, campaign):
    csv = HEADER + (
        "C-001,Working Together,Priya Raman,5,Built a cross-team rota\n"
        "C-001,written EXERCISE,priya raman,B/C,\"Clear, well argued\nsecond line\"\n"
        "C-002,Motivation,Sam Whitfield,6,\n"
        "C-003,Motivation,Joe Lambert,5,already submitted with the same score\n"
    )
    result = import_paper_scores(session, KEY, csv, source="sheet.csv")
    assert result.summary == "imported 4 scores (1 already held)"
    held = evidence(session)
    score, notes, star, *_ = held[("C-001", "Priya Raman", "Working Together")]
    assert (score, notes, star) == (5.0, "Priya's own notes\n\nBuilt a cross-team rota", "ST")
    assert held[("C-001", "Priya Raman", "Written exercise")][:2] == (4.0, "Clear, well argued\nsecond line")
    assert held[("C-002", "Sam Whitfield", "Motivation")][:2] == (6.0, "")
    assert held[("C-003", "Joe Lambert", "Motivation")][:2] == (5.0, "typed in")
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity == "paper-scores")).all()
    assert [(a.action, a.reason) for a in audit] == [("import", "sheet.csv")]
    # The same sheet again changes nothing.
    before = state(session)
    again = import_paper_scores(session, KEY, csv.encode("utf-8-sig"), source="sheet.csv")
    assert again.summary == "imported 4 scores (4 already held)"
    assert state(session) == before


def test_submit_marks_complete_assessments_submitted(session, campaign):
    rows = [f"C-004,{item},Sam Whitfield,{score}," for item, score in
            (("Seeing the Big Picture", 4), ("Working Together", 5), ("Motivation", 3), ("Written exercise", "A"))]
    rows.append("C-002,Motivation,Sam Whitfield,4,")
    result = import_paper_scores(session, KEY, HEADER + "\n".join(rows) + "\n", submit=True)
    assert result.submitted == 1
    held = evidence(session)
    assert held[("C-004", "Sam Whitfield", "Written exercise")][0] == 6.0
    assert held[("C-004", "Sam Whitfield", "Motivation")][-1] is not None
    assert held[("C-002", "Sam Whitfield", "Motivation")][-1] is None


def test_every_bad_row_is_reported_by_line_and_nothing_is_imported(session, campaign):
    csv = HEADER + (
        "C-001,Working Together,Priya Raman,5,fine\n"  # 2 good
        "C-999,Working Together,Priya Raman,5,x\n"  # 3
        "C-001,Astrology,Priya Raman,5,x\n"  # 4
        "C-001,Motivation,Nobody Known,5,x\n"  # 5
        "C-001,Motivation,Priya Raman,9,x\n"  # 6
        "C-001,Seeing the Big Picture,Priya Raman,lots,x\n"  # 7
        "C-001,working together,PRIYA RAMAN,4,again\n"  # 8
        "C-002,Motivation,Priya Raman\n"  # 9
        "\n"  # 10 (blank, skipped)
        '"C-002","Written exercise","Priya Raman","B/C","multi\nline"\n'  # 11-12 good
        "C-003,Motivation,Joe Lambert,3,x\n"  # 13
        "C-002,Motivation,Joe Lambert,,x\n"  # 14
        "C-002,Written exercise,Joe Lambert,4.5,x\n"  # 15
        ",,,,\n"  # 16 (blank cells, skipped)
        "C-004,Motivation,Joe Lambert,4,x,extra\n"  # 17
    )
    before = state(session)
    with pytest.raises(ValidationError) as exc:
        import_paper_scores(session, KEY, csv, source="bad.csv")
    lines = str(exc.value).splitlines()
    assert lines[0] == "bad.csv: 11 bad rows; nothing imported"
    assert lines[1:] == [
        "line 3: unknown candidate 'C-999'",
        "line 4: unknown item 'Astrology'",
        "line 5: unknown panel member 'Nobody Known'",
        "line 6: score 9 is not on the scale (1, 2, 3, 4, 5, 6, 7)",
        "line 7: score 'lots' is not on the scale (1, 2, 3, 4, 5, 6, 7)",
        "line 8: duplicate of line 2 (same candidate, item and member)",
        "line 9: missing column 'score', missing column 'evidence'",
        "line 13: Joe Lambert has already submitted C-003 with score 5 for Motivation",
        "line 14: no score",
        "line 15: score 4.5 is not on the scale (E, D, C, B/C, B, A)",
        "line 17: 6 values but the header has 5 columns",
    ]
    assert state(session) == before


def test_several_problems_on_one_row_are_all_named(session, campaign):
    with pytest.raises(ValidationError) as exc:
        import_paper_scores(session, KEY, HEADER + "X,Y,Z,,\n", source="s.csv")
    assert str(exc.value).splitlines()[1] == "line 2: unknown candidate 'X'; unknown item 'Y'; unknown panel member 'Z'; no score"


def test_header_is_required(session, campaign):
    before = state(session)
    with pytest.raises(ValidationError) as exc:
        import_paper_scores(session, KEY, "C-001,Motivation,Sam Whitfield,4,x\n", source="s.csv")
    assert str(exc.value).splitlines() == [
        "s.csv: 1 bad row; nothing imported",
        "line 1: missing column 'candidate_ref', missing column 'item', missing column 'member', missing column 'score', "
        "missing column 'evidence' (the header needs candidate_ref,item,member,score,evidence)",
    ]
    with pytest.raises(ValidationError, match="line 1: missing column 'evidence'"):
        import_paper_scores(session, KEY, "candidate_ref,item,member,score\nC-001,Motivation,Sam Whitfield,4\n")
    with pytest.raises(ValidationError, match="line 1: no header"):
        import_paper_scores(session, KEY, "\n\n")
    assert state(session) == before


def test_columns_in_any_order_extra_columns_ignored(session, campaign):
    csv = "Score,Member,Candidate_Ref,Notes to self,Item,Evidence\n4,Sam Whitfield,C-004,ignore me,Motivation,ok\n"
    assert import_paper_scores(session, KEY, csv).scores == 1
    assert evidence(session)[("C-004", "Sam Whitfield", "Motivation")][:2] == (4.0, "ok")


def test_not_utf8_and_unknown_campaign(session, campaign):
    with pytest.raises(ValidationError, match=r"^s\.csv: not UTF-8 text"):
        import_paper_scores(session, KEY, (HEADER + "C-001,Motivation,Sam Whitfield,4,caf\xe9\n").encode("latin-1"), source="s.csv")
    with pytest.raises(NotFound):
        import_paper_scores(session, "no-such-campaign", HEADER)


def test_each_score_written_is_audited_with_old_and_new_value(session, campaign):
    cands, members, items = _ids(session)
    save_evidence(session, cands["C-002"], members["Sam Whitfield"], items["Written exercise"].id,  # type: ignore[arg-type]
                  EvidenceState(notes="first go", score=3))
    csv = HEADER + (
        "C-002,Written exercise,Sam Whitfield,B,changed on paper\n"
        "C-002,Motivation,Sam Whitfield,6,\n"
        "C-003,Motivation,Joe Lambert,5,already held\n"
    )
    import_paper_scores(session, KEY, csv, source="sheet.csv", actor="Sam Whitfield")
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity == "evidence.score").order_by(AuditEvent.id)).all()
    assert [(a.action, a.old_value, a.new_value, a.actor, a.reason) for a in audit] == [
        ("paper score", "C", "B", "Sam Whitfield", "sheet.csv line 2: C-002, Written exercise, Sam Whitfield"),
        ("paper score", "", "6", "Sam Whitfield", "sheet.csv line 3: C-002, Motivation, Sam Whitfield"),
    ]
    assert all(a.entity_id is not None for a in audit)


def test_text_from_the_sheet_is_cleaned_and_capped(session, campaign):
    csv = HEADER + "C-004,Motivation,Sam Whitfield,5,\"Keen\x1b]52;c;aGk=\x07 \x1b[31mreally\x1b[0m\"\n"
    import_paper_scores(session, KEY, csv)
    assert evidence(session)[("C-004", "Sam Whitfield", "Motivation")][1] == "Keen really"
    before = state(session)
    with pytest.raises(ValidationError) as exc:
        import_paper_scores(session, KEY, HEADER + f"C-004,Motivation,Sam Whitfield,5,{'x' * 5001}\n", source="s.csv")
    assert str(exc.value).splitlines()[1] == "line 2: evidence: must be at most 5000 characters"
    assert state(session) == before


def _whole_sheet(session: Session, base: int = 0) -> str:
    cands, members, items = _ids(session)
    rows = [
        f"{ref},{item},{member},{'B' if item == 'Written exercise' else (n + k + m + base) % 7 + 1},paper {n}/{k}/{m}\n"
        for n, ref in enumerate(sorted(cands)) for k, item in enumerate(items) for m, member in enumerate(members)
        if not (ref == "C-003" and member == "Joe Lambert")  # submitted already
    ]
    return HEADER + "".join(rows)


def test_a_bulk_import_with_submit_chains_its_audit_entries_and_verifies(session, campaign):
    from db.audit_verify import verify

    result = import_paper_scores(session, KEY, _whole_sheet(session), source="all.csv", submit=True, actor="Sam Whitfield")
    assert result.scores == 44 and result.submitted == 11
    cid = get_campaign(session, KEY).id
    entries = session.exec(select(AuditEvent).where(AuditEvent.campaign_id == cid).order_by(col(AuditEvent.seq))).all()
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))  # one chain, no gap
    assert sum(e.action == "paper score" for e in entries) == 44 and sum(e.action == "submit" and e.reason == "paper scores" for e in entries) == 11
    report = verify(session, cid)  # type: ignore[arg-type]
    assert report.ok, report.problems
    assert report.sealed >= 11  # the newly submitted assessments were sealed at commit
    # Again, changed: the submitted ones refuse paper changes, row by row; nothing is written.
    with pytest.raises(ValidationError, match=r"all\.csv: 33 bad rows; nothing imported"):
        import_paper_scores(session, KEY, _whole_sheet(session, base=1), source="all.csv")
    assert verify(session, cid).ok  # type: ignore[arg-type]


def test_two_identical_imports_at_once_write_once_without_errors(database, campaign):
    import threading

    with database.session() as s:
        sheet = _whole_sheet(s)
    results: list = []

    def run() -> None:
        with database.session() as s:
            try:
                results.append(import_paper_scores(s, KEY, sheet, source="twice.csv"))
            except Exception as exc:  # noqa: BLE001  (the test names what went wrong)
                results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.unchanged for r in results) == [0, 44]  # one wrote the rows; the other found them held
    with database.session() as s:
        n = s.exec(select(func.count()).select_from(Assessment)).one()
        assert n == 12  # 4 candidates x 3 members, no duplicates
        from db.audit_verify import verify

        assert verify(s, get_campaign(s, KEY).id).ok  # type: ignore[arg-type]
