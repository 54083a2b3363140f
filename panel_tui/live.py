"""Live screens: show other terminals' changes within about a second, without a key press.

A screen mixes in ``LiveRefresh`` (after ``ServiceWork``), calls ``self.start_live()``
in ``on_mount`` and implements ``live_changed()``. Once a second, while the screen
is the one on top, a thread worker asks ``db.changes.ChangeWatch`` whether anything
was committed since the last look (one tiny query; see that module for why it is
``PRAGMA data_version`` on SQLite and a portable statement elsewhere). Only when it
was does ``live_changed()`` run, on the UI thread; each screen then re-reads
incrementally (a few rows, not the whole screen). A check never overlaps the
previous one, and a failed check is simply tried again a second later.
"""

from __future__ import annotations

from typing import Any

from db.changes import ChangeWatch

LIVE_INTERVAL = 1.0


def _changed(_session: Any, watch: ChangeWatch) -> bool:
    # The session run_service opens is never used, so it never takes a connection.
    return watch.changed()


class LiveRefresh:
    """Mixin for ServiceWork screens (see the module note)."""

    _live_watch: ChangeWatch | None = None
    _live_checking: bool = False

    def start_live(self) -> None:
        """Call before the screen's first load: the baseline is taken here, on the UI thread (one tiny
        query), so a change committed while the screen is loading is still seen as a change."""
        node: Any = self
        self._live_watch = ChangeWatch(node.app.database.engine)
        try:
            self._live_watch.changed()
        except Exception:  # noqa: BLE001 - the first tick tries again
            pass
        node.set_interval(LIVE_INTERVAL, self._live_tick, name="live")

    def live_changed(self) -> None:  # pragma: no cover - each screen overrides it
        """Something was committed since the last check: re-read what changed."""

    def _live_tick(self) -> None:
        node: Any = self
        if self._live_watch is None or self._live_checking or not node.is_attached or node.app.screen is not node:
            return
        self._live_checking = True

        def done(changed: bool) -> None:
            if changed and node.is_attached:
                self.live_changed()

        def settled() -> None:
            self._live_checking = False

        node.run_service(_changed, self._live_watch, tag="live", group="live", done=done,
                         failed=lambda _message: None, settled=settled)

    def on_unmount(self) -> None:
        if self._live_watch is not None:
            self._live_watch.close()
            self._live_watch = None
