"""Reports: the merit list as CSV and text, the results export; and, re-exported for the screens,
the assessment record (``db.record``) and feedback (``db.feedback``).

Everything is built from the consolidation and outcome services, so a report
always shows what the screens show.
"""

from __future__ import annotations

import csv
import io
import json

from sqlmodel import Session

from db import queries
from db.campaigns import get_campaign
from db.feedback import feedback_document, feedback_draft, feedback_text, save_feedback
from db.outcomes import merit_list
from db.record import assessment_record_markdown, assessment_record_pdf, audit_history, latin1, result_text
from db.cache import gc_paused
from db.results import prime
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


# --- results export ---------------------------------------------------------------


def results_document(session: Session, campaign_id: int) -> dict:
    """The campaign's results in the documented export shape (every member's scores, consensus, rank).

    Totals are rounded to two decimals (a mean of 4, 5 and 5 gives 4.67, not 4.666666666666667);
    scores and consensus are points on the scale, given as they are.
    Built from the merit list and two column reads: no grid (spread, divergence) is computed.
    """
    with gc_paused():  # ~20,000 candidates' small dicts, none in a cycle
        campaign = get_campaign(session, campaign_id)
        # Fingerprints before the reads (see db.results.prime); each column read once for both uses.
        fingerprint = queries.assessment_fingerprint(session, campaign_id)
        _, latest = queries.consensus_totals(session, campaign_id)
        scores = queries.member_scores(session, campaign_id)
        agreed = queries.consensus_scores(session, campaign_id)
        prime(session, campaign_id, fingerprint, scores, (agreed, latest))  # the merit list reads neither again
        merit = {r.candidate_id: r for r in merit_list(session, campaign_id).rows}
        items = [(i.id, i.name) for i in queries.items(session, campaign_id, campaign.scale)]
        members = {m.id: m.name for m in queries.members(session, campaign_id)}
        empty: dict = {}
        reserve = OutcomeStatus.RESERVE
        candidates = []
        for c in queries.candidates(session, campaign_id, True):
            m = merit[c.id]
            by_item, consensus = scores.get(c.id, empty), agreed.get(c.id, empty)
            cells = {}
            for item_id, name in items:
                scored = by_item.get(item_id)
                cells[name] = {
                    "scores": {members[mid]: score for mid, score in scored.items()} if scored else {},
                    "consensus": consensus.get(item_id),
                }
            candidates.append({
                "ref": c.ref,
                "items": cells,
                "total": None if m.total is None else round(m.total, 2),
                "provisional": m.provisional,
                "passed": m.passed,
                "rank": m.rank,
                "reserve_until": m.reserve_expiry.isoformat() if m.status == reserve and m.reserve_expiry else None,
            })
        return {"campaign": campaign.key, "candidates": candidates}


_encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: json.dumps(..., ensure_ascii=False) makes one per call


def results_json(document: dict) -> str:
    """The results document as JSON: one candidate per line, each written by the C encoder.

    ``json.dumps(indent=2)`` falls back to the pure-Python encoder (about 3x slower for
    20,000 candidates); this stays readable and diff-friendly, and is the same JSON.
    """
    head = _encode({k: v for k, v in document.items() if k != "candidates"})[:-1]
    lines = list(map(_encode, document["candidates"]))
    body = ",\n  ".join(lines)
    return f'{head}, "candidates": [\n  {body}\n]}}\n' if lines else f'{head}, "candidates": []}}\n'


def results_csv(session: Session, campaign_id: int) -> str:
    """The same results flattened: one row per candidate x item x member (consensus as member "consensus");
    the last row is the protective marking."""
    doc = results_document(session, campaign_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["candidate_ref", "item", "member", "score", "total", "provisional", "passed", "rank", "reserve_until"])
    for c in doc["candidates"]:
        passed = "" if c["passed"] is None else str(c["passed"]).lower()
        tail = [score_text(c["total"]), str(c["provisional"]).lower(), passed, c["rank"] or "", c["reserve_until"] or ""]
        for item, body in c["items"].items():
            head = [spreadsheet_safe(c["ref"]), spreadsheet_safe(item)]
            for member, score in body["scores"].items():
                writer.writerow([*head, spreadsheet_safe(member), score_text(score), *tail])
            if body["consensus"] is not None:
                writer.writerow([*head, "consensus", score_text(body["consensus"]), *tail])
    writer.writerow([MARKING])
    return out.getvalue()

