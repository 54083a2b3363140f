"""A return's merge seals what it writes itself (``db.audit.seal_known``): the seals equal what the
database holds, the commit reads nothing back for them, and a later write in the same transaction
makes the commit read that assessment back after all."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, col, select

from db import audit, audit_material, exchange
from db.audit_verify import verify
from db.exchange.batch import import_returns
from db.exchange.return_merge import merge_return
from db.models import Assessment, AuditEvent, ItemEvidence
from tests.test_exchange import enter, ids, laptop, make_campaign, score_all

KEY = "hrbp-2026"


@pytest.fixture
def chair(session: Session) -> Session:
    make_campaign(session)
    return session


def _sealed_by(session: Session, action: str) -> dict[str, dict[str, str]]:
    entry = session.exec(
        select(AuditEvent).where(AuditEvent.action == action, AuditEvent.seal != "").order_by(col(AuditEvent.id).desc())
    ).first()
    assert entry is not None
    return json.loads(entry.seal)


def _held_seals(session: Session, keys: list[str], salt: str) -> dict[str, dict[str, str]]:
    now, _ = audit.current_material(session, keys=keys)
    return {k: audit_material.digests(m, salt) for k, m in now.items()}


def test_the_merge_seals_what_it_writes_and_the_commit_reads_nothing_back(chair, monkeypatch):
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        score_all(s, "Priya Raman", "C-001", 0)  # submitted, tagged
        score_all(s, "Priya Raman", "C-002", 3, submit_it=False)  # not submitted: not sealed
        first = exchange.export_return(s, KEY, "Priya Raman")[0]
        # Amended submitted work: one item changes, the others are held unchanged (their seal parts too).
        enter(s, "Priya Raman", "C-001", "Working Together", 6, notes="re-read", amend_reason="wrong level")
        enter(s, "Priya Raman", "C-002", "Motivation", 2, notes="later")
        second = exchange.export_return(s, KEY, "Priya Raman")[0]
    reads: list = []
    real = audit.current_material
    cands, members, _, campaign = ids(chair)
    for data in (first, second):
        monkeypatch.setattr(audit, "current_material", lambda *a, **k: reads.append(k) or real(*a, **k))
        exchange.import_return(chair, data)
        assert reads == []  # the merge handed every seal over
        monkeypatch.setattr(audit, "current_material", real)
        entry = chair.exec(select(AuditEvent).where(AuditEvent.action == "import").order_by(col(AuditEvent.id).desc())).first()
        sealed = json.loads(entry.seal)
        a1, a2 = (chair.exec(select(Assessment.id).where(
            Assessment.candidate_id == cands[ref], Assessment.member_id == members["Priya Raman"])).one() for ref in ("C-001", "C-002"))
        assert list(sealed) == [f"a{a1}"]  # C-002 is not submitted
        assert sealed == _held_seals(chair, [f"a{a1}", f"a{a2}"], entry.salt)  # what the database holds
        assert verify(chair, campaign.id).ok  # type: ignore[arg-type]


def test_a_later_write_in_the_transaction_makes_the_commit_read_it_back(chair):
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        score_all(s, "Priya Raman", "C-001", 0)
        data = exchange.export_return(s, KEY, "Priya Raman")[0]
    cands, members, _, campaign = ids(chair)
    merge_return(chair, data, source="r.age")
    aid = chair.exec(select(Assessment.id).where(
        Assessment.candidate_id == cands["C-001"], Assessment.member_id == members["Priya Raman"])).one()
    ev = chair.exec(select(ItemEvidence).where(ItemEvidence.assessment_id == aid)).first()
    ev.notes = "changed after the merge sealed it"  # the handed-over seal no longer holds
    chair.add(ev)
    chair.commit()
    assert verify(chair, campaign.id).ok  # type: ignore[arg-type]
    assert _sealed_by(chair, "import")[f"a{aid}"] == _held_seals(chair, [f"a{aid}"], chair.exec(
        select(AuditEvent.salt).where(AuditEvent.action == "import")).one())[f"a{aid}"]


def test_two_returns_from_one_member_in_one_batch_seal_the_later_values(chair):
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        score_all(s, "Priya Raman", "C-001", 0, submit_it=False)
        score_all(s, "Priya Raman", "C-002", 0)
        older = exchange.export_return(s, KEY, "Priya Raman")[0]
        score_all(s, "Priya Raman", "C-001", 4)
        newer = exchange.export_return(s, KEY, "Priya Raman")[0]
    batch = import_returns(chair, [("older.age", older), ("newer.age", newer)])
    assert batch.applied
    campaign = ids(chair)[3]
    assert verify(chair, campaign.id).ok  # type: ignore[arg-type]
    entries = chair.exec(select(AuditEvent).where(AuditEvent.action == "import").order_by(col(AuditEvent.seq))).all()
    assert [e.reason for e in entries] == ["older.age", "newer.age"]
    # Each file's entry carries the seals of what it wrote; the later file's hold the values now held.
    assert all(e.seal for e in entries)
    later = json.loads(entries[1].seal)
    assert later == _held_seals(chair, list(later), entries[1].salt)


def test_a_seal_written_directly_is_the_canonical_json_of_its_digests():
    material = {"i12": (False, "3.0|STA|1:seen,2:contrary"), "n12": (True, 'notes "quoted" é\n\ttab'),
                "i3": (False, "None||"), "n3": (True, "")}
    canonical = json.dumps(audit_material.digests(material, "ab12"), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert audit_material.sealed_part(material, "ab12") == canonical
