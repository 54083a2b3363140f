"""SQLModel tables for everything panel-tui stores.

Plain portable types only (no SQLite-specific column types), so the same
schema runs on PostgreSQL. Lists and small structured values are JSON.

Import cost matters (every start pays it; see bench/README.md "Instant start"): the annotations are
real objects, not postponed strings (pydantic would evaluate ~220 of them), and pydantic builds a
table's validator on its first use, not at import (table models skip validation on construction).
"""

from datetime import date, datetime, timezone
from typing import Any, Optional

from pydantic import ConfigDict
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    # Aware UTC: SQLModel stores it portably (timestamptz on PostgreSQL).
    return datetime.now(timezone.utc)


class TableModel(SQLModel):
    """Base of the tables below (not a table itself)."""

    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]


# --- frameworks -------------------------------------------------------------


class Framework(TableModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=80)
    name: str
    kind: str  # "competencies" | "behaviours"
    bundled: bool = True
    level_names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Element(TableModel, table=True):
    """A competency or a behaviour."""

    id: Optional[int] = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    position: int
    name: str
    cluster: Optional[str] = None
    definition: str = Field(default="", sa_column=Column(Text, nullable=False))


class Indicator(TableModel, table=True):
    """One effective / ineffective indicator, or one example behaviour, at one level."""

    id: Optional[int] = Field(default=None, primary_key=True)
    element_id: int = Field(foreign_key="element.id", index=True)
    level: int = Field(index=True)
    kind: str  # "effective" | "ineffective" | "example"
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))


class GradeLevel(TableModel, table=True):
    __table_args__ = (UniqueConstraint("scheme", "grade"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    scheme: str  # "civil-service" | "copfs"
    grade: str
    level: int


class ElementLevelUse(TableModel, table=True):
    """COPFS: the levels at which each competency is used."""

    id: Optional[int] = Field(default=None, primary_key=True)
    scheme: str
    element_name: str
    level: int


class RoleTemplate(TableModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    annex: str
    title: str
    grade: str
    level: int
    location: str = ""
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lead: Optional[str] = None


# --- campaigns --------------------------------------------------------------


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


class Question(TableModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="campaignitem.id", index=True)
    position: int
    kind: str = "question"  # "question" | "probe"
    text: str = Field(sa_column=Column(Text, nullable=False))


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


# --- assessment -------------------------------------------------------------


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


class IndicatorTag(TableModel, table=True):
    __table_args__ = (UniqueConstraint("evidence_id", "indicator_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="itemevidence.id", index=False)  # the unique index starts with it (0007)
    indicator_id: int = Field(foreign_key="indicator.id")
    tag: str  # "seen" | "contrary"


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


class AuditEvent(TableModel, table=True):
    # Tamper evidence (see db/audit.py): one hash chain per campaign, numbered without gaps.
    __table_args__ = (UniqueConstraint("campaign_id", "seq", name="uq_auditevent_campaign_seq"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = ""
    campaign_id: Optional[int] = Field(default=None, index=True)
    entity: str
    entity_id: Optional[int] = None
    action: str
    old_value: str = Field(default="", sa_column=Column(Text, nullable=False))
    new_value: str = Field(default="", sa_column=Column(Text, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    seq: Optional[int] = None  # None: written before the chain existed (schema 0001)
    # server_default '': rows written before the chain (migration 0002) are "pre-chain", not NULL.
    salt: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    value_digest: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    seal: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    chain_hash: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


class Setting(TableModel, table=True):
    """Small per-database preferences, e.g. which panel member uses this laptop."""

    key: str = Field(primary_key=True, max_length=120)
    value: str = ""


class ExchangeKey(TableModel, table=True):
    """Keys for sealed exchange files (see db/exchange/keys.py).

    kind: "campaign" (chair: age identity in ``secret``, recipient in ``public``),
    "member" (chair: a panel member's Ed25519 public key; one row per pack exported),
    "recipient" (laptop: the campaign's age recipient), "signing" (laptop: this
    laptop's member's Ed25519 key pair, from the newest pack imported).
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    member_id: Optional[int] = Field(default=None, foreign_key="panelmember.id")
    kind: str = Field(max_length=20)
    public: str = Field(default="", sa_column=Column(Text, nullable=False))
    secret: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
