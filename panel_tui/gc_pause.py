"""Start-up without the cyclic garbage collector.

Start-up builds ~150,000 objects that live as long as the process (modules, classes, SQLAlchemy
mappers, Textual's styles). The collector rescans them again and again while they are made (~15-25%
of the CPU to the first data) and finds almost nothing (~750 objects). So the entry point pauses it;
once start-up is over (the TUI: the first screen shows its data; a command: its database is open) what
exists is frozen (never rescanned: later full collections stay short, e.g. while typing) and
collection resumes. Only the process entry point pauses (not ``main([...])`` from tests), so a
long-lived process never freezes its garbage.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze what start-up made and collect again (no-op unless ``pause`` paused it)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
