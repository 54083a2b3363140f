"""Start-up runs without the cyclic garbage collector, and it comes back once start-up is over."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.demo import DEMO_KEY
from panel_tui import cli, gc_pause
from panel_tui.app import make_app
from panel_tui.screens.campaign import CampaignScreen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def collector_restored():
    yield
    gc.unfreeze()  # what a paused start-up froze goes back to the collector (this process lives on)
    gc.enable()


def test_pause_then_resume_freezes_what_start_up_made(collector_restored):
    gc_pause.pause()
    assert not gc.isenabled()
    made = [[n] for n in range(1000)]  # start-up's objects
    gc_pause.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)
    frozen = gc.get_freeze_count()
    gc_pause.resume()  # once only
    assert gc.get_freeze_count() == frozen


def test_a_collector_disabled_by_someone_else_stays_disabled(collector_restored):
    gc.disable()
    gc_pause.pause()
    gc_pause.resume()
    assert not gc.isenabled()


def test_main_called_with_arguments_leaves_the_collector_alone(db_file, capsys):
    frozen = gc.get_freeze_count()
    assert cli.main(["--db", str(db_file), "campaign", "list"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_a_command_resumes_the_collector_once_its_database_is_open(db_file):
    code = (
        "import gc, sys; from panel_tui import gc_pause, cli; gc_pause.pause()\n"
        "from panel_tui.commands import campaign\n"
        "real = campaign.list_cmd\n"
        "def probe(args):\n"
        "    rc = real(args); print('collecting', gc.isenabled(), gc.get_freeze_count() > 0); return rc\n"
        "campaign.list_cmd = probe\n"
        "sys.argv = ['panel-tui', '--db', sys.argv[1], 'campaign', 'list']\n"
        "sys.exit(cli.main())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(db_file)], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "collecting True True"


async def test_the_tui_resumes_the_collector_once_the_first_screen_has_its_rows(demo_db_file, collector_restored):
    gc_pause.pause()  # as the entry point does
    app = make_app(db_path=str(demo_db_file), open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(200):
            table = app.screen.query("#candidates") if isinstance(app.screen, CampaignScreen) else None
            if table and table.first().row_count and gc.isenabled():  # (pushed, not yet composed: no table)
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, CampaignScreen)
        assert app.screen.query_one("#candidates").row_count == 6
        assert gc.isenabled() and gc.get_freeze_count() > 0
