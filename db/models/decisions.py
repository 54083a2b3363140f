"""The chair's decisions: consensus per item, and each candidate's outcome."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from db.models.base import TableModel, utcnow


class Consensus(TableModel, table=True):
    __table_args__ = (UniqueConstraint("candidate_id", "item_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    item_id: int = Field(foreign_key="campaignitem.id")
    score: float
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class Outcome(TableModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", unique=True)
    status: str = "pending"  # "pending" | "appointed" | "reserve" | "not_appointed" | "declined"
    tie_position: Optional[int] = None
    tie_reason: str = ""
    offer_reason: str = ""
    reserve_expiry: Optional[date] = None
    reserve_extended: bool = False
    reserve_reason: str = ""
    feedback: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
