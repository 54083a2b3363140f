"""The first screens' tables as SQLAlchemy Core clauses: reads that need neither SQLModel nor the ORM.

Start-up reads a campaign's candidate list (or the campaigns list) before anything else. Through
the models that read costs SQLModel, pydantic and the ORM (~250 ms of imports) plus building each
table class; through these lightweight clauses it costs SQLAlchemy Core only, and the models are
loaded after the first paint (panel_tui.warm_up). Still portable SQL, compiled by SQLAlchemy for the
engine's dialect. Only the columns those reads use are named; tests/test_core_tables.py checks each
against the models (same table, same column, same type affinity), so a renamed column fails there.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Date, DateTime, Integer, String, column, table

campaign = table(
    "campaign",
    column("id", Integer), column("key", String), column("title", String), column("grade", String),
    column("level", Integer), column("anonymised", Boolean), column("framework_id", Integer),
    column("decision_date", Date), column("created_at", DateTime),
)
campaign_item = table(
    "campaignitem",
    column("id", Integer), column("campaign_id", Integer), column("position", Integer), column("name", String),
    column("is_lead", Boolean),
)
candidate = table(
    "candidate",
    column("id", Integer), column("campaign_id", Integer), column("ref", String), column("name", String),
    column("adjustments", String), column("slot", DateTime),
)
panel_member = table(
    "panelmember",
    column("id", Integer), column("campaign_id", Integer), column("name", String), column("role", String),
    column("db_role", String),
)
assessment = table(
    "assessment",
    column("id", Integer), column("candidate_id", Integer), column("member_id", Integer),
    column("submitted_at", DateTime),
)
item_evidence = table("itemevidence", column("id", Integer), column("assessment_id", Integer))
framework = table("framework", column("id", Integer), column("key", String), column("name", String))
setting = table("setting", column("key", String), column("value", String))

# The frameworks every database holds (db.frameworks loads them; opening a file checks them here).
BUNDLED_KEYS = ("competencies-2012", "success-profiles-behaviours")

ALL = (campaign, campaign_item, candidate, panel_member, assessment, item_evidence, framework, setting)
