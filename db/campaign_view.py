"""What the first screens show (a campaign's candidates, the campaigns list) and the reads behind them.

The views hold plain values and detached rows (nothing on screen holds a live session). ``open_first`` is the app's
start-up read: the first screen's campaign and what it shows, in one session, before the first paint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from db.engine import Database
    from db.interview import CandidateRow
    from db.models import Campaign, PanelMember


@dataclass(frozen=True)
class CampaignView:
    """What the campaign screen shows above its list."""

    campaign: Campaign
    member: PanelMember | None  # this laptop's panellist
    members: list[tuple[int, str, str]]
    item_count: int
    lead: str | None


def load_campaign(session, campaign_id: int) -> CampaignView:
    """What the screen shows above the list: one unit of work, run off the UI thread."""
    from db import campaigns as campaign_service

    campaign = campaign_service.get_campaign(session, campaign_id)
    panel = campaign_service.panel_members(session, campaign_id)  # kept: current_member's get() finds its member here
    members = [(m.id, m.name, m.role) for m in panel]
    items = campaign_service.campaign_items(session, campaign_id)
    lead = next((i.name for i in items if i.is_lead), None)
    return CampaignView(campaign, campaign_service.current_member(session, campaign_id), members, len(items), lead)  # type: ignore[arg-type]


def load_first(session, campaign_id: int) -> tuple[CampaignView, list[CandidateRow]]:
    """The view and its rows in one unit of work: the app's start-up worker reads them with the demo."""
    from db import interview as interview_service

    view = load_campaign(session, campaign_id)
    return view, interview_service.candidate_rows(session, campaign_id, view.member.id if view.member else None)


def open_first(database: Database, *, demo: bool, key: str | None,
               read_first: bool = False) -> tuple[int | None, Any]:
    """The campaign the app opens on (the demo's, made if needed, or ``key``; None: the campaigns list)
    and, with ``read_first``, what its screen shows first, read in the same session: the campaign's
    (view, rows), or the list's rows (PanelApp's start-up read, behind the splash)."""
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
