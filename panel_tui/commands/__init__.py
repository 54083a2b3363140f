"""Scriptable commands. Each module has ``register(subparsers)``; handlers import services lazily.

The CLI imports only the module of the command given (COMMANDS), so `panel-tui` (the TUI) and
each command pay for nothing else at start-up; `--help` or an unknown command imports them all.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

COMMAND_MODULES = (
    "frameworks", "campaign", "candidates", "exchange", "scores", "results", "purge", "audit", "server", "encrypt",
)
# Top-level command -> the module that registers it (tests/test_cli.py checks it against the modules).
COMMANDS = {
    "frameworks": "frameworks",
    "campaign": "campaign",
    "candidates": "candidates",
    "pack": "exchange",
    "return": "exchange",
    "scores": "scores",
    "results": "results",
    "purge": "purge",
    "audit": "audit",
    "server": "server",
    "encrypt": "encrypt",
    "rekey": "encrypt",
    "decrypt": "encrypt",
}


def fail(message: str) -> int:
    """One clear line on stderr; exit status 1."""
    print(f"panel-tui: {message}", file=sys.stderr)
    return 1


def open_db(args: argparse.Namespace):
    from db.changes import report_busy
    from db.engine import open_database, resolve_url
    from panel_tui.passphrase import for_opening

    url = resolve_url(args.db_url, args.db)
    database = open_database(url, passphrase=for_opening(url, getattr(args, "db_passphrase_file", None)))
    # The one place a lock timeout becomes a line for people: DatabaseBusy is a PanelError,
    # which the CLI's error path hands to ``fail`` ("the database is busy ...; try again", exit 1).
    report_busy(database.engine)
    from panel_tui import gc_pause

    gc_pause.resume()  # start-up is over: the command's own work runs with the collector
    return database


Handler = Callable[[argparse.Namespace], int]
