"""`panel-tui server setup | add-user`: a department server on PostgreSQL (README "Department server")."""

from __future__ import annotations

import argparse

from panel_tui.commands import open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("server", help="department server (PostgreSQL): app roles, one login per panellist")
    ssub = p.add_subparsers(dest="server_command", required=True, metavar="{setup,add-user}")
    st = ssub.add_parser("setup", help="create the panel_app and panel_owner roles and grant them the tables (idempotent)")
    st.set_defaults(handler=setup_cmd)
    au = ssub.add_parser("add-user", help="create a login role for one panellist, link it to their panel member; "
                                          "prints the generated password once")
    au.add_argument("login", help="the new login role name, e.g. priya_raman")
    au.add_argument("--campaign", required=True, help="campaign key (see 'panel-tui campaign list')")
    au.add_argument("--member", required=True, help="the panel member this person is (name or first name)")
    au.add_argument("--owner", action="store_true", help="also a campaign administrator (panel_owner: reads everything)")
    au.set_defaults(handler=add_user_cmd)


def setup_cmd(args: argparse.Namespace) -> int:
    from db.server import APP_ROLE, OWNER_ROLE, ensure_roles

    with open_db(args).session() as session:
        ensure_roles(session)
    print(f"roles {APP_ROLE} and {OWNER_ROLE} ready")
    return 0


def add_user_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import get_campaign
    from db.server import add_user

    with open_db(args).session() as session:
        campaign = get_campaign(session, args.campaign)
        password = add_user(session, args.login, campaign.id, args.member, owner=args.owner)  # type: ignore[arg-type]
    print(f"login {args.login.strip().lower()} created and linked to {args.member} in {campaign.key}")
    print(f"password (shown once): {password}")
    return 0
