"""Encrypted at rest: no name in the file's bytes, one line for a missing or wrong passphrase
(the file untouched), and encrypt / rekey / decrypt through the CLI keeping every row."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from db import cipher
from db.demo import ensure_demo
from db.engine import file_state, open_database, sqlite_url
from db.errors import DatabaseFileError
from db.models import Candidate, PanelMember
from panel_tui.cli import main
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite files only: PostgreSQL encrypts on the server")

ROOT = Path(__file__).resolve().parents[1]
SECRET = "correct horse battery"


def _names(database) -> list[str]:
    with database.session() as s:
        return [c.name for c in s.exec(select(Candidate)).all()] + [m.name for m in s.exec(select(PanelMember)).all()]


def _row_counts(conn) -> dict[str, int]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _err_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.strip()


@pytest.fixture
def plain_demo(db_file) -> Path:
    db = open_database(sqlite_url(db_file))
    with db.session() as s:
        ensure_demo(s)
    db.dispose()
    return db_file


@pytest.fixture
def encrypted_demo(tmp_path) -> Path:
    path = tmp_path / "secret.db"
    db = open_database(sqlite_url(path), passphrase=SECRET)
    with db.session() as s:
        ensure_demo(s)
    db.dispose()
    return path


def test_no_name_is_in_the_bytes_of_an_encrypted_database_or_its_wal(tmp_path):
    path = tmp_path / "secret.db"
    db = open_database(sqlite_url(path), passphrase=SECRET)
    try:
        with db.session() as s:
            ensure_demo(s)
        names = _names(db)
        assert len(names) >= 9
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0  # still open: the demo is (partly) in the WAL
        blobs = path.read_bytes() + wal.read_bytes()
        for name in names:
            assert name.encode() not in blobs
            assert name.encode("utf-16-le") not in blobs
        assert b"SQLite format 3" not in path.read_bytes()[:16]
        with db.engine.connect() as conn:  # the durability settings still apply under SQLCipher
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2
            assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
    finally:
        db.dispose()
    assert db.key is not None and file_state(sqlite_url(path)) == "encrypted"
    assert "correct horse" not in db.url


def test_the_same_demo_in_a_plain_file_does_show_the_names(plain_demo):
    # The control for the test above: the names are there to be found when not encrypted.
    db = open_database(sqlite_url(plain_demo))
    names = _names(db)
    db.dispose()
    assert any(name.encode() in plain_demo.read_bytes() for name in names)


def test_missing_or_wrong_passphrase_is_one_line_and_the_file_is_untouched(encrypted_demo, capsys, monkeypatch):
    before = encrypted_demo.read_bytes()
    assert main(["--db", str(encrypted_demo), "campaign", "list"]) == 1
    assert _err_line(capsys) == (
        f"panel-tui: {encrypted_demo} is encrypted: give its passphrase (PANEL_TUI_PASSPHRASE or the prompt)"
    )
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE", "not the passphrase")
    assert main(["--db", str(encrypted_demo), "campaign", "list"]) == 1
    assert _err_line(capsys).startswith(f"panel-tui: wrong passphrase for {encrypted_demo}")
    assert encrypted_demo.read_bytes() == before
    assert not encrypted_demo.with_name(encrypted_demo.name + "-wal").exists()
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE", SECRET)
    assert main(["--db", str(encrypted_demo), "campaign", "list"]) == 0
    assert capsys.readouterr().out.startswith("demo-hr-business-partner\t")


def test_a_plain_file_given_a_passphrase_says_it_is_not_encrypted(plain_demo, capsys, monkeypatch):
    before = plain_demo.read_bytes()
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE", SECRET)
    assert main(["--db", str(plain_demo), "campaign", "list"]) == 1
    line = _err_line(capsys)
    assert "is not encrypted" in line and "panel-tui encrypt" in line
    assert plain_demo.read_bytes() == before


def test_encrypt_rekey_decrypt_through_the_cli_keep_every_row(plain_demo, tmp_path, capsys, monkeypatch):
    with sqlite3.connect(plain_demo) as conn:
        counts = _row_counts(conn)
    assert counts["candidate"] == 6
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE_NEW", SECRET)
    assert main(["--db", str(plain_demo), "encrypt"]) == 0
    assert file_state(sqlite_url(plain_demo)) == "encrypted"
    assert b"Whitfield" not in plain_demo.read_bytes()
    # rekey: the old one from a file, the new one from another
    old_file, new_file = tmp_path / "old.txt", tmp_path / "new.txt"
    old_file.write_text(SECRET + "\n")
    new_file.write_text("staple battery horse\n")
    monkeypatch.delenv("PANEL_TUI_PASSPHRASE_NEW")
    assert main(["--db", str(plain_demo), "--db-passphrase-file", str(old_file), "rekey", "--new-passphrase-file", str(new_file)]) == 0
    capsys.readouterr()
    assert main(["--db", str(plain_demo), "--db-passphrase-file", str(old_file), "campaign", "list"]) == 1
    assert "wrong passphrase" in _err_line(capsys)
    assert main(["--db", str(plain_demo), "--db-passphrase-file", str(new_file), "campaign", "list"]) == 0
    assert "demo-hr-business-partner" in capsys.readouterr().out
    key = cipher.FileKey.for_file(plain_demo, "staple battery horse")
    conn = cipher.connect(plain_demo, key)
    assert _row_counts(conn) == counts
    conn.close()
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE", "staple battery horse")
    assert main(["--db", str(plain_demo), "decrypt"]) == 0
    with sqlite3.connect(plain_demo) as conn:
        assert _row_counts(conn) == counts
    assert plain_demo.stat().st_mode & 0o777 == 0o600


def test_rekey_with_a_wrong_old_passphrase_changes_nothing(encrypted_demo, capsys, monkeypatch):
    before = encrypted_demo.read_bytes()
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE", "not the passphrase")
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE_NEW", "another passphrase")
    assert main(["--db", str(encrypted_demo), "rekey"]) == 1
    assert "wrong passphrase" in _err_line(capsys)
    assert encrypted_demo.read_bytes() == before
    assert not list(encrypted_demo.parent.glob("*.converting*"))


def test_an_interrupted_encrypt_leaves_the_original_usable(plain_demo, capsys, monkeypatch):
    before = plain_demo.read_bytes()

    def power_cut(*_args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(cipher.os, "replace", power_cut)
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE_NEW", SECRET)
    assert main(["--db", str(plain_demo), "encrypt"]) == 1
    assert _err_line(capsys) == f"panel-tui: could not encrypt {plain_demo}: Input/output error; the original is unchanged"
    assert plain_demo.read_bytes() == before
    assert not list(plain_demo.parent.glob("*.converting*"))
    monkeypatch.undo()
    assert main(["--db", str(plain_demo), "campaign", "list"]) == 0
    assert "demo-hr-business-partner" in capsys.readouterr().out


def test_encrypt_refuses_postgresql_a_missing_file_and_short_passphrases(tmp_path, plain_demo, capsys, monkeypatch):
    assert main(["--db-url", "postgresql+psycopg://panel@localhost/x", "encrypt"]) == 1
    assert "encryption on PostgreSQL is the server's job" in _err_line(capsys)
    assert main(["--db", str(tmp_path / "none.db"), "encrypt"]) == 1
    assert "no database at" in _err_line(capsys)
    before = plain_demo.read_bytes()
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE_NEW", "short")
    assert main(["--db", str(plain_demo), "encrypt"]) == 1
    assert "at least 8 characters" in _err_line(capsys)
    assert plain_demo.read_bytes() == before


def test_encrypt_refuses_a_database_open_in_another_process(plain_demo, capsys, monkeypatch):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL');"
         "c.execute('SELECT count(*) FROM candidate').fetchone(); print('open', flush=True); sys.stdin.read()",
         str(plain_demo)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        before = plain_demo.read_bytes()
        monkeypatch.setenv("PANEL_TUI_PASSPHRASE_NEW", SECRET)
        assert main(["--db", str(plain_demo), "encrypt"]) == 1
        assert "is open in another program" in _err_line(capsys)
        assert plain_demo.read_bytes() == before
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert main(["--db", str(plain_demo), "encrypt"]) == 0


def test_engine_refusals_are_one_line(tmp_path, encrypted_demo):
    with pytest.raises(DatabaseFileError, match="nothing to encrypt"):
        from db.engine import make_engine

        make_engine("sqlite://", cipher.FileKey.new(SECRET))
    with pytest.raises(DatabaseFileError, match="server's job"):
        open_database("postgresql+psycopg://panel@localhost/x", passphrase=SECRET)
    with pytest.raises(cipher.WrongPassphrase):
        open_database(sqlite_url(encrypted_demo), passphrase="nope nope nope")


def test_the_tui_reports_a_wrong_passphrase_as_one_line(encrypted_demo):
    before = encrypted_demo.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PANEL_TUI_PASSPHRASE": "not the passphrase",
           "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver"}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "panel_tui", "--db", str(encrypted_demo)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"panel-tui: wrong passphrase for {encrypted_demo}")
    assert proc.stderr.count("\n") == 1
    assert encrypted_demo.read_bytes() == before
    assert time.monotonic() - started < 30
