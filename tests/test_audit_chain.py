"""The audit trail is a hash chain per campaign, and submitted work is sealed in it:
`audit verify` passes on honest use and names what was changed with raw SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from db.audit import record
from db.audit_verify import verify
from db.consolidation import record_consensus
from db.engine import open_database, sqlite_url
from db.interview import EvidenceState, load_interview, save_evidence
from db.models import AuditEvent, CampaignItem, Candidate, PanelMember
from db.outcomes import set_status
from panel_tui.cli import main
from tests.conftest import PG_URL


@pytest.fixture
def honest(session, demo):
    """The demo, plus an amendment with a reason, a consensus score and an outcome, all through the app."""
    cand = session.exec(select(Candidate).where(Candidate.campaign_id == demo.id, Candidate.ref == "HRBP-001")).one()
    items = session.exec(select(CampaignItem).where(CampaignItem.campaign_id == demo.id).order_by(CampaignItem.position)).all()
    priya = session.exec(select(PanelMember).where(PanelMember.campaign_id == demo.id, PanelMember.name == "Priya Raman")).one()
    state = load_interview(session, cand.id, priya.id).evidence[items[1].id]
    save_evidence(session, cand.id, priya.id, items[1].id,
                  EvidenceState(notes=state.notes, star=state.star, score=5, tags=state.tags), amend_reason="misread my notes")
    record_consensus(session, cand.id, items[0].id, 5, "agreed after discussion", actor="Sam Whitfield")
    set_status(session, cand.id, "declined", actor="Sam Whitfield", reason="withdrew")
    return demo, cand, items, priya


def run(db_file, *args, capsys):
    # The CLI opens the same database as the ``session`` fixture: the SQLite file, or PostgreSQL.
    where = ["--db-url", PG_URL] if PG_URL else ["--db", str(db_file)]
    code = main([*where, "audit", "verify", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_entries_are_numbered_and_chained_per_campaign(session, honest):
    demo = honest[0]
    seqs = session.exec(select(AuditEvent.seq).where(AuditEvent.campaign_id == demo.id).order_by(AuditEvent.id)).all()
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 5
    assert all(len(e.chain_hash) == 64 for e in session.exec(select(AuditEvent).where(AuditEvent.campaign_id == demo.id)))
    sealed = session.exec(select(AuditEvent).where(AuditEvent.campaign_id == demo.id, AuditEvent.seal != "")).all()
    assert {e.action for e in sealed} >= {"submit", "amend", "record", "status"}


def test_honest_database_verifies(session, honest, db_file, capsys):
    result = verify(session, honest[0].id)
    assert result.ok, result.problems
    assert result.sealed >= 8  # 6 submitted assessments, a consensus score, an outcome
    code, out, err = run(db_file, honest[0].key, capsys=capsys)
    assert code == 0 and "all intact" in out and err == ""


def test_a_score_changed_with_sql_is_named(session, honest, db_file, capsys):
    demo, cand, items, priya = honest
    session.exec(text(
        "update itemevidence set score = 7 where item_id = :item and assessment_id ="
        " (select id from assessment where candidate_id = :cand and member_id = :member)"
    ), params={"item": items[2].id, "cand": cand.id, "member": priya.id})
    session.commit()
    code, out, err = run(db_file, demo.key, capsys=capsys)
    assert code == 1
    assert "HRBP-001" in err and "Priya Raman" in err and items[2].name in err and "score" in err


def test_consensus_and_outcome_changed_with_sql_are_named(session, honest, db_file, capsys):
    demo, cand, items, _ = honest
    session.exec(text("update consensus set score = 7 where candidate_id = :c"), params={"c": cand.id})
    session.exec(text("update outcome set status = 'appointed' where candidate_id = :c"), params={"c": cand.id})
    session.commit()
    problems = verify(session, demo.id).problems
    assert any(f"consensus for {items[0].name}" in p and "HRBP-001" in p for p in problems)
    assert any("HRBP-001, outcome" in p for p in problems)


def test_a_consensus_added_behind_the_apps_back_is_noticed(session, honest):
    demo, _, items, _ = honest
    other = session.exec(select(Candidate).where(Candidate.campaign_id == demo.id, Candidate.ref == "HRBP-002")).one()
    session.exec(text("insert into consensus (candidate_id, item_id, score, rationale, updated_at)"
                      " values (:c, :i, 7, 'x', '2026-01-01 00:00:00')"), params={"c": other.id, "i": items[0].id})
    session.commit()
    assert any("HRBP-002" in p and "no sealed record" in p for p in verify(session, demo.id).problems)


def test_a_deleted_entry_is_a_gap(session, honest, db_file, capsys):
    demo = honest[0]
    session.exec(text("delete from auditevent where campaign_id = :c and seq = 3"), params={"c": demo.id})
    session.commit()
    code, _, err = run(db_file, demo.key, capsys=capsys)
    assert code == 1 and "audit entry 3 deleted" in err


def test_edited_entries_are_named(session, honest):
    demo = honest[0]
    amend = session.exec(select(AuditEvent).where(AuditEvent.action == "amend")).first()
    session.exec(text("update auditevent set reason = 'nothing to see' where id = :i"), params={"i": amend.id})
    session.exec(text("update auditevent set old_value = '9' where action = 'status'"))
    session.commit()
    problems = verify(session, demo.id).problems
    assert any(f"audit entry {amend.seq} (amend" in p and "edited" in p for p in problems)
    assert any("(status outcome): its old/new values were edited" in p for p in problems)


def test_two_writers_do_not_fork_the_chain(database, honest):
    """Both sessions read the chain before either writes; the head is taken at commit, so no fork."""
    demo = honest[0]
    with database.session() as a, database.session() as b:
        a.exec(select(AuditEvent)).all()
        b.exec(select(AuditEvent)).all()
        record(a, action="note", entity="campaign", entity_id=demo.id, campaign_id=demo.id, new="a")
        a.commit()
        record(b, action="note", entity="campaign", entity_id=demo.id, campaign_id=demo.id, new="b")
        b.commit()
    with database.session() as s:
        seqs = s.exec(select(AuditEvent.seq).where(AuditEvent.campaign_id == demo.id).order_by(col(AuditEvent.seq))).all()
        assert seqs == list(range(1, len(seqs) + 1))
        assert verify(s, demo.id).ok


def test_a_second_entry_with_the_same_number_is_refused(session, honest):
    demo = honest[0]
    first = session.exec(select(AuditEvent).where(AuditEvent.campaign_id == demo.id, AuditEvent.seq == 1)).one()
    session.add(AuditEvent(campaign_id=demo.id, seq=1, entity="campaign", action="fork", chain_hash=first.chain_hash))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_upgrade_from_0001_keeps_old_entries_as_pre_chain(tmp_path, capsys):
    from db.migrations import upgrade

    path = tmp_path / "old.db"
    path.touch(mode=0o600)
    engine = create_engine(sqlite_url(path))
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text(
            "insert into framework (key, name, kind, bundled, level_names) values ('f', 'F', 'behaviours', 0, '{}')"
        ))
        conn.execute(text(
            "insert into campaign (key, title, department, reference, location, grade, level, level_reason, framework_id,"
            " scale, divergence_threshold, scoring_method, retention_months, anonymised, interview_minutes, created_at)"
            " values ('old', 'Old', '', '', '', 'HEO', 3, '', 1, '[]', 2, 'consensus', 24, 0, 60, '2025-01-01 00:00:00')"
        ))
        for i in range(3):
            conn.execute(text(
                "insert into auditevent (at, actor, campaign_id, entity, entity_id, action, old_value, new_value, reason)"
                f" values ('2025-01-0{i + 1} 10:00:00', 'sam', 1, 'campaign', 1, 'change', 'a{i}', 'b{i}', '')"
            ))
    engine.dispose()
    database = open_database(sqlite_url(path), load_frameworks=False)
    with database.session() as s:
        old = s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.seq, e.old_value, e.chain_hash) for e in old] == [(None, f"a{i}", "") for i in range(3)]
        record(s, action="change", entity="campaign", entity_id=1, campaign_id=1, old="b2", new="c")
        s.commit()
        assert s.exec(select(AuditEvent.seq).where(col(AuditEvent.seq).is_not(None))).all() == [1]
        result = verify(s, 1)
        assert result.ok and result.pre_chain == 3 and result.entries == 1
    database.dispose()
    assert main(["--db", str(path), "audit", "verify", "old"]) == 0
    assert "3 entries from before the chain" in capsys.readouterr().out


def test_returns_imported_in_bulk_are_sealed(tmp_path, capsys):
    """A return import writes with bulk statements; the changed assessments are still sealed."""
    from db.demo import DEMO_KEY, ensure_demo
    from db.interview import submit

    chair, laptop, pack, ret = (tmp_path / n for n in ("chair.db", "priya.db", "pack.json", "ret.json"))
    database = open_database(sqlite_url(chair))
    with database.session() as s:
        ensure_demo(s)
    database.dispose()
    (tmp_path / "pw").write_text("a passphrase for the test\n")
    pw = ["--passphrase-file", str(tmp_path / "pw")]
    assert main(["--db", str(chair), "pack", "export", DEMO_KEY, str(pack), "--member", "Priya Raman", *pw]) == 0
    assert main(["--db", str(laptop), "pack", "import", str(pack), "--member", "Priya Raman", *pw]) == 0
    database = open_database(sqlite_url(laptop))
    with database.session() as s:
        cand = s.exec(select(Candidate).where(Candidate.ref == "HRBP-004")).one()
        priya = s.exec(select(PanelMember).where(PanelMember.name == "Priya Raman")).one()
        for item in s.exec(select(CampaignItem)).all():
            save_evidence(s, cand.id, priya.id, item.id, EvidenceState(notes="seen", score=5))
        submit(s, cand.id, priya.id)
        first = s.exec(select(CampaignItem).order_by(CampaignItem.position)).first()
    database.dispose()
    for amended in (False, True):
        if amended:
            database = open_database(sqlite_url(laptop))
            with database.session() as s:
                save_evidence(s, cand.id, priya.id, first.id, EvidenceState(notes="seen", score=6), amend_reason="typo")
            database.dispose()
        assert main(["--db", str(laptop), "return", "export", DEMO_KEY, str(ret)]) == 0
        assert main(["--db", str(chair), "return", "import", str(ret)]) == 0
        capsys.readouterr()
        assert main(["--db", str(chair), "audit", "verify", DEMO_KEY]) == 0, capsys.readouterr().err
    assert main(["--db", str(laptop), "audit", "verify", DEMO_KEY]) == 0
    engine = create_engine(sqlite_url(chair))
    with engine.begin() as conn:
        conn.execute(text("update itemevidence set score = 3 where score = 6"))
    engine.dispose()
    capsys.readouterr()
    assert main(["--db", str(chair), "audit", "verify", DEMO_KEY]) == 1
    assert f"HRBP-004, Priya Raman's assessment: {first.name} score/STAR/tags changed" in capsys.readouterr().err


def test_a_rebuilt_chain_passes_alone_but_not_against_a_noted_head(session, honest, db_file, capsys):
    """The chain has no secret key (README: what it does not guarantee): an editor who recomputes
    every hash after the entry they changed gets a consistent chain. A head noted elsewhere -- as
    `audit verify` prints it, or from an exported record -- shows the rewrite."""
    from db.audit import chain_hash
    from db.audit_verify import head_text
    from db.record import assessment_record_markdown

    demo, cand = honest[0], honest[1]
    record_md = assessment_record_markdown(session, cand.id)
    noted = verify(session, demo.id)
    mark = head_text(noted.head_seq, noted.head_hash)
    assert f"Audit chain head when this record was made: {mark}" in record_md
    assert run(db_file, demo.key, "--head", mark, capsys=capsys)[0] == 0

    # Rewrite entry 2's reason, then every hash from there on, as a knowing editor would.
    session.exec(text("update auditevent set reason = 'rewritten' where campaign_id = :c and seq = 2"),
                 params={"c": demo.id})
    session.commit()
    session.expire_all()
    previous = ""
    for e in session.exec(select(AuditEvent).where(AuditEvent.campaign_id == demo.id).order_by(col(AuditEvent.seq))).all():
        session.exec(text("update auditevent set chain_hash = :h where id = :i"),
                     params={"h": chain_hash(previous, e), "i": e.id})
        previous = chain_hash(previous, e)
    session.commit()
    assert verify(session, demo.id).ok  # consistent on its own
    code, _, err = run(db_file, demo.key, "--head", mark, capsys=capsys)
    assert code == 1 and f"audit entry {noted.head_seq} no longer has the noted hash {mark.split(':')[1]}" in err
    code, _, err = run(db_file, demo.key, "--head", "not-a-head", capsys=capsys)
    assert code == 1 and err.count("\n") == 1 and "is not a chain head" in err
