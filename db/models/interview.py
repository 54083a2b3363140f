"""What the interview screen adds: the questions of an item, and indicator tags on evidence."""

from typing import Optional

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from db.models.base import TableModel


class Question(TableModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="campaignitem.id", index=True)
    position: int
    kind: str = "question"  # "question" | "probe"
    text: str = Field(sa_column=Column(Text, nullable=False))


class IndicatorTag(TableModel, table=True):
    __table_args__ = (UniqueConstraint("evidence_id", "indicator_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="itemevidence.id", index=False)  # the unique index starts with it (0007)
    indicator_id: int = Field(foreign_key="indicator.id")
    tag: str  # "seen" | "contrary"
