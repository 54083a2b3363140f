"""Who is using the app: identity belongs to the person, never to the shared database.

- On a laptop (SQLite, or a PostgreSQL database whose campaign links no member to a login role):
  the chosen panel member is kept in the user's own config folder (platformdirs user config;
  ``PANEL_TUI_CONFIG`` names another folder), keyed by a hash of the database's resolved path or
  URL and the campaign. Two people sharing one file or server each keep their own choice.
  Switching is audited ("switched panellist from A to B").
- On a department server (PostgreSQL, the campaign links members to login roles): a person *is*
  their database login. The app acts as the member linked to ``current_user`` and refuses to act
  as anyone else; row-level security (migration 0004) enforces independence on the server too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import ProgrammingError

from db import core_tables as t
from db.errors import NotFound, PanelError, ValidationError

if TYPE_CHECKING:  # the reads are Core (any reader: a Session or a Connection; start-up has no ORM yet)
    from sqlmodel import Session

    from db.models import PanelMember, Setting

APP_NAME = "panel-tui"
IDENTITY_FILE = "identity.json"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# In-memory databases (tests, demos) vanish with the process; so does their identity.
_MEMORY: dict[tuple[str, int], int] = {}


class IdentityRefused(PanelError):
    """On a department server a person can act only as the member linked to their login."""


# --- where the choice is kept ------------------------------------------------------


def config_dir() -> Path:
    if folder := os.environ.get("PANEL_TUI_CONFIG"):
        return Path(folder).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def _engine_of(reader) -> Engine:
    """The engine behind a Session or a Connection."""
    bind = reader.get_bind() if hasattr(reader, "get_bind") else reader
    return bind if isinstance(bind, Engine) else bind.engine


def database_key(session, database_url: str | None = None) -> str:
    """A stable, anonymous key for the database: a hash of its resolved file path or its URL (no password)."""
    engine = _engine_of(session)
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return f"memory:{id(engine)}"
        where = str(Path(url.database).expanduser().resolve())
    elif database_url:
        from sqlalchemy.engine import make_url

        u = make_url(database_url)
        where = u.set(drivername=u.get_backend_name(), password=None).render_as_string(hide_password=True)
    else:
        where = url.set(drivername=url.get_backend_name(), password=None).render_as_string(hide_password=True)
    return hashlib.sha256(where.encode("utf-8")).hexdigest()[:32]


def _read_choices() -> dict:
    try:
        data = json.loads((config_dir() / IDENTITY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stored_choice(session, campaign_id: int, database_url: str | None) -> int | None:
    key = database_key(session, database_url)
    if key.startswith("memory:"):
        return _MEMORY.get((key, campaign_id))
    entry = _read_choices().get(key)
    value = entry.get(str(campaign_id)) if isinstance(entry, dict) else None
    return value if isinstance(value, int) else None


def _store_choice(session: Session, campaign_id: int, member_id: int, database_url: str | None) -> None:
    from db.files import write_private

    key = database_key(session, database_url)
    if key.startswith("memory:"):
        _MEMORY[(key, campaign_id)] = member_id
        return
    choices = _read_choices()
    if not isinstance(choices.get(key), dict):
        choices[key] = {}
    choices[key][str(campaign_id)] = member_id
    folder = config_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private(folder / IDENTITY_FILE, json.dumps(choices, indent=1, sort_keys=True))
    except OSError as exc:
        raise ValidationError(f"cannot save your choice in {folder}: {exc.strerror}") from None


def _legacy_setting(session: Session, campaign_id: int) -> Setting | None:
    # Before schema 0004 the choice lived in the database (shared by everyone using it).
    from db.models import Setting
    return session.get(Setting, _legacy_key(campaign_id))


def _legacy_key(campaign_id: int) -> str:
    return f"member:{campaign_id}"


# --- server identity -----------------------------------------------------------------


def is_postgres(session) -> bool:
    return _engine_of(session).dialect.name == "postgresql"


def login_role(session) -> str | None:
    """The PostgreSQL role this session acts as (None on SQLite)."""
    return session.execute(text("SELECT current_user")).scalar() if is_postgres(session) else None


def server_mode(session, campaign_id: int) -> bool:
    """True when identity is the database login: PostgreSQL and the campaign links members to roles."""
    if not is_postgres(session):
        return False
    pm = t.panel_member.c
    linked = select(pm.id).where(pm.campaign_id == campaign_id, pm.db_role.is_not(None))
    return session.execute(linked.limit(1)).first() is not None


def linked_member_id(session, campaign_id: int, role: str | None) -> int | None:
    if role is None:
        return None
    pm = t.panel_member.c
    return session.execute(select(pm.id).where(pm.campaign_id == campaign_id, pm.db_role == role).limit(1)).scalar()


def linked_member(session: Session, campaign_id: int, role: str | None) -> PanelMember | None:
    from db.models import PanelMember

    member_id = linked_member_id(session, campaign_id, role)
    return session.get(PanelMember, member_id) if member_id is not None else None


def switch_refusal(session, campaign_id: int) -> str:
    """Why this user cannot switch panellist ('' when they can)."""
    if not server_mode(session, campaign_id):
        return ""
    role = login_role(session)
    me = linked_member(session, campaign_id, role)
    who = f"you are {me.name}" if me else "your login is not linked to a member of this panel"
    return (f"on the department server a panellist is their database login ({role}): {who}; "
            "to work as someone else, sign in as them")


# --- the public face -------------------------------------------------------------------


def chosen_member_id(reader, campaign_id: int, *, database_url: str | None = None) -> int | None:
    """The id this person chose (or, on a server, is) for one campaign; not checked against the panel:
    callers keep it only if that member is on this campaign's panel. Core reads: any reader."""
    if server_mode(reader, campaign_id):
        return linked_member_id(reader, campaign_id, login_role(reader))
    member_id = _stored_choice(reader, campaign_id, database_url)
    if member_id is None and not is_postgres(reader):
        s = t.setting.c
        legacy = reader.execute(select(s.value).where(s.key == _legacy_key(campaign_id))).scalar()
        member_id = int(legacy) if legacy is not None and legacy.isdigit() else None
    return member_id


def current_member(session: Session, campaign_id: int, *, database_url: str | None = None) -> PanelMember | None:
    """The panel member this person is, for one campaign (None: not chosen yet / not on the panel)."""
    from db.models import PanelMember

    member_id = chosen_member_id(session, campaign_id, database_url=database_url)
    member = session.get(PanelMember, member_id) if member_id is not None else None
    return member if member is not None and member.campaign_id == campaign_id else None


def set_current_member(
    session: Session, campaign_id: int, member_id: int, *, database_url: str | None = None, actor: str = ""
) -> PanelMember:
    """Choose who is using this app for a campaign; a switch from one member to another is audited.

    On a department server the only choice is the member linked to the login: anyone else is refused.
    """
    from db.audit import record
    from db.models import PanelMember

    member = session.get(PanelMember, member_id)
    if member is None or member.campaign_id != campaign_id:
        raise NotFound("that panel member is not on this campaign's panel")
    if server_mode(session, campaign_id):
        me = linked_member(session, campaign_id, login_role(session))
        if me is not None and me.id == member.id:
            return member
        raise IdentityRefused(f"cannot act as {member.name}: " + switch_refusal(session, campaign_id))
    previous = current_member(session, campaign_id, database_url=database_url)
    _store_choice(session, campaign_id, member.id, database_url)  # type: ignore[arg-type]
    legacy = _legacy_setting(session, campaign_id)
    if legacy is not None:
        session.delete(legacy)  # the shared row would otherwise speak for whoever opens the file next
    if previous is not None and previous.id != member.id:
        record(session, action="switch panellist", entity="panel", entity_id=member.id, campaign_id=campaign_id,
               actor=actor or previous.name, old=previous.name, new=member.name,
               reason=f"switched panellist from {previous.name} to {member.name}")
    session.commit()
    return member


def check_role(session: Session, role: str) -> str:
    """A login role to link to ('' unlinks), checked: a valid name and, on a server, an existing role.
    Raises with one line; changes nothing."""
    role = (role or "").strip()
    if role and not ROLE_NAME.match(role):
        raise ValidationError(f"{role!r} is not a login role name (lower-case letters, digits and _)")
    if role and is_postgres(session):
        exists = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            raise NotFound(f"no PostgreSQL role {role!r} (create it first: panel-tui server add-user)")
    return role


def apply_link(session: Session, campaign_id: int, member: PanelMember, role: str, *, actor: str = "",
               reason: str = "") -> str:
    """Set the (checked) link in the caller's transaction, audited; returns the old role ('' none)."""
    from db.audit import record

    old = member.db_role or ""
    member.db_role = role or None
    session.add(member)
    try:
        session.flush()
    except ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", "") == "42501":  # insufficient privilege
            session.rollback()
            raise ValidationError("only the database's owner (the administrator's login) can link logins to members") from None
        raise
    record(session, action="link login" if role else "unlink login", entity="panel", entity_id=member.id,
           campaign_id=campaign_id, actor=actor, old=old, new=role, reason=reason or member.name)
    return old


def link_member(session: Session, campaign_id: int, name: str, role: str, *, actor: str = "") -> PanelMember:
    """Link a panel member to a PostgreSQL login role ('' unlinks); audited. The role must exist on a server.

    The campaign edit form links several at once with the same check_role / apply_link."""
    from db.campaigns import find_member

    member = find_member(session, campaign_id, name)
    role = check_role(session, role)
    other = linked_member(session, campaign_id, role) if role else None
    if other is not None and other.id != member.id:
        raise ValidationError(f"{role!r} is already linked to {other.name}")
    apply_link(session, campaign_id, member, role, actor=actor)
    session.commit()
    return member
