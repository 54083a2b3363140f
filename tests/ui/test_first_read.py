"""The first screen read by a forked process while the app imports Textual (panel_tui.first_read),
shown before the app has opened the database, and handed the database once it has (PanelApp.show_preview)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time

import pytest
from sqlmodel import Session, func, select
from textual import events

import db.engine
from db.campaign_view import open_first
from db.demo import DEMO_KEY, ensure_demo
from db.engine import open_database, sqlite_url
from db.models import Campaign, Candidate, ItemEvidence
from panel_tui import first_read, splash
from panel_tui.app import make_app
from panel_tui.screens.campaign import CampaignScreen
from panel_tui.screens.campaigns import CampaignsScreen
from panel_tui.screens.interview import InterviewScreen
from tests.ui.settle import settle
from tests.ui.test_kill import Terminal

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


@pytest.fixture(autouse=True)
def _two_cores(monkeypatch):
    monkeypatch.delenv("PANEL_TUI_PASSPHRASE", raising=False)
    monkeypatch.setattr(first_read, "_cores", lambda: {0, 1})  # CI machines may have one


def _read_here(path) -> tuple:
    """What the app itself reads for the demo's screen (its preview form: no model row)."""
    database = open_database(sqlite_url(path), on_create=ensure_demo)
    try:
        campaign_id, (view, rows) = open_first(database, demo=True, key=None, read_first=True)
    finally:
        database.dispose()
    return campaign_id, (view.preview(), rows)


def _demo_counts(path) -> tuple[int, int, int]:
    database = open_database(sqlite_url(path))
    try:
        with Session(database.engine) as s:
            return (
                len(s.exec(select(Campaign.id).where(Campaign.key == DEMO_KEY)).all()),
                s.exec(select(func.count()).select_from(Candidate)).one(),
                s.exec(select(func.count()).select_from(ItemEvidence)).one(),
            )
    finally:
        database.dispose()


def test_only_on_a_plain_file_and_two_cores(tmp_path, demo_db_file, monkeypatch):
    new = str(tmp_path / "new.db")
    demo = str(demo_db_file)
    assert first_read.start(new, db_url=None, passphrase_file=None, demo=False) is None  # new: the app offers a passphrase
    assert first_read.start(demo, db_url=sqlite_url(demo_db_file), passphrase_file=None, demo=True) is None  # a URL
    assert first_read.start(demo, db_url=None, passphrase_file="pass.txt", demo=True) is None  # encrypted
    encrypted = tmp_path / "encrypted.db"
    encrypted.write_bytes(os.urandom(4096))
    assert first_read.start(str(encrypted), db_url=None, passphrase_file=None, demo=True) is None
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be\n")
    assert first_read.start(str(blocker / "panel.db"), db_url=None, passphrase_file=None, demo=True) is None
    monkeypatch.setenv("PANEL_TUI_PASSPHRASE", "a passphrase for it")
    assert first_read.start(demo, db_url=None, passphrase_file=None, demo=True) is None
    monkeypatch.delenv("PANEL_TUI_PASSPHRASE")
    monkeypatch.setattr(first_read, "_cores", lambda: {0})  # one core: the two would only take turns
    assert first_read.start(demo, db_url=None, passphrase_file=None, demo=True) is None
    assert not os.path.exists(new)


def test_the_child_reads_what_the_app_would(demo_db_file):
    reading = first_read.start(str(demo_db_file), db_url=None, passphrase_file=None, demo=True)
    assert reading is not None and reading.pid != os.getpid()
    got = first_read.finish(reading)
    with pytest.raises(ChildProcessError):
        os.waitpid(reading.pid, os.WNOHANG)  # reaped: no zombie left behind
    assert got == _read_here(demo_db_file)
    campaign_id, (view, rows) = got
    assert view.title == "HR Business Partner" and view.campaign is None
    assert [r.ref for r in rows] == [f"HRBP-00{n}" for n in range(1, 7)]


def test_a_plain_start_reads_the_campaigns_list(demo_db_file):
    got = first_read.finish(first_read.start(str(demo_db_file), db_url=None, passphrase_file=None, demo=False))
    database = open_database(sqlite_url(demo_db_file))
    try:
        assert got == open_first(database, demo=False, key=None, read_first=True)
    finally:
        database.dispose()
    campaign_id, rows = got
    assert campaign_id is None and [(r.key, r.candidates) for r in rows] == [(DEMO_KEY, 6)]


def test_the_demos_first_start_is_made_by_the_child(tmp_path):
    path = tmp_path / "first.db"
    got = first_read.finish(first_read.start(str(path), db_url=None, passphrase_file=None, demo=True))
    assert got is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    made_here = tmp_path / "here.db"
    assert got[1][1] == _read_here(made_here)[1][1]  # the same rows as the app makes and reads itself
    assert _demo_counts(path) == _demo_counts(made_here) and _demo_counts(path)[0] == 1


def test_the_rows_reach_the_app_without_the_database_layer(demo_db_file):
    """The point of it: the app process shows them having imported Textual only."""
    code = (
        "import sys\n"
        "from panel_tui import first_read\n"
        "first_read._cores = lambda: {0, 1}\n"
        "first_read._import_load_modules = lambda: None  # (what the app loads next, meanwhile: not here)\n"
        f"reading = first_read.start({str(demo_db_file)!r}, db_url=None, passphrase_file=None, demo=True)\n"
        "import panel_tui.app, panel_tui.screens.campaign\n"
        "campaign_id, (view, rows) = first_read.finish(reading)\n"
        "print(view.title, len(rows), sorted(m for m in ('sqlalchemy', 'sqlmodel', 'db.models', 'db.engine') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PANEL_TUI_PASSPHRASE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "HR Business Partner 6 []"


def test_a_child_that_fails_or_is_slow_leaves_it_to_the_app(demo_db_file):
    where = "/proc/self/panel-tui-test/panel.db"  # nothing can be made there, not even by root
    reading = first_read.start(where, db_url=None, passphrase_file=None, demo=True)
    assert reading is not None
    started = time.monotonic()
    assert first_read.finish(reading) is None  # the app then opens it itself and says why, in one line
    assert time.monotonic() - started < 30 and not os.path.exists(where)
    slow = first_read.start(str(demo_db_file), db_url=None, passphrase_file=None, demo=True)
    assert first_read.finish(slow, wait=0.001) is None  # stopped, and reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(slow.pid, os.WNOHANG)


def test_another_programs_database_is_left_to_the_app(tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("create table shopping (item text)")
    before = path.read_bytes()
    reading = first_read.start(str(path), db_url=None, passphrase_file=None, demo=True)
    assert reading is not None  # a plain SQLite file: the child tries, fails, and says nothing
    assert first_read.finish(reading) is None
    assert path.read_bytes() == before  # the app then names the problem in one line (test_startup_splash)


def test_a_signal_while_waiting_leaves_no_child(demo_db_file, monkeypatch):
    reading = first_read.start(str(demo_db_file), db_url=None, passphrase_file=None, demo=True)

    def terminated(fd, wait):
        raise SystemExit(143)  # what the splash's SIGTERM handler raises

    monkeypatch.setattr(first_read, "_receive", terminated)
    with pytest.raises(SystemExit):
        first_read.finish(reading)
    with pytest.raises(ChildProcessError):
        os.waitpid(reading.pid, os.WNOHANG)  # stopped and reaped
    with pytest.raises(OSError):
        os.fstat(reading.fd)  # and the pipe closed


async def test_the_preview_holds_keys_until_the_database_is_open(demo_db_file, monkeypatch):
    """Textual's first frame shows the child's rows; keys typed before the app has opened the file are
    replayed on the same screen once it has, and a click meanwhile does nothing."""
    preview = first_read.finish(first_read.start(str(demo_db_file), db_url=None, passphrase_file=None, demo=True))
    assert preview is not None
    opening = threading.Event()
    real_open = db.engine.open_database

    def slow_open(*args, **kwargs):
        opening.wait(10)  # the app's worker opens the file only when the test says so
        return real_open(*args, **kwargs)

    monkeypatch.setattr(db.engine, "open_database", slow_open)
    app = make_app(db_path=str(demo_db_file), demo=True)
    app.show_preview(*preview)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, CampaignScreen) and app.database is None
            assert screen.sub_title == "You are Sam Whitfield"
            table = screen.query_one("#candidates")
            assert [table.get_row_at(n)[1].plain for n in range(table.row_count)][:2] == ["HRBP-001", "HRBP-002"]
            row_three = table.region.y + 3  # under the headings
            await _click(app, pilot, 3, row_three, 2)  # as the driver sends it: dropped, nothing to open a row with yet
            await pilot.press("down", "enter")
            await pilot.pause(0.1)
            assert app.screen is screen and table.cursor_row == 0  # held
            opening.set()
            await _interview_of(app, pilot, "HRBP-002")
            assert app.screen_stack[-2] is screen and screen.database is app.database
            await _back_to(screen, pilot)
            await _click(app, pilot, 3, row_three, 2)  # once open, the same click moves the cursor there,
            await pilot.pause(0.1)
            assert table.cursor_row == 2
            await _click(app, pilot, 3, row_three, 2)  # and a second opens that candidate
            await _interview_of(app, pilot, "HRBP-003")
            await _back_to(screen, pilot)  # (and the app closes with nothing left loading)
    finally:
        opening.set()
        if app.database is not None:
            app.database.dispose()


async def test_the_campaigns_list_preview_opens_a_campaign_once_open(demo_db_file, monkeypatch):
    preview = first_read.finish(first_read.start(str(demo_db_file), db_url=None, passphrase_file=None, demo=False))
    opening = threading.Event()
    real_open = db.engine.open_database
    monkeypatch.setattr(db.engine, "open_database", lambda *a, **k: (opening.wait(10), real_open(*a, **k))[1])
    app = make_app(db_path=str(demo_db_file))
    app.show_preview(*preview)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            listed = app.screen
            assert isinstance(listed, CampaignsScreen) and app.database is None
            assert listed.query_one("#campaigns").get_row_at(0)[0].plain == "HR Business Partner"
            await pilot.press("enter")  # held: nothing to open the campaign with yet
            await pilot.pause(0.1)
            assert app.screen is listed
            opening.set()
            for _ in range(300):
                if isinstance(app.screen, CampaignScreen) and app.screen.rows:
                    break
                await pilot.pause(0.02)
            assert isinstance(app.screen, CampaignScreen) and app.screen.campaign.key == DEMO_KEY
            assert listed.database is app.database
    finally:
        opening.set()
        if app.database is not None:
            app.database.dispose()


async def _back_to(screen, pilot) -> None:
    await pilot.press("escape", "q")  # leave the interview, as a panellist does
    for _ in range(150):
        if pilot.app.screen is screen:
            break
        await pilot.pause(0.02)
    assert pilot.app.screen is screen
    await settle(pilot)


async def _interview_of(app, pilot, ref: str) -> None:
    for _ in range(300):
        if isinstance(app.screen, InterviewScreen) and app.screen.query("#ind-effective"):
            break
        await pilot.pause(0.02)
    assert isinstance(app.screen, InterviewScreen) and app.database is not None
    with Session(app.database.engine) as s:
        assert s.get(Candidate, app.screen.candidate_id).ref == ref


async def _click(app, pilot, x: int, y: int, row: int) -> None:
    """Press and release on ``row`` of the list, as the driver sends them to the app (Pilot's click
    bypasses the app's event handler), once the list is what is drawn there."""
    for _ in range(100):
        style = app.screen.get_style_at(x, y)
        if style.meta.get("row") == row:
            break
        await pilot.pause(0.02)
    for kind in (events.MouseDown, events.MouseUp):
        app.post_message(kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y, style=style))


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_the_first_start_in_a_terminal_shows_the_demo_and_keeps_keys(tmp_path):
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
