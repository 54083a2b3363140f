"""Versioned schema migrations (Alembic), run from code: no alembic.ini needed.

HEAD and KNOWN_REVISIONS let start-up check the schema with one cheap query;
Alembic itself is imported only when a database must be created or upgraded.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

HEAD = "0007"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
SCRIPT_LOCATION = str(Path(__file__).parent)


def alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
