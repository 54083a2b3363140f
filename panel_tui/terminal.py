"""Textual's Linux driver, with screen output that survives the terminal going away.

Textual writes the screen from a thread (its WriterThread) into stderr. Once the terminal window is
closed, a write fails (EIO); that ends the writer thread, its queue (30 writes) fills, and the next
write blocks the UI thread for good: the app never gets to the SIGHUP handler that saves the notes
and exits (seen: a closed terminal left panel-tui running, stuck in Textual's shutdown, its notes
queue unsaved). Here a write that fails is dropped, with every write after it (there is no one
left to show them to), so the UI thread runs on, handles the SIGHUP, saves and exits.
"""

from __future__ import annotations

from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver


class DropsWritesOnceGone:
    """A text file whose writes and flushes are dropped from the first one that fails."""

    def __init__(self, file: IO[str]) -> None:
        self.file = file
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self.file.write(text)
            except OSError:
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.file.flush()
            except OSError:
                self.gone = True

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding...: the terminal's own
        return getattr(self.file, name)


class PanelDriver(LinuxDriver):
    def __init__(self, app, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._file = DropsWritesOnceGone(self._file)  # type: ignore[assignment]  (what WriterThread writes to)
