"""`panel-tui purge [--dry-run] [--today YYYY-MM-DD]`: apply the retention policy."""

from __future__ import annotations

import argparse
from datetime import date

from panel_tui.commands import open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "purge",
        help="remove personal data the retention policy no longer allows (see docs/SETUP.md)",
        description="Blank the names, emails, adjustments, evidence notes and feedback of unsuccessful "
        "candidates once their campaign's retention period has ended, and of reserve-list candidates "
        "once the list has expired. Appointed candidates are never purged. Scores are kept.",
    )
    p.add_argument("--dry-run", action="store_true", help="list what would be purged; change nothing")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="judge as if today were this date (default: today)")
    p.set_defaults(handler=purge_cmd)


def _actor() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return ""


def purge_cmd(args: argparse.Namespace) -> int:
    from db.errors import ValidationError
    from db.retention import purge

    today = date.today()
    if args.today:
        try:
            today = date.fromisoformat(args.today)
        except ValueError:
            raise ValidationError(f"--today {args.today!r} is not a date (YYYY-MM-DD)") from None
    import sys

    from db.text import clean_line

    warnings: list[str] = []
    with open_db(args).session() as session:
        items = purge(session, today, dry_run=args.dry_run, actor=_actor(), warnings=warnings)
    for warning in warnings:
        print(f"panel-tui: warning: {clean_line(warning)}", file=sys.stderr)
    for item in items:
        print(f"{clean_line(item.campaign_key)}\t{clean_line(item.ref)}\t{clean_line(item.reason)}")
    n = len(items)
    noun = f"{n} candidate{'s' if n != 1 else ''}"
    print(f"would purge {noun} (dry run; nothing changed)" if args.dry_run else f"purged {noun}")
    return 0
