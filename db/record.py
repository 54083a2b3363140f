"""A candidate's assessment record (Markdown, PDF) and audit history.

Built from the consolidation and outcome services, so the record always shows
what the screens show. The PDF uses fpdf2 with a core font: pure Python, no
network, text outside Latin-1 replaced safely. Both carry the protective marking
at the top and the bottom (the PDF on every page, in its header and footer).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlmodel import Session, col, or_, select

from db import queries, scales
from db.audit import head
from db.audit_verify import head_text
from db.consolidation import cell_evidence
from db.errors import ValidationError
from db.models import (
    AuditEvent, Assessment, Campaign, CampaignItem, Candidate, Consensus, Framework, ItemEvidence, Outcome,
)
from db.outcomes import MeritRow, merit_list
from db.text import MARKING
from db.vocabulary import OutcomeStatus, PanelRole, Result, Tag, score_text, star_text

__all__ = [
    "CandidateContext",
    "candidate_context",
    "result_text",
    "audit_history",
    "assessment_record_markdown",
    "assessment_record_pdf",
    "latin1",
]

MARKING_LINE = f"**{MARKING}**"


class CandidateContext(NamedTuple):
    candidate: Candidate
    campaign: Campaign
    items: list[CampaignItem]  # in campaign order
    row: MeritRow  # the candidate's place and result on the merit list


def candidate_context(session: Session, candidate_id: int) -> CandidateContext:
    """What a record or a feedback letter about one candidate is written from."""
    candidate = queries.candidate(session, candidate_id)
    campaign = session.get(Campaign, candidate.campaign_id)
    assert campaign is not None
    items = list(session.exec(
        select(CampaignItem).where(CampaignItem.campaign_id == campaign.id).order_by(CampaignItem.position)
    ).all())
    row = merit_list(session, campaign.id).row(candidate_id)  # type: ignore[arg-type]
    return CandidateContext(candidate, campaign, items, row)


def _who(candidate: Candidate, campaign: Campaign) -> str:
    if campaign.anonymised or not candidate.name:
        return candidate.ref
    return f"{candidate.name} ({candidate.ref})"


def result_text(row: MeritRow) -> str:
    """'pass', 'fail (every reason)' or 'incomplete (...)', then ' - provisional' if so."""
    result = row.result
    if result == Result.INCOMPLETE:
        text = f"{result.label} (not every item is scored)"
    elif result == Result.FAIL and row.fail_reasons:
        text = f"{result.label} ({'; '.join(row.fail_reasons)})"
    else:
        text = result.label
    return text + (" - provisional" if row.provisional else "")
class AuditLine(NamedTuple):
    """One audited change as people read it: the item it concerns in its own field, the reason in ``reason``."""

    at: datetime
    actor: str
    action: str
    entity: str
    item: str
    old_value: str
    new_value: str
    reason: str


def _item_names(session: Session, events: list[AuditEvent]) -> dict[tuple[str, int], str]:
    """(kind, entity id) -> the item's name, for consensus and evidence events."""
    names: dict[tuple[str, int], str] = {}
    consensus = {e.entity_id for e in events if e.entity == "consensus" and e.entity_id is not None}
    evidence = {e.entity_id for e in events if e.entity.startswith("evidence.") and e.entity_id is not None}
    if consensus:
        for cid, name in session.exec(
            select(Consensus.id, CampaignItem.name).join(CampaignItem, CampaignItem.id == Consensus.item_id)
            .where(col(Consensus.id).in_(consensus))
        ).all():
            names[("consensus", cid)] = name  # type: ignore[index]
    if evidence:
        for eid, name in session.exec(
            select(ItemEvidence.id, CampaignItem.name).join(CampaignItem, CampaignItem.id == ItemEvidence.item_id)
            .where(col(ItemEvidence.id).in_(evidence))
        ).all():
            names[("evidence", eid)] = name  # type: ignore[index]
    return names


def _line(event: AuditEvent, item: str, ref: str) -> AuditLine:
    reason = event.reason
    if event.entity == "consensus" and item and reason.strip() in (f"{ref} {item}", item):
        # Consensus events store "<ref> <item>" as their reason; the reason people gave is the rationale.
        reason = event.new_value.split(": ", 1)[1] if ": " in event.new_value else ""
    return AuditLine(event.at, event.actor, event.action, event.entity, item, event.old_value, event.new_value, reason)


def audit_history(session: Session, candidate_id: int) -> list[AuditLine]:
    """Every audited change about one candidate: their details, assessments, evidence, consensus, outcome.

    Each line names the item it concerns (consensus and evidence) apart from the reason."""
    events = _audit_events(session, candidate_id)
    names = _item_names(session, events)
    candidate = session.get(Candidate, candidate_id)
    ref = candidate.ref if candidate else ""
    return [
        _line(e, names.get(("evidence" if e.entity.startswith("evidence.") else e.entity, e.entity_id or 0), ""), ref)
        for e in events
    ]


def _audit_events(session: Session, candidate_id: int) -> list[AuditEvent]:
    assessment_ids = list(session.exec(select(Assessment.id).where(Assessment.candidate_id == candidate_id)).all())
    evidence_ids = list(session.exec(
        select(ItemEvidence.id).where(col(ItemEvidence.assessment_id).in_(assessment_ids))
    ).all()) if assessment_ids else []
    consensus_ids = list(session.exec(select(Consensus.id).where(Consensus.candidate_id == candidate_id)).all())
    outcome_ids = list(session.exec(select(Outcome.id).where(Outcome.candidate_id == candidate_id)).all())
    conditions = [
        ((AuditEvent.entity == "candidate") | col(AuditEvent.entity).startswith("candidate."))
        & (AuditEvent.entity_id == candidate_id)
    ]
    if assessment_ids:
        conditions.append((AuditEvent.entity == "assessment") & col(AuditEvent.entity_id).in_(assessment_ids))
    if evidence_ids:
        conditions.append(col(AuditEvent.entity).startswith("evidence.") & col(AuditEvent.entity_id).in_(evidence_ids))
    if consensus_ids:
        conditions.append((AuditEvent.entity == "consensus") & col(AuditEvent.entity_id).in_(consensus_ids))
    if outcome_ids:
        conditions.append((AuditEvent.entity == "outcome") & col(AuditEvent.entity_id).in_(outcome_ids))
    return list(session.exec(
        select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.at, AuditEvent.id)
    ).all())


def _cell(text: object) -> str:
    return str(text).replace("|", "/").replace("\r", " ").replace("\n", " ").strip()


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def assessment_record_markdown(session: Session, candidate_id: int) -> str:
    """A candidate's full record: role, grade, level, items; each member's evidence, STAR, tags and
    score; the consensus and its rationale; the outcome; and the audit history."""
    candidate, campaign, items, row = candidate_context(session, candidate_id)
    framework = session.get(Framework, campaign.framework_id)
    level_name = framework.level_names.get(str(campaign.level), "") if framework else ""
    panel = queries.members(session, campaign.id)  # type: ignore[arg-type]
    out: list[str] = [MARKING_LINE, "", f"# Assessment record: {_who(candidate, campaign)}", ""]
    out.append(f"- **Role:** {campaign.title}" + (f", {campaign.department}" if campaign.department else ""))
    if campaign.reference:
        out.append(f"- **Reference:** {campaign.reference}")
    if campaign.grade:
        out.append(f"- **Grade:** {campaign.grade}")
    out.append(f"- **Level:** {campaign.level}" + (f" ({level_name})" if level_name else "")
               + (f" - {campaign.level_reason}" if campaign.level_reason else ""))
    if framework:
        out.append(f"- **Framework:** {framework.name}")
    out.append(f"- **Items assessed:** {', '.join(i.name + (' (lead)' if i.is_lead else '') for i in items)}")
    out.append(f"- **Scoring:** {'agreed consensus score' if campaign.scoring_method == 'consensus' else 'mean of the panel'}"
               f"; scale {', '.join(str(p['label']) for p in campaign.scale)}")
    out.append(f"- **Panel:** {', '.join(f'{m.name} ({PanelRole.label_of(m.role)})' for m in panel)}")
    out.append("")

    for n, item in enumerate(items):
        scale = item.scale or campaign.scale
        ev = cell_evidence(session, candidate_id, item.id, None)  # type: ignore[arg-type]
        value = row.item_values[n] if n < len(row.item_values) else None
        out.append(f"## {item.name}" + (" (lead item)" if item.is_lead else ""))
        out.append("")
        out.append(f"Pass mark {score_text(item.pass_mark)}.")
        out.append("")
        for m in ev.members:
            score = "not scored" if m.score is None else f"{scales.label_for(scale, m.score)}"
            state = "submitted" if m.submitted else "not submitted"
            out.append(f"### {m.member_name} ({PanelRole.label_of(m.role)}) - score {score}, {state}")
            out.append("")
            out.append(f"STAR: {star_text(m.star)}")
            out.append("")
            if m.notes.strip():
                out.extend(f"> {line}" if line.strip() else ">" for line in m.notes.strip().splitlines())
            else:
                out.append("_No evidence notes._")
            out.append("")
            if m.tags:
                for t in m.tags:
                    out.append(f"- {Tag.label_of(t.tag)} ({t.kind}): {t.text}")
                out.append("")
        if ev.consensus is not None:
            out.append(f"**Consensus:** {scales.label_for(scale, ev.consensus)} - {ev.rationale}")
        elif campaign.scoring_method == "mean":
            out.append(f"**Item score (panel mean):** {score_text(value) or 'none yet'}")
        else:
            out.append(f"**Consensus:** not yet agreed (provisional value {score_text(value) or 'none'})")
        out.append("")

    out.append("## Outcome")
    out.append("")
    out.append(f"- **Total:** {score_text(row.total) or 'not yet known'}")
    out.append(f"- **Result:** {result_text(row)}")
    if row.rank is not None:
        out.append(f"- **Merit list rank:** {row.rank}" + (" (tied)" if row.tied else ""))
    if row.tie_reason:
        out.append(f"- **Tie order reason:** {row.tie_reason}")
    out.append(f"- **Status:** {OutcomeStatus.label_of(row.status)}")
    if row.offer_reason:
        out.append(f"- **Offer reason:** {row.offer_reason}")
    if row.status == OutcomeStatus.RESERVE and row.reserve_expiry:
        out.append(f"- **Reserve list until:** {row.reserve_expiry.isoformat()}"
                   + (f" (extended: {row.reserve_reason})" if row.reserve_extended else "")
                   + (" - expired" if row.expired else ""))
    out.append("")

    out.append("## Audit history")
    out.append("")
    seq, chained = head(session, campaign.id)
    if seq:
        # Kept with the record, outside this database: a later `audit verify --head` shows a rebuilt chain.
        out.append(f"Audit chain head when this record was made: {head_text(seq, chained)} "
                   f"(check: panel-tui audit verify {campaign.key} --head {head_text(seq, chained)})")
        out.append("")
    events = audit_history(session, candidate_id)
    if not events:
        out.append("_No changes recorded._")
    else:
        out.append("| When (UTC) | Who | Action | What | Item | Old | New | Reason |")
        out.append("|---|---|---|---|---|---|---|---|")
        for e in events:
            out.append(f"| {_when(e.at)} | {_cell(e.actor)} | {_cell(e.action)} | {_cell(e.entity)} | {_cell(e.item)} | "
                       f"{_cell(e.old_value)} | {_cell(e.new_value)} | {_cell(e.reason)} |")
    out.extend(["", MARKING_LINE, ""])
    return "\n".join(out)


_LATIN1_SUBSTITUTES = {
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2026": "...", "\u2022": "*", "\u00a0": " ", "\u2192": "->", "\u2190": "<-",
    "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2122": "(TM)", "\u20ac": "EUR",
}


def latin1(text: str) -> str:
    """Text a PDF core font can show: typographic characters mapped, anything else '?'."""
    for char, sub in _LATIN1_SUBSTITUTES.items():
        text = text.replace(char, sub)
    return text.encode("latin-1", "replace").decode("latin-1")


def assessment_record_pdf(session: Session, candidate_id: int, path: str | Path) -> Path:
    """Write the assessment record as a PDF (fpdf2, core Helvetica); returns the path."""
    from fpdf import FPDF

    class MarkedPDF(FPDF):
        """Every page carries the marking at its top and bottom."""

        def header(self) -> None:
            self.set_font("Helvetica", style="B", size=9)
            self.cell(0, 5, MARKING, align="C", new_x="LMARGIN", new_y="NEXT")
            self.ln(3)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", style="B", size=9)
            self.cell(0, 5, f"{MARKING}  -  page {self.page_no()}", align="C")

    markdown = assessment_record_markdown(session, candidate_id)
    pdf = MarkedPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    title = next(line for line in markdown.splitlines() if line.startswith("# "))
    pdf.set_title(latin1(title[2:]))
    pdf.set_subject(MARKING)
    pdf.set_keywords(MARKING)
    pdf.set_creator("panel-tui")
    pdf.add_page()

    def write(text: str, size: float = 10, style: str = "", indent: float = 0, gap: float = 0) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        if gap:
            pdf.ln(gap)

    for line in markdown.splitlines():
        if line == MARKING_LINE:
            continue  # in every page's header and footer instead
        if line.startswith("# "):
            write(line[2:], 16, "B", gap=2)
        elif line.startswith("## "):
            pdf.ln(2)
            write(line[3:], 13, "B", gap=1)
        elif line.startswith("### "):
            write(line[4:], 10.5, "B")
        elif line.startswith(">"):
            write(line[1:].strip() or " ", 9.5, "I", indent=5)
        elif line.startswith("|---"):
            continue
        elif line.startswith("| "):
            cells = [c.strip() for c in line.strip("|").split("|")]
            write("  |  ".join(c for c in cells), 8)
        elif line.startswith("- "):
            write("* " + line[2:].replace("**", ""), 10, indent=2)
        elif not line.strip():
            pdf.ln(2)
        else:
            write(line.replace("**", "").replace("_", ""), 10)
    target = Path(path)
    try:
        pdf.output(str(target))
    except OSError as exc:
        raise ValidationError(f"cannot write {target}: {exc.strerror}") from None
    return target

