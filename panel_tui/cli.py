"""The `panel-tui` entry point: opens the TUI, or runs a scriptable command.

The TUI and every command call the same service functions in ``db``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from panel_tui import __version__
from panel_tui.commands import COMMAND_MODULES, fail


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="panel-tui",
        description="Run UK Civil Service interview panels in the terminal: evidence, scores, consensus, merit lists.",
        epilog="With no command, opens the campaigns screen. Data: --db PATH, --db-url URL, "
        "or PANEL_TUI_DB / PANEL_TUI_DB_URL; default is panel.db in your user data folder.",
    )
    parser.add_argument("--version", action="version", version=f"panel-tui {__version__}")
    parser.add_argument("--db", metavar="PATH", help="SQLite database file (env PANEL_TUI_DB)")
    parser.add_argument("--db-url", metavar="URL", help="any SQLAlchemy database URL (env PANEL_TUI_DB_URL)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    demo = sub.add_parser("demo", help="open the built-in demo campaign (HR Business Partner, Grade 7)")
    demo.set_defaults(handler=None, demo=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"panel_tui.commands.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from db.errors import PanelError

    try:
        handler = getattr(args, "handler", None)
        if handler is not None:
            return handler(args)
        return run_tui(args, demo=getattr(args, "demo", False))
    except PanelError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130


def run_tui(args: argparse.Namespace, *, demo: bool) -> int:
    from db.engine import open_database, resolve_url

    from panel_tui.app import make_app

    # Open (and check) the database before the screen takes over, so a bad
    # file is reported as one plain line on stderr.
    database = open_database(resolve_url(args.db_url, args.db))
    app = make_app(database, demo=demo)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
