"""Collect garbage after an answer is painted, not while it is built.

Building a screen or a dialog makes thousands of small objects; with a 2,000-candidate grid or
merit list alive, a full cyclic collection landing in that moment costs 100-500 ms and the key
seems to hang. So the collector is paused from the key to the first frame showing the answer and
resumes straight after it (as gc_pause does for start-up): the collection still runs, while the
person reads the screen. Never for longer than a second, whatever happens to the frame.
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
