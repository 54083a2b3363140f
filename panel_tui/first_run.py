"""The demo's first-ever start: its database is made by a forked process while this one loads Textual.

A first start has more to do than any other: the schema, the bundled frameworks and the demo
campaign, ~0.25 s of CPU, all of it one call (open_database with the demo made in the transaction
that creates the file) whatever the screen shows. So, for the demo on a new plain file, the CLI
imports SQLAlchemy Core (both processes need it) and forks; the child imports the rest of the
database layer (SQLModel and every table) and makes the file on a second core while this process
imports Textual; the start-up read then opens the file as on any other day, through Core
(db.campaign_view), so this process never needs the models before its first frame. The file is
made by the very call the app would make (one transaction: complete or absent); if the child fails,
the app makes the file itself as before and names any problem in one line. Not used for an encrypted
file (the key derivation would be paid twice), a server database, or where there is no fork (the app
then does it all itself).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import NoReturn

# A very slow disk: stop waiting and let the app do it (or report it) itself.
WAIT_SECONDS = 120.0


def start(db_path: str | None, *, db_url: str | None, passphrase_file: str | None, demo: bool) -> int | None:
    """Fork a process that makes the demo's new database file: its pid, or None when this start
    is not a demo's first (or cannot fork)."""
    from db.cipher import PASSPHRASE_ENV
    from db.location import resolve_url, sqlite_path

    if not demo or db_url or passphrase_file or os.environ.get(PASSPHRASE_ENV) or not hasattr(os, "fork"):
        return None
    path = sqlite_path(resolve_url(None, db_path))
    if path is None:
        return None
    try:
        if path.stat().st_size > 0:
            return None  # made already: the usual start
    except FileNotFoundError:
        pass
    except OSError:
        return None  # the app says what is wrong with it
    import db.engine  # noqa: F401  (SQLAlchemy Core: both processes need it; imported once, inherited)

    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        _make(path)
    return pid


def _make(path: Path) -> NoReturn:
    """The child: make the file, then leave without running anything of the parent's (os._exit)."""
    code = 1
    try:
        os.setsid()  # closing the terminal meanwhile does not interrupt the one transaction
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)  # not the splash's handler (it restores the terminal)
        quiet = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # never the terminal
            os.dup2(quiet, fd)
        from db.demo import ensure_demo
        from db.engine import open_database, sqlite_url

        open_database(sqlite_url(path), on_create=ensure_demo).dispose()
        code = 0
    except BaseException:  # noqa: BLE001 - whatever it was, the app tries again and says it
        pass
    finally:
        os._exit(code)


def finish(pid: int | None) -> None:
    """Wait until the file is made (or the child gave up): the app opens it next."""
    if pid is None:
        return
    if not _ended(pid):
        # Still working: meanwhile, what the start-up read imports next anyway (SQLAlchemy Core,
        # not the models: the read goes through db.core_tables).
        import db.campaign_view  # noqa: F401
        import db.identity  # noqa: F401
        import panel_tui.screens.campaign  # noqa: F401
    deadline = time.monotonic() + WAIT_SECONDS
    while not _ended(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return
        time.sleep(0.005)


def _ended(pid: int) -> bool:
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid
