"""Collect garbage after an answer is painted, not while it is built; and never re-scan a big screen's data.

Building a screen or a dialog makes thousands of small objects; with a 2,000-candidate grid or
merit list alive, a full cyclic collection landing in that moment costs 100-500 ms and the key
seems to hang. So the collector is paused from the key to the first frame showing the answer and
resumes straight after it (as gc_pause does for start-up): the collection still runs, while the
person reads the screen. Never for longer than a second, whatever happens to the frame.

A screen holding a large read (the grid, the merit list) also freezes what is alive once that read
is painted (``freeze_while_open``): full collections then skip it (the first one after a
2,000-candidate grid otherwise scans ~140,000 objects, 80-180 ms, on whichever key comes next).
Frozen objects in a reference cycle are not freed, so when the screen closes (``thaw``) everything
is unfrozen, collected once the screen below is painted, and what survives (start-up's objects,
other screens) frozen again if anything was frozen before: the state the screen found.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any


def hold_collector(node: Any, longest: float = 1.0) -> Callable[[], None]:
    """Pause the cyclic collector; returns ``resume`` (idempotent) to call once the answer is painted.

    If the collector is already paused (start-up, or a service building a grid), nothing is held.
    """
    if not gc.isenabled():
        return lambda: None
    gc.disable()
    resumed = False

    def resume() -> None:
        nonlocal resumed
        if not resumed:
            resumed = True
            gc.enable()

    node.app.set_timer(longest, resume)  # the app's timer: it outlives a screen closed meanwhile
    return resume


def after_paint(node: Any, resume: Callable[[], None]) -> None:
    """Resume once ``node`` has drawn its next frame."""
    node.call_after_refresh(resume)


# Screens that have frozen what was alive (by id: a screen is not hashable by value), and whether
# anything was frozen before the first of them (start-up's objects, see gc_pause).
_freezers: set[int] = set()
_frozen_before = False


def freeze_while_open(screen: Any) -> None:
    """Once ``screen`` has drawn its next frame, freeze what is alive (its data included) until
    ``thaw(screen)``. Call again after each new large read: only what is new is added."""

    def freeze() -> None:
        global _frozen_before
        if not screen.is_attached:
            return  # closed before its frame: thaw has run
        if not _freezers:
            _frozen_before = gc.get_freeze_count() > 0
        _freezers.add(id(screen))
        gc.freeze()

    screen.call_after_refresh(freeze)


def collect_and_refreeze(screen: Any) -> None:
    """``screen`` froze what was alive when it was drawn (freeze_while_open): collect what was made
    since, and freeze what survives (thawed with the rest by ``thaw(screen)``). Only what is new is
    scanned. Not while something else holds the collector paused (start-up)."""
    if id(screen) in _freezers and gc.isenabled():
        gc.collect()
        gc.freeze()


def thaw(screen: Any) -> None:
    """``screen`` is closing: unfreeze, collect once the app has drawn its next frame, and freeze
    again what survives if something was frozen before (see the module note)."""
    if id(screen) not in _freezers:
        return
    _freezers.discard(id(screen))
    gc.unfreeze()
    app = screen.app

    def collect() -> None:
        gc.collect()
        if _freezers or _frozen_before:  # a screen below still holds a large read, or start-up froze
            gc.freeze()

    app.call_after_refresh(collect)
