"""SQLModel tables for everything panel-tui stores.

Plain portable types only (no SQLite-specific column types), so the same
schema runs on PostgreSQL. Lists and small structured values are JSON.

Import cost matters (see bench/README.md "Instant start"). Each table class costs ~3.5 ms to build
(pydantic's fields and SQLAlchemy's mapper); the first screen needs none (it is read through
db.core_tables), and most work needs a few, so the tables live in small modules, by what is used
together, and a table is built when it is first named: ``from db.models import Campaign`` or ``models.Outcome`` (PEP 562). ``load_all()``
builds every one: whatever needs the whole schema (creating it, migrations) calls it first.
Within the modules, annotations are real objects, not postponed strings (pydantic would evaluate
~220 of them), and pydantic builds a table's validator on its first use, not at import (table
models skip validation on construction).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from db.models.base import TableModel, utcnow

# Table -> the module under db.models that defines it.
TABLES = {
    "Framework": "framework",
    "Element": "framework_text",
    "Indicator": "framework_text",
    "GradeLevel": "framework_text",
    "ElementLevelUse": "framework_text",
    "RoleTemplate": "framework_text",
    "Campaign": "campaign",
    "CampaignItem": "campaign",
    "Candidate": "campaign",
    "PanelMember": "campaign",
    "Assessment": "assessment",
    "ItemEvidence": "assessment",
    "Question": "interview",
    "IndicatorTag": "interview",
    "Consensus": "decisions",
    "Outcome": "decisions",
    "AuditEvent": "records",
    "Setting": "records",
    "ExchangeKey": "records",
}

__all__ = [
    "TableModel", "utcnow", "load_all",
    "Framework", "Element", "Indicator", "GradeLevel", "ElementLevelUse", "RoleTemplate",
    "Campaign", "CampaignItem", "Candidate", "PanelMember", "Assessment", "ItemEvidence",
    "Question", "IndicatorTag", "Consensus", "Outcome", "AuditEvent", "Setting", "ExchangeKey",
]


def __getattr__(name: str):
    module = TABLES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    table = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = table  # the next lookup is a plain module attribute
    return table


def __dir__() -> list[str]:
    return sorted(__all__)


def load_all() -> None:
    """Build every table (and so register each on SQLModel.metadata)."""
    for module in dict.fromkeys(TABLES.values()):
        import_module(f"{__name__}.{module}")


if TYPE_CHECKING:
    from db.models.assessment import Assessment, ItemEvidence
    from db.models.campaign import Campaign, CampaignItem, Candidate, PanelMember
    from db.models.decisions import Consensus, Outcome
    from db.models.framework import Framework
    from db.models.framework_text import Element, ElementLevelUse, GradeLevel, Indicator, RoleTemplate
    from db.models.interview import IndicatorTag, Question
    from db.models.records import AuditEvent, ExchangeKey, Setting
