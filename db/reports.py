"""Reports: a candidate's assessment record (Markdown, PDF), the merit list as CSV, feedback.

Everything is built from the consolidation and outcome services, so a report
always shows what the screens show. The PDF uses fpdf2 with a core font:
pure Python, no network, text outside Latin-1 replaced safely.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, or_, select

from db import scales
from db.audit import record
from db.candidates import get_candidate as candidate_by_ref  # noqa: F401 (the CLI looks candidates up here)
from db.consolidation import cell_evidence
from db.errors import NotFound, ValidationError
from db.models import (
    AuditEvent,
    Assessment,
    Campaign,
    CampaignItem,
    Candidate,
    Consensus,
    Framework,
    ItemEvidence,
    Outcome,
    PanelMember,
    utcnow,
)
from db.outcomes import MeritRow, merit_list

__all__ = [
    "candidate_by_ref",
    "assessment_record_markdown",
    "assessment_record_pdf",
    "merit_list_csv",
    "merit_list_text",
    "feedback_draft",
    "feedback_text",
    "save_feedback",
]

STATUS_TEXT = {
    "pending": "pending",
    "appointed": "appointed",
    "reserve": "reserve list",
    "not_appointed": "not appointed",
    "declined": "declined",
}


# --- helpers -------------------------------------------------------------------




def score_text(value: float | None, empty: str = "") -> str:
    """A score or total for people to read: 29 -> '29', 23.3333 -> '23.33', None -> ``empty``."""
    if value is None:
        return empty
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _context(session: Session, candidate_id: int) -> tuple[Candidate, Campaign, list[CampaignItem], MeritRow]:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no candidate with id {candidate_id}")
    campaign = session.get(Campaign, candidate.campaign_id)
    assert campaign is not None
    items = list(session.exec(
        select(CampaignItem).where(CampaignItem.campaign_id == campaign.id).order_by(CampaignItem.position)
    ).all())
    row = merit_list(session, campaign.id).row(candidate_id)  # type: ignore[arg-type]
    return candidate, campaign, items, row


def _who(candidate: Candidate, campaign: Campaign) -> str:
    if campaign.anonymised or not candidate.name:
        return candidate.ref
    return f"{candidate.name} ({candidate.ref})"


def _result_text(row: MeritRow) -> str:
    if row.passed is None:
        text = "incomplete (not every item is scored)"
    elif row.passed:
        text = "pass"
    else:
        text = "fail" + (f" (below the pass mark: {', '.join(row.failed_items)})" if row.failed_items else
                         " (below the minimum total)")
    return text + (" - provisional" if row.provisional else "")


def audit_history(session: Session, candidate_id: int) -> list[AuditEvent]:
    """Every audited change about one candidate: their details, assessments, evidence, consensus, outcome."""
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


# --- the assessment record ---------------------------------------------------------


def assessment_record_markdown(session: Session, candidate_id: int) -> str:
    """A candidate's full record: role, grade, level, items; each member's evidence, STAR, tags and
    score; the consensus and its rationale; the outcome; and the audit history."""
    candidate, campaign, items, row = _context(session, candidate_id)
    framework = session.get(Framework, campaign.framework_id)
    level_name = framework.level_names.get(str(campaign.level), "") if framework else ""
    panel = session.exec(
        select(PanelMember).where(PanelMember.campaign_id == campaign.id).order_by(PanelMember.id)
    ).all()
    out: list[str] = [f"# Assessment record: {_who(candidate, campaign)}", ""]
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
    out.append(f"- **Panel:** {', '.join(f'{m.name} ({m.role})' for m in panel)}")
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
            out.append(f"### {m.member_name} ({m.role}) - score {score}, STAR {m.star or 'none'}, {state}")
            out.append("")
            if m.notes.strip():
                out.extend(f"> {line}" if line.strip() else ">" for line in m.notes.strip().splitlines())
            else:
                out.append("_No evidence notes._")
            out.append("")
            if m.tags:
                for t in m.tags:
                    out.append(f"- {t.tag} ({t.kind}): {t.text}")
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
    out.append(f"- **Result:** {_result_text(row)}")
    if row.rank is not None:
        out.append(f"- **Merit list rank:** {row.rank}" + (" (tied)" if row.tied else ""))
    if row.tie_reason:
        out.append(f"- **Tie order reason:** {row.tie_reason}")
    out.append(f"- **Status:** {STATUS_TEXT.get(row.status, row.status)}")
    if row.offer_reason:
        out.append(f"- **Offer reason:** {row.offer_reason}")
    if row.status == "reserve" and row.reserve_expiry:
        out.append(f"- **Reserve list until:** {row.reserve_expiry.isoformat()}"
                   + (f" (extended: {row.reserve_reason})" if row.reserve_extended else "")
                   + (" - expired" if row.expired else ""))
    out.append("")

    out.append("## Audit history")
    out.append("")
    events = audit_history(session, candidate_id)
    if not events:
        out.append("_No changes recorded._")
    else:
        out.append("| When (UTC) | Who | Action | What | Old | New | Reason |")
        out.append("|---|---|---|---|---|---|---|")
        for e in events:
            out.append(f"| {_when(e.at)} | {_cell(e.actor)} | {_cell(e.action)} | {_cell(e.entity)} | "
                       f"{_cell(e.old_value)} | {_cell(e.new_value)} | {_cell(e.reason)} |")
    out.append("")
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

    markdown = assessment_record_markdown(session, candidate_id)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin1(markdown.splitlines()[0].lstrip("# ")))
    pdf.set_creator("panel-tui")
    pdf.add_page()

    def write(text: str, size: float = 10, style: str = "", indent: float = 0, gap: float = 0) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        if gap:
            pdf.ln(gap)

    for line in markdown.splitlines():
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


# --- the merit list as CSV and text ------------------------------------------------------


def _safe(text: str) -> str:
    # A spreadsheet would run a cell starting with one of these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def merit_list_csv(session: Session, campaign_id: int) -> str:
    """rank,candidate_ref,name,total,<one column per item>,passed,provisional,status,reserve_expiry,tie_reason."""
    merit = merit_list(session, campaign_id)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["rank", "candidate_ref", "name", "total", *merit.items, "passed", "provisional", "status",
                     "reserve_expiry", "tie_reason"])
    for r in merit.rows:
        writer.writerow([
            "" if r.rank is None else r.rank,
            _safe(r.ref),
            _safe(r.name),
            score_text(r.total),
            *(score_text(v) for v in r.item_values),
            "" if r.passed is None else ("yes" if r.passed else "no"),
            "yes" if r.provisional else "no",
            r.status,
            r.reserve_expiry.isoformat() if r.status == "reserve" and r.reserve_expiry else "",
            _safe(r.tie_reason),
        ])
    return buf.getvalue()


def merit_list_text(session: Session, campaign_id: int) -> str:
    """The merit list as a plain-text table (the CLI prints this)."""
    merit = merit_list(session, campaign_id)
    head = ["Rank", "Candidate", "Total", *(_short(n) for n in merit.items), "Result", "Status"]
    rows = [head]
    for r in merit.rows:
        rank = "-" if r.rank is None else f"{r.rank}{'=' if r.tied else ''}"
        result = {None: "incomplete", True: "pass", False: "fail"}[r.passed] + (" (prov.)" if r.provisional else "")
        status = STATUS_TEXT.get(r.status, r.status)
        if r.status == "reserve" and r.reserve_expiry:
            status += f" to {r.reserve_expiry.isoformat()}" + (" (expired)" if r.expired else "")
        rows.append([rank, r.label, score_text(r.total) or "-", *(score_text(v) or "-" for v in r.item_values), result, status])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [f"{merit.title}  (lead item: {merit.lead_item or 'none'})"]
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if len(merit.next_offer) > 1:
        lines.append("")
        lines.append("Next offer is a tie: the chair must order it ('=' marks tied ranks).")
    return "\n".join(lines) + "\n"


def _short(name: str) -> str:
    """'Leading and Communicating' -> 'LC'."""
    words = [w for w in name.replace("-", " ").split() if w.lower() not in ("and", "a", "the", "of", "at", "to")]
    return "".join(w[0].upper() for w in words)[:4] or name[:4]


# --- feedback -------------------------------------------------------------------


def feedback_draft(session: Session, candidate_id: int) -> str:
    """A feedback letter written to the candidate from the consensus rationales (to edit before sending)."""
    candidate, campaign, items, row = _context(session, candidate_id)
    framework = session.get(Framework, campaign.framework_id)
    consensus = {
        c.item_id: c for c in session.exec(select(Consensus).where(Consensus.candidate_id == candidate_id)).all()
    }
    greeting = "Dear candidate," if campaign.anonymised or not candidate.name else f"Dear {candidate.name},"
    post = campaign.title + (f" ({campaign.grade})" if campaign.grade else "")
    where = f", {campaign.department}" if campaign.department else ""
    kinds = {i.kind for i in items}
    what = "behaviours" if kinds == {"behaviour"} else "competencies" if kinds == {"competency"} else "areas"
    names = [i.name for i in items]
    listed = ", ".join(names[:-1]) + (f" and {names[-1]}" if len(names) > 1 else names[0])
    paras = [
        greeting,
        f"Thank you for attending the interview for the post of {post}{where}.",
        f"You were assessed against the following {what}: {listed}"
        + (f", using the {framework.name} at level {campaign.level}." if framework else "."),
    ]
    for n, item in enumerate(items):
        scale = item.scale or campaign.scale
        c = consensus.get(item.id)
        if c is not None:
            rationale = c.rationale.strip().rstrip(".")
            point = next((p for p in scale if float(p["value"]) == c.score), None)
            score = scales.label_for(scale, c.score) + (f" ({point['name']})" if point and point.get("name") else "")
            paras.append(f"For {item.name}, the panel noted: {rationale}. The panel's score was {score}.")
        elif row.item_values and row.item_values[n] is not None:
            paras.append(f"For {item.name}, your score was {score_text(row.item_values[n])}.")
        else:
            paras.append(f"For {item.name}, the panel has not yet agreed a score.")
    if row.passed is None:
        paras.append("[The assessment is not yet complete: the outcome will follow.]")
    elif not row.passed:
        if row.failed_items:
            paras.append("On this occasion you did not meet the standard required for "
                         + _and(list(row.failed_items)) + ", so we are unable to offer you the post.")
        else:
            paras.append("On this occasion your overall score did not meet the standard required, "
                         "so we are unable to offer you the post.")
    elif row.status == "appointed":
        paras.append("The panel found you met the standard required and recommended you for appointment.")
    elif row.status == "reserve" and row.reserve_expiry:
        paras.append("You met the standard required. You have been placed on a reserve list until "
                     f"{row.reserve_expiry.strftime('%d %B %Y').lstrip('0')}, and may be offered a post "
                     "if one becomes available.")
    elif row.status == "not_appointed":
        paras.append("You met the standard required, but on this occasion we are unable to offer you the post.")
    else:
        paras.append("You met the standard required for the role.")
    paras.append("Thank you again for your interest in this role.")
    return "\n\n".join(paras) + "\n"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def save_feedback(session: Session, candidate_id: int, text: str, actor: str) -> None:
    """Store the (edited) feedback for export; empty text goes back to the draft."""
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no candidate with id {candidate_id}")
    outcome = session.exec(select(Outcome).where(Outcome.candidate_id == candidate_id)).first()
    outcome = outcome or Outcome(candidate_id=candidate_id)
    text = (text or "").strip()
    old = outcome.feedback
    if old == text:
        return
    outcome.feedback = text + ("\n" if text else "")
    if old == outcome.feedback:
        return
    outcome.updated_at = utcnow()
    session.add(outcome)
    session.flush()
    record(session, action="feedback", entity="outcome", entity_id=outcome.id, campaign_id=candidate.campaign_id,
           actor=actor, old=old, new=outcome.feedback)
    session.commit()


def feedback_text(session: Session, candidate_id: int) -> str:
    """The feedback to send: the saved text if any, else the draft."""
    saved = session.exec(select(Outcome.feedback).where(Outcome.candidate_id == candidate_id)).first()
    return saved if saved and saved.strip() else feedback_draft(session, candidate_id)


# --- results export ---------------------------------------------------------------


def results_document(session: Session, campaign_id: int) -> dict:
    """The campaign's results in the documented export shape (every member's scores, consensus, rank)."""
    from db.campaigns import get_campaign
    from db.consolidation import load_grid
    from db.outcomes import merit_list

    campaign = get_campaign(session, campaign_id)
    grid = load_grid(session, campaign_id, None)
    merit = {r.candidate_id: r for r in merit_list(session, campaign_id).rows}
    members = {m.id: m.name for m in grid.members}
    candidates = []
    for row in grid.rows:
        m = merit[row.candidate_id]
        candidates.append({
            "ref": row.ref,
            "items": {
                item.name: {
                    "scores": {members[mid]: score for mid, score in cell.scores.items()},
                    "consensus": cell.consensus,
                }
                for item, cell in zip(grid.items, row.cells)
            },
            "total": row.total,
            "provisional": row.provisional,
            "passed": row.passed,
            "rank": m.rank,
            "reserve_until": m.reserve_expiry.isoformat() if m.status == "reserve" and m.reserve_expiry else None,
        })
    return {"campaign": campaign.key, "candidates": candidates}


def results_csv(session: Session, campaign_id: int) -> str:
    """The same results flattened: one row per candidate x item x member (consensus as member "consensus")."""
    import csv
    import io

    doc = results_document(session, campaign_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["candidate_ref", "item", "member", "score", "total", "provisional", "passed", "rank", "reserve_until"])
    for c in doc["candidates"]:
        passed = "" if c["passed"] is None else str(c["passed"]).lower()
        tail = [_score_text(c["total"]), str(c["provisional"]).lower(), passed, c["rank"] or "", c["reserve_until"] or ""]
        for item, body in c["items"].items():
            for member, score in body["scores"].items():
                writer.writerow([_safe(c["ref"]), _safe(item), _safe(member), _score_text(score), *tail])
            if body["consensus"] is not None:
                writer.writerow([_safe(c["ref"]), _safe(item), "consensus", _score_text(body["consensus"]), *tail])
    return out.getvalue()


def _score_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
