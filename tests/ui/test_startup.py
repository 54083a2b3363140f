"""Start-up from the CLI: loading screen first, data from a worker, keys typed meanwhile not lost."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, func, select

import db.engine
from db.demo import DEMO_KEY
from db.engine import sqlite_url
from db.models import Campaign, Candidate, ItemEvidence
from panel_tui.app import make_app
from panel_tui.screens.campaign import CampaignScreen
from panel_tui.screens.interview import InterviewScreen
from panel_tui.screens.loading import LoadingScreen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def held_open(monkeypatch):
    """open_database waits until the test releases it, so the test sees (and types into) the loading state."""
    release = threading.Event()
    real = db.engine.open_database

    def slow_open(*args, **kwargs):
        assert release.wait(10), "the test never released the database"
        return real(*args, **kwargs)

    monkeypatch.setattr(db.engine, "open_database", slow_open)
    yield release
    release.set()


async def _until(pilot, condition, tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never got there")


async def test_loading_state_then_the_data_with_keys_typed_meanwhile(demo_db_file, held_open, reader):
    app = make_app(db_path=str(demo_db_file), open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoadingScreen)
        assert "Loading" in str(app.screen.query_one("#loading-message").render())
        assert app.screen.query("Header") and app.screen.query("Footer")
        # Typed before the data is there: down to the second candidate, Enter opens the interview.
        await pilot.press("down", "enter")
        assert isinstance(app.screen, LoadingScreen)
        held_open.set()
        await _until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        await pilot.pause()
        interview = app.screen
        # Each key applied once: the second candidate (one "down"), opened once (one screen pushed).
        assert [type(s) for s in app.screen_stack[1:]] == [CampaignScreen, InterviewScreen]
    with Session(reader.engine) as s:
        assert s.get(Candidate, interview.candidate_id).ref == "HRBP-002"


async def test_a_key_during_loading_moves_the_cursor_once(demo_db_file, held_open):
    app = make_app(db_path=str(demo_db_file), open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("down")
        held_open.set()
        await _until(pilot, lambda: isinstance(app.screen, CampaignScreen))
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#candidates").cursor_row == 1


async def test_first_ever_start_creates_the_demo_from_the_worker(tmp_path):
    path = tmp_path / "new" / "panel.db"
    app = make_app(db_path=str(path), demo=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, CampaignScreen))
        await pilot.pause()
        assert app.screen.query_one("#candidates").row_count == 6
    reader = create_engine(sqlite_url(path))
    try:
        with Session(reader) as s:
            campaign = s.exec(select(Campaign).where(Campaign.key == DEMO_KEY)).one()
            assert s.exec(select(func.count()).select_from(Candidate).where(Candidate.campaign_id == campaign.id)).one() == 6
            assert s.exec(select(func.count()).select_from(ItemEvidence)).one() > 0
    finally:
        reader.dispose()


async def test_a_bad_file_ends_the_app_with_one_message(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list\n")
    app = make_app(db_path=str(path), demo=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: app.startup_error is not None)
        await pilot.pause()
    assert app.return_code == 1
    assert app.startup_error == f"{path} is not a panel-tui database (not an SQLite file)"
    assert path.read_text() == "shopping list\n"


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=60
    )


def test_the_tui_reports_a_bad_file_as_one_line_after_the_terminal_is_restored(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list\n")
    proc = _run(["-m", "panel_tui", "--db", str(path), "demo"],
                TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver")
    assert proc.returncode == 1
    assert proc.stderr == f"panel-tui: {path} is not a panel-tui database (not an SQLite file)\n"


def test_a_cli_command_never_imports_textual(demo_db_file):
    proc = _run(["-X", "importtime", "-m", "panel_tui", "--db", str(demo_db_file), "campaign", "list"])
    assert proc.returncode == 0, proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "db.campaign_view" in imported and proc.stdout.startswith("demo-")  # it read the database
    assert not {name for name in imported if name.split(".")[0] == "textual"}
    assert "sqlmodel" not in imported  # the list is read through Core, as the TUI's first screen


def test_the_first_frame_needs_no_database_layer():
    code = (
        "import sys; from panel_tui.cli import build_parser, command_in; build_parser(command_in(['demo']));"
        "import panel_tui.app, panel_tui.screens.loading;"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'db.models', 'panel_tui.commands.campaign') if m in sys.modules))"
    )
    proc = _run(["-c", code])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


async def test_help_opened_while_loading_stays_until_closed(demo_db_file, held_open):
    app = make_app(db_path=str(demo_db_file), open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("f1")  # app keys act at once, even while loading
        await pilot.pause()
        help_screen = app.screen
        assert not isinstance(help_screen, LoadingScreen)
        held_open.set()
        await _until(pilot, lambda: app.database is not None)
        await pilot.pause()
        assert app.screen is help_screen  # the data does not jump over what the panellist opened
        await pilot.press("escape")
        await _until(pilot, lambda: isinstance(app.screen, CampaignScreen))
        assert app.screen.query_one("#candidates").row_count == 6
