"""`panel-tui candidates import | list`."""

from __future__ import annotations

import argparse
from pathlib import Path

from panel_tui.commands import open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("candidates", help="import candidates from CSV, or list a campaign's candidates")
    csub = p.add_subparsers(dest="candidates_command", required=True, metavar="{import,list}")
    im = csub.add_parser("import", help="add candidates from a CSV file (see docs/SETUP.md); all or nothing")
    im.add_argument("campaign", help="campaign key (see 'panel-tui campaign list')")
    im.add_argument("file", type=Path, help="CSV with header ref,name,email,adjustments,disability_confident,slot")
    im.set_defaults(handler=import_cmd)
    ls = csub.add_parser("list", help="one line per candidate: ref, name, slot, adjustments")
    ls.add_argument("campaign", help="campaign key")
    ls.set_defaults(handler=list_cmd)


def import_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import get_campaign
    from db.candidates import import_candidates_csv
    from db.errors import ValidationError

    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValidationError(f"cannot read {args.file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{args.file.name}: not a UTF-8 text file (save it as 'CSV UTF-8')") from None
    with open_db(args).session() as session:
        campaign = get_campaign(session, args.campaign)
        n = import_candidates_csv(session, campaign.id, text, args.file.name, actor="panel-tui candidates import")  # type: ignore[arg-type]
    print(f"imported {n} candidate{'s' if n != 1 else ''}")
    return 0


def list_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import get_campaign
    from db.candidates import format_slot, list_candidates
    from db.text import clean_line

    def flat(text: str) -> str:
        # Stored text is data: escapes and controls never reach the terminal.
        return " ".join(clean_line(text).split())

    with open_db(args).session() as session:
        campaign = get_campaign(session, args.campaign)
        for c in list_candidates(session, campaign.id):  # type: ignore[arg-type]
            print(f"{flat(c.ref)}\t{flat(c.name)}\t{format_slot(c.slot)}\t{flat(c.adjustments)}")
    return 0
