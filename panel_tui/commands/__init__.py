"""Scriptable commands. Each module has ``register(subparsers)``; handlers import services lazily
so that `panel-tui` (the TUI) does not pay for them at start-up."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

COMMAND_MODULES = ("frameworks", "campaign", "candidates", "exchange", "scores", "results", "purge", "audit", "server")


def fail(message: str) -> int:
    """One clear line on stderr; exit status 1."""
    print(f"panel-tui: {message}", file=sys.stderr)
    return 1


def open_db(args: argparse.Namespace):
    from db.engine import open_database, resolve_url

    return open_database(resolve_url(args.db_url, args.db))


Handler = Callable[[argparse.Namespace], int]
