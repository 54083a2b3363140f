"""The PostgreSQL engine's round-trip savings (db/engine.py, server part) keep their promises:
a pooled connection that died while idle is replaced, not reported; a read-only session keeps the
connection's prepared statements; anything written and then rolled back is undone."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import select

import db.engine
from db.engine import open_database
from db.models import Campaign


@pytest.fixture
def server_db(database):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("needs PANEL_TUI_TEST_DB_URL (PostgreSQL)")
    return database


def test_a_connection_killed_while_idle_is_replaced_on_checkout(server_db, monkeypatch):
    monkeypatch.setattr(db.engine, "IDLE_PING_SECONDS", 0.0)
    app = open_database(server_db.url, load_frameworks=False)
    try:
        with app.session() as s:
            pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
        with server_db.engine.connect() as admin:  # the server restarts, a firewall drops it...
            admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        with app.session() as s:  # pinged at checkout, found dead, replaced: no error reaches the user
            assert s.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        app.dispose()


def test_read_only_sessions_keep_prepared_statements(server_db):
    app = open_database(server_db.url, load_frameworks=False)
    try:
        for _ in range(7):  # psycopg prepares a statement on its 5th run
            with app.session() as s:
                s.exec(select(Campaign.id).where(Campaign.key == "x")).all()
        with app.session() as s:
            assert s.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar() >= 1
    finally:
        app.dispose()


def test_what_a_session_wrote_is_still_rolled_back(server_db):
    from db.campaigns import create_campaign

    spec = {"key": "rb-1", "title": "Rolled back", "grade": "SEO", "framework": "success-profiles-behaviours",
            "items": ["Working Together"], "pass_mark": 4, "panel": [{"name": "Sam Whitfield", "role": "chair"}]}
    with server_db.session() as s:
        s.exec(select(Campaign.id)).all()  # reads first...
        s.execute(text("INSERT INTO setting (key, value) VALUES ('rb-test', '1')"))  # ...then a write
        s.rollback()
    with server_db.session() as s:
        assert s.execute(text("SELECT count(*) FROM setting WHERE key = 'rb-test'")).scalar() == 0
        create_campaign(s, spec)
        s.rollback()  # create_campaign commits: nothing left to undo
        assert s.exec(select(Campaign.key)).all() == ["rb-1"]
    with server_db.session() as s:
        try:
            s.execute(text("SELECT 1/0"))
        except Exception:  # noqa: BLE001 - a failed statement: the transaction is rolled back as before
            s.rollback()
        assert s.execute(text("SELECT 1")).scalar() == 1
