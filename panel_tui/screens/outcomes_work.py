"""The outcomes screen's units of work: what it reads in one go, and the reports it writes.

Plain functions ``fn(session, ...)`` over the services in ``db/``, run by panel_tui.work off the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from db import campaigns as campaign_service
from db import outcomes as service
from db.files import private_file, write_private
from db.interview import submitted_candidate_ids
from db.outcomes import MeritList
from db.review import needs_review
from db.versions import outcome_versions
from db.text import clean_line
from db.vocabulary import short_name
from panel_tui.widgets.merit_table import ItemInfo


@dataclass(frozen=True)
class OutcomesView:
    title: str
    key: str
    anonymised: bool
    actor: str
    items: list[ItemInfo]
    merit: MeritList
    may_see: set[int] | None
    scores_stamp: tuple  # moves when scores or consensus change (then the charts are re-read)
    review: dict[int, tuple[str, ...]]
    versions: dict[int, int]


@dataclass(frozen=True)
class MeritView:
    merit: MeritList
    may_see: set[int] | None
    scores_stamp: tuple
    review: dict[int, tuple[str, ...]]  # candidate id -> items whose consensus needs the chair's review
    versions: dict[int, int]  # candidate id -> outcome version, sent back with each decision


def scores_stamp(session, campaign_id: int) -> tuple:
    """Cheap: what the distribution and panel-agreement tabs depend on (outcome decisions do not move it)."""
    from db import queries

    return queries.assessment_fingerprint(session, campaign_id), queries.consensus_totals(session, campaign_id)


def load_outcomes(session, campaign_id: int, member_id: int | None) -> OutcomesView:
    """The header, the items and the merit list, read in one unit of work (the charts come separately)."""
    campaign = campaign_service.get_campaign(session, campaign_id)
    members = {m.id: m.name for m in campaign_service.panel_members(session, campaign_id)}
    items = [
        ItemInfo(i.name, short_name(clean_line(i.name)), list(i.scale or campaign.scale), i.pass_mark, i.is_lead)
        for i in campaign_service.campaign_items(session, campaign_id)
    ]
    view = load_merit(session, campaign_id, member_id)
    return OutcomesView(
        title=campaign.title, key=campaign.key, anonymised=campaign.anonymised,
        actor=members.get(member_id, "") if member_id is not None else "",
        items=items, merit=view.merit, may_see=view.may_see, scores_stamp=view.scores_stamp,
        review=view.review, versions=view.versions,
    )


def load_merit(session, campaign_id: int, member_id: int | None) -> MeritView:
    """The merit list after a decision or another terminal's change (db.results re-reads only what moved)."""
    stamp = scores_stamp(session, campaign_id)
    return MeritView(
        merit=service.merit_list(session, campaign_id),
        # Independence: results built from other members' scores stay hidden until this
        # panellist has submitted their own assessment of that candidate.
        may_see=None if member_id is None else submitted_candidate_ids(session, campaign_id, member_id),
        scores_stamp=stamp,
        review=items_to_review(session, campaign_id),
        versions=outcome_versions(session, campaign_id),
    )


def items_to_review(session, campaign_id: int) -> dict[int, tuple[str, ...]]:
    """Candidate id -> names of the items whose consensus predates a member's amendment."""
    pairs = needs_review(session, campaign_id)
    if not pairs:
        return {}
    names = {i.id: i.name for i in campaign_service.campaign_items(session, campaign_id)}
    out: dict[int, list[str]] = {}
    for candidate_id, item_id in sorted(pairs):
        out.setdefault(candidate_id, []).append(names.get(item_id, "?"))
    return {k: tuple(v) for k, v in out.items()}


def load_charts(session, campaign_id: int) -> tuple:
    """(calibration, distribution): the slower tabs, read only when scores have changed."""
    return service.calibration(session, campaign_id), service.distribution(session, campaign_id)


def export_report(session, kind: str, campaign_id: int, candidate_id: int | None, path: Path) -> str:
    """Write one report, owner-only and atomically; returns the line to show."""
    from db import reports

    if kind == "csv":
        write_private(path, reports.merit_list_csv(session, campaign_id))
        return f"Wrote the merit list to {path}"
    if kind == "xlsx":
        from db.xlsx import csv_to_xlsx

        csv_to_xlsx(path, reports.merit_list_csv(session, campaign_id), sheet="Merit list", title="Merit list")
        return f"Wrote the merit list (Excel) to {path}"
    assert candidate_id is not None
    if kind == "md":
        write_private(path, reports.assessment_record_markdown(session, candidate_id))
        return f"Wrote the assessment record to {path}"
    with private_file(path) as tmp:
        reports.assessment_record_pdf(session, candidate_id, tmp)
    return f"Wrote the assessment record (PDF) to {path}"
