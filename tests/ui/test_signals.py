"""Nothing lost when the terminal goes: closing it (SIGHUP), SIGTERM, and a paste quit at once with ctrl+q.

The app runs in a real pseudo-terminal; the checks read the database file afterwards.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from tests.ui.conftest import Reader
from tests.ui.test_kill import Terminal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")

WORDS = "Situation: merger of two HR teams. Action: I ran weekly drop-ins. Result: no leavers."


def open_third_candidate(demo_db_file) -> Terminal:
    term = Terminal([sys.executable, "-m", "panel_tui", "--db", str(demo_db_file), "demo"])
    term.wait_for("HRBP-003")
    time.sleep(0.5)
    term.type("\x1b[B\x1b[B\r")  # down, down, enter: the third candidate
    term.wait_for("NOTES")
    time.sleep(0.5)
    return term


def wait_exit(term: Terminal, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status = os.waitpid(term.pid, os.WNOHANG)
        if pid:
            return status
        time.sleep(0.05)
    os.kill(term.pid, signal.SIGKILL)
    os.waitpid(term.pid, 0)
    raise AssertionError("the app did not exit")


def saved_notes(demo_db_file) -> str:
    reader = Reader(demo_db_file)
    try:
        evidence = reader.evidence("HRBP-003", "Sam Whitfield")
    finally:
        reader.engine.dispose()
    return evidence["Leading and Communicating"].notes if evidence else ""


def test_closing_the_terminal_just_after_typing_loses_nothing(demo_db_file):
    term = open_third_candidate(demo_db_file)
    term.type(WORDS)
    time.sleep(0.3)  # before the idle save would run
    os.close(term.fd)  # the terminal window is closed: SIGHUP
    wait_exit(term)
    assert saved_notes(demo_db_file) == WORDS


def test_sigterm_just_after_typing_loses_nothing(demo_db_file):
    term = open_third_candidate(demo_db_file)
    term.type(WORDS)
    time.sleep(0.3)
    os.kill(term.pid, signal.SIGTERM)
    wait_exit(term)
    os.close(term.fd)
    assert saved_notes(demo_db_file) == WORDS


@pytest.mark.parametrize("bracketed", [True, False], ids=["bracketed-paste", "raw-keys"])
def test_paste_then_ctrl_q_at_once_saves_all_of_it(demo_db_file, bracketed):
    term = open_third_candidate(demo_db_file)
    pasted = f"\x1b[200~{WORDS}\x1b[201~" if bracketed else WORDS
    os.write(term.fd, (pasted + "\x11").encode())  # the paste and ctrl+q arrive together
    wait_exit(term)
    os.close(term.fd)
    assert saved_notes(demo_db_file) == WORDS
