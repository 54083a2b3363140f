"""What an attacker tried: forged packs, poisoned frameworks, bad values, future times, half-applied batches.

Every refusal is one line naming the file and the place, and leaves the database exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from db import exchange
from db.campaigns import get_campaign
from db.demo import DEMO_KEY, ensure_demo
from db.errors import ImportRefused
from db.frameworks import import_framework
from db.models import Candidate, Indicator, PanelMember
from tests.test_exchange import KEY, counts, laptop, make_campaign, member_return, reseal, resign, score_all, snapshot


@pytest.fixture
def chair(session: Session) -> Session:
    make_campaign(session)
    return session


@pytest.fixture
def pack(chair: Session) -> str:
    """Priya's pack without the passphrase layer (tested in test_exchange_seal.py)."""
    return exchange.pack_text(chair, KEY, "Priya Raman")


def refused(session: Session, data: str, match: str, importer: Callable = exchange.import_pack_text) -> str:
    before, held = counts(session), snapshot(session) if _has(session) else None
    with pytest.raises(ImportRefused, match=match) as exc:
        importer(session, data, source="f.json")
    message = str(exc.value)
    assert "\n" not in message and message.startswith("f.json")
    assert counts(session) == before
    if held is not None:
        assert snapshot(session) == held
    return message


def _has(session: Session) -> bool:
    try:
        get_campaign(session, KEY)
    except Exception:
        return False
    return True


# --- a pack never adds to the chair's campaign ---------------------------------------------------


def test_forged_pack_cannot_add_a_panel_member_on_the_database_that_created_the_campaign(chair, pack):
    forged = reseal(pack, lambda d: d["content"]["panel"].append({"name": "Mallory Mole", "role": "chair"}))
    refused(chair, forged, r"^f\.json: campaign hrbp-2026 was created on this database; a panel pack cannot add to it "
                           r"\(it would add panel member 'Mallory Mole'\); nothing imported$")
    late = reseal(pack, lambda d: d["content"]["candidates"].append({"ref": "C-666", "name": "Planted"}))
    refused(chair, late, r"it would add candidate 'C-666'")
    # The chair's own pack, imported back, changes nothing and is not an error.
    assert exchange.import_pack_text(chair, pack, source="own").summary == "own: campaign hrbp-2026 already up to date"


def test_a_laptop_that_got_the_campaign_from_a_pack_accepts_the_chairs_late_additions(chair, pack):
    later = reseal(pack, lambda d: d["content"]["panel"].append({"name": "Late Replacement", "role": "member"}))
    with laptop() as s:
        exchange.import_pack_text(s, pack)
        result = exchange.import_pack_text(s, later, source="later")
        assert (result.created, result.members_added) == (False, 1)
        assert "Late Replacement" in s.exec(select(PanelMember.name)).all()


# --- a pack never changes a bundled or shared framework ---------------------------------------------


def _poison(d: dict) -> None:
    fw = d["content"]["framework"]
    fw["elements"].append({"name": "Obedience", "position": 9, "cluster": None, "definition": "Do as told",
                           "indicators": [{"level": 4, "kind": "example", "position": 0, "text": "INJECTED"}]})


def test_pack_cannot_add_an_element_to_a_bundled_framework(session, pack):
    with laptop() as s:
        ensure_demo(s)
        refused(s, reseal(pack, _poison),
                r"^f\.json: the pack's framework success-profiles-behaviours adds element 'Obedience' to the one "
                r"bundled with panel-tui; a pack cannot change a bundled or shared framework; nothing imported$")
        assert s.exec(select(Indicator).where(Indicator.text == "INJECTED")).first() is None


def test_pack_cannot_add_or_change_an_indicator_of_a_bundled_framework(pack):
    def extra(d: dict) -> None:
        d["content"]["framework"]["elements"][0]["indicators"].append(
            {"level": 4, "kind": "example", "position": 77, "text": "INJECTED"})

    def changed(d: dict) -> None:
        d["content"]["framework"]["elements"][0]["indicators"][0]["text"] = "INJECTED"

    with laptop() as s:
        refused(s, reseal(pack, extra), r"adds an indicator \(Seeing the Big Picture, level 4\) to the one bundled")
        refused(s, reseal(pack, changed), r"framework success-profiles-behaviours here differs from the pack's")
        assert s.exec(select(Indicator).where(Indicator.text == "INJECTED")).first() is None


def test_pack_cannot_extend_a_framework_loaded_here_with_frameworks_import(pack):
    levels = {"4": {"examples": ["Own text"]}}
    own = {"key": "dept", "name": "Dept", "kind": "behaviours",
           "elements": [{"name": "Seeing the Big Picture", "levels": levels}]}

    def retarget(d: dict) -> None:
        d["content"]["framework"]["key"] = "dept"

    with laptop() as s:
        import_framework(s, own)
        refused(s, reseal(pack, retarget), r"framework dept here differs from the pack's|adds .* to the one held on this database")


# --- bad values ------------------------------------------------------------------------------------


def _set(path: str, value) -> Callable[[dict], None]:
    def go(d: dict) -> None:
        *parents, last = path.split("/")
        node = d["content"]
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        node[int(last) if last.isdigit() else last] = value

    return go


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("campaign/level", 99, r"campaign\.level: must be less than or equal to 6 \(got 99\)"),
        ("panel/1/role", "god", r"panel\[1\]\.role: must be 'chair', 'member' or 'independent' \(got 'god'\)"),
        ("candidates/0/extra_minutes", -15, r"candidates\[0\]\.extra_minutes: must be greater than or equal to 0"),
        ("campaign/interview_minutes", 0, r"campaign\.interview_minutes: must be greater than 0"),
        ("campaign/interview_minutes", 100_000, r"campaign\.interview_minutes: must be less than or equal to 600"),
        ("items/1/is_lead", "false", r"items\[1\]\.is_lead: must be true or false \(got 'false'\)"),
        ("campaign/anonymised", 1, r"campaign\.anonymised: must be true or false \(got 1\)"),
        ("campaign/key", "../../etc/x", r"campaign\.key: must be lower-case letters, digits and hyphens"),
        ("items/0/kind", "wizardry", r"items\[0\]\.kind: must be 'competency', 'behaviour'"),
        ("items/2/pass_mark", 4.5, r"item 'Motivation': pass mark 4\.5 is not on its scale"),
        ("candidates/1/ref", "x" * 81, r"candidates\[1\]\.ref: must be at most 80 characters"),
        ("candidates/1/ref", "   ", r"candidates\[1\]\.ref: must not be empty"),
        ("candidates/1/ref", "C-001", r"candidate ref 'C-001' appears twice"),
        ("candidates/2/slot", "1066-10-14T09:00:00+00:00", r"candidates\[2\]\.slot: 1066-10-14 is not between 2000 and 2100"),
        ("candidates/2/slot", 1700000000, r"candidates\[2\]\.slot: must be an ISO 8601 date/time text"),
        ("campaign/decision_date", "next week", r"campaign\.decision_date: "),
        ("campaign/created_at", "2999-01-01T00:00:00+00:00", r"campaign\.created_at: 2999-01-01 is not between"),
        ("campaign/colour", "red", r"campaign\.colour: unknown field"),
        ("panel", [], r"panel: must not be empty"),
        ("framework/elements/0/indicators/0/level", 7, r"framework\.elements\[0\]\.indicators\[0\]\.level: must be less"),
    ],
)
def test_bad_values_in_a_pack_are_refused_by_place(pack, path, value, match):
    with laptop() as s:
        message = refused(s, reseal(pack, _set(path, value)), r"^f\.json: not a valid panel pack: " + match)
        assert len(message) < 300


def test_envelope_campaign_key_must_be_safe_and_match_the_content(pack):
    with laptop() as s:
        refused(s, reseal(pack, lambda d: d.update(campaign="../../etc/x")), r"^f\.json: not a valid panel pack: campaign: must be lower-case")
        refused(s, reseal(pack, lambda d: d.update(campaign="other")), r"campaign\.key 'hrbp-2026' differs from the envelope's 'other'")


def test_text_in_a_pack_is_cleaned_of_escape_sequences_and_controls(pack):
    evil = reseal(pack, _set("candidates/0/name", "Eve\x1b]52;c;cm0gLXJmIH4=\x07 \x1b[31mRed\x1b[0m\u202eevil\x00"))
    with laptop() as s:
        exchange.import_pack_text(s, evil)
        assert s.exec(select(Candidate.name).where(Candidate.ref == "C-001")).one() == "Eve Redevil"


# --- time ---------------------------------------------------------------------------------------


def _future(minutes: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat()


def test_timestamps_in_the_future_are_refused(chair, pack):
    ret = member_return(chair, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))
    refused(chair, resign(chair, ret, lambda d: d.update(created_at=_future(60))), r"^f\.json: not a valid return: created_at: .* is in the future$",
            exchange.import_return)
    refused(chair, resign(chair, ret, _set("assessments/0/items/0/updated_at", _future(60))),
            r"assessments\[0\]\.items\[0\]\.updated_at: .* is in the future", exchange.import_return)
    refused(chair, resign(chair, ret, _set("assessments/0/submitted_at", _future(24 * 60))),
            r"assessments\[0\]\.submitted_at: .* is in the future", exchange.import_return)
    # A laptop clock a minute fast is fine.
    assert exchange.import_return(chair, resign(chair, ret, lambda d: d.update(created_at=_future(1)))).assessments == 1


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("assessments/0/items/0/star", "SSX", r"STAR coverage 'SSX' is not some of S, T, A, R, each once"),
        ("assessments/0/items/0/star", "TT", r"items\[0\]\.star: STAR coverage 'TT' is not some of S, T, A, R, each once"),
        ("assessments/0/items/0/score", "4", r"assessments\[0\]\.items\[0\]\.score: must be a number \(got '4'\)"),
        ("assessments/0/items/0/score", 3.5, r"assessments\[0\]\.items\[0\]\.score: candidate C-001, .*not on the scale"),
        ("assessments/0/items/1/tags/0/4", "maybe", r"tags\[0\]\[4\]: must be 'seen' or 'contrary'"),
        ("assessments/0/items/0/notes", "x" * 50_001, r"notes: must be at most 50000 characters"),
        ("member", "", r"member: must not be empty"),
    ],
)
def test_bad_values_in_a_return_are_refused_by_place(chair, pack, path, value, match):
    ret = member_return(chair, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))
    refused(chair, resign(chair, ret, _set(path, value)), match, exchange.import_return)


def test_an_item_twice_in_one_assessment_is_refused(chair, pack):
    ret = member_return(chair, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))

    def twice(d: dict) -> None:
        items = d["content"]["assessments"][0]["items"]
        items[1]["item"] = items[0]["item"].upper()  # names compare case-insensitively

    refused(chair, resign(chair, ret, twice), r"assessments\[0\]\.items: item '[A-Z ]+' appears twice$", exchange.import_return)


# --- size and depth, before parsing ----------------------------------------------------------------------


def test_files_too_large_or_too_deep_are_refused_before_parsing(chair, pack, monkeypatch, tmp_path):
    deep = reseal(pack, _set("campaign/level_reason", json.loads("[" * 40 + "]" * 40)))
    refused(chair, deep, r"^f\.json: nested more than 16 levels deep")
    assert exchange.import_pack_text(chair, pack).summary == "pack: campaign hrbp-2026 already up to date"
    monkeypatch.setattr("db.exchange.envelope.MAX_FILE_BYTES", 1000)
    refused(chair, pack, r"^f\.json: file is too large")
    (tmp_path / "big.json").write_text(pack)
    with pytest.raises(ImportRefused, match="file is too large"):
        exchange.read_exchange_file(tmp_path / "big.json")


# --- several returns: all or nothing --------------------------------------------------------------------


def test_tampered_then_good_applies_nothing(chair, pack):
    good = member_return(chair, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))
    joe = member_return(chair, "Joe Lambert", lambda s: score_all(s, "Joe Lambert", "C-002", 1))
    tampered = joe[:-40] + bytes([joe[-40] ^ 1]) + joe[-39:]
    before, held = counts(chair), snapshot(chair)
    batch = exchange.import_returns(chair, [("tampered.json", tampered), ("good.json", good)])
    assert not batch.applied
    assert batch.lines == [
        "tampered.json: not sealed for this database, or the file was changed",
        "nothing imported: 1 of 2 files refused",
    ]
    assert counts(chair) == before and snapshot(chair) == held
    # Preview: each file's effect, nothing written.
    preview = exchange.import_returns(chair, [("good.json", good), ("joe.json", joe)], preview=True)
    assert preview.lines == ["good.json: would import 1 assessments for Priya Raman",
                             "joe.json: would import 1 assessments for Joe Lambert"]
    assert counts(chair) == before and snapshot(chair) == held
    # Both good: both apply, in one transaction.
    batch = exchange.import_returns(chair, [("good.json", good), ("joe.json", joe)])
    assert batch.applied and [r.assessments for r in batch.results] == [1, 1]
    assert {m for m, _ in snapshot(chair)} == {"Priya Raman", "Joe Lambert"}


def test_two_returns_from_one_member_in_one_batch_merge_in_order(chair, pack):
    with laptop() as s:
        exchange.import_pack_text(s, pack)  # Priya's
        score_all(s, "Priya Raman", "C-001", 0, submit_it=False)
        first = exchange.export_return(s, KEY, "Priya Raman")[0]
        score_all(s, "Priya Raman", "C-002", 1)
        second = exchange.export_return(s, KEY, "Priya Raman")[0]
        final = snapshot(s, member="Priya Raman")
    batch = exchange.import_returns(chair, [("first", first), ("second", second)])
    assert batch.applied and [r.assessments for r in batch.results] == [1, 1]
    assert snapshot(chair, member="Priya Raman") == final


def test_demo_campaign_never_shows_an_injected_indicator(session, pack):
    ensure_demo(session)
    poisoned = reseal(pack, lambda d: (_poison(d), d["content"]["campaign"].update(key="other"), d.update(campaign="other")))
    refused(session, poisoned, r"a pack cannot change a bundled or shared framework")
    campaign = get_campaign(session, DEMO_KEY)
    assert campaign is not None
    assert session.exec(select(Indicator).where(Indicator.text == "INJECTED")).first() is None
