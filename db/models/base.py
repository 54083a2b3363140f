"""The base of every table, and the one clock they stamp rows with."""

from datetime import datetime, timezone

from pydantic import ConfigDict
from sqlmodel import SQLModel


def utcnow() -> datetime:
    # Aware UTC: SQLModel stores it portably (timestamptz on PostgreSQL).
    return datetime.now(timezone.utc)


class TableModel(SQLModel):
    """Base of the tables (not a table itself)."""

    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]
