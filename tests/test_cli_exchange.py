"""`panel-tui pack …`, `panel-tui return …` and `panel-tui scores import` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from db.demo import DEMO_KEY, ensure_demo
from db.engine import open_database, sqlite_url
from db.interview import EvidenceState, save_evidence
from db.models import Assessment, CampaignItem, Candidate, ItemEvidence, PanelMember
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


PASSPHRASE = "correct horse battery staple"


def passphrase_file(tmp_path: Path) -> str:
    path = tmp_path / "passphrase.txt"
    path.write_text(PASSPHRASE + "\n")
    return str(path)


def laptop_for(tmp_path: Path, chair_db: str, member: str) -> str:
    """A laptop loaded with the member's pack through the plain layer (no scrypt: the CLI test below pays it once)."""
    from db.exchange import import_pack_text, pack_text

    path = tmp_path / f"{member.split()[0].lower()}.db"
    chair, laptop = open_database(sqlite_url(Path(chair_db))), open_database(sqlite_url(path))
    with chair.session() as c, laptop.session() as s:
        import_pack_text(s, pack_text(c, DEMO_KEY, member))
    chair.dispose()
    laptop.dispose()
    return str(path)


def assess(laptop: str, member: str, ref: str = "HRBP-004", score: float = 5) -> None:
    db = open_database(sqlite_url(Path(laptop)))
    with db.session() as s:
        cand = s.exec(select(Candidate).where(Candidate.ref == ref)).one()
        who = s.exec(select(PanelMember).where(PanelMember.name == member)).one()
        for item in s.exec(select(CampaignItem)).all():
            save_evidence(s, cand.id, who.id, item.id, EvidenceState(notes=f"{member} saw it", score=score))  # type: ignore[arg-type]
    db.dispose()


def test_pack_and_return_round_trip(tmp_path, capsys, chair_db, monkeypatch):
    pack = tmp_path / "pack.age"
    prompts = iter([PASSPHRASE, PASSPHRASE + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(prompts))
    code, out, err = run(capsys, "--db", chair_db, "pack", "export", DEMO_KEY, str(pack), "--member", "Priya Raman")
    assert code == 1 and err == "panel-tui: the two passphrases differ; nothing written\n" and not pack.exists()
    prompts = iter([PASSPHRASE, PASSPHRASE])  # typed twice, never echoed
    code, out, err = run(capsys, "--db", chair_db, "pack", "export", DEMO_KEY, str(pack), "--member", "priya")
    assert (code, err) == (0, "")
    assert out == f"wrote priya's panel pack for {DEMO_KEY} to {pack}\n"
    assert pack.stat().st_mode & 0o777 == 0o600
    raw = pack.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1\n") and b"Priya" not in raw and DEMO_KEY.encode() not in raw

    laptop = str(tmp_path / "priya.db")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase\n")
    code, out, err = run(capsys, "--db", laptop, "pack", "import", str(pack), "--passphrase-file", str(wrong))
    assert (code, out) == (1, "") and err == f"panel-tui: {pack}: wrong passphrase, or the file was changed\n"
    code, out, err = run(capsys, "--db", laptop, "campaign", "list")
    assert DEMO_KEY not in out  # nothing was imported
    code, out, err = run(capsys, "--db", laptop, "pack", "import", str(pack), "--passphrase-file", passphrase_file(tmp_path))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{pack}: imported campaign {DEMO_KEY} (6 items, 6 candidates, 3 panel members)",
        "this laptop is Priya Raman's",
    ]

    assess(laptop, "Priya Raman")
    ret = tmp_path / "priya-return.age"
    code, out, err = run(capsys, "--db", laptop, "return", "export", DEMO_KEY, str(ret))  # member from the laptop
    assert (code, err) == (0, "")
    assert out == f"wrote 1 assessments for Priya Raman to {ret}\n"
    assert b"Priya" not in ret.read_bytes() and b"seen" not in ret.read_bytes()
    # Priya's laptop cannot write a return in Joe's name: it holds only her key.
    code, out, err = run(capsys, "--db", laptop, "return", "export", DEMO_KEY, "--member", "Joe Lambert", str(tmp_path / "j"))
    assert code == 1 and err.startswith("panel-tui: this database holds no signing key for Joe Lambert")

    junk = tmp_path / "junk.json"
    junk.write_text('{"format": "panel-tui/return", "vers')
    before = evidence_count(chair_db)
    # Several files are one transaction: the junk file stops the good one too.
    code, out, err = run(capsys, "--db", chair_db, "return", "import", str(ret), str(junk))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"panel-tui: {junk}: not a sealed return; unsealed files are refused (anyone could have written one)",
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
    # Only the chair's database can open a return: another laptop cannot.
    code, out, err = run(capsys, "--db", laptop, "return", "import", str(ret))
    assert code == 1 and err == f"panel-tui: {ret}: this database holds no campaign keys to open a return with\n"


def test_pack_export_needs_a_member_and_a_real_passphrase(tmp_path, capsys, chair_db):
    with pytest.raises(SystemExit):
        main(["--db", chair_db, "pack", "export", DEMO_KEY, str(tmp_path / "p")])
    assert "--member" in capsys.readouterr().err
    short = tmp_path / "short.txt"
    short.write_text("abc\n")
    code, out, err = run(capsys, "--db", chair_db, "pack", "export", DEMO_KEY, str(tmp_path / "p"), "--member", "Joe Lambert",
                         "--passphrase-file", str(short))
    assert code == 1 and err == "panel-tui: a panel pack passphrase needs at least 8 characters\n"
    code, out, err = run(capsys, "--db", chair_db, "pack", "export", DEMO_KEY, str(tmp_path / "p"), "--member", "Nobody",
                         "--passphrase-file", passphrase_file(tmp_path))
    assert code == 1 and err.count("\n") == 1 and not (tmp_path / "p").exists()


def test_return_export_needs_the_members_key(tmp_path, capsys, chair_db):
    ret = tmp_path / "r.age"
    # The chair's database keeps no member's private key, so it cannot write anyone's return.
    code, out, err = run(capsys, "--db", chair_db, "return", "export", DEMO_KEY, "--member", "Joe Lambert", str(ret))
    assert code == 1 and err.startswith("panel-tui: this database holds no signing key for Joe Lambert in")
    fresh = str(tmp_path / "fresh.db")
    code, out, err = run(capsys, "--db", fresh, "return", "export", "nope", str(ret))
    assert code == 1 and err.startswith("panel-tui: unknown campaign 'nope'")


def test_import_refusals_are_one_line_and_change_nothing(tmp_path, capsys, chair_db):
    laptop = laptop_for(tmp_path, chair_db, "Joe Lambert")
    assess(laptop, "Joe Lambert")
    ret = tmp_path / "r.age"
    assert run(capsys, "--db", laptop, "return", "export", DEMO_KEY, str(ret))[0] == 0
    data = bytearray(ret.read_bytes())
    data[-20] ^= 0x01  # one changed bit
    ret.write_bytes(bytes(data))
    missing = tmp_path / "missing.json"
    code, out, err = run(capsys, "--db", chair_db, "return", "import", str(ret), str(missing))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"panel-tui: {ret}: not sealed for this database, or the file was changed",
        f"panel-tui: cannot read {missing}: No such file or directory",
        "panel-tui: nothing imported: 2 of 2 files refused",
    ]
    code, out, err = run(capsys, "--db", chair_db, "pack", "import", str(ret), "--passphrase-file", passphrase_file(tmp_path))
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
    good, tampered = tmp_path / "good.age", tmp_path / "tampered.age"
    for name, path in (("Joe Lambert", tampered), ("Priya Raman", good)):
        laptop = laptop_for(tmp_path, chair_db, name)
        assess(laptop, name)
        assert run(capsys, "--db", laptop, "return", "export", DEMO_KEY, str(path))[0] == 0
    tampered.write_bytes(tampered.read_bytes()[:-1])  # cut short
    before = evidence_count(chair_db)
    code, out, err = run(capsys, "--db", chair_db, "return", "import", str(tampered), str(good))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"panel-tui: {tampered}: not sealed for this database, or the file was changed",
        "panel-tui: nothing imported: 1 of 2 files refused",
    ]
    assert evidence_count(chair_db) == before


def test_plain_json_pack_is_refused_in_one_line(tmp_path, capsys, chair_db):
    from db.exchange import pack_text

    db = open_database(sqlite_url(Path(chair_db)))
    with db.session() as s:
        plain = pack_text(s, DEMO_KEY, "Joe Lambert")  # what a pack held before sealing
    db.dispose()
    pack = tmp_path / "pack.json"
    pack.write_text(plain)
    laptop = str(tmp_path / "l.db")
    code, out, err = run(capsys, "--db", laptop, "pack", "import", str(pack), "--passphrase-file", passphrase_file(tmp_path))
    assert code == 1 and out == ""
    assert err == f"panel-tui: {pack}: not a sealed panel pack; unsealed files are refused (anyone could have written one)\n"
