"""Nothing lost: the app is killed (SIGKILL) one second after typing stops, and every word is on disk."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.ui.conftest import Reader

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")


class Terminal:
    """The app in a real pseudo-terminal, as a panellist's laptop runs it."""

    def __init__(self, argv: list[str], cols: int = 120, rows: int = 40) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.environ["TERM"] = "xterm-256color"
            # The package under test, even when it is not installed.
            os.environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
            os.execv(argv[0], argv)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            self.output.extend(data)

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared on the terminal")
            time.sleep(0.02)

    def type(self, keys: str, gap: float = 0.03) -> None:
        for ch in keys:
            os.write(self.fd, ch.encode())
            time.sleep(gap)

    def quit(self, timeout: float = 20) -> int:
        """ctrl+q, as a panellist quits: the app's exit code once it has ended."""
        self.type("\x11")
        deadline = time.monotonic() + timeout
        while (done := os.waitpid(self.pid, os.WNOHANG))[0] == 0:
            assert time.monotonic() < deadline, "the app did not quit"
            time.sleep(0.05)
        return os.waitstatus_to_exitcode(done[1])

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def test_sigkill_one_second_after_typing_loses_nothing(demo_db_file):
    term = Terminal([sys.executable, "-m", "panel_tui", "--db", str(demo_db_file), "demo"])
    try:
        term.wait_for("HRBP-003")
        time.sleep(0.5)
        term.type("\x1b[B\x1b[B\r")  # down, down, enter: the third candidate
        term.wait_for("Evidence")
        time.sleep(0.5)
        words = "Situation: merger of two HR teams. Action: I ran weekly drop-ins. Result: no leavers."
        term.type(words)
        time.sleep(1.0)  # typing stopped one second ago
    finally:
        term.kill()
    reader = Reader(demo_db_file)
    try:
        notes = reader.evidence("HRBP-003", "Sam Whitfield")["Leading and Communicating"].notes
    finally:
        reader.engine.dispose()
    assert notes == words
