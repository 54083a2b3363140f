"""Reports: the merit list as CSV and text; and, re-exported, the results export (``db.results_export``),
the assessment record (``db.record``) and feedback (``db.feedback``) for the screens.

Everything is built from the consolidation and outcome services, so a report
always shows what the screens show.
"""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from db.feedback import feedback_document, feedback_draft, feedback_text, save_feedback
from db.outcomes import merit_list
from db.record import assessment_record_markdown, assessment_record_pdf, audit_history, latin1, result_text
from db.results_export import results_csv, results_document, results_json
from db.text import MARKING, spreadsheet_safe
from db.vocabulary import OutcomeStatus, score_text, short_name

__all__ = [
    "merit_list_csv",
    "merit_list_text",
    "results_document",
    "results_csv",
    "results_json",
    # re-exported: the outcomes, feedback and audit-history screens read them here
    "assessment_record_markdown",
    "assessment_record_pdf",
    "audit_history",
    "latin1",
    "result_text",
    "feedback_draft",
    "feedback_text",
    "feedback_document",
    "save_feedback",
]


# --- the merit list as CSV and text ------------------------------------------------------


def merit_list_csv(session: Session, campaign_id: int) -> str:
    """rank,candidate_ref,name,total,<one column per item>,passed,provisional,status,reserve_expiry,tie_reason;
    the header stays in row 1 and the last row is the protective marking."""
    merit = merit_list(session, campaign_id)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["rank", "candidate_ref", "name", "total", *merit.items, "passed", "provisional", "status",
                     "reserve_expiry", "tie_reason"])
    for r in merit.rows:
        writer.writerow([
            "" if r.rank is None else r.rank,
            spreadsheet_safe(r.ref),
            spreadsheet_safe(r.name),
            score_text(r.total),
            *(score_text(v) for v in r.item_values),
            "" if r.passed is None else ("yes" if r.passed else "no"),
            "yes" if r.provisional else "no",
            r.status,
            r.reserve_expiry.isoformat() if r.status == OutcomeStatus.RESERVE and r.reserve_expiry else "",
            spreadsheet_safe(r.tie_reason),
        ])
    writer.writerow([MARKING])
    return buf.getvalue()


def merit_list_text(session: Session, campaign_id: int) -> str:
    """The merit list as a plain-text table (the CLI prints this)."""
    merit = merit_list(session, campaign_id)
    head = ["Rank", "Candidate", "Total", *(short_name(n) for n in merit.items), "Result", "Status"]
    rows = [head]
    for r in merit.rows:
        rank = "-" if r.rank is None else f"{r.rank}{'=' if r.tied else ''}"
        result = r.result.label + (" (prov.)" if r.provisional else "")
        status = OutcomeStatus.label_of(r.status)
        if r.status == OutcomeStatus.RESERVE and r.reserve_expiry:
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
