"""`panel-tui pack …`, `panel-tui return …` and `panel-tui scores import` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from db.demo import DEMO_KEY, ensure_demo
from db.engine import open_database, sqlite_url
from db.interview import EvidenceState, save_evidence
from db.models import Assessment, Candidate, CampaignItem, ItemEvidence, PanelMember
from panel_tui.cli import main


@pytest.fixture
def chair_db(tmp_path: Path) -> str:
    path = tmp_path / "chair.db"
    db = open_database(sqlite_url(path))
    with db.session() as s:
        ensure_demo(s)
    db.dispose()
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def evidence_count(path: str) -> int:
    db = open_database(sqlite_url(Path(path)))
    with db.session() as s:
        n = s.exec(select(func.count()).select_from(ItemEvidence)).one()
    db.dispose()
    return n


def test_pack_and_return_round_trip(tmp_path, capsys, chair_db):
    pack = tmp_path / "pack.json"
    code, out, err = run(capsys, "--db", chair_db, "pack", "export", DEMO_KEY, str(pack))
    assert (code, err) == (0, "")
    assert out == f"wrote panel pack for {DEMO_KEY} to {pack}\n"
    assert pack.stat().st_mode & 0o777 == 0o600
    assert json.loads(pack.read_text())["format"] == "panel-tui/pack"

    laptop = str(tmp_path / "priya.db")
    code, out, err = run(capsys, "--db", laptop, "pack", "import", str(pack), "--member", "priya raman")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{pack}: imported campaign {DEMO_KEY} (6 items, 6 candidates, 3 panel members)",
        "this laptop is Priya Raman's",
    ]

    # Priya assesses HRBP-004 on her laptop.
    db = open_database(sqlite_url(Path(laptop)))
    with db.session() as s:
        cand = s.exec(select(Candidate).where(Candidate.ref == "HRBP-004")).one()
        priya = s.exec(select(PanelMember).where(PanelMember.name == "Priya Raman")).one()
        for item in s.exec(select(CampaignItem)).all():
            save_evidence(s, cand.id, priya.id, item.id, EvidenceState(notes="seen on paper", score=5))  # type: ignore[arg-type]
    db.dispose()

    ret = tmp_path / "priya-return.json"
    code, out, err = run(capsys, "--db", laptop, "return", "export", DEMO_KEY, str(ret))  # member from the laptop
    assert (code, err) == (0, "")
    assert out == f"wrote 1 assessments for Priya Raman to {ret}\n"

    junk = tmp_path / "junk.json"
    junk.write_text('{"format": "panel-tui/return", "vers')
    before = evidence_count(chair_db)
    # Several files are one transaction: the junk file stops the good one too.
    code, out, err = run(capsys, "--db", chair_db, "return", "import", str(ret), str(junk))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"panel-tui: {junk}: not a panel-tui file (truncated or not JSON)",
        "panel-tui: nothing imported: 1 of 2 files refused",
    ]
    assert evidence_count(chair_db) == before
    code, out, err = run(capsys, "--db", chair_db, "return", "import", "--preview", str(ret))
    assert (code, out, err) == (0, f"{ret}: would import 1 assessments for Priya Raman\n", "")
    assert evidence_count(chair_db) == before
    code, out, err = run(capsys, "--db", chair_db, "return", "import", str(ret))
    assert (code, out, err) == (0, f"{ret}: imported 1 assessments for Priya Raman\n", "")
    assert evidence_count(chair_db) == before + 6

    code, out, err = run(capsys, "--db", chair_db, "return", "import", str(ret))
    assert (code, out, err) == (0, f"{ret}: already up to date (Priya Raman)\n", "")

    code, out, err = run(capsys, "--db", chair_db, "return", "import", "--campaign", "other", str(ret))
    assert code == 1 and err == f"panel-tui: {ret} is a return for campaign {DEMO_KEY}, not other\n"


def test_return_export_names_the_member(tmp_path, capsys, chair_db):
    ret = tmp_path / "r.json"
    code, out, err = run(capsys, "--db", chair_db, "return", "export", DEMO_KEY, "--member", "Joe Lambert", str(ret))
    assert (code, err) == (0, "") and out == f"wrote 2 assessments for Joe Lambert to {ret}\n"
    fresh = str(tmp_path / "fresh.db")
    code, out, err = run(capsys, "--db", fresh, "return", "export", "nope", str(ret))
    assert code == 1 and err.startswith("panel-tui: unknown campaign 'nope'")
    pack = tmp_path / "p.json"
    run(capsys, "--db", chair_db, "pack", "export", DEMO_KEY, str(pack))
    run(capsys, "--db", fresh, "pack", "import", str(pack))
    code, out, err = run(capsys, "--db", fresh, "return", "export", DEMO_KEY, str(ret))
    assert code == 1 and err == "panel-tui: give --member NAME: no panel member is set for this laptop\n"


def test_import_refusals_are_one_line_and_change_nothing(tmp_path, capsys, chair_db):
    ret = tmp_path / "r.json"
    run(capsys, "--db", chair_db, "return", "export", DEMO_KEY, "--member", "Joe Lambert", str(ret))
    doc = json.loads(ret.read_text())
    doc["content"]["assessments"][0]["items"][0]["score"] = 1.0
    ret.write_text(json.dumps(doc))
    missing = tmp_path / "missing.json"
    code, out, err = run(capsys, "--db", chair_db, "return", "import", str(ret), str(missing))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"panel-tui: {ret}: checksum does not match: the file was edited or damaged",
        f"panel-tui: cannot read {missing}: No such file or directory",
        "panel-tui: nothing imported: 2 of 2 files refused",
    ]
    code, out, err = run(capsys, "--db", chair_db, "pack", "import", str(ret))
    assert code == 1 and err == f"panel-tui: {ret} is a return, not a panel pack\n"


def test_scores_import(tmp_path, capsys, chair_db):
    good = tmp_path / "good.csv"
    good.write_text(
        "candidate_ref,item,member,score,evidence\n"
        "HRBP-005,Leading and Communicating,Sam Whitfield,5,Clear briefing\n"
        "HRBP-005,Delivering at Pace,Sam Whitfield,4,\n"
    )
    before = evidence_count(chair_db)
    code, out, err = run(capsys, "--db", chair_db, "scores", "import", DEMO_KEY, str(good))
    assert (code, out, err) == (0, "imported 2 scores\n", "")
    assert evidence_count(chair_db) == before + 2

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "candidate_ref,item,member,score,evidence\n"
        "HRBP-006,Leading and Communicating,Sam Whitfield,5,ok\n"
        "HRBP-999,Leading and Communicating,Sam Whitfield,5,x\n"
        "HRBP-006,Delivering at Pace,Sam Whitfield,8,x\n"
        "HRBP-001,Leading and Communicating,Sam Whitfield,2,x\n"
    )
    code, out, err = run(capsys, "--db", chair_db, "scores", "import", DEMO_KEY, str(bad))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"panel-tui: {bad}: 3 bad rows; nothing imported",
        "line 3: unknown candidate 'HRBP-999'",
        "line 4: score 8 is not on the scale (1, 2, 3, 4, 5, 6, 7)",
        "line 5: Sam Whitfield has already submitted HRBP-001 with score 5 for Leading and Communicating",
    ]
    assert evidence_count(chair_db) == before + 2
    db = open_database(sqlite_url(Path(chair_db)))
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(Assessment)).one() == 8
    db.dispose()


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "pack" in out and "return" in out and "scores" in out


def test_return_import_tampered_then_good_applies_nothing(tmp_path, capsys, chair_db):
    good, tampered = tmp_path / "good.json", tmp_path / "tampered.json"
    pack = tmp_path / "pack.json"
    run(capsys, "--db", chair_db, "pack", "export", DEMO_KEY, str(pack))
    laptop = str(tmp_path / "joe.db")
    run(capsys, "--db", laptop, "pack", "import", str(pack))
    db = open_database(sqlite_url(Path(laptop)))
    with db.session() as s:
        cand = s.exec(select(Candidate).where(Candidate.ref == "HRBP-004")).one()
        for name in ("Joe Lambert", "Priya Raman"):
            member = s.exec(select(PanelMember).where(PanelMember.name == name)).one()
            for item in s.exec(select(CampaignItem)).all():
                save_evidence(s, cand.id, member.id, item.id, EvidenceState(notes=f"{name} saw it", score=5))  # type: ignore[arg-type]
    db.dispose()
    run(capsys, "--db", laptop, "return", "export", DEMO_KEY, "--member", "Joe Lambert", str(tampered))
    run(capsys, "--db", laptop, "return", "export", DEMO_KEY, "--member", "Priya Raman", str(good))
    doc = json.loads(tampered.read_text())
    doc["content"]["assessments"][-1]["items"][0]["score"] = 7.0
    tampered.write_text(json.dumps(doc))
    before = evidence_count(chair_db)
    code, out, err = run(capsys, "--db", chair_db, "return", "import", str(tampered), str(good))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"panel-tui: {tampered}: checksum does not match: the file was edited or damaged",
        "panel-tui: nothing imported: 1 of 2 files refused",
    ]
    assert evidence_count(chair_db) == before


def test_forged_pack_on_the_chairs_database_is_one_line_and_changes_nothing(tmp_path, capsys, chair_db):
    from db.exchange import checksum

    pack = tmp_path / "pack.json"
    run(capsys, "--db", chair_db, "pack", "export", DEMO_KEY, str(pack))
    doc = json.loads(pack.read_text())
    doc["content"]["panel"].append({"name": "Mallory Mole", "role": "chair"})
    doc["sha256"] = checksum(doc["content"])
    pack.write_text(json.dumps(doc))
    code, out, err = run(capsys, "--db", chair_db, "pack", "import", str(pack))
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith(f"panel-tui: {pack}: campaign {DEMO_KEY} was created on this database")
    db = open_database(sqlite_url(Path(chair_db)))
    with db.session() as s:
        assert s.exec(select(PanelMember).where(PanelMember.name == "Mallory Mole")).first() is None
    db.dispose()
