"""After the first screen is drawn, what the next keys need is loaded in a thread (panel_tui.warm_up)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

import panel_tui.warm_up
from db.demo import DEMO_KEY
from panel_tui.app import make_app
from panel_tui.screens.campaign import CampaignScreen

pytestmark = pytest.mark.ui


def test_warm_up_builds_every_table_imports_the_screens_and_resumes_the_collector():
    # A fresh interpreter: in this one the test session has imported everything already.
    code = (
        "import gc, sys\n"
        "from panel_tui import gc_pause\n"
        "gc_pause.pause()\n"
        "import db.models\n"
        "from panel_tui.warm_up import MODULES, warm_up\n"
        "assert 'db.models.decisions' not in sys.modules and not any(m in sys.modules for m in MODULES)\n"
        "warm_up()\n"
        "missing = [m for m in MODULES if m not in sys.modules]\n"
        "missing += [g for g in set(db.models.TABLES.values()) if f'db.models.{g}' not in sys.modules]\n"
        "assert not missing, missing\n"
        "assert gc.isenabled() and gc.get_freeze_count() > 0\n"
        "print('warm')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "warm"


async def test_the_app_warms_up_in_a_thread_after_the_first_screen(demo_db_file, monkeypatch):
    ran: list[tuple[bool, object]] = []
    real = panel_tui.warm_up.warm_up

    def recorded() -> None:
        ran.append((threading.current_thread() is threading.main_thread(), app.screen))
        real()

    monkeypatch.setattr(panel_tui.warm_up, "warm_up", recorded)
    app = make_app(db_path=str(demo_db_file), open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(200):
            if ran:
                break
            await pilot.pause(0.02)
        assert ran, "no warm-up after the first screen"
        on_main_thread, screen = ran[0]
        assert not on_main_thread
        assert isinstance(screen, CampaignScreen)  # the first screen was up before it started
        await app.workers.wait_for_complete()
        assert [w for w in app.workers if w.group == "warm-up" and w.error is not None] == []
