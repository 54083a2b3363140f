"""A campaign, its assessed items, its candidates and its panel: the first screen's tables."""

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field

from db.models.base import TableModel, utcnow


class Campaign(TableModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=80)
    title: str
    department: str = ""
    reference: str = ""
    location: str = ""
    grade: str = ""
    level: int
    level_reason: str = ""
    framework_id: int = Field(foreign_key="framework.id")
    # [{"value": 1, "label": "1", "name": "Not demonstrated", "descriptor": "..."}, ...]
    scale: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    min_total: Optional[float] = None
    divergence_threshold: float = 2
    scoring_method: str = "consensus"  # "consensus" | "mean"
    decision_date: Optional[date] = None
    retention_months: int = 24
    anonymised: bool = False
    interview_minutes: int = 60
    created_at: datetime = Field(default_factory=utcnow)
    # Bumped by every edit: a write based on an older version is refused (db/versions.py).
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class CampaignItem(TableModel, table=True):
    """An assessed item: a behaviour/competency from the framework, or another element."""

    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    position: int
    kind: str  # "competency" | "behaviour" | "strength" | "experience" | "technical" | "ability" | "presentation"
    element_id: Optional[int] = Field(default=None, foreign_key="element.id")
    name: str
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    pass_mark: float = 4
    is_lead: bool = False
    scale: Optional[list[dict[str, Any]]] = Field(default=None, sa_column=Column(JSON, nullable=True))


class Candidate(TableModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "ref"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    ref: str
    name: str = ""
    email: str = ""
    # What the panel should do (extra time, questions in advance, breaks) -- never why.
    adjustments: str = ""
    extra_minutes: int = 0
    disability_confident: bool = False
    slot: Optional[datetime] = None
    purged_at: Optional[datetime] = None


class PanelMember(TableModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    name: str
    role: str = "member"  # "chair" | "member" | "independent"
    # On a department server: the PostgreSQL login role that *is* this member (db/identity.py).
    db_role: Optional[str] = Field(default=None, max_length=63)
