"""Returns in the streamed layout (one assessment per line), and an unchanged return recognised at once.

A 20,000-candidate return is written and read one assessment at a time (bench/bench_import.py);
these tests check that the layout is still the documented envelope (any JSON reader, and an
older panel-tui, reads it and its checksum), that a changed line is refused, and that the
shortcut for an unchanged return never hides a change.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import Session

from db import exchange
from db.campaigns import find_member, get_campaign
from db.errors import ImportRefused
from db.exchange import envelope
from db.exchange import keys as exchange_keys
from db.exchange.envelope import SIGNED_AS, lock_signed, open_return
from db.exchange.returns import _entries, _number, _text
from tests.test_exchange import KEY, SIGNING, counts, enter, make_campaign, member_return, score_all, snapshot


@pytest.fixture
def chair(session: Session) -> Session:
    make_campaign(session)
    return session


def _work(s: Session) -> None:
    score_all(s, "Priya Raman", "C-001", 4)
    enter(s, "Priya Raman", "C-002", "Working Together", 5, "Notes with \"quotes\", a tab\t, a new\nline and é€.")


def test_a_return_is_one_assessment_per_line_and_still_the_documented_envelope(chair):
    data = member_return(chair, "Priya Raman", _work)
    signed = open_return(data, exchange_keys.campaign_identities(chair), "r.age")
    lines = signed.body.split(b"\n")
    assert lines[0].endswith(b'"content":{"assessments":[')
    entries = [json.loads(line.rstrip(b",")) for line in lines[1:] if line.startswith(b"{")]
    assert [e["ref"] for e in entries] == ["C-001", "C-002"]
    for line, entry in zip(lines[1:], entries):  # each line is its entry's canonical JSON
        assert line.rstrip(b",") == exchange.canonical(entry)
    doc = json.loads(signed.body)  # a whole-document reader (an older panel-tui) reads it, checksum and all
    assert doc["sha256"] == exchange.checksum(doc["content"])
    assert envelope.unseal(signed.body, "r.age", exchange.FORMAT_RETURN).content["assessments"] == entries
    assert exchange.import_return(chair, data, source="r.age").assessments == 2


def test_entry_text_is_what_json_writes():
    for text in ["", "plain", 'a"b\\c\n\t\x01é€\u2028']:
        assert _text(text) == json.dumps(text, ensure_ascii=False)
    for number in [4.0, 3.5, 0.1 + 0.2, 1e20, 7, None]:
        assert _number(number) == json.dumps(number)


def test_return_content_reads_back_as_the_entries(chair):
    member_return(chair, "Priya Raman", _work)
    from tests.test_exchange import laptop

    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        _work(s)
        campaign = get_campaign(s, KEY)
        member = find_member(s, campaign.id, "Priya Raman")
        content = exchange.return_content(s, campaign, member)
        assert [json.loads(e) for e in _entries(s, campaign, member)] == content["assessments"]
        assert content["assessments"][1]["items"][0]["notes"].endswith("é€.")


def _relock(chair: Session, data: bytes, change) -> bytes:
    """The author changes the plain text of their return and signs it again (their own key)."""
    signed = open_return(data, exchange_keys.campaign_identities(chair), "r")
    body = change(signed.body)
    recipient = exchange_keys.campaign_keys(chair, get_campaign(chair, KEY).id).recipient
    return lock_signed(bytearray(SIGNED_AS + body), KEY, signed.member, SIGNING[signed.member], recipient)


def _reseal(chair: Session, data: bytes, change) -> bytes:
    """The author's return with its entry lines changed, sealed again properly (checksum and signature right)."""
    signed = open_return(data, exchange_keys.campaign_identities(chair), "r")
    lines = [line.rstrip(b",").decode() for line in signed.body.split(b"\n")[1:] if line.startswith(b"{")]
    doc = json.loads(signed.body)
    plain, _ = envelope.seal_streamed(
        envelope.FORMAT_RETURN, KEY, "assessments", change(lines), {"member": doc["content"]["member"]},
        prefix=SIGNED_AS, amendments=doc.get("amendments"),
    )
    recipient = exchange_keys.campaign_keys(chair, get_campaign(chair, KEY).id).recipient
    return lock_signed(plain, KEY, signed.member, SIGNING[signed.member], recipient)


def test_a_changed_line_is_refused_by_the_checksum_and_nothing_is_written(chair):
    data = member_return(chair, "Priya Raman", _work)
    changed = _relock(chair, data, lambda body: re.sub(rb'"score":[0-9.]+', b'"score":1.0', body, count=1))
    before, held = counts(chair), snapshot(chair)
    with pytest.raises(ImportRefused, match=r"^r\.age: checksum does not match"):
        exchange.import_return(chair, changed, source="r.age")
    assert counts(chair) == before and snapshot(chair) == held
    # Well-sealed (checksum right) but bad inside: each line is parsed and checked on its own.
    broken = _reseal(chair, data, lambda lines: [lines[0].replace('"ref":"C-001"', '"ref":C-001'), *lines[1:]])
    with pytest.raises(ImportRefused, match=r"^r\.age: not a panel-tui file \(truncated or not JSON\)$"):
        exchange.import_return(chair, broken, source="r.age")
    bad = _reseal(chair, data, lambda lines: [lines[0], re.sub(r'"star":"[A-Z]*"', '"star":"X"', lines[1], count=1)])
    with pytest.raises(ImportRefused, match=r"^r\.age: not a valid return: assessments\[1\]\.items\[0\]\.star: "):
        exchange.import_return(chair, bad, source="r.age")
    assert counts(chair) == before and snapshot(chair) == held


def test_an_unchanged_return_is_recognised_without_reading_its_content(chair, monkeypatch):
    data = member_return(chair, "Priya Raman", _work)
    assert exchange.import_return(chair, data, source="r.age").assessments == 2
    held = snapshot(chair)

    def unread(*_a, **_k):
        raise AssertionError("the content was read")

    import db.exchange.return_merge as merge

    monkeypatch.setattr(merge, "unseal_streamed", unread)
    again = exchange.import_return(chair, data, source="r.age")
    assert again.up_to_date and snapshot(chair) == held
    monkeypatch.undo()
    # Once the member's assessments change (here: a later return), the old file is read again, not skipped.
    later = member_return(chair, "Priya Raman", lambda s: enter(s, "Priya Raman", "C-003", "Working Together", 3))
    assert exchange.import_return(chair, later, source="later.age").assessments == 1
    monkeypatch.setattr(merge, "unseal_streamed", unread)
    with pytest.raises(AssertionError, match="the content was read"):
        exchange.import_return(chair, data, source="r.age")


def test_a_preview_does_not_remember_the_file(chair, monkeypatch):
    data = member_return(chair, "Priya Raman", _work)
    before = counts(chair)
    batch = exchange.import_returns(chair, [("r.age", data)], preview=True)
    assert batch.results[0].assessments == 2 and counts(chair) == before
    import db.exchange.return_merge as merge

    calls = []
    real = merge.unseal_streamed
    monkeypatch.setattr(merge, "unseal_streamed", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert exchange.import_return(chair, data, source="r.age").assessments == 2
    assert calls == [1]


# --- format versions: 2 writes each tag as an array; version 1 files (tags as objects) are still read ---------


def _tags_as_objects(entry: dict) -> dict:
    for ev in entry["items"]:
        ev["tags"] = [dict(zip(("element", "level", "kind", "position", "tag"), t)) for t in ev.get("tags", [])]
    return entry


def _version_1(chair: Session, data: bytes, *, streamed: bool) -> bytes:
    """The same return as panel-tui wrote it in format version 1 (streamed, or as one document), signed by its author."""
    if not streamed:
        from tests.test_exchange import resign

        def older(d: dict) -> None:
            d["version"] = 1
            for entry in d["content"]["assessments"]:
                _tags_as_objects(entry)

        return resign(chair, data, older)
    signed = open_return(data, exchange_keys.campaign_identities(chair), "r")
    doc = json.loads(signed.body)
    lines = [json.loads(line.rstrip(b",")) for line in signed.body.split(b"\n")[1:] if line.startswith(b"{")]
    plain, _ = envelope.seal_streamed(
        envelope.FORMAT_RETURN, KEY, "assessments", [_tags_as_objects(e) for e in lines],
        {"member": doc["content"]["member"]}, prefix=SIGNED_AS, amendments=doc.get("amendments"),
    )
    head = plain.index(b"\n", len(SIGNED_AS))  # the version is in the first line (the checksum covers the content)
    plain[:head] = plain[:head].replace(b'"version":2,', b'"version":1,')
    recipient = exchange_keys.campaign_keys(chair, get_campaign(chair, KEY).id).recipient
    return lock_signed(plain, KEY, signed.member, SIGNING[signed.member], recipient)


@pytest.mark.parametrize("streamed", [True, False])
def test_a_version_1_return_reads_as_its_version_2_twin(chair, streamed):
    from tests.test_exchange import laptop

    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        _work(s)
        SIGNING["Priya Raman"] = exchange_keys.laptop_keys(s, get_campaign(s, KEY).id).signing.private
        data = exchange.export_return(s, KEY, "Priya Raman")[0]
        on_laptop = snapshot(s, member="Priya Raman")
    body = open_return(data, exchange_keys.campaign_identities(chair), "r").body
    assert b'"version":2,' in body.split(b"\n")[0]
    assert b'"tags":[["Seeing the Big Picture",4,"example",0,"seen"],' in body  # a tag is an array
    older = _version_1(chair, data, streamed=streamed)
    doc = json.loads(open_return(older, exchange_keys.campaign_identities(chair), "r").body)
    assert doc["version"] == 1 and doc["content"]["assessments"][0]["items"][0]["tags"][0] == {
        "element": "Seeing the Big Picture", "kind": "example", "level": 4, "position": 0, "tag": "seen"}
    assert exchange.import_return(chair, older, source="v1.age").assessments == 2
    held = snapshot(chair, member="Priya Raman")
    assert held == on_laptop and any(tags for _, items in held.values() for *_, tags in items.values())
    # The version 2 file of the same work finds it all held: nothing to change.
    assert exchange.import_return(chair, data, source="v2.age").up_to_date and snapshot(chair, member="Priya Raman") == held


@pytest.mark.parametrize("ids_given", [True, False], ids=["ids given", "ids read back"])
def test_new_evidence_is_numbered_as_the_database_numbers_it_and_its_tags_follow_it(chair, monkeypatch, ids_given):
    """On SQLite the merge gives the new evidence rows their ids (max + 1 onwards, in the file's order,
    as SQLite numbers rows); elsewhere it reads them back (the second case: that path, on any database).
    Either way each tag is on its own item."""
    from sqlmodel import col, func, select

    from db.exchange import return_merge

    given = ids_given and chair.get_bind().dialect.name == "sqlite"
    monkeypatch.setattr(return_merge, "ids_follow_max", lambda conn: given)

    from db.models import Assessment, CampaignItem, Candidate, Element, Indicator, IndicatorTag, ItemEvidence

    enter(chair, "Joe Lambert", "C-001", "Working Together", 3)  # rows already held: numbering goes on after them
    before = chair.exec(select(func.max(ItemEvidence.id))).one()
    data = member_return(chair, "Priya Raman", _work)
    assert exchange.import_return(chair, data, source="r.age").assessments == 2
    rows = chair.exec(
        select(ItemEvidence.id, Candidate.ref, CampaignItem.name)
        .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .join(CampaignItem, col(CampaignItem.id) == ItemEvidence.item_id)
        .where(col(ItemEvidence.id) > before).order_by(col(ItemEvidence.id))
    ).all()
    assert len(rows) == 5 and [r[1] for r in rows] == sorted(r[1] for r in rows)  # candidate by candidate
    if given:
        assert [r[0] for r in rows] == list(range(before + 1, before + 6))
    tagged = chair.exec(
        select(CampaignItem.name, Element.name)
        .join(ItemEvidence, col(ItemEvidence.item_id) == CampaignItem.id)
        .join(IndicatorTag, col(IndicatorTag.evidence_id) == ItemEvidence.id)
        .join(Indicator, col(Indicator.id) == IndicatorTag.indicator_id)
        .join(Element, col(Element.id) == Indicator.element_id)
        .where(col(ItemEvidence.id) > before)
    ).all()
    assert tagged and all(item == element for item, element in tagged)  # each item's tags are its element's
