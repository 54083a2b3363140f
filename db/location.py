"""Where the database is: a URL from the options, the environment, or the default file.

Plain functions with no SQLAlchemy import, so the CLI can decide before anything heavy is loaded
(panel_tui.first_run); db.engine re-exports them.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "panel-tui"


def default_db_path() -> Path:
    # platformdirs is cheap to import; the folder itself is made only when opened.
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "panel.db"


def resolve_url(db_url: str | None = None, db_path: str | os.PathLike[str] | None = None) -> str:
    """Choose the database: explicit URL, explicit path, environment, or the default file."""
    if db_url:
        return db_url
    if db_path:
        return sqlite_url(Path(db_path))
    if env_url := os.environ.get("PANEL_TUI_DB_URL"):
        return env_url
    if env_path := os.environ.get("PANEL_TUI_DB"):
        return sqlite_url(Path(env_path))
    return sqlite_url(default_db_path())


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.expanduser().absolute()}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for memory / other databases."""
    if not url.startswith("sqlite"):
        return None
    rest = url.split("://", 1)[1]
    if rest in ("", "/", "/:memory:") or ":memory:" in rest:
        return None
    return Path(rest[1:]) if rest.startswith("/") else Path(rest)
