"""README "Department server (PostgreSQL)": every panel-tui command in it parses, and on a real
PostgreSQL server (PANEL_TUI_TEST_DB_URL, a role with CREATEROLE) the commands run as written and
the pg_dump backup it describes is a readable archive with the row-level security policies."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from db import server
from db.models import PanelMember
from panel_tui.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Department server (PostgreSQL)")
    end = readme.find("\n## ", start + 1)
    return readme[start:end if end != -1 else None]


def _commands() -> list[list[str]]:
    blocks = re.findall(r"```\n(.*?)```", _section(), flags=re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("panel-tui ")]


def _can_create_roles(session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return False
    return bool(session.execute(text("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())


def test_the_sections_commands_are_the_clis():
    commands = _commands()
    assert [c[:2] for c in commands] == [["campaign", "create"], ["server", "setup"], ["server", "add-user"],
                                         ["server", "add-user"], ["campaign", "link-member"]]
    for args in commands:
        build_parser(args[0]).parse_args(args)  # an unknown option or a missing argument exits
    section = _section()
    for needed in ("one login role per person", "ssh", "--db-url", "pg_dump", "pack export", "return import"):
        assert needed.lower() in section.lower(), needed


def test_the_sections_commands_run_on_a_server(database, session, capsys):
    if not _can_create_roles(session):
        pytest.skip("needs PANEL_TUI_TEST_DB_URL (PostgreSQL) and a role with CREATEROLE")
    tag = secrets.token_hex(3)
    logins = {name: f"{name}_{tag}" for name in ("tom_ashworth", "hr_lead", "hannah_iqbal")}
    # "an existing login": made as the section's SQL alternative says.
    session.execute(text(f"CREATE ROLE {logins['hannah_iqbal']} LOGIN PASSWORD '{secrets.token_hex(8)}'"))
    session.commit()
    try:
        for args in _commands():
            args = [logins.get(a, a) for a in args]
            assert main(["--db-url", database.url, *args]) == 0, args
        out = capsys.readouterr().out
        assert out.count("password (shown once):") == 2
        session.expire_all()
        links = {m.name: m.db_role for m in session.exec(select(PanelMember)).all()}
        assert links == {"Tom Ashworth": logins["tom_ashworth"], "Morag Campbell": logins["hr_lead"],
                         "Hannah Iqbal": logins["hannah_iqbal"]}
    finally:
        for login in logins.values():
            server.drop_user(session, login)


def test_the_pg_dump_backup_is_a_readable_archive(database, demo, tmp_path):
    if database.engine.dialect.name != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("needs PANEL_TUI_TEST_DB_URL (PostgreSQL) and pg_dump")
    assert "pg_dump -Fc -U panel panel >" in _section()
    url = make_url(database.url)
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    dump = tmp_path / "panel.dump"
    where = ["-h", url.host or "localhost", "-p", str(url.port or 5432), "-U", url.username or "panel"]
    with dump.open("wb") as out:
        subprocess.run(["pg_dump", "-Fc", *where, url.database], stdout=out, env=env, check=True)
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA public assessment" in listing
    assert "POLICY public assessment panel_read" in listing
