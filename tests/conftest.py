"""Shared fixtures: a fresh database per test, and no test touches the user's real files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from db.engine import Database, open_database, sqlite_url

# Tests that want PostgreSQL set this (see .ci/run).
PG_URL = os.environ.get("PANEL_TUI_TEST_DB_URL")


@pytest.fixture(autouse=True)
def _isolate_user_files(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))  # who-am-I choices (db/identity.py)
    monkeypatch.delenv("PANEL_TUI_CONFIG", raising=False)
    monkeypatch.delenv("PANEL_TUI_DB", raising=False)
    monkeypatch.delenv("PANEL_TUI_DB_URL", raising=False)
    for name in ("PANEL_TUI_PASSPHRASE", "PANEL_TUI_PASSPHRASE_NEW", "PANEL_TUI_LOCK_MINUTES"):
        monkeypatch.delenv(name, raising=False)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pytest_collection_modifyitems(config, items):
    # UI tests (tests/ui/) need no second database run; `-m "not ui"` selects the db tests.
    for item in items:
        if "/ui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.ui)


@pytest.fixture(scope="session")
def template_db_file(tmp_path_factory) -> Path:
    """One migrated SQLite file with the bundled frameworks, copied for each test (fast)."""
    path = tmp_path_factory.mktemp("template") / "panel.db"
    db = open_database(sqlite_url(path))
    db.dispose()
    return path


@pytest.fixture
def db_file(template_db_file, tmp_path) -> Path:
    """A fresh panel-tui database file for this test."""
    path = tmp_path / "panel.db"
    shutil.copyfile(template_db_file, path)
    path.chmod(0o600)
    return path


@pytest.fixture
def database(request) -> Database:
    """A fresh migrated database with the bundled frameworks: a SQLite file, or PostgreSQL when asked."""
    if PG_URL:
        _reset_postgres(PG_URL)
        db = open_database(PG_URL)
    else:
        db = open_database(sqlite_url(request.getfixturevalue("db_file")))
    yield db
    db.dispose()


@pytest.fixture
def session(database):
    with database.session() as s:
        yield s


@pytest.fixture
def demo(session):
    """The demo campaign (Annex D), with its six candidates, three panellists and some scores."""
    from db.demo import ensure_demo

    return ensure_demo(session)
