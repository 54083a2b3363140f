"""The frameworks themselves: the first screen checks the bundled ones are there."""

from typing import Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field

from db.models.base import TableModel


class Framework(TableModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=80)
    name: str
    kind: str  # "competencies" | "behaviours"
    bundled: bool = True
    level_names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
