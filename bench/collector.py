"""bench_consolidation's collector probe (a full collection timed while the consolidation grid is
open), and ``started``: the app past its start-up warm-up."""

from __future__ import annotations

import statistics
import time

from db.engine import Database


async def started(app) -> None:
    """Once start-up's warm-up (panel_tui/warm_up.py: imports in a thread from 0.3 s after the
    first screen) is over: the benches time actions in the steady state, not against it."""
    import asyncio

    from panel_tui.app import WARM_UP_AFTER

    await asyncio.sleep(WARM_UP_AFTER + 0.05)
    while [w for w in app.workers if not w.is_finished]:
        await asyncio.sleep(0.02)


def collector_with_grid(database: Database, campaign_id: int) -> float:
    """A full (generation 2) collection while the consolidation screen shows the whole grid, timed
    by gc.callbacks (median of 3): what a key pays when one lands on it. The screen freezes what is
    alive once the grid is painted (panel_tui.screens.first_paint), so it should skip the grid."""
    import asyncio
    import gc

    from panel_tui.app import make_app
    from panel_tui.screens.consolidation import ConsolidationScreen
    from panel_tui.widgets.score_grid import ScoreGrid

    took: list[float] = []
    start = [0.0]

    def timed(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                start[0] = time.perf_counter()
            else:
                took.append(time.perf_counter() - start[0])

    async def once() -> None:
        app = make_app(database)
        async with app.run_test(size=(160, 48)) as pilot:
            await started(app)
            screen = ConsolidationScreen(database, campaign_id, None)
            app.push_screen(screen)
            while not (screen.query(ScoreGrid) and screen.query_one(ScoreGrid).grid
                       and screen.query_one(ScoreGrid).grid.complete):  # type: ignore[union-attr]
                await asyncio.sleep(0.05)
            await pilot.pause()
            await asyncio.sleep(0.2)
            gc.callbacks.append(timed)
            try:
                for _ in range(3):
                    gc.collect()
            finally:
                gc.callbacks.remove(timed)

    asyncio.run(once())
    return statistics.median(took)
