"""A closed terminal must not stop the app: its screen writes are dropped (panel_tui.terminal)."""

from __future__ import annotations

import errno
import io
import sys
import threading

import pytest
from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from panel_tui.app import make_app
from panel_tui.terminal import DropsWritesOnceGone, PanelDriver


class ClosedTerminal(io.StringIO):
    """What stderr becomes once the terminal window is closed: every write fails with EIO."""

    def write(self, text: str) -> int:
        raise OSError(errno.EIO, "Input/output error")


def writes_done(file, count: int, timeout: float = 5.0) -> bool:
    """Whether ``count`` screen writes through Textual's writer thread all return within ``timeout``."""
    writer = WriterThread(file)  # type: ignore[arg-type]
    writer.start()
    done = threading.Event()

    def write_all() -> None:
        for _ in range(count):
            writer.write("\x1b[?1000l")
        done.set()

    threading.Thread(target=write_all, daemon=True).start()
    finished = done.wait(timeout)
    if finished:
        writer.stop()
    return finished


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # Textual's thread dies: the point
def test_writes_to_a_closed_terminal_are_dropped_and_never_block():
    count = MAX_QUEUED_WRITES * 3
    # Textual's own: the first failure ends the writer thread, and the writes after a full queue block.
    assert not writes_done(ClosedTerminal(), count, timeout=1.0)
    gone = DropsWritesOnceGone(ClosedTerminal())
    assert writes_done(gone, count)
    assert gone.gone


def test_writes_reach_a_working_terminal():
    out = io.StringIO()
    file = DropsWritesOnceGone(out)
    assert file.write("abc") == 3
    file.flush()
    assert out.getvalue() == "abc" and not file.gone


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux driver")
def test_the_app_runs_on_the_driver_that_drops_them(monkeypatch):
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    assert make_app().driver_class is PanelDriver
