"""What the first screens show (a campaign's candidates, the campaigns list) and the reads behind them.

Every read here is SQLAlchemy Core over db.core_tables, and takes a ``reader``: an ORM Session (the
screens' workers) or a plain Connection (start-up). So the app's first screen is read, and drawn,
before SQLModel, pydantic and the ORM are imported (~250 ms; they load after the first paint, in
panel_tui.warm_up), and the screens' later re-reads run the very same statements. The views hold plain
values (nothing on screen holds a live session). ``open_first`` is the app's start-up read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, false, func, select

from db import core_tables as t
from db.errors import NotFound

if TYPE_CHECKING:
    from db.engine import Database

DEMO_KEY = "demo-hr-business-partner"


@dataclass(frozen=True)
class CampaignHead:
    """The campaign as its screen shows it (the edit form reads the whole campaign itself)."""

    id: int
    key: str
    title: str
    grade: str
    level: int
    anonymised: bool


@dataclass(frozen=True)
class MemberRef:
    id: int
    name: str


@dataclass(frozen=True)
class CampaignView:
    """What the campaign screen shows above its list."""

    campaign: CampaignHead
    member: MemberRef | None  # this laptop's panellist
    members: list[tuple[int, str, str]]
    item_count: int
    lead: str | None


@dataclass(frozen=True)
class CandidateRow:
    id: int
    ref: str
    name: str
    slot: datetime | None
    state: str  # "not started" | "in progress" | "submitted"
    adjustments: str


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


def campaign_head(reader: Any, key: str | int) -> CampaignHead:
    """A campaign by its key (or id); NotFound names it."""
    c = t.campaign.c
    where = c.id == key if isinstance(key, int) else c.key == key
    row = reader.execute(select(c.id, c.key, c.title, c.grade, c.level, c.anonymised).where(where)).first()
    if row is None:
        raise NotFound(f"unknown campaign {key!r} (see 'panel-tui campaign list')")
    return CampaignHead(*row)


def load_campaign(reader: Any, campaign_id: int) -> CampaignView:
    """What the screen shows above the list: one unit of work, run off the UI thread."""
    from db.identity import chosen_member_id

    head = campaign_head(reader, campaign_id)
    pm, item = t.panel_member.c, t.campaign_item.c
    members = [tuple(r) for r in reader.execute(
        select(pm.id, pm.name, pm.role).where(pm.campaign_id == campaign_id).order_by(pm.id))]
    items = reader.execute(
        select(item.name, item.is_lead).where(item.campaign_id == campaign_id).order_by(item.position)).all()
    lead = next((name for name, is_lead in items if is_lead), None)
    chosen = chosen_member_id(reader, campaign_id)
    member = next((MemberRef(mid, name) for mid, name, _role in members if mid == chosen), None)
    return CampaignView(head, member, members, len(items), lead)  # type: ignore[arg-type]


def candidate_rows(reader: Any, campaign_id: int, member_id: int | None) -> list[CandidateRow]:
    """Candidates in slot order with this member's assessment state."""
    # One statement (a round trip each counts on a server): candidates, the campaign's anonymity,
    # this member's assessment and whether it has any evidence yet.
    cand, camp, a, ev = t.candidate.c, t.campaign.c, t.assessment.c, t.item_evidence.c
    started = select(ev.id).where(ev.assessment_id == a.id).exists()
    mine = and_(a.candidate_id == cand.id, a.member_id == member_id if member_id is not None else false())
    rows = reader.execute(
        select(cand.id, cand.ref, cand.name, cand.slot, cand.adjustments, camp.anonymised, a.id, a.submitted_at, started)
        .select_from(t.candidate.join(t.campaign, camp.id == cand.campaign_id).outerjoin(t.assessment, mine))
        .where(cand.campaign_id == campaign_id)
    ).all()
    far = datetime.max.replace(tzinfo=None)
    rows = sorted(rows, key=lambda r: (r.slot.replace(tzinfo=None) if r.slot else far, r.ref))
    return [
        CandidateRow(
            id=cid,
            ref=ref,
            name="" if anonymised else name,
            slot=slot,
            state="not started" if assessment_id is None else (
                "submitted" if submitted else ("in progress" if has_evidence else "not started")),
            adjustments=adjustments,
        )
        for cid, ref, name, slot, adjustments, anonymised, assessment_id, submitted, has_evidence in rows
    ]


def list_campaigns(reader: Any) -> list[CampaignRow]:
    """Every campaign, newest first, with its framework's name and its number of candidates."""
    camp, fw, cand = t.campaign.c, t.framework.c, t.candidate.c
    counts = select(cand.campaign_id, func.count().label("n")).group_by(cand.campaign_id).subquery()
    rows = reader.execute(
        select(camp.id, camp.key, camp.title, camp.grade, camp.level, fw.name, counts.c.n, camp.decision_date)
        .select_from(t.campaign.join(t.framework, fw.id == camp.framework_id)
                     .outerjoin(counts, counts.c.campaign_id == camp.id))
        .order_by(camp.created_at.desc(), camp.id.desc())
    ).all()
    return [CampaignRow(cid, key, title, grade, level, fname, n or 0, decided)
            for cid, key, title, grade, level, fname, n, decided in rows]


def load_first(reader: Any, campaign_id: int) -> tuple[CampaignView, list[CandidateRow]]:
    """The view and its rows in one unit of work: the app's start-up read."""
    view = load_campaign(reader, campaign_id)
    return view, candidate_rows(reader, campaign_id, view.member.id if view.member else None)


def open_first(database: Database, *, demo: bool, key: str | None,
               read_first: bool = False) -> tuple[int | None, Any]:
    """The campaign the app opens on (the demo's, made if needed, or ``key``; None: the campaigns list)
    and, with ``read_first``, what its screen shows first, read in one transaction: the campaign's
    (view, rows), or the list's rows (PanelApp's start-up read, behind the splash)."""
    if not demo and not key and not read_first:
        return None, None
    with database.engine.connect() as reader:
        if not demo and not key:
            return None, list_campaigns(reader)
        if demo:
            campaign_id = reader.execute(select(t.campaign.c.id).where(t.campaign.c.key == DEMO_KEY)).scalar()
        else:
            campaign_id = campaign_head(reader, key).id  # type: ignore[arg-type]
        if campaign_id is not None:
            return campaign_id, (load_first(reader, campaign_id) if read_first else None)
    # The demo is not in this file yet: made now, through the services (the ORM), in one transaction.
    from db.demo import ensure_demo

    with database.session() as session:
        campaign_id = ensure_demo(session).id
    if not read_first:
        return campaign_id, None
    with database.engine.connect() as reader:
        return campaign_id, load_first(reader, campaign_id)
