"""Sealed exchange files: what an attacker with a file, a pack or a colleague's laptop can and cannot do.

Threat model: a lost laptop or stick reveals nothing; a file changed by anyone but its
author is refused; every change to submitted work arrives with its reason and shows in
the chair's audit trail. age's scrypt costs about a second each way, so only two tests
here lock or open a pack with a passphrase.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from db import exchange
from db.consolidation import record_consensus
from db.errors import Conflict, ImportRefused
from db.exchange import keys as exchange_keys
from db.exchange.envelope import lock_return, open_return
from db.models import AuditEvent, ExchangeKey
from db.consolidation import load_grid
from db.review import needs_review
from panel_tui.screens.outcomes_work import items_to_review
from tests.test_exchange import (
    KEY,
    SIGNING,
    counts,
    enter,
    ids,
    laptop,
    make_campaign,
    member_return,
    score_all,
    snapshot,
)

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def chair(session: Session) -> Session:
    make_campaign(session)
    return session


def refused(chair: Session, data: bytes | str, match: str) -> str:
    before, held = counts(chair), snapshot(chair)
    with pytest.raises(ImportRefused, match=match) as exc:
        exchange.import_return(chair, data, source="r.age")
    assert "\n" not in str(exc.value)
    assert counts(chair) == before and snapshot(chair) == held
    return str(exc.value)


# --- packs: the passphrase layer -----------------------------------------------------------------


def test_pack_is_sealed_with_a_passphrase_and_a_wrong_one_changes_nothing(chair):
    data = exchange.export_pack(chair, KEY, "Priya Raman", PASSPHRASE)
    # A lost stick: the pack's bytes show no campaign, candidate, member, note or key.
    assert data.startswith(b"age-encryption.org/v1\n-> scrypt ")
    for secret in (KEY, "Priya", "Person 1", "Tell us about a team", "Home Office", "age1", "HR Business Partner"):
        assert secret.encode() not in data
    with laptop() as s:
        before = counts(s)
        with pytest.raises(ImportRefused, match=r"^p\.age: wrong passphrase, or the file was changed$"):
            exchange.import_pack(s, data, "correct horse battery stapler", source="p.age")
        assert counts(s) == before
        changed = data[:-10] + bytes([data[-10] ^ 1]) + data[-9:]
        with pytest.raises(ImportRefused, match=r"^p\.age: wrong passphrase, or the file was changed$"):
            exchange.import_pack(s, changed, PASSPHRASE, source="p.age")
        assert counts(s) == before
        with pytest.raises(ImportRefused, match=r"^p\.age: this pack is not for 'Joe Lambert'; nothing imported$"):
            exchange.import_pack(s, data, PASSPHRASE, source="p.age", member="Joe Lambert")
        assert counts(s) == before
        result = exchange.import_pack(s, data, PASSPHRASE, source="p.age", member="priya raman")
        assert result.created and result.candidates_added == 4
        keys = exchange_keys.laptop_keys(s, ids(s)[3].id)  # type: ignore[arg-type]
        assert keys is not None and keys.member_id == ids(s)[1]["Priya Raman"]
    # The chair's database kept the recipient's identity and Priya's public key, never her private key.
    rows = chair.exec(select(ExchangeKey)).all()
    assert sorted(r.kind for r in rows) == ["campaign", "member"]
    assert [r.secret for r in rows if r.kind == "member"] == [""]
    assert keys.signing.private not in {r.secret for r in rows}


def test_a_sealed_pack_is_not_a_return(chair):
    data = exchange.export_pack(chair, KEY, "Joe Lambert", PASSPHRASE)
    refused(chair, data, r"^r\.age is a panel pack, not a return$")
    assert exchange.sealed_format(data) == "panel-tui/pack"


# --- returns: signed by their author, readable only by the chair -------------------------------------


@pytest.fixture
def priya(chair) -> bytes:
    return member_return(chair, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))


def test_return_bytes_show_no_name_or_note(chair, priya):
    assert priya.startswith(b"age-encryption.org/v1\n-> X25519 ")
    for secret in ("Priya", "Raman", KEY, "C-001", "Priya Raman on C-001", "Seeing the Big Picture"):
        assert secret.encode() not in priya
    assert exchange.import_return(chair, priya).assessments == 1


def test_the_old_attack_a_plain_json_return_with_a_recomputed_checksum_is_refused(chair, priya):
    signed = open_return(priya, exchange_keys.campaign_identities(chair), "r")
    doc = json.loads(signed.body)
    for item in doc["content"]["assessments"][0]["items"]:
        item["score"] = 1.0  # the rank-1 candidate becomes a fail
    doc["sha256"] = exchange.checksum(doc["content"])
    message = refused(chair, json.dumps(doc), r"^r\.age: not a sealed return")
    assert message == "r.age: not a sealed return; unsealed files are refused (anyone could have written one)"


def test_a_changed_byte_anywhere_is_refused(chair, priya):
    for where in (30, len(priya) // 2, len(priya) - 1):
        changed = priya[:where] + bytes([priya[where] ^ 0x20]) + priya[where + 1 :]
        refused(chair, changed, r"^r\.age: (not sealed for this database, or the file was changed|not a sealed return)")


def test_a_colleague_cannot_write_a_return_in_someone_elses_name(chair, priya):
    # Joe holds his own pack (his key and the campaign's recipient) and writes "Priya's" return.
    joe = member_return(chair, "Joe Lambert", lambda s: score_all(s, "Joe Lambert", "C-002", 1))
    recipient = exchange_keys.campaign_keys(chair, ids(chair)[3].id).recipient  # type: ignore[arg-type]
    signed = open_return(joe, exchange_keys.campaign_identities(chair), "j")  # (the chair can read it; Joe could not)
    doc = json.loads(signed.body)
    doc["content"]["member"] = "Priya Raman"
    doc["sha256"] = exchange.checksum(doc["content"])
    forged = lock_return(json.dumps(doc), KEY, "Priya Raman", SIGNING["Joe Lambert"], recipient)
    refused(chair, forged, r"^r\.age: not signed by the panel member it names; refused$")
    # Joe signs as himself but the content names Priya: refused too.
    mixed = lock_return(json.dumps(doc), KEY, "Joe Lambert", SIGNING["Joe Lambert"], recipient)
    refused(chair, mixed, r"^r\.age: the signed header and the content disagree on campaign or member; refused$")
    # A key no pack of this database carried (an attacker's own) is refused as well.
    from db.seal import SigningKey

    outsider = lock_return(json.dumps(doc), KEY, "Priya Raman", SigningKey.generate().private, recipient)
    refused(chair, outsider, r"not signed by the panel member it names")
    assert exchange.import_return(chair, joe).assessments == 1 and exchange.import_return(chair, priya).assessments == 1


def test_a_return_sealed_for_another_chair_is_refused(chair, priya):
    # Another campaign's identity (another chair's database) cannot open it, and its recipient's returns do not open here.
    from db.seal import CampaignKeys

    elsewhere = lock_return("{}", KEY, "Priya Raman", SIGNING["Priya Raman"], CampaignKeys.generate().recipient)
    refused(chair, elsewhere, r"^r\.age: not sealed for this database, or the file was changed$")


def test_replaying_an_older_sealed_return_does_not_overwrite_newer_data(chair):
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        score_all(s, "Priya Raman", "C-001", 0, submit_it=False)
        old = exchange.export_return(s, KEY, "Priya Raman")[0]
        enter(s, "Priya Raman", "C-001", "Motivation", 2, notes="on reflection")
        new = exchange.export_return(s, KEY, "Priya Raman")[0]
        final = snapshot(s, member="Priya Raman")
    exchange.import_return(chair, new)
    before = counts(chair)
    with pytest.raises(Conflict, match=r"^old\.age: conflict: candidate C-001, Motivation: this database holds newer"):
        exchange.import_return(chair, old, source="old.age")
    assert counts(chair) == before and snapshot(chair, member="Priya Raman") == final


def test_an_earlier_pack_key_still_signs_after_the_chair_exports_a_new_pack(chair):
    first = member_return(chair, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))
    exchange.pack_text(chair, KEY, "Priya Raman")  # a newer pack for Priya, not yet loaded on her laptop
    assert exchange.import_return(chair, first).assessments == 1


# --- changes to submitted work carry their reasons -----------------------------------------------------


def test_an_amended_return_carries_reasons_to_the_audit_and_flags_the_consensus(chair):
    score_all(chair, "Sam Whitfield", "C-001", 2)
    exchange.import_return(chair, member_return(chair, "Joe Lambert", lambda s: score_all(s, "Joe Lambert", "C-001", 1)))
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        score_all(s, "Priya Raman", "C-001", 0)
        submitted = exchange.export_return(s, KEY, "Priya Raman")[0]
        exchange.import_return(chair, submitted, source="submitted.age")
        cands, _, items, campaign = ids(chair)
        wt = items["Working Together"].id
        record_consensus(chair, cands["C-001"], wt, 3, "Agreed after discussion.", "Sam Whitfield")
        assert needs_review(chair, campaign.id) == set()  # type: ignore[arg-type]
        # Priya amends her submitted score on her laptop (the interview's `m`), with a reason.
        enter(s, "Priya Raman", "C-001", "Working Together", 6, notes="re-read: strong example",
              amend_reason="scored against the wrong level")
        amended = exchange.export_return(s, KEY, "Priya Raman")[0]
        laptop_view = snapshot(s, member="Priya Raman")
    assert b"wrong level" not in amended
    result = exchange.import_return(chair, amended, source="amended.age")
    assert result.assessments == 1 and snapshot(chair, member="Priya Raman") == laptop_view
    rows = chair.exec(
        select(AuditEvent).where(AuditEvent.action == "amend", AuditEvent.actor == "Priya Raman").order_by(AuditEvent.id)
    ).all()
    by_field = {r.entity: r for r in rows}
    assert set(by_field) == {"evidence.notes", "evidence.score"}
    score = by_field["evidence.score"]
    assert (score.old_value, score.new_value) == ("2.0", "6.0")
    assert score.reason.startswith("scored against the wrong level (amended ") and score.reason.endswith("; from amended.age)")
    assert by_field["evidence.notes"].new_value == "re-read: strong example"
    assert needs_review(chair, campaign.id) == {(cands["C-001"], wt)}  # type: ignore[arg-type]
    # The chair's grid and Outcomes see it: that cell is flagged, no other.
    flagged = {(r.candidate_id, c.item_id) for r in load_grid(chair, campaign.id, None).rows  # type: ignore[arg-type]
               for c in r.cells if c.needs_review}
    assert flagged == {(cands["C-001"], wt)}
    assert items_to_review(chair, campaign.id) == {cands["C-001"]: ("Working Together",)}  # type: ignore[arg-type]
    # Importing the same file again adds no second set of audit rows.
    assert exchange.import_return(chair, amended).up_to_date
    assert len(chair.exec(select(AuditEvent).where(AuditEvent.action == "amend")).all()) == len(rows)
    # The chair re-confirms the consensus (same score): the flag clears.
    record_consensus(chair, cands["C-001"], wt, 3, "Agreed again after Priya's amendment.", "Sam Whitfield")
    assert needs_review(chair, campaign.id) == set()  # type: ignore[arg-type]
    assert not any(c.needs_review for r in load_grid(chair, campaign.id, None).rows for c in r.cells)  # type: ignore[arg-type]


def test_changing_submitted_work_without_a_reason_is_refused(chair):
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        score_all(s, "Priya Raman", "C-001", 0)
        exchange.import_return(chair, exchange.export_return(s, KEY, "Priya Raman")[0])
        enter(s, "Priya Raman", "C-001", "Motivation", 1, amend_reason="typo")
        amended = exchange.export_return(s, KEY, "Priya Raman")[0]
        signing = exchange_keys.laptop_keys(s, ids(s)[3].id).signing.private  # type: ignore[arg-type, union-attr]
    # Even the author (with her own key) cannot drop the amendment record and still change submitted work.
    signed = open_return(amended, exchange_keys.campaign_identities(chair), "r")
    doc = json.loads(signed.body)
    assert [(a["field"], a["reason"]) for a in doc["amendments"]] == [("score", "typo")]
    doc.pop("amendments")
    recipient = exchange_keys.campaign_keys(chair, ids(chair)[3].id).recipient  # type: ignore[arg-type]
    stripped = lock_return(json.dumps(doc), KEY, "Priya Raman", signing, recipient)
    before = counts(chair)
    with pytest.raises(Conflict, match=r"^r\.age: conflict: candidate C-001, Motivation: changes Priya Raman's "
                                       r"submitted assessment without an amendment reason; nothing imported$"):
        exchange.import_return(chair, stripped, source="r.age")
    assert counts(chair) == before
    assert exchange.import_return(chair, amended).assessments == 1
