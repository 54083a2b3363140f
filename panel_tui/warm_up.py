"""What the next keys will need, loaded in a thread once the first screen is drawn.

The start-up path reads the first screen through SQLAlchemy Core (db.campaign_view) and imports one
screen module: no SQLModel, pydantic, ORM or table yet. The rest is loaded here while the panellist
reads the candidate list: every table (and so SQLModel and the ORM), then the screens the first keys
open (the interview: TextArea, the indicator panel, the save queue). A thread, so a key pressed
meanwhile waits at most one GIL switch interval (5 ms) per turn, never for the whole import; a screen
opened before this is done imports its module in its own worker (screens.key_hold), not on the UI thread.
The garbage collector stays paused until this is done: what it builds lives as long as the process
and is frozen with the rest of start-up (panel_tui.gc_pause).
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import Callable

from panel_tui import gc_pause

# In the order a panel reaches them: the panellist's interview first, then the chair's screens.
MODULES = (
    "panel_tui.screens.interview",
    "panel_tui.screens.consolidation",
    "panel_tui.screens.outcomes",
    "panel_tui.screens.campaigns",
)


def screen_classes() -> list[type]:
    """The classes with a stylesheet that the warm-up's modules define (their styles are read next,
    on the UI thread)."""
    return [cls for name in MODULES for cls in vars(import_module(name)).values()
            if isinstance(cls, type) and cls.__module__ == name and getattr(cls, "CSS_PATH", None)]


# Set while no screen is being opened. While one is (a KeyHoldScreen is up: its worker imports and
# reads what it needs), the warm-up waits before each step rather than share the GIL with it: pressed
# at once, Enter showed the interview ~0.2 s later while the warm-up built tables and chair's screens.
quiet = threading.Event()
quiet.set()
OPENING_WAIT_SECONDS = 3.0


def warm_up() -> None:
    """Thread worker: build every table and import the screens the first keys open."""
    try:
        quiet.wait(OPENING_WAIT_SECONDS)
        from db.models import load_all

        load_all()
        for name in MODULES:
            quiet.wait(OPENING_WAIT_SECONDS)
            import_module(name)
    finally:
        gc_pause.resume()


class WarmUp(threading.Thread):
    """``warm_up`` in a daemon thread, then ``then()``; ``error`` keeps what it raised (nothing to show a
    panellist: whatever failed is imported again, and reported, by the screen that needs it). Not a
    Textual worker: the app waits for its workers when it quits, and a ctrl+q typed in the first second
    would wait for the imports (~0.4 s) too."""

    def __init__(self, then: Callable[[], object]) -> None:
        super().__init__(name="warm-up", daemon=True)
        self.then = then
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            warm_up()
        except Exception as exc:  # noqa: BLE001 - see the class note
            self.error = exc
            return
        self.then()


def start(then: Callable[[], object]) -> WarmUp:
    thread = WarmUp(then)
    thread.start()
    return thread

