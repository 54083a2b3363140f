"""A department server (PostgreSQL): one login role per person, linked to their panel member.

Roles (created once by ``ensure_roles``; needs CREATEROLE):
- ``panel_app``: what every panellist's login is granted: read and write the app's tables, but
  never the member <-> login links (``panelmember.db_role``) and never delete audit entries.
  Row-level security (migration 0004) then limits which assessments each login reads and writes.
- ``panel_owner``: a campaign administrator; reads everything (see ``panel_tui_is_admin``).
The role that owns the tables (the one that created the database and ran the migrations) is not
subject to row-level security: keep it for the administrator, backups and migrations.
"""

from __future__ import annotations

import secrets

from sqlalchemy import text
from sqlmodel import Session

from db.errors import ValidationError
from db.identity import ROLE_NAME, is_postgres, link_member

APP_ROLE = "panel_app"
OWNER_ROLE = "panel_owner"

GRANTS = f"""
GRANT USAGE ON SCHEMA public TO {APP_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP_ROLE};
REVOKE DELETE ON auditevent FROM {APP_ROLE};
REVOKE INSERT, UPDATE ON panelmember FROM {APP_ROLE};
GRANT INSERT (campaign_id, name, role), UPDATE (name, role) ON panelmember TO {APP_ROLE};
GRANT {APP_ROLE} TO {OWNER_ROLE};
"""


def _require_postgres(session: Session) -> None:
    if not is_postgres(session):
        raise ValidationError("this needs a PostgreSQL database (--db-url postgresql+psycopg://...)")


def _role_exists(session: Session, role: str) -> bool:
    return session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None


def ensure_roles(session: Session) -> None:
    """Create panel_app and panel_owner if missing and (re)grant them the app's tables; idempotent."""
    _require_postgres(session)
    for role in (APP_ROLE, OWNER_ROLE):
        if not _role_exists(session, role):
            session.execute(text(f"CREATE ROLE {role} NOLOGIN"))
    for statement in GRANTS.strip().splitlines():
        session.execute(text(statement))
    session.commit()


def add_user(session: Session, login: str, campaign_id: int, member_name: str, *, owner: bool = False) -> str:
    """Create a login role for one person, grant it the app role, link it to their panel member.

    Returns the generated password (shown once; PostgreSQL keeps only its hash).
    """
    _require_postgres(session)
    login = login.strip().lower()
    if not ROLE_NAME.match(login) or login.startswith("pg_") or login in (APP_ROLE, OWNER_ROLE):
        raise ValidationError(f"{login!r} is not a usable login name (lower-case letters, digits and _)")
    if _role_exists(session, login):
        raise ValidationError(f"a PostgreSQL role {login!r} already exists (link it with: panel-tui campaign link-member)")
    ensure_roles(session)
    password = secrets.token_urlsafe(18)  # letters, digits, - and _ only: safe inside the quoted literal
    granted = f"{APP_ROLE}, {OWNER_ROLE}" if owner else APP_ROLE
    session.execute(text(f"CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE {granted}"))
    link_member(session, campaign_id, member_name, login, actor="panel-tui server add-user")  # commits both
    return password


def drop_user(session: Session, login: str) -> None:
    """Remove a login role made by add_user (tests, a panellist leaving); unlink it first."""
    _require_postgres(session)
    if not ROLE_NAME.match(login):
        raise ValidationError(f"{login!r} is not a login role name")
    session.execute(text("UPDATE panelmember SET db_role = NULL WHERE db_role = :r"), {"r": login})
    session.execute(text(f"DROP ROLE IF EXISTS {login}"))
    session.commit()
