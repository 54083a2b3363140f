"""What the campaign screen shows: plain values, importable without SQLAlchemy, and their reads.

The values are kept apart from the services that read them so that a process that has not imported
the database layer can hold them: at start-up a forked process reads the first screen and sends its
view and rows to the app, pickled, while the app imports Textual (panel_tui.first_read). The reads
import the database layer when they run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from db.engine import Database
    from db.models import Campaign


@dataclass(frozen=True)
class CampaignRow:
    """A line of the campaigns list."""

    id: int
    key: str
    title: str
    grade: str
    level: int
    framework: str
    candidates: int
    decision_date: date | None


@dataclass(frozen=True)
class CandidateRow:
    id: int
    ref: str
    name: str
    slot: datetime | None
    state: str  # "not started" | "in progress" | "submitted"
    adjustments: str


@dataclass(frozen=True)
class CampaignView:
    """What the screen shows above the list, as plain values (it can be pickled without the models)."""

    title: str
    grade: str
    level: int
    anonymised: bool
    member: tuple[int, str] | None  # this laptop's panellist (id, name)
    members: list[tuple[int, str, str]]
    item_count: int
    lead: str | None
    campaign: Campaign | None = None  # the row itself (the edit form's); None in a preview from another process

    def preview(self) -> CampaignView:
        return replace(self, campaign=None)


def load_campaign(session, campaign_id: int) -> CampaignView:
    """What the screen shows above the list: one unit of work, run off the UI thread."""
    from db import campaigns as campaign_service

    campaign = campaign_service.get_campaign(session, campaign_id)
    panel = campaign_service.panel_members(session, campaign_id)  # kept: current_member's get() finds its member here
    members = [(m.id, m.name, m.role) for m in panel]
    items = campaign_service.campaign_items(session, campaign_id)
    lead = next((i.name for i in items if i.is_lead), None)
    member = campaign_service.current_member(session, campaign_id)
    return CampaignView(campaign.title, campaign.grade, campaign.level, campaign.anonymised,
                        None if member is None else (member.id, member.name),  # type: ignore[arg-type]
                        members, len(items), lead, campaign)  # type: ignore[arg-type]


def load_first(session, campaign_id: int) -> tuple[CampaignView, list[CandidateRow]]:
    """The view and its rows in one unit of work: the app's start-up worker reads them with the demo."""
    from db import interview as interview_service

    view = load_campaign(session, campaign_id)
    return view, interview_service.candidate_rows(session, campaign_id, view.member[0] if view.member else None)


def open_first(database: Database, *, demo: bool, key: str | None,
               read_first: bool = False) -> tuple[int | None, Any]:
    """The campaign the app opens on (the demo's, made if needed, or ``key``; None: the campaigns list)
    and, with ``read_first``, what its screen shows first, read in the same session: the campaign's
    (view, rows), or the list's rows. The app's start-up and panel_tui.first_read's forked reader
    both call it."""
    if not demo and not key and not read_first:
        return None, None
    with database.session() as session:
        if not demo and not key:
            from db.campaigns import list_campaigns

            return None, list_campaigns(session)
        # The campaign stays referenced: the session's identity map holds objects weakly, and
        # load_first's get() of it is then answered from there, with no second query.
        if demo:
            from db.demo import ensure_demo

            campaign = ensure_demo(session)
        else:
            from db.campaigns import get_campaign

            campaign = get_campaign(session, key)  # type: ignore[arg-type]
        campaign_id = campaign.id
        if not read_first:
            return campaign_id, None
        return campaign_id, load_first(session, campaign_id)  # type: ignore[arg-type]
