"""Wait until the app's service workers (panel_tui.work) have finished and their answers are shown."""

from __future__ import annotations

from textual.widgets import Input, TextArea

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


async def steady(pilot) -> None:
    """Ready for a snapshot: work settled, animations landed, focus still, cursors shown without blinking.

    With blinking off a focused field always draws its cursor and an unfocused one never does,
    so a snapshot no longer depends on the blink phase or on how fast focus arrived.
    """
    await settle(pilot)
    await pilot.wait_for_scheduled_animations()  # scrolling into view is animated: let it land
    for _ in range(20):
        focused = pilot.app.screen.focused
        await pilot.pause()
        if pilot.app.screen.focused is focused:
            break
    for area in pilot.app.screen.query(TextArea).results():
        area.cursor_blink = False
        # Textual 8.2.8's line cache key leaves out focus when blinking is off, so a line drawn
        # before focus arrived would be reused without its cursor: drop it.
        area._line_cache.clear()
        area.refresh()
    for field in pilot.app.screen.query(Input).results():
        field.cursor_blink = False
    # A scroll region laid out while its content was still arriving can keep a stale scrollbar
    # thumb; one more full layout makes the picture the same however fast the machine is.
    pilot.app.screen.refresh(layout=True)
    await pilot.pause()
    await pilot.pause()
