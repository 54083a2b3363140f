"""The audit trail, per-database settings, and the keys of sealed exchange files."""

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from db.models.base import TableModel, utcnow


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
