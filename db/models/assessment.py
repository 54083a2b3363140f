"""A panel member's assessment of a candidate and its evidence per item (the candidate list shows whether one is started)."""

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from db.models.base import TableModel, utcnow


class Assessment(TableModel, table=True):
    """One panel member's assessment of one candidate."""

    __table_args__ = (UniqueConstraint("candidate_id", "member_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    # No index of its own: the unique (candidate_id, member_id) index starts with it (migration 0007).
    candidate_id: int = Field(foreign_key="candidate.id", index=False)
    member_id: int = Field(foreign_key="panelmember.id", index=True)
    submitted_at: Optional[datetime] = None
    updated_at: datetime = Field(default_factory=utcnow)


class ItemEvidence(TableModel, table=True):
    """A panel member's evidence notes, STAR coverage and score for one item."""

    __table_args__ = (UniqueConstraint("assessment_id", "item_id"), Index("ix_itemevidence_score", "assessment_id", "item_id", "score"))

    id: Optional[int] = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=False)  # the unique index starts with it (0007)
    item_id: int = Field(foreign_key="campaignitem.id", index=True)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    star: str = ""  # letters of S, T, A, R covered, e.g. "STA"
    score: Optional[float] = None
    updated_at: datetime = Field(default_factory=utcnow)
