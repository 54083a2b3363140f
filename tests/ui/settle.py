"""Wait until the app's service workers (panel_tui.work) have finished and their answers are shown."""

from __future__ import annotations

from panel_tui.work import ServiceWork


async def settle(pilot, rounds: int = 50) -> None:
    """Screens load and save in thread workers; a finished one may start the next (save, then reload).

    Only service work is waited for: widgets such as DirectoryTree keep workers of their own alive.
    """
    for _ in range(rounds):
        await pilot.pause()
        running = [w for w in pilot.app.workers if not w.is_finished and isinstance(w.node, ServiceWork)]
        if not running:
            await pilot.pause()
            return
        await pilot.app.workers.wait_for_complete(running)
    raise AssertionError("service work never settled")
