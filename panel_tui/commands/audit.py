"""`panel-tui audit verify CAMPAIGN`: check the audit chain and the sealed scores."""

from __future__ import annotations

import argparse

from panel_tui.commands import open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="check that the audit trail and submitted scores were not changed behind the app's back")
    asub = p.add_subparsers(dest="audit_command", required=True, metavar="{verify}")
    v = asub.add_parser(
        "verify",
        help="verify a campaign's audit chain and sealed scores; exit status 1 naming anything changed",
        description="Recompute the campaign's audit hash chain (a deleted or edited entry shows) and compare every "
        "submitted assessment, consensus score and outcome with the values sealed in the chain. Note the printed "
        "head: if it is kept elsewhere, a later check can show the chain was not rebuilt.",
    )
    v.add_argument("campaign", help="campaign key (see 'panel-tui campaign list')")
    v.add_argument("--head", metavar="SEQ:HASH", help="a head noted earlier (printed here, and on assessment records): "
                   "the entry at SEQ must still have that hash")
    v.set_defaults(handler=verify_cmd)


def verify_cmd(args: argparse.Namespace) -> int:
    import sys

    from db.audit_verify import parse_head, verify
    from db.campaigns import get_campaign
    from db.text import clean_line

    with open_db(args).session() as session:
        campaign = get_campaign(session, args.campaign)
        noted = parse_head(args.head) if args.head else None
        result = verify(session, campaign.id, noted)  # type: ignore[arg-type]
    key = clean_line(campaign.key)
    for note in result.notes:
        print(f"note: {clean_line(note)}")
    for problem in result.problems:
        print(f"panel-tui: {key}: {clean_line(problem)}", file=sys.stderr)
    summary = (
        f"{key}: {result.entries} chained audit entries, head {result.head_seq}:{result.head_hash[:16]}; "
        f"{result.sealed} sealed records checked"
    )
    if result.pre_chain:
        summary += f"; {result.pre_chain} entries from before the chain (not verifiable)"
    if result.redacted:
        summary += f"; {result.redacted} entries' personal values purged"
    if result.ok:
        print(f"{summary}; all intact")
        return 0
    n = len(result.problems)
    print(f"{summary}; {n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
    return 1
