"""SQLCipher at rest: the file reveals nothing, opens only with its passphrase, converts safely."""

from __future__ import annotations

import sqlite3

import pytest

from db import cipher
from db.cipher import FileKey, PassphraseNeeded, WrongPassphrase

NAME = "Alice Secretname"


@pytest.fixture
def plain_file(tmp_path):
    path = tmp_path / "panel.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE candidate(name)")
    conn.executemany("INSERT INTO candidate VALUES (?)", [(NAME,)] * 50)
    conn.commit()
    conn.close()
    path.chmod(0o600)
    return path


def _names(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM candidate")]


def test_encrypted_file_reveals_no_name_and_opens_only_with_its_passphrase(plain_file):
    cipher.convert(plain_file, None, FileKey.new("correct horse"))
    assert cipher.is_encrypted(plain_file)
    assert NAME.encode() not in plain_file.read_bytes()
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(plain_file).execute("SELECT * FROM candidate").fetchall()
    conn = cipher.connect(plain_file, FileKey.for_file(plain_file, "correct horse"))
    assert _names(conn) == [NAME] * 50
    conn.close()


def test_wrong_or_missing_passphrase_is_one_line_and_leaves_the_file_alone(plain_file):
    cipher.convert(plain_file, None, FileKey.new("correct horse"))
    before = plain_file.read_bytes()
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        cipher.connect(plain_file, FileKey.for_file(plain_file, "battery staple"))
    with pytest.raises(PassphraseNeeded, match="PANEL_TUI_PASSPHRASE"):
        cipher.connect(plain_file, None)
    assert plain_file.read_bytes() == before


def test_the_derived_key_is_sqlcipher_s_own_so_standard_tools_open_the_file(plain_file):
    cipher.convert(plain_file, None, FileKey.new("correct horse"))
    conn = cipher.dbapi().connect(str(plain_file))
    conn.execute("PRAGMA key = 'correct horse'")  # SQLCipher's passphrase mode, as its CLI would
    assert _names(conn) == [NAME] * 50
    conn.close()


def test_rekey_and_decrypt_keep_every_row(plain_file):
    first = FileKey.new("correct horse")
    cipher.convert(plain_file, None, first)
    second = FileKey.new("battery staple")
    cipher.convert(plain_file, first, second)
    with pytest.raises(WrongPassphrase):
        cipher.connect(plain_file, FileKey.for_file(plain_file, "correct horse"))
    cipher.convert(plain_file, FileKey.for_file(plain_file, "battery staple"), None)
    assert not cipher.is_encrypted(plain_file)
    assert _names(sqlite3.connect(plain_file)) == [NAME] * 50
    assert plain_file.stat().st_mode & 0o777 == 0o600


def test_an_interrupted_conversion_leaves_the_original_untouched(plain_file, monkeypatch):
    before = plain_file.read_bytes()

    def boom(*_args):
        raise OSError("disk I/O error")

    monkeypatch.setattr(cipher.os, "replace", boom)
    with pytest.raises(OSError):
        cipher.convert(plain_file, None, FileKey.new("correct horse"))
    assert plain_file.read_bytes() == before
    assert _names(sqlite3.connect(plain_file)) == [NAME] * 50


def test_short_passphrases_are_refused():
    with pytest.raises(cipher.DatabaseFileError, match="at least 8"):
        FileKey.new("short")


def test_the_idle_lock_checks_a_passphrase_against_the_key():
    key = FileKey.new("correct horse")
    assert key.matches("correct horse")
    assert not key.matches("correct horse ")
