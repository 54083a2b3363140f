"""`panel-tui pack export | import` and `panel-tui return export | import`: the offline exchange.

The chair exports a panel pack for each panellist's laptop, locked with a
passphrase given to that panellist by another route; each panellist exports a
return (signed with their key from the pack, sealed to the chair's database);
the chair imports the returns.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from panel_tui.commands import fail, open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pack", help="export or import a panel pack (a campaign for a panellist's laptop)")
    psub = p.add_subparsers(dest="pack_command", required=True, metavar="{export,import}")
    ex = psub.add_parser("export", help="write CAMPAIGN's panel pack for one member to FILE, locked with a passphrase")
    ex.add_argument("campaign", help="campaign key (see 'panel-tui campaign list')")
    ex.add_argument("file", type=Path)
    ex.add_argument("--member", metavar="NAME", required=True, help="the panel member the pack is for")
    ex.add_argument("--passphrase-file", type=Path, metavar="F", help="read the passphrase from F's first line (else prompt twice)")
    ex.set_defaults(handler=pack_export_cmd)
    im = psub.add_parser("import", help="load a panel pack into this laptop's database")
    im.add_argument("file", type=Path)
    im.add_argument("--member", metavar="NAME", help="refuse the pack unless it is for NAME")
    im.add_argument("--passphrase-file", type=Path, metavar="F", help="read the passphrase from F's first line (else prompt)")
    im.set_defaults(handler=pack_import_cmd)

    r = sub.add_parser("return", help="export or import a panel member's return (their assessments)")
    rsub = r.add_subparsers(dest="return_command", required=True, metavar="{export,import}")
    rex = rsub.add_parser("export", help="write a panel member's assessments for CAMPAIGN to FILE")
    rex.add_argument("campaign", help="campaign key")
    rex.add_argument("file", type=Path)
    rex.add_argument("--member", metavar="NAME", help="whose return (default: the member set for this laptop)")
    rex.set_defaults(handler=return_export_cmd)
    rim = rsub.add_parser("import", help="merge returns into this database; all files or none")
    rim.add_argument("files", type=Path, nargs="+", metavar="FILE")
    rim.add_argument("--campaign", metavar="KEY", help="refuse returns for any other campaign")
    rim.add_argument("--preview", action="store_true", help="say what each file would change; change nothing")
    rim.set_defaults(handler=return_import_cmd)


def passphrase(args: argparse.Namespace, *, confirm: bool) -> str:
    """From --passphrase-file (its first line), or typed (twice when making a pack); never echoed."""
    import getpass

    from db.errors import ValidationError

    if args.passphrase_file is not None:
        try:
            lines = args.passphrase_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read the passphrase file {args.passphrase_file}: {exc}") from None
        if not lines or not lines[0]:
            raise ValidationError(f"{args.passphrase_file}: the first line is empty; no passphrase")
        return lines[0]
    first = getpass.getpass("Pack passphrase: ")
    if confirm and getpass.getpass("Same passphrase again: ") != first:
        raise ValidationError("the two passphrases differ; nothing written")
    return first


def pack_export_cmd(args: argparse.Namespace) -> int:
    from db.exchange import export_pack, write_exchange_file

    secret = passphrase(args, confirm=True)
    with open_db(args).session() as session:
        data = export_pack(session, args.campaign, args.member, secret)
    _write(args.file, data, write_exchange_file)
    print(f"wrote {args.member}'s panel pack for {args.campaign} to {args.file}")
    return 0


def pack_import_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import current_member, get_campaign
    from db.exchange import import_pack, read_exchange_file

    data = read_exchange_file(args.file)
    secret = passphrase(args, confirm=False)
    with open_db(args).session() as session:
        result = import_pack(session, data, secret, source=str(args.file), member=args.member)
        print(result.summary)
        member = current_member(session, get_campaign(session, result.campaign_key).id)  # type: ignore[arg-type]
        if member is not None:
            print(f"this laptop is {member.name}'s")
    return 0


def return_export_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import current_member, get_campaign
    from db.errors import ValidationError
    from db.exchange import export_return, write_exchange_file

    with open_db(args).session() as session:
        name = args.member
        if not name:
            campaign = get_campaign(session, args.campaign)
            member = current_member(session, campaign.id)  # type: ignore[arg-type]
            if member is None:
                raise ValidationError("give --member NAME: no panel member is set for this laptop")
            name = member.name
        text, count = export_return(session, args.campaign, name)
    _write(args.file, text, write_exchange_file)
    print(f"wrote {count} assessments for {name} to {args.file}")
    return 0


def return_import_cmd(args: argparse.Namespace) -> int:
    """All the files or none: one refused file (unreadable, tampered, conflicting) stops them all."""
    from db.errors import ImportRefused
    from db.exchange import import_returns, read_exchange_file

    files, why = [], {}
    for path in args.files:
        try:
            files.append((str(path), read_exchange_file(path)))
        except ImportRefused as exc:
            why[str(path)] = exc
    with open_db(args).session() as session:
        # An unreadable file refuses the batch too: check the rest (to report them all), write nothing.
        batch = import_returns(session, files, campaign_key=args.campaign, preview=args.preview or bool(why))
    why.update(batch.refused)
    if why:
        for path in args.files:
            if str(path) in why:
                fail(str(why[str(path)]))
        if len(args.files) > 1:
            fail(f"nothing imported: {len(why)} of {len(args.files)} files refused")
        return 1
    for line in batch.lines:
        print(line)
    return 0


def _write(path: Path, text: str | bytes, writer) -> None:
    from db.errors import ValidationError

    try:
        writer(path, text)
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror}") from None
