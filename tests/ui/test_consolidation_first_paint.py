"""The collector is paused from a key to the first frame of its answer (first_paint), never longer."""

from __future__ import annotations

import gc

import pytest

from panel_tui.screens.consensus import ConsensusDialog
from panel_tui.screens.first_paint import hold_collector
from tests.ui.settle import settle
from tests.ui.test_consolidation_screen import open_grid


async def test_collector_resumes_after_the_grid_and_the_dialog_are_drawn(make_demo_app):
    assert gc.isenabled()
    app = make_demo_app()
    async with app.run_test(size=(160, 45)) as pilot:
        grid = await open_grid(pilot)
        await settle(pilot)
        await pilot.pause()
        assert gc.isenabled()
        grid.move_cursor(row=0, column=1)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause()
        assert isinstance(app.screen, ConsensusDialog) and gc.isenabled()
        await pilot.press("escape")
        # A held collector whose answer never comes is resumed by the app's one-second limit.
        hold_collector(app.screen, longest=0.1)
        assert not gc.isenabled()
        await pilot.pause(0.3)
        assert gc.isenabled()
    gc.enable()


@pytest.mark.parametrize("started_frozen", [False, True])
async def test_the_whole_grid_is_frozen_while_open_and_thawed_on_close(make_demo_app, started_frozen):
    """Full collections skip the grid while the screen is open (first_paint.freeze_while_open);
    closing it gives everything back to the collector, which collects, then freezes again only
    if start-up had frozen what it made (gc_pause)."""
    from panel_tui.screens.consolidation import ConsolidationScreen

    gc.unfreeze()
    if started_frozen:
        gc.freeze()
    before = gc.get_freeze_count()
    app = make_demo_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await open_grid(pilot)
        await settle(pilot)
        await pilot.pause()
        assert isinstance(app.screen, ConsolidationScreen) and gc.get_freeze_count() > before
        await pilot.press("escape")
        await settle(pilot)
        await pilot.pause()
        assert not isinstance(app.screen, ConsolidationScreen)
        assert (gc.get_freeze_count() > 0) == started_frozen
    gc.unfreeze()
