"""`panel-tui scores import CAMPAIGN FILE.csv|FILE.xlsx`: scores typed up from paper score sheets."""

from __future__ import annotations

import argparse
from pathlib import Path

from panel_tui.commands import open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scores", help="import paper scores from a CSV or Excel (.xlsx) file")
    ssub = p.add_subparsers(dest="scores_command", required=True, metavar="{import}")
    im = ssub.add_parser(
        "import",
        help="import a CSV or .xlsx with columns candidate_ref,item,member,score,evidence (all rows or none)",
        description="Import paper scores (CSV, or an Excel .xlsx with the same columns). The CSV needs the header candidate_ref,item,member,score,evidence; "
        "item and member are matched by name, score is a value or label on the item's scale, and evidence "
        "is added to the member's notes. Every bad row is reported and nothing is imported.",
    )
    im.add_argument("campaign", help="campaign key")
    im.add_argument("file", type=Path, metavar="FILE.csv|FILE.xlsx")
    im.add_argument("--submit", action="store_true", help="mark each assessment submitted once every item has a score")
    im.set_defaults(handler=import_cmd)


def import_cmd(args: argparse.Namespace) -> int:
    from db.errors import ValidationError
    from db.paper_scores import import_paper_scores, import_paper_scores_xlsx
    from db.xlsx import is_xlsx
    from db.specs.paper import MAX_BYTES

    try:
        if args.file.stat().st_size > MAX_BYTES:  # refused before it is read into memory
            raise ValidationError(f"{args.file}: file is too large (the limit is {MAX_BYTES / 1e6:.0f} MB)")
        data = args.file.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {args.file}: {exc.strerror}") from None
    with open_db(args).session() as session:
        read = import_paper_scores_xlsx if is_xlsx(args.file, data) else import_paper_scores
        result = read(session, args.campaign, data, source=str(args.file), submit=args.submit)
    print(result.summary)
    return 0
