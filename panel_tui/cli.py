"""The `panel-tui` entry point: opens the TUI, or runs a scriptable command.

The TUI and every command call the same service functions in ``db``.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING

from panel_tui import __version__, gc_pause

if TYPE_CHECKING:
    import argparse

# Options of the top-level parser that take a value (to find the command without parsing).
_VALUE_OPTIONS = ("--db", "--db-url", "--db-passphrase-file")


def command_in(argv: list[str]) -> str | None:
    """The command word in argv (None: no command, i.e. the TUI), found without importing anything."""
    tokens = iter(argv)
    for token in tokens:
        if token in _VALUE_OPTIONS:
            next(tokens, None)
        elif token == "--":
            return next(tokens, None)
        elif not token.startswith("-"):
            return token
    return None


def build_parser(command: str | None = "") -> argparse.ArgumentParser:
    """The parser; with ``command`` given, only that command's module is imported and registered
    ("demo" or None: none, the TUI needs none); otherwise (help, a typo) every module is."""
    import argparse
    import importlib

    from panel_tui.commands import COMMAND_MODULES, COMMANDS

    parser = argparse.ArgumentParser(
        prog="panel-tui",
        description="Run UK Civil Service interview panels in the terminal: evidence, scores, consensus, merit lists.",
        epilog="With no command, opens the campaigns screen. Data: --db PATH, --db-url URL, "
        "or PANEL_TUI_DB / PANEL_TUI_DB_URL; default is panel.db in your user data folder.",
    )
    parser.add_argument("--version", action="version", version=f"panel-tui {__version__}")
    parser.add_argument("--db", metavar="PATH", help="SQLite database file (env PANEL_TUI_DB)")
    parser.add_argument("--db-url", metavar="URL", help="any SQLAlchemy database URL (env PANEL_TUI_DB_URL)")
    parser.add_argument(
        # Not --passphrase-file: that is the pack passphrase of `pack export|import`.
        "--db-passphrase-file", metavar="FILE",
        help="read the database passphrase from the first line of FILE (else env PANEL_TUI_PASSPHRASE, else a prompt)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    demo = sub.add_parser("demo", help="open the built-in demo campaign (HR Business Partner, Grade 7)")
    demo.set_defaults(handler=None, demo=True)
    if command in COMMANDS:
        modules: tuple[str, ...] = (COMMANDS[command],)
    elif command in ("demo", None):
        modules = ()
    else:
        modules = COMMAND_MODULES
    for name in modules:
        module = importlib.import_module(f"panel_tui.commands.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the process entry point (not a test): start-up without the collector
        gc_pause.pause()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv in ([], ["demo"]):  # the TUI with no options: nothing to parse (not even argparse is imported)
        args = SimpleNamespace(db=None, db_url=None, db_passphrase_file=None, command=argv[0] if argv else None,
                               handler=None, demo=bool(argv))
    else:
        command = command_in(argv)
        if command is None and any(a in ("-h", "--help") for a in argv):
            command = ""  # help lists every command
        args = build_parser(command).parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            return run_tui(args, demo=getattr(args, "demo", False))
        from db.errors import PanelError
        from panel_tui.commands import fail

        try:
            return handler(args)
        except PanelError as exc:
            return fail(str(exc))
    except KeyboardInterrupt:
        return 130
    finally:
        gc_pause.resume()


def run_tui(args: argparse.Namespace | SimpleNamespace, *, demo: bool) -> int:
    """The TUI. In a terminal, the splash (panel_tui.splash) is the first frame, drawn before
    anything is imported; the database is opened and the first screen read behind it, so Textual's
    first frame already shows the data. A file that needs a passphrase typed is opened by the app
    (its loading screen asks). A file that cannot be opened gives one line, printed after the
    terminal is restored."""
    from panel_tui import first_run
    from panel_tui import splash as first_frame

    splash = first_frame.show()
    # The demo's first start: its file is made on another core while Textual is imported.
    making = first_run.start(args.db, db_url=args.db_url, passphrase_file=args.db_passphrase_file, demo=demo)
    error: str | None = None
    ran = False
    try:
        from panel_tui.app import make_app

        passphrase = None
        if args.db_passphrase_file:
            from db.errors import PanelError
            from panel_tui.passphrase import read_passphrase_file

            try:
                passphrase = read_passphrase_file(args.db_passphrase_file)
            except PanelError as exc:
                error = str(exc)
        if error is None:
            app = make_app(db_url=args.db_url, db_path=args.db, demo=demo, passphrase=passphrase,
                           offer_protection=not demo)
            if splash is not None:
                app.preload(before_open=lambda: first_run.finish(making))
            else:
                first_run.finish(making)
            if app.startup_error is None:
                ran = True
                if splash is not None:
                    splash.hand_over()
                app.run()
            error = app.startup_error
    finally:
        if splash is not None:
            splash.close(leave_screen=not ran)
    if error is not None:
        from panel_tui.commands import fail

        return fail(error)
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
