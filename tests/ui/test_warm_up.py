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
        app.warm_up_thread.join(30)
        assert not app.warm_up_thread.is_alive() and app.warm_up_thread.error is None


async def test_the_warm_up_reads_the_screens_styles_and_a_first_opening_reparses_nothing(demo_db_file, monkeypatch):
    """Textual re-parses every stylesheet when a screen brings its own .tcss (30-40 ms on each first
    opening); the warm-up reads them beforehand, and a screen's own file is parsed alone."""
    from textual.css.stylesheet import Stylesheet

    from panel_tui.app import _css_paths
    from panel_tui.screens.consolidation import ConsolidationScreen
    from panel_tui.screens.frameworks import FrameworksScreen
    from panel_tui.widgets.score_grid import ScoreGrid

    reparsed: list[int] = []
    real_reparse = Stylesheet.reparse
    monkeypatch.setattr(Stylesheet, "reparse", lambda self: (reparsed.append(1), real_reparse(self))[1])
    app = make_app(db_path=str(demo_db_file), open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        consolidation_css = _css_paths(ConsolidationScreen)[0]
        for _ in range(300):
            if app.stylesheet.has_source(str(consolidation_css), ""):
                break
            await pilot.pause(0.02)
        assert app.stylesheet.has_source(str(consolidation_css), "")  # read by the warm-up
        await pilot.press("c")  # the chair's grid: its styles apply at once
        for _ in range(300):
            if isinstance(app.screen, ConsolidationScreen) and app.screen.query(ScoreGrid):
                break
            await pilot.pause(0.02)
        assert app.screen.query_one("#grid-legend").styles.height.value == 1
        await pilot.press("escape")
        frameworks_css = _css_paths(FrameworksScreen)[0]
        assert not app.stylesheet.has_source(str(frameworks_css), "")  # not warmed: read on its first opening
        await pilot.press("f")
        for _ in range(300):
            if isinstance(app.screen, FrameworksScreen):
                break
            await pilot.pause(0.02)
        await pilot.pause(0.2)
        assert app.stylesheet.has_source(str(frameworks_css), "")
        assert reparsed == []  # each file parsed alone, never the whole stylesheet again


def test_the_warm_up_waits_while_a_screen_is_being_opened():
    """A key-hold screen up (a screen's worker importing and reading what it needs): the warm-up does
    not share the GIL with it; it goes on once that screen has gone."""
    done = threading.Event()
    panel_tui.warm_up.quiet.clear()
    try:
        thread = panel_tui.warm_up.start(then=done.set)
        assert not done.wait(0.3) and thread.is_alive()
    finally:
        panel_tui.warm_up.quiet.set()
    assert done.wait(5) and thread.error is None
