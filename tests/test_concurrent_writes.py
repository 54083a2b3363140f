"""Two terminals writing at once: one clean result and one clear line (or both succeed), never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from db.campaigns import create_campaign
from db.changes import BUSY_MESSAGE
from db.engine import open_database, sqlite_url
from db.models import Assessment, Candidate, ItemEvidence
from panel_tui.cli import main

ROOT = Path(__file__).resolve().parents[1]
KEY = "busy-2026"
SPEC = {
    "key": KEY, "title": "Policy Adviser", "grade": "SEO", "framework": "success-profiles-behaviours",
    "items": ["Seeing the Big Picture", "Working Together"], "pass_mark": 4,
    "panel": [{"name": "Sam Whitfield", "role": "chair"}, {"name": "Priya Raman"}],
    "candidates": [{"ref": f"C-{n:03}", "name": f"Person {n}"} for n in range(1, 201)],
}


def _campaign(db_file: Path) -> None:
    database = open_database(sqlite_url(db_file))
    with database.session() as session:
        create_campaign(session, SPEC)
    database.dispose()


def _cli(db_file: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "panel_tui", "--db", str(db_file), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def _both(db_file: Path, *args: str) -> list[subprocess.CompletedProcess]:
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda _: _cli(db_file, *args), range(2)))


def _counts(db_file: Path) -> tuple[int, int, int]:
    database = open_database(sqlite_url(db_file))
    with database.session() as session:
        counts = (
            session.exec(select(func.count(Candidate.id))).one(),
            session.exec(select(func.count(Assessment.id))).one(),
            session.exec(select(func.count(ItemEvidence.id)).where(ItemEvidence.score != None)).one(),  # noqa: E711
        )
    database.dispose()
    return counts


def test_two_identical_candidate_imports_give_one_import_and_one_clear_line(db_file, tmp_path):
    _campaign(db_file)
    csv = tmp_path / "more.csv"
    csv.write_text("ref,name\n" + "".join(f"N-{n:04},New {n}\n" for n in range(1, 2001)))
    results = _both(db_file, "candidates", "import", KEY, str(csv))
    for r in results:
        assert "Traceback" not in r.stderr and "IntegrityError" not in r.stderr, r.stderr
    assert sorted(r.returncode for r in results) == [0, 1]
    ok = next(r for r in results if r.returncode == 0)
    refused = next(r for r in results if r.returncode == 1)
    assert ok.stdout.strip() == "imported 2000 candidates"
    assert refused.stderr.startswith("panel-tui: ") and "already in campaign" in refused.stderr
    assert _counts(db_file)[0] == 200 + 2000


def test_two_identical_score_imports_both_succeed_without_duplicates(db_file, tmp_path):
    _campaign(db_file)
    rows = [f"C-{n:03},{item},{member},5,seen"
            for n in range(1, 201) for item in SPEC["items"] for member in ("Sam Whitfield", "Priya Raman")]
    csv = tmp_path / "scores.csv"
    csv.write_text("candidate_ref,item,member,score,evidence\n" + "\n".join(rows) + "\n")
    results = _both(db_file, "scores", "import", KEY, str(csv))
    for r in results:
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
    # The second waited for the first, then found every score already there.
    assert sorted(r.stdout.strip() for r in results) == ["imported 800 scores", "imported 800 scores (800 already held)"]
    assert _counts(db_file)[1:] == (400, 800)


def test_a_write_while_another_holds_the_lock_is_one_clear_line(db_file, tmp_path, capsys):
    _campaign(db_file)
    csv = tmp_path / "one.csv"
    csv.write_text("ref,name\nL-001,Late Person\n")
    holder = sqlite3.connect(db_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another panel-tui in the middle of a long write
    try:
        code = main(["--db", str(db_file), "candidates", "import", KEY, str(csv)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert code == 1
    assert err == f"panel-tui: {BUSY_MESSAGE}\n"
    assert _counts(db_file)[0] == 200
