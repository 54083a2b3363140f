"""The demo's first-ever start: the file is made by a forked child while the app loads (panel_tui.first_run)."""

from __future__ import annotations

import os
import stat
import sys
import time

import pytest
from sqlmodel import Session, func, select

from db.demo import DEMO_KEY
from db.engine import open_database, sqlite_url
from db.models import Campaign, Candidate, ItemEvidence
from panel_tui import first_run, splash
from tests.ui.test_kill import Terminal

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _demo_counts(path) -> tuple[int, int, int]:
    db = open_database(sqlite_url(path))
    try:
        with Session(db.engine) as s:
            return (
                len(s.exec(select(Campaign.id).where(Campaign.key == DEMO_KEY)).all()),
                s.exec(select(func.count()).select_from(Candidate)).one(),
                s.exec(select(func.count()).select_from(ItemEvidence)).one(),
            )
    finally:
        db.dispose()


def test_only_the_demo_on_a_new_plain_file(tmp_path, monkeypatch):
    monkeypatch.delenv("PANEL_TUI_PASSPHRASE", raising=False)
    new = str(tmp_path / "new.db")
    assert first_run.start(new, db_url=None, passphrase_file=None, demo=False) is None  # not the demo
    assert first_run.start(new, db_url="sqlite:///" + new, passphrase_file=None, demo=True) is None  # a URL
    assert first_run.start(new, db_url=None, passphrase_file="pass.txt", demo=True) is None  # encrypted
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"SQLite format 3\x00")
    assert first_run.start(str(existing), db_url=None, passphrase_file=None, demo=True) is None  # made already
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE", "a passphrase for it")
    assert first_run.start(new, db_url=None, passphrase_file=None, demo=True) is None  # encrypted
    assert not os.path.exists(new)


def test_the_child_makes_the_same_demo_the_app_would(tmp_path, monkeypatch):
    monkeypatch.delenv("PANEL_TUI_PASSPHRASE", raising=False)
    path = tmp_path / "first.db"
    pid = first_run.start(str(path), db_url=None, passphrase_file=None, demo=True)
    assert pid is not None and pid != os.getpid()
    first_run.finish(pid)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # As made in-process (db.demo): one demo campaign, six candidates, the panel's evidence.
    made_here = tmp_path / "here.db"
    from db.demo import ensure_demo

    open_database(sqlite_url(made_here), on_create=ensure_demo).dispose()
    assert _demo_counts(path) == _demo_counts(made_here)
    assert _demo_counts(path)[0] == 1


def test_a_child_that_cannot_make_the_file_leaves_it_to_the_app(monkeypatch):
    monkeypatch.delenv("PANEL_TUI_PASSPHRASE", raising=False)
    where = "/proc/self/panel-tui-test/panel.db"  # nothing can be made there, not even by root
    pid = first_run.start(where, db_url=None, passphrase_file=None, demo=True)
    assert pid is not None
    started = time.monotonic()
    first_run.finish(pid)  # returns once the child gave up (the app then says why, in one line)
    assert time.monotonic() - started < 30
    assert not os.path.exists(where)


def test_a_path_that_cannot_be_looked_at_is_left_to_the_app(tmp_path, monkeypatch):
    monkeypatch.delenv("PANEL_TUI_PASSPHRASE", raising=False)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be\n")
    assert first_run.start(str(blocker / "panel.db"), db_url=None, passphrase_file=None, demo=True) is None


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_the_first_start_in_a_terminal_shows_the_demo_and_keeps_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("PANEL_TUI_PASSPHRASE", raising=False)
    path = tmp_path / "first-ever.db"
    term = Terminal([sys.executable, "-m", "panel_tui", "--db", str(path), "demo"])
    try:
        term.wait_for(splash.MESSAGE)
        term.type("\x1b[B\r", gap=0)  # down, enter, typed while the file is being made
        term.wait_for("Ben Castell (HRBP-002)")
        time.sleep(0.3)
        assert term.quit() == 0
    finally:
        if os.path.exists(f"/proc/{term.pid}"):
            term.kill()
    assert _demo_counts(path)[:2] == (1, 6)
