"""Candidates: CSV import (all-or-nothing, every bad row reported), add/update, today's list, the CLI."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from db.campaigns import create_campaign
from db.candidates import (
    add_candidate,
    extra_minutes_from,
    format_slot,
    get_candidate,
    import_candidates_csv,
    list_candidates,
    todays_interviews,
    update_candidate,
)
from db.errors import NotFound, ValidationError
from db.models import AuditEvent, Candidate
from panel_tui.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"
HEADER = "ref,name,email,adjustments,disability_confident,slot\n"


@pytest.fixture
def campaign(session):
    return create_campaign(session, {"title": "Policy Adviser", "grade": "HEO", "items": ["Working Together"]})


def refs(session, campaign_id):
    return [c.ref for c in session.exec(select(Candidate).where(Candidate.campaign_id == campaign_id).order_by(Candidate.ref))]


def local(c: Candidate) -> str:
    return format_slot(c.slot)


# --- import ------------------------------------------------------------------


def test_import_good_file(session, campaign):
    text = (
        HEADER
        + "A1,Ann Able,ann@example.org,,yes,2025-07-01 09:30\n"
        + 'B2,"Bob, Jr",,"Extra time: 15 minutes, and a break",no,2025-07-01 10:45\n'
        + "C3,Cat Cole,cat@example.gov.uk,Questions in advance,TRUE,\n"
        + "\n"
        + "D4,,,,,\n"
    )
    assert import_candidates_csv(session, campaign.id, text, "c.csv") == 4
    cands = {c.ref: c for c in list_candidates(session, campaign.id)}
    assert (cands["A1"].name, cands["A1"].email, cands["A1"].disability_confident) == ("Ann Able", "ann@example.org", True)
    assert local(cands["A1"]) == "2025-07-01 09:30"
    assert cands["A1"].slot.tzinfo is not None
    assert (cands["B2"].name, cands["B2"].extra_minutes, cands["B2"].disability_confident) == ("Bob, Jr", 15, False)
    assert cands["C3"].slot is None and cands["C3"].disability_confident is True and cands["C3"].extra_minutes == 0
    assert cands["D4"].name == "" and cands["D4"].disability_confident is False
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert audit.new_value == "4 candidates from c.csv" and audit.campaign_id == campaign.id


def test_import_example_file(session, campaign):
    text = (DOCS / "candidates-example.csv").read_text(encoding="utf-8")
    assert import_candidates_csv(session, campaign.id, text, "candidates-example.csv") == 4
    assert get_candidate(session, campaign.id, "PA-004").extra_minutes == 10


def test_extra_minutes_column_and_header_variants(session, campaign):
    text = (
        "\ufeffRef, Name ,Extra Minutes,Adjustments,Disability-Confident\n"
        "A,Ann,20,Extra time: 5 minutes,0\n"
        "B,Bob,,extra time 25 mins,1\n"
        "C,Cy,0,,\n"
    )
    assert import_candidates_csv(session, campaign.id, text, "c.csv") == 3
    got = {c.ref: (c.extra_minutes, c.disability_confident) for c in list_candidates(session, campaign.id)}
    assert got == {"A": (20, False), "B": (25, True), "C": (0, False)}


def test_every_bad_row_reported_and_nothing_imported(session, campaign):
    add_candidate(session, campaign.id, ref="OLD")
    text = (
        HEADER                                                   # line 1
        + "A1,Ann,ann@example.org,,yes,2025-07-01 09:30\n"       # 2 ok
        + ",No Ref,,,,\n"                                        # 3
        + "A1,Ann Again,,,,\n"                                   # 4
        + "B2,Bob,bob@,,maybe,1 July\n"                          # 5
        + "OLD,Already there,,,,\n"                              # 6
        + 'C3,"Multi\nline name",,,,2025-02-30 09:00\n'          # 7-8
        + "D4,Dee,,,,,,surplus\n"                                # 9
        + "E5,Eve,eve@example.org,,no,2025-07-01T11:00\n"        # 10 ok
    )
    with pytest.raises(ValidationError) as exc:
        import_candidates_csv(session, campaign.id, text, "c.csv")
    assert str(exc.value).splitlines() == [
        "c.csv: 6 bad rows; nothing imported",
        "line 3: ref is missing",
        "line 4: duplicate ref 'A1' (also on line 2)",
        "line 5: email 'bob@' is not an email address; "
        "disability_confident 'maybe' is not yes/no/true/false/1/0/blank; slot '1 July' is not YYYY-MM-DD HH:MM",
        "line 6: ref 'OLD' is already in campaign policy-adviser",
        "line 7: slot '2025-02-30 09:00' is not a real date and time",
        "line 9: 8 fields but the header has 6",
    ]
    assert refs(session, campaign.id) == ["OLD"]


def test_one_bad_row_singular(session, campaign):
    with pytest.raises(ValidationError) as exc:
        import_candidates_csv(session, campaign.id, HEADER + "A,,x,,,\n", "c.csv")
    assert str(exc.value).splitlines()[0] == "c.csv: 1 bad row; nothing imported"


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "c.csv: empty file; expected a header row"),
        ("\n\n", "c.csv: empty file"),
        (HEADER, "c.csv: no candidate rows under the header; nothing imported"),
        ("A1,Ann,ann@example.org,,yes,\n", "c.csv: unknown column 'A1' in the header"),
        ("name,email\nAnn,ann@example.org\n", "c.csv: the header has no 'ref' column"),
        ("ref,name,ref\nA,B,C\n", "c.csv: column 'ref' appears twice in the header"),
        ("ref,age\nA,40\n", "c.csv: unknown column 'age' in the header"),
    ],
)
def test_bad_file_shapes(session, campaign, text, message):
    with pytest.raises(ValidationError) as exc:
        import_candidates_csv(session, campaign.id, text, "c.csv")
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)
    assert refs(session, campaign.id) == []


def test_import_unknown_campaign(session):
    with pytest.raises(NotFound):
        import_candidates_csv(session, 999, HEADER + "A,,,,,\n", "c.csv")


def test_refs_are_per_campaign(session, campaign):
    other = create_campaign(session, {"title": "Other", "grade": "EO", "items": ["Working Together"]})
    import_candidates_csv(session, campaign.id, HEADER + "A,,,,,\n", "c.csv")
    assert import_candidates_csv(session, other.id, HEADER + "A,,,,,\n", "c.csv") == 1


# --- one candidate -------------------------------------------------------------


def test_add_candidate(session, campaign):
    c = add_candidate(session, campaign.id, ref=" X1 ", name="Xena", adjustments="Extra time: 10 minutes",
                      disability_confident="yes", slot="2025-07-02 14:00", actor="sam")
    assert (c.ref, c.extra_minutes, c.disability_confident, local(c)) == ("X1", 10, True, "2025-07-02 14:00")
    c2 = add_candidate(session, campaign.id, ref="X2", slot=datetime(2025, 7, 2, 9, 0), disability_confident=False)
    assert local(c2) == "2025-07-02 09:00"
    with pytest.raises(ValidationError, match="ref 'X1' is already in campaign policy-adviser"):
        add_candidate(session, campaign.id, ref="X1")
    with pytest.raises(ValidationError, match="ref is missing; email 'nope' is not an email address"):
        add_candidate(session, campaign.id, email="nope")
    with pytest.raises(ValidationError, match="unknown field 'phone'"):
        add_candidate(session, campaign.id, ref="X3", phone="0141")
    assert refs(session, campaign.id) == ["X1", "X2"]


def test_update_candidate(session, campaign):
    c = add_candidate(session, campaign.id, ref="A", name="Ann")
    add_candidate(session, campaign.id, ref="B")
    c = update_candidate(session, c.id, name="Ann Able", email="ann@example.org", actor="sam")
    assert (c.name, c.email) == ("Ann Able", "ann@example.org")
    changes = session.exec(select(AuditEvent).where(AuditEvent.action == "update").order_by(AuditEvent.id)).all()
    assert [(a.entity, a.old_value, a.new_value, a.actor) for a in changes] == [
        ("candidate.name", "Ann", "Ann Able", "sam"), ("candidate.email", "", "ann@example.org", "sam"),
    ]
    # Adjustments that say how much extra time set extra_minutes; others leave it alone.
    c = update_candidate(session, c.id, adjustments="Extra time: 30 minutes")
    assert c.extra_minutes == 30
    c = update_candidate(session, c.id, adjustments="Extra time: 30 minutes; a break")
    assert c.extra_minutes == 30
    c = update_candidate(session, c.id, adjustments="A break", extra_minutes="")
    assert c.extra_minutes == 0
    c = update_candidate(session, c.id, extra_minutes=5, slot="2025-07-01 12:00", disability_confident="1")
    assert (c.extra_minutes, local(c), c.disability_confident) == (5, "2025-07-01 12:00", True)
    c = update_candidate(session, c.id, slot="")
    assert c.slot is None


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"ref": "B"}, "ref 'B' is already in this campaign"),
        ({"ref": ""}, "ref is missing"),
        ({"email": "a@b"}, "email 'a@b' is not an email address"),
        ({"slot": "2025-07-01"}, "slot '2025-07-01' is not YYYY-MM-DD HH:MM"),
        ({"extra_minutes": -5}, "extra_minutes -5 is not 0-600"),
        ({"disability_confident": "y"}, "disability_confident 'y'"),
        ({"name": "Ok", "score": 4}, "unknown field 'score'"),
    ],
)
def test_update_candidate_rejects(session, campaign, fields, message):
    c = add_candidate(session, campaign.id, ref="A", name="Ann")
    add_candidate(session, campaign.id, ref="B")
    with pytest.raises(ValidationError) as exc:
        update_candidate(session, c.id, **fields)
    assert message in str(exc.value)
    session.expire_all()
    again = session.get(Candidate, c.id)
    assert (again.ref, again.name, again.email) == ("A", "Ann", "")


def test_update_unknown_or_purged(session, campaign):
    with pytest.raises(NotFound):
        update_candidate(session, 999, name="x")
    c = add_candidate(session, campaign.id, ref="A")
    c.purged_at = datetime.now().astimezone()
    session.add(c)
    session.commit()
    with pytest.raises(ValidationError, match="was purged"):
        update_candidate(session, c.id, name="x")


def test_extra_minutes_from():
    assert extra_minutes_from("Extra time: 15 minutes") == 15
    assert extra_minutes_from("please allow EXTRA TIME 10 mins and a break") == 10
    assert extra_minutes_from("Questions in advance") is None
    assert extra_minutes_from("") is None


# --- today's interviews ------------------------------------------------------------


def test_todays_interviews_in_slot_order(session, campaign):
    other = create_campaign(session, {"title": "Other", "grade": "EO", "items": ["Working Together"]})
    import_candidates_csv(session, campaign.id, HEADER + "\n".join([
        "LATE,,,,,2025-07-01 16:00",
        "EARLY,,,,,2025-07-01 08:00",
        "MIDNIGHT,,,,,2025-07-02 00:00",
        "LASTNIGHT,,,,,2025-06-30 23:59",
        "NOSLOT,,,,,",
        "MID,,,,,2025-07-01 12:15",
    ]) + "\n", "c.csv")
    add_candidate(session, other.id, ref="ELSEWHERE", slot="2025-07-01 10:00")
    assert [c.ref for c in todays_interviews(session, campaign.id, date(2025, 7, 1))] == ["EARLY", "MID", "LATE"]
    assert [c.ref for c in todays_interviews(session, campaign.id, date(2025, 7, 2))] == ["MIDNIGHT"]
    assert todays_interviews(session, campaign.id, date(2025, 7, 3)) == []
    assert [c.ref for c in list_candidates(session, campaign.id)] == [
        "LASTNIGHT", "EARLY", "MID", "LATE", "MIDNIGHT", "NOSLOT",
    ]


# --- CLI ------------------------------------------------------------------------------


def run(capsys, db, *args):
    code = main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path, capsys):
    path = tmp_path / "p.db"
    assert run(capsys, path, "campaign", "create", str(DOCS / "campaign-example.toml"))[0] == 0
    return path


def test_cli_import_and_list(capsys, db):
    code, out, err = run(capsys, db, "candidates", "import", "policy-adviser", str(DOCS / "candidates-example.csv"))
    assert (code, out, err) == (0, "imported 4 candidates\n", "")
    code, out, err = run(capsys, db, "candidates", "list", "policy-adviser")
    assert code == 0
    assert out.splitlines() == [
        "PA-001\tAlex Morgan\t2025-07-01 09:30\t",
        "PA-002\tJordan Reid\t2025-07-01 10:45\tExtra time: 15 minutes. Offer a short break half way through.",
        "PA-003\tSam Okoye\t2025-07-01 13:30\t",
        "PA-004\tPriya Shah\t2025-07-01 14:45\tExtra time: 10 minutes",
        "PA-005\tChris Lewis\t2025-07-02 09:30\t"
        "Questions in advance: give the printed questions 10 minutes before the interview",
        "PA-006\tDana Kowalski\t\t",
    ]


def test_cli_import_bad_rows(capsys, db, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(HEADER + "PA-001,Dup,,,,\nX,,x@,,,\nY,,,,,\n", encoding="utf-8")
    code, out, err = run(capsys, db, "candidates", "import", "policy-adviser", str(f))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "panel-tui: bad.csv: 2 bad rows; nothing imported",
        "line 2: ref 'PA-001' is already in campaign policy-adviser",
        "line 3: email 'x@' is not an email address",
    ]
    assert len(run(capsys, db, "candidates", "list", "policy-adviser")[1].splitlines()) == 2


def test_cli_import_one_candidate_and_bom(capsys, db, tmp_path):
    f = tmp_path / "one.csv"
    f.write_bytes(("\ufeff" + HEADER + "Z9,Zed,,,,\r\n").encode("utf-8"))
    assert run(capsys, db, "candidates", "import", "policy-adviser", str(f))[1] == "imported 1 candidate\n"


def test_cli_errors(capsys, db, tmp_path):
    code, _, err = run(capsys, db, "candidates", "import", "nope", str(DOCS / "candidates-example.csv"))
    assert code == 1 and err == "panel-tui: unknown campaign 'nope' (see 'panel-tui campaign list')\n"
    code, _, err = run(capsys, db, "candidates", "import", "policy-adviser", str(tmp_path / "missing.csv"))
    assert code == 1 and err.startswith("panel-tui: cannot read") and err.count("\n") == 1
    f = tmp_path / "latin1.csv"
    f.write_bytes(HEADER.encode() + "A,Se\xf1or,,,,\n".encode("latin-1"))
    code, _, err = run(capsys, db, "candidates", "import", "policy-adviser", str(f))
    assert code == 1 and err == "panel-tui: latin1.csv: not a UTF-8 text file (save it as 'CSV UTF-8')\n"
    code, _, err = run(capsys, db, "candidates", "list", "nope")
    assert code == 1


def test_count_unchanged_after_failed_cli_import(capsys, db, tmp_path, session):
    f = tmp_path / "bad.csv"
    f.write_text("ref\n\n", encoding="utf-8")
    assert run(capsys, db, "candidates", "import", "policy-adviser", str(f))[0] == 1
    from db.engine import open_database

    database = open_database(f"sqlite:///{db}")
    with database.session() as s:
        assert s.exec(select(func.count()).select_from(Candidate)).one() == 2
    database.dispose()


# --- text from files is data ------------------------------------------------------


def test_escape_sequences_are_removed_on_the_way_in(session, campaign):
    evil = "Alex\x1b]52;c;cm0gLXJmIH4=\x07 Morgan\x1b[2J\u202e"
    text = HEADER + f'"R1\x07",{evil},"a\x1b[31m@example.org","Break\x9b31m\nhalf way",no,\n'
    assert import_candidates_csv(session, campaign.id, text, "c.csv") == 1
    c = session.exec(select(Candidate).where(Candidate.campaign_id == campaign.id)).one()
    assert (c.ref, c.name, c.email, c.adjustments) == ("R1", "Alex Morgan", "a@example.org", "Break\nhalf way")
    added = add_candidate(session, campaign.id, ref="R2\x1b[1m", name="Jo\tSmith\x00", email="j\x07o@example.org")
    assert (added.ref, added.name, added.email) == ("R2", "Jo Smith", "jo@example.org")
    update_candidate(session, added.id, name="Jo\x1b]0;title\x07 Bloggs")
    assert added.name == "Jo Bloggs"
