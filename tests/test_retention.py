"""Retention: purge() removes personal data on time, keeps statistics, audits, and `panel-tui purge`."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from db.audit import record
from db.campaigns import campaign_items, create_campaign, panel_members
from db.interview import EvidenceState, save_evidence
from db.models import Assessment, AuditEvent, Candidate, Consensus, ItemEvidence, Outcome
from db.retention import PurgeItem, due_for_purge, purge
from panel_tui.cli import main

# Campaign "old": decided 2024-01-31, keep 12 months -> retention ends 2025-01-31.
# Campaign "new": decided 2025-06-01, keep 24 months -> 2027-06-01.
OLD_END = date(2025, 1, 31)


def make_campaign(session, title, decision, months, refs_statuses):
    c = create_campaign(session, {
        "title": title, "grade": "HEO", "items": ["Working Together", "Delivering at Pace"],
        "decision_date": decision, "retention_months": months,
        "panel": [{"name": "Sam", "role": "chair"}],
        "candidates": [
            {"ref": ref, "name": f"Name of {ref}", "email": f"{ref.lower()}@example.org",
             "adjustments": "Extra time: 10 minutes", "disability_confident": True}
            for ref, _ in refs_statuses
        ],
    })
    items = campaign_items(session, c.id)
    member = panel_members(session, c.id)[0]
    cands = {x.ref: x for x in session.exec(select(Candidate).where(Candidate.campaign_id == c.id))}
    for ref, status in refs_statuses:
        cand = cands[ref]
        for item in items:
            save_evidence(session, cand.id, member.id, item.id,
                          EvidenceState(notes=f"notes about {ref}", star="STAR", score=5))
            session.add(Consensus(candidate_id=cand.id, item_id=item.id, score=5, rationale="agreed"))
        if status is not None:
            name, _, expiry = status.partition(":")
            session.add(Outcome(candidate_id=cand.id, status=name, feedback=f"feedback for {ref}",
                                reserve_expiry=date.fromisoformat(expiry) if expiry else None))
        session.commit()
    return c


@pytest.fixture
def campaigns(session):
    old = make_campaign(session, "Old", "2024-01-31", 12, [
        ("APPOINTED", "appointed"),
        ("NOTAPP", "not_appointed"),
        ("DECLINED", "declined"),
        ("PENDING", "pending"),
        ("NOOUTCOME", None),
        ("RESLIVE", "reserve:2025-12-31"),
        ("RESEXP", "reserve:2025-01-15"),
        ("RESNODATE", "reserve"),
    ])
    new = make_campaign(session, "New", "2025-06-01", 24, [
        ("N-NOTAPP", "not_appointed"),
        ("N-RESEXP", "reserve:2025-06-30"),
        ("N-APPOINTED", "appointed"),
    ])
    undecided = make_campaign(session, "Undecided", None, 0, [("U-NOTAPP", "not_appointed")])
    return old, new, undecided


def evidence_of(session, candidate_id):
    return session.exec(
        select(ItemEvidence).join(Assessment, Assessment.id == ItemEvidence.assessment_id)
        .where(Assessment.candidate_id == candidate_id).order_by(ItemEvidence.id)
    ).all()


def refs(items):
    return [(i.campaign_key, i.ref) for i in items]


def test_who_is_due(session, campaigns):
    assert due_for_purge(session, date(2025, 1, 15)) == []  # a reserve list's last day: still live
    assert refs(due_for_purge(session, date(2025, 1, 16))) == [("old", "RESEXP")]
    assert refs(due_for_purge(session, OLD_END)) == [("old", "RESEXP")]  # the last day of retention
    assert refs(due_for_purge(session, date(2025, 2, 1))) == [
        ("old", "DECLINED"), ("old", "NOOUTCOME"), ("old", "NOTAPP"), ("old", "PENDING"), ("old", "RESEXP"),
    ]
    later = due_for_purge(session, date(2026, 1, 1))
    assert refs(later) == [
        ("new", "N-RESEXP"),
        ("old", "DECLINED"), ("old", "NOOUTCOME"), ("old", "NOTAPP"), ("old", "PENDING"), ("old", "RESEXP"),
        ("old", "RESLIVE"),
    ]
    reasons = {i.ref: i.reason for i in later}
    assert reasons["NOTAPP"] == "retention ended 2025-01-31 (decision 2024-01-31 + 12 months)"
    assert reasons["RESEXP"] == "reserve list expired 2025-01-15"
    assert reasons["N-RESEXP"] == "reserve list expired 2025-06-30"
    assert all(isinstance(i, PurgeItem) for i in later)
    never = {"APPOINTED", "N-APPOINTED", "RESNODATE", "U-NOTAPP"}
    assert never.isdisjoint(i.ref for i in due_for_purge(session, date(2099, 1, 1)))


def test_month_end_clamping(session):
    make_campaign(session, "Leap", "2024-01-31", 1, [("L", "not_appointed")])  # + 1 month = 2024-02-29
    assert due_for_purge(session, date(2024, 2, 29)) == []
    assert refs(due_for_purge(session, date(2024, 3, 1))) == [("leap", "L")]


def snapshot(session):
    session.expire_all()
    cands = {c.ref: (c.name, c.email, c.adjustments, c.extra_minutes, c.purged_at)
             for c in session.exec(select(Candidate))}
    notes = sorted(e.notes for e in session.exec(select(ItemEvidence)))
    feedback = sorted(o.feedback for o in session.exec(select(Outcome)))
    audits = len(session.exec(select(AuditEvent)).all())
    return cands, notes, feedback, audits


def test_dry_run_changes_nothing(session, campaigns):
    before = snapshot(session)
    items = purge(session, date(2025, 2, 1), dry_run=True, actor="records")
    assert len(items) == 5
    assert snapshot(session) == before


def test_purge_removes_personal_data_and_keeps_statistics(session, campaigns):
    cand = {c.ref: c for c in session.exec(select(Candidate))}
    # An amended note copied into the audit trail must go too.
    ev = evidence_of(session, cand["NOTAPP"].id)[0]
    record(session, action="amend", entity="evidence.notes", entity_id=ev.id, old="secret old", new="secret new")
    record(session, action="update", entity="candidate.name", entity_id=cand["NOTAPP"].id, old="Old Name", new="Name")
    session.commit()

    items = purge(session, date(2025, 2, 1), dry_run=False, actor="records")
    assert {i.ref for i in items} == {"DECLINED", "NOOUTCOME", "NOTAPP", "PENDING", "RESEXP"}
    session.expire_all()
    for c in session.exec(select(Candidate)):
        evidence = evidence_of(session, c.id)
        outcome = session.exec(select(Outcome).where(Outcome.candidate_id == c.id)).first()
        consensus = session.exec(select(Consensus).where(Consensus.candidate_id == c.id)).all()
        # Statistics stay for everyone.
        assert [e.score for e in evidence] == [5, 5] and all(e.star == "STAR" for e in evidence)
        assert [x.score for x in consensus] == [5, 5]
        assert c.ref and c.disability_confident is True
        if c.ref in {i.ref for i in items}:
            assert (c.name, c.email, c.adjustments, c.extra_minutes) == ("", "", "", 0)
            assert c.purged_at is not None
            assert all(e.notes == "" for e in evidence)
            if outcome:
                assert outcome.feedback == "" and outcome.status
        else:
            assert c.name == f"Name of {c.ref}" and c.purged_at is None
            assert all(e.notes == f"notes about {c.ref}" for e in evidence)
            if outcome:
                assert outcome.feedback == f"feedback for {c.ref}"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "purge").order_by(AuditEvent.entity_id)).all()
    assert len(events) == 5
    assert {(e.entity, e.actor) for e in events} == {("candidate", "records")}
    assert {e.entity_id for e in events} == {cand[r].id for r in ("DECLINED", "NOOUTCOME", "NOTAPP", "PENDING", "RESEXP")}
    assert all(e.reason.startswith(("retention ended", "reserve list expired")) for e in events)
    copied = session.exec(select(AuditEvent).where(AuditEvent.entity.in_(["evidence.notes", "candidate.name"]))).all()
    assert [(a.old_value, a.new_value) for a in copied] == [("", ""), ("", "")]
    # Nothing is purged twice.
    assert purge(session, date(2025, 2, 1), dry_run=False) == []


def test_purge_nothing_due(session, campaigns):
    before = snapshot(session)
    assert purge(session, date(2024, 6, 1), dry_run=False) == []
    assert snapshot(session) == before


def test_purged_candidates_stay_listed_by_ref(session, campaigns):
    from db.candidates import list_candidates

    purge(session, date(2025, 2, 1), dry_run=False)
    listed = {c.ref: c.name for c in list_candidates(session, campaigns[0].id)}
    assert len(listed) == 8 and listed["NOTAPP"] == "" and listed["APPOINTED"] == "Name of APPOINTED"


# --- CLI -------------------------------------------------------------------------


def run(capsys, db, *args):
    code = main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path):
    from db.engine import open_database

    path = tmp_path / "p.db"
    database = open_database(f"sqlite:///{path}")
    with database.session() as s:
        make_campaign(s, "Old", "2024-01-31", 12, [("A", "appointed"), ("B", "not_appointed"), ("C", None)])
    database.dispose()
    return path


def test_cli_dry_run_then_purge(capsys, db):
    code, out, err = run(capsys, db, "purge", "--dry-run", "--today", "2025-02-01")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "old\tB\tretention ended 2025-01-31 (decision 2024-01-31 + 12 months)",
        "old\tC\tretention ended 2025-01-31 (decision 2024-01-31 + 12 months)",
        "would purge 2 candidates (dry run; nothing changed)",
    ]
    assert run(capsys, db, "candidates", "list", "old")[1].count("Name of") == 3
    code, out, _ = run(capsys, db, "purge", "--today", "2025-02-01")
    assert code == 0 and out.splitlines()[-1] == "purged 2 candidates"
    listing = run(capsys, db, "candidates", "list", "old")[1].splitlines()
    assert [line.split("\t")[:2] for line in listing] == [["A", "Name of A"], ["B", ""], ["C", ""]]
    assert run(capsys, db, "purge", "--today", "2025-02-01")[1] == "purged 0 candidates\n"


def test_cli_today_default_and_bad_date(capsys, db):
    code, out, _ = run(capsys, db, "purge", "--dry-run")
    assert code == 0 and out.endswith("would purge 2 candidates (dry run; nothing changed)\n")
    code, out, err = run(capsys, db, "purge", "--today", "1 Feb 2025")
    assert code == 1 and out == ""
    assert err == "panel-tui: --today '1 Feb 2025' is not a date (YYYY-MM-DD)\n"


# --- purge means gone ------------------------------------------------------------------


def test_one_odd_campaign_is_skipped_not_fatal(capsys, db):
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("update campaign set decision_date = '9999-12-31'"))
    engine.dispose()
    database_path = db
    from db.engine import open_database

    database = open_database(f"sqlite:///{database_path}")
    with database.session() as s:
        make_campaign(s, "Fine", "2024-01-31", 12, [("F", "not_appointed")])
    database.dispose()
    code, out, err = run(capsys, db, "purge", "--today", "2025-02-01")
    assert code == 0
    assert out.splitlines() == ["fine\tF\tretention ended 2025-01-31 (decision 2024-01-31 + 12 months)", "purged 1 candidate"]
    assert err.startswith("panel-tui: warning: campaign old skipped: its dates cannot be used")
    assert len(err.splitlines()) == 1


def test_purged_names_are_not_left_in_the_file_bytes(capsys, db):
    from db.engine import open_database

    # A name that also went through the audit trail and a note amended after submission.
    database = open_database(f"sqlite:///{db}")
    with database.session() as s:
        from db.candidates import update_candidate

        b = s.exec(select(Candidate).where(Candidate.ref == "B")).one()
        update_candidate(s, b.id, name="Bartholomew Quigley-Farnsworth", actor="hr")
        from db.reports import save_feedback

        save_feedback(s, b.id, "Dear Bartholomew Quigley-Farnsworth, thank you.", actor="sam")
    database.dispose()
    wal = db.with_name(db.name + "-wal")
    assert b"Quigley-Farnsworth" in db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert run(capsys, db, "purge", "--today", "2025-02-01")[0] == 0
    data = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert b"Quigley-Farnsworth" not in data
    assert b"Name of B" not in data and b"notes about B" not in data and b"feedback for B" not in data
    assert b"Name of A" in data  # appointed: kept
    # The purge left the audit trail verifiable: purged values are expected to be blank.
    code, out, err = run(capsys, db, "audit", "verify", "old")
    assert code == 0, err
    assert "personal values purged" in out


def test_purged_candidates_refuse_later_writes(session, campaigns):
    from db.errors import ValidationError
    from db.retention import refuse_purged

    purge(session, date(2025, 2, 1), dry_run=False)
    cand = {c.ref: c for c in session.exec(select(Candidate))}
    refuse_purged(session, [cand["APPOINTED"].id])  # not purged: fine
    with pytest.raises(ValidationError) as err:
        refuse_purged(session, [cand["APPOINTED"].id, cand["NOTAPP"].id, cand["PENDING"].id], "given scores")
    assert str(err.value) == "candidate NOTAPP (and 1 more) was purged under the retention policy and cannot be given scores"


def test_a_paper_score_sheet_cannot_write_onto_a_purged_candidate(session, campaigns):
    from db.errors import ValidationError
    from db.paper_scores import import_paper_scores

    old = campaigns[0]
    purge(session, date(2025, 2, 1), dry_run=False)
    before = snapshot(session)
    sheet = ("candidate_ref,item,member,score,evidence\n"
             "NOTAPP,Working Together,Sam,6,restored notes\nAPPOINTED,Working Together,Sam,6,\n")
    with pytest.raises(ValidationError, match="candidate NOTAPP was purged under the retention policy and cannot be given scores"):
        import_paper_scores(session, old.key, sheet)
    assert snapshot(session) == before


def test_a_late_return_cannot_write_notes_onto_a_purged_candidate(session, campaigns):
    from db.errors import ValidationError
    from db.campaigns import find_member, get_campaign
    from db.engine import open_database
    from db.exchange import export_return, import_pack_text, import_return, pack_text

    old = campaigns[0]
    laptop = open_database("sqlite://")  # Sam's laptop, loaded from his pack before the purge
    with laptop.session() as s:
        import_pack_text(s, pack_text(session, old.key, "Sam"))
        c = get_campaign(s, old.key)
        cand = s.exec(select(Candidate).where(Candidate.campaign_id == c.id, Candidate.ref == "NOTAPP")).one()
        item = campaign_items(s, c.id)[0]
        save_evidence(s, cand.id, find_member(s, c.id, "Sam").id, item.id, EvidenceState(notes="restored notes"))
        text, _ = export_return(s, old.key, "Sam")
    laptop.dispose()
    purge(session, date(2025, 2, 1), dry_run=False)
    before = snapshot(session)
    with pytest.raises(ValidationError, match="was purged under the retention policy and cannot be given a return"):
        import_return(session, text, source="late.json")
    assert snapshot(session) == before
