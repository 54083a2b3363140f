"""The first screen's rows, read by a forked process while this one imports Textual.

Start-up is two long imports: Textual (~0.25 s of CPU) and the database layer (SQLAlchemy,
SQLModel and the tables: ~0.5 s), then a short read. On one core they add up; here they run side
by side. On a plain SQLite file, the CLI forks before importing either:
the child imports the database layer, opens the file (making the demo's, in the one transaction
that creates it, on its first start) and reads the screen's view and rows with the very call the
app would make (db.campaign_view.open_first); it sends them back pickled through a pipe and ends.
The campaigns list (a plain ``panel-tui``) is read the same way. This process meanwhile imports
Textual, and Textual's first frame shows those rows
(PanelApp.show_preview). The app then opens the file itself in a worker, as on any start, and
hands the database to the screen; keys typed before that are held and replayed, in order.

Not used, and the app does it all itself as before, for: an encrypted file or a passphrase given
(the key derivation would be paid twice), a server database, a new file that is not the demo's (the
app offers a passphrase first), one core (the two would only take turns), no fork, and a child that
fails or is slow (the app then opens the file itself and names any problem in one line).
The child never writes to the terminal, has its own session and the default signal handlers, and
leaves with os._exit: nothing of the parent's runs in it.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import threading
import time
from dataclasses import dataclass
from importlib import import_module
from typing import Any, NoReturn

# A very slow disk: stop waiting and let the app do it (or report it) itself.
WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Reading:
    """A forked reader: its pid and the pipe its pickled rows come through."""

    pid: int
    fd: int


def start(db_path: str | None, *, db_url: str | None, passphrase_file: str | None, demo: bool,
          open_campaign: str | None = None) -> Reading | None:
    """Fork the reader of the first screen (the demo's campaign, ``open_campaign``, else the campaigns
    list); None when this start does not call for one (see the module note)."""
    from db.cipher import PASSPHRASE_ENV, SQLITE_HEADER
    from db.location import resolve_url, sqlite_path

    if db_url or passphrase_file or os.environ.get(PASSPHRASE_ENV):
        return None
    if not hasattr(os, "fork") or len(_cores()) < 2:
        return None
    path = sqlite_path(resolve_url(None, db_path))
    if path is None:
        return None
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        head = b""
    except OSError:
        return None  # a folder, unreadable...: the app says what is wrong with it
    if head != SQLITE_HEADER and not (demo and not head):
        return None  # encrypted, not a database, or new and not the demo's
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:
        os.close(read_end)
        _read(write_end, resolve_url(None, db_path), demo, open_campaign)
    os.close(write_end)
    return Reading(pid, read_end)


def _cores() -> set[int] | range:
    try:
        return os.sched_getaffinity(0)
    except (AttributeError, OSError):
        return range(os.cpu_count() or 1)


def _read(fd: int, url: str, demo: bool, key: str | None) -> NoReturn:
    """The child: read the first screen and send it, then leave without running anything of the parent's."""
    code = 1
    try:
        os.setsid()  # closing the terminal meanwhile does not interrupt the demo's one transaction
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)  # not the splash's handler (it restores the terminal)
        quiet = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):  # never the terminal
            os.dup2(quiet, std)
        from db.campaign_view import open_first
        from db.engine import open_database

        on_create = None
        if demo:
            from db.demo import ensure_demo as on_create
        database = open_database(url, on_create=on_create)
        try:
            campaign_id, first = open_first(database, demo=demo, key=key, read_first=True)
        finally:
            database.dispose()
        if campaign_id is not None:
            view, rows = first  # type: ignore[misc]
            first = (view.preview(), rows)  # without the model row: this side has no SQLAlchemy yet
        data = memoryview(pickle.dumps((campaign_id, first), protocol=pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(fd, data):]
        code = 0
    except BaseException:  # noqa: BLE001 - whatever it was, the app tries again and says it
        pass
    finally:
        os._exit(code)


# What the app's own start-up load imports next (PanelApp._load), in that order.
LOAD_MODULES = ("db.engine", "db.campaign_view", "db.demo", "db.campaigns", "db.interview")


def _import_load_modules() -> None:
    for name in LOAD_MODULES:
        import_module(name)


def finish(reading: Reading | None, wait: float = WAIT_SECONDS) -> tuple[int | None, Any] | None:
    """The child's (campaign id, (view, rows)), or (None, the campaigns list's rows), once it has sent
    them; None if there is no child, or it failed or took longer than ``wait`` (it is then stopped):
    the app reads them itself.

    Textual is imported by then and this process would only wait: meanwhile a thread imports what
    the app's own load needs next, so that keys held on the preview are acted on sooner. It goes
    on beside Textual's first paint if the rows come first (the load then waits for it to finish)."""
    if reading is None:
        return None
    threading.Thread(target=_import_load_modules, name="first-read-imports", daemon=True).start()
    try:
        data = _receive(reading.fd, wait)
    except BaseException:  # e.g. SIGTERM behind the splash: no child left behind, whatever comes next
        _stop(reading.pid)
        raise
    finally:
        os.close(reading.fd)
    if data is None:
        _stop(reading.pid)
        return None
    _, status = os.waitpid(reading.pid, 0)
    if not data or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    try:
        # Pickled by this same program's fork, a moment ago, through a pipe only the two hold.
        return pickle.loads(data)
    except Exception:  # noqa: BLE001 - the app reads them itself
        return None


def _receive(fd: int, wait: float) -> bytes | None:
    """Everything the child writes, until it closes the pipe (None: not within ``wait`` seconds)."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
