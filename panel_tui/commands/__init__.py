"""Scriptable commands. Each module has ``register(subparsers)``; handlers import services lazily
so that `panel-tui` (the TUI) does not pay for them at start-up."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

COMMAND_MODULES = ("frameworks", "campaign", "candidates", "exchange", "scores", "results", "purge", "audit")


def fail(message: str) -> int:
    """One clear line on stderr; exit status 1."""
    print(f"panel-tui: {message}", file=sys.stderr)
    return 1


def open_db(args: argparse.Namespace):
    from db.changes import report_busy
    from db.engine import open_database, resolve_url

    database = open_database(resolve_url(args.db_url, args.db))
    # The one place a lock timeout becomes a line for people: DatabaseBusy is a PanelError,
    # which the CLI's error path hands to ``fail`` ("the database is busy ...; try again", exit 1).
    report_busy(database.engine)
    return database


Handler = Callable[[argparse.Namespace], int]
