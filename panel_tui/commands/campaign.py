"""`panel-tui campaign create | list | show | edit | link-member`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from panel_tui.commands import open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="create a campaign from a TOML file, list campaigns, show or edit one")
    csub = p.add_subparsers(dest="campaign_command", required=True, metavar="{create,list,show,edit,link-member}")
    cr = csub.add_parser("create", help="create a campaign from a TOML file (see docs/SETUP.md); prints its key")
    cr.add_argument("file", type=Path, help="campaign file, e.g. docs/campaign-example.toml")
    cr.set_defaults(handler=create_cmd)
    ls = csub.add_parser("list", help="one line per campaign: key, title")
    ls.set_defaults(handler=list_cmd)
    sh = csub.add_parser("show", help="a short summary of one campaign")
    sh.add_argument("campaign", help="campaign key (see 'panel-tui campaign list')")
    sh.set_defaults(handler=show_cmd)
    ed = csub.add_parser("edit", help="change a campaign's title, decision date, interview length or panel (audited)")
    ed.add_argument("campaign", help="campaign key (see 'panel-tui campaign list')")
    ed.add_argument("--title", help="the new title")
    ed.add_argument("--decision-date", metavar="YYYY-MM-DD", help="the new decision date")
    ed.add_argument("--minutes", metavar="N", help="the new interview length in minutes")
    ed.add_argument("--rename-member", nargs=2, action="append", default=[], metavar=("OLD", "NEW"),
                    help="rename a panel member (repeatable)")
    ed.add_argument("--remove-member", action="append", default=[], metavar="NAME",
                    help="remove a panel member who has no evidence or scores (repeatable)")
    ed.add_argument("--add-member", action="append", default=[], metavar="NAME",
                    help="add a panel member (repeatable; role from --role)")
    ed.add_argument("--role", default="member", help="role of the added members: chair, member or independent")
    ed.add_argument("--reason", default="", help="why (required; kept in the audit trail)")
    ed.set_defaults(handler=edit_cmd)
    register_link_member(csub)


def register_link_member(csub: argparse._SubParsersAction) -> None:
    lm = csub.add_parser("link-member", help="department server: link a panel member to their PostgreSQL login role")
    lm.add_argument("campaign", help="campaign key (see 'panel-tui campaign list')")
    lm.add_argument("name", help="the panel member (name or first name)")
    lm.add_argument("role", help="their PostgreSQL login role ('' to unlink)")
    lm.set_defaults(handler=link_member_cmd)


def read_toml(path: Path) -> dict:
    import tomllib

    from db.errors import ValidationError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name}: not a UTF-8 text file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{path.name}: not valid TOML ({exc})") from None


def create_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import campaign_warnings, create_campaign
    from db.errors import PanelError

    spec = read_toml(args.file)
    with open_db(args).session() as session:
        try:
            campaign = create_campaign(session, spec, actor="panel-tui campaign create")
        except PanelError as exc:
            raise type(exc)(f"{args.file.name}: {exc}") from None
        for warning in campaign_warnings(session, campaign):
            print(f"warning: {warning}", file=sys.stderr)
        print(campaign.key)
    return 0


def list_cmd(args: argparse.Namespace) -> int:
    from db.campaign_view import list_campaigns

    with open_db(args).engine.connect() as reader:  # Core, as the TUI's first screen: no ORM to import
        for row in list_campaigns(reader):
            print(f"{row.key}\t{row.title}")
    return 0


def show_cmd(args: argparse.Namespace) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from db import scales
    from db.campaigns import campaign_items, get_campaign, panel_members
    from db.models import Candidate, Framework

    with open_db(args).session() as session:
        c = get_campaign(session, args.campaign)
        fw = session.get(Framework, c.framework_id)
        n = session.exec(select(func.count()).select_from(Candidate).where(Candidate.campaign_id == c.id)).one()
        grade = f"{c.grade}, level {c.level}" if c.grade else f"level {c.level}"
        lines = [
            f"{c.title} ({c.key})",
            f"Grade:      {grade}" + (f" -- {c.level_reason}" if c.level_reason else ""),
            f"Framework:  {fw.name if fw else '?'} ({fw.key if fw else '?'})",
            f"Scale:      {', '.join(str(p['label']) for p in c.scale)}; scoring by {c.scoring_method}"
            + (f"; minimum total {c.min_total:g}" if c.min_total is not None else ""),
        ]
        for label, value in (("Department", c.department), ("Reference", c.reference), ("Location", c.location)):
            if value:
                lines.append(f"{label + ':':<11} {value}")
        if c.decision_date:
            lines.append(f"Decision:   {c.decision_date.isoformat()} (personal data kept {c.retention_months} months)")
        lines.append("Items:")
        for i, item in enumerate(campaign_items(session, c.id), 1):  # type: ignore[arg-type]
            kind = "" if item.element_id is not None else f" [{item.kind}]"
            lead = "  (lead)" if item.is_lead else ""
            lines.append(f"  {i}. {item.name}{kind}  pass {scales.label_for(item.scale or c.scale, item.pass_mark)}{lead}")
        members = panel_members(session, c.id)  # type: ignore[arg-type]
        lines.append("Panel:      " + ("; ".join(f"{m.name} ({m.role})" for m in members) if members else "none yet"))
        lines.append(f"Candidates: {n}")
        print("\n".join(lines))
    return 0


def edit_cmd(args: argparse.Namespace) -> int:
    from db.campaign_edit import CampaignEdit, edit_campaign

    edit = CampaignEdit(
        title=args.title, decision_date=args.decision_date, interview_minutes=args.minutes,
        rename=tuple((old, new) for old, new in args.rename_member), remove=tuple(args.remove_member),
        add=tuple((name, args.role) for name in args.add_member), reason=args.reason,
    )
    with open_db(args).session() as session:
        result = edit_campaign(session, args.campaign, edit, actor="panel-tui campaign edit")
    for change in result.changes:
        print(change)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def link_member_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import get_campaign, link_member

    with open_db(args).session() as session:
        campaign = get_campaign(session, args.campaign)
        member = link_member(session, campaign.id, args.name, args.role, actor="panel-tui campaign link-member")  # type: ignore[arg-type]
    print(f"{member.name} is login {member.db_role}" if member.db_role else f"{member.name} is linked to no login")
    return 0
