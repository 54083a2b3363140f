"""`panel-tui` in a terminal: the splash is the first frame, the database is opened behind it
(PanelApp.preload), and keys typed meanwhile reach the first screen once it has its rows."""

from __future__ import annotations

import os
import sys
import time

import pytest
from sqlmodel import Session, select

from db.demo import DEMO_KEY, ensure_demo
from db.engine import open_database, sqlite_url
from db.models import Candidate
from panel_tui import splash
from panel_tui.app import make_app
from panel_tui.screens.campaign import CampaignScreen
from panel_tui.screens.interview import InterviewScreen
from panel_tui.screens.loading import LoadingScreen
from tests.ui.test_kill import Terminal


@pytest.fixture
def encrypted_demo(tmp_path):
    path = tmp_path / "secret.db"
    db = open_database(sqlite_url(path), passphrase="correct horse battery")
    with db.session() as s:
        ensure_demo(s)
    db.dispose()
    return path


def test_the_splash_frame_has_the_header_the_loading_line_and_the_keys():
    text = splash.frame(100, 30, "panel-tui", truecolor=True)
    assert text.startswith("\x1b[?1049h")  # the alternate screen, as Textual's
    for part in ("panel-tui", splash.MESSAGE, " ^q ", "Quit ", " f1 ", "Help ", "^p", " palette "):
        assert part in text
    assert "\x1b[30;1H" in text  # the keys on the last line
    narrow = splash.frame(20, 5, "panel-tui", truecolor=False)  # 256 colours, and nothing wider than the terminal
    assert "\x1b[38;5;214m" in narrow and "palette" not in narrow


def test_no_splash_without_a_terminal():
    assert splash.show() is None  # pytest's stdin is not a terminal: the app's loading screen is the first frame


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_keys_typed_behind_the_splash_reach_the_first_screen(demo_db_file, reader):
    term = Terminal([sys.executable, "-m", "panel_tui", "--db", str(demo_db_file), "demo"])
    try:
        term.wait_for(splash.MESSAGE)  # drawn once the terminal holds keys unechoed
        term.type("\x1b[B\r", gap=0)  # down, enter: before the data is there
        term.wait_for("Ben Castell (HRBP-002)")  # the second candidate's interview, opened once
        time.sleep(0.3)
        assert term.quit() == 0
    finally:
        if os.path.exists(f"/proc/{term.pid}"):
            term.kill()
    assert b"\x1b[?1049l" in term.output  # back on the normal screen
    with Session(reader.engine) as s:
        assert s.exec(select(Candidate.name).where(Candidate.ref == "HRBP-002")).one() == "Ben Castell"


async def test_preloaded_the_first_frame_is_the_campaign_with_its_rows(demo_db_file):
    app = make_app(db_path=str(demo_db_file), open_campaign=DEMO_KEY)
    app.preload()
    assert app.database is not None and app.startup_error is None
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("down", "enter")
            for _ in range(200):
                if isinstance(app.screen, InterviewScreen):
                    break
                await pilot.pause(0.02)
            assert [type(s) for s in app.screen_stack[1:]] == [CampaignScreen, InterviewScreen]
            assert not any(isinstance(s, LoadingScreen) for s in app.screen_stack)
            with Session(app.database.engine) as s:
                assert s.get(Candidate, app.screen.candidate_id).ref == "HRBP-002"
    finally:
        app.database.dispose()


async def test_preloaded_a_plain_start_shows_the_campaigns_with_their_rows(demo_db_file, monkeypatch):
    """`panel-tui` with no command: the start-up read includes the list's rows, so its first frame
    has them; the screen does not read them again."""
    import panel_tui.screens.campaigns as campaigns_screen

    reads = []
    monkeypatch.setattr(campaigns_screen, "list_campaigns", lambda session: reads.append(1) or [])
    app = make_app(db_path=str(demo_db_file))
    app.preload()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, campaigns_screen.CampaignsScreen)
            table = app.screen.query_one("#campaigns")
            assert table.row_count == 1 and table.get_row_at(0)[0].plain == "HR Business Partner"
            assert reads == []
    finally:
        app.database.dispose()


async def test_preload_leaves_an_encrypted_file_to_the_loading_screen(encrypted_demo, monkeypatch):
    monkeypatch.delenv("PANEL_TUI_PASSPHRASE", raising=False)
    app = make_app(db_path=str(encrypted_demo), open_campaign=DEMO_KEY)
    app.preload()
    assert app.database is None and app.startup_error is None
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(300):
            if isinstance(app.screen, LoadingScreen) and app.screen.asking == "open":
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, LoadingScreen) and app.screen.asking == "open"
        assert "is encrypted" in str(app.screen.query_one("#passphrase-label").render())


def test_preload_of_a_file_that_is_not_a_database_gives_one_line(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list\n")
    app = make_app(db_path=str(path), demo=True)
    app.preload()
    assert app.database is None
    assert app.startup_error == f"{path} is not a panel-tui database (not an SQLite file)"
    assert path.read_text() == "shopping list\n"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_sigterm_behind_the_splash_gives_the_terminal_back():
    import signal
    import termios

    script = "from panel_tui import splash; import time; s = splash.show(); print('SPLASHED', flush=True); time.sleep(30)"
    term = Terminal([sys.executable, "-c", script])
    try:
        term.wait_for("SPLASHED")
        assert not termios.tcgetattr(term.fd)[3] & termios.ECHO  # keys held unechoed behind the splash
        os.kill(term.pid, signal.SIGTERM)
        _, status = os.waitpid(term.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGTERM
        time.sleep(0.1)
        assert bytes(term.output).rstrip().endswith(b"\x1b[?25h\x1b[?1049l")  # off the alternate screen
        assert termios.tcgetattr(term.fd)[3] & termios.ECHO  # echo back for the shell
    finally:
        os.close(term.fd)
