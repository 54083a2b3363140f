"""The results export: every member's scores, the consensus, total, rank and reserve date per candidate.

One shape (README: results export), two renderings: ``results_document`` (a dict; the CSV is
flattened from it) and ``results_json`` (the same document as JSON text, one candidate per line).
At 20,000 candidates x 6 items x 3 members the JSON is written straight from the reads (names
and refs encoded once, numbers as the json module writes them) instead of building 140,000 dicts
and encoding them again: under half the time. A test checks both renderings parse to the same.

Stored refs and names pass ``clean_line`` on the way out, so the JSON holds no control or bidi
character and no escape sequence (json escapes what remains of C0 anyway).
"""

from __future__ import annotations

import csv
import io
import json
from json.encoder import encode_basestring
from itertools import islice
from typing import Iterator, NamedTuple

from sqlmodel import Session

from db import queries
from db.cache import gc_paused
from db.campaigns import get_campaign
from db.outcomes import MeritRow, merit_list
from db.results import prime
from db.text import MARKING, clean_line, spreadsheet_safe
from db.vocabulary import OutcomeStatus, score_text

__all__ = ["results_document", "results_json", "results_csv"]


class _Reads(NamedTuple):
    key: str
    items: list[tuple[int, str]]  # (id, name) in campaign order
    members: dict[int, str]  # id -> name
    candidates: list[tuple[int, str]]  # (id, ref) in ref order
    scores: dict[int, dict[int, dict[int, float]]]  # queries.member_scores
    agreed: dict[int, dict[int, float]]  # queries.consensus_scores
    merit: dict[int, MeritRow]


def _reads(session: Session, campaign_id: int) -> _Reads:
    """Everything the export shows, each column read once (the merit list reuses the score reads)."""
    campaign = get_campaign(session, campaign_id)
    # Fingerprints before the reads (see db.results.prime).
    fingerprint = queries.assessment_fingerprint(session, campaign_id)
    _, latest = queries.consensus_totals(session, campaign_id)
    scores = queries.member_scores(session, campaign_id)
    agreed = queries.consensus_scores(session, campaign_id)
    prime(session, campaign_id, fingerprint, scores, (agreed, latest))  # the merit list reads neither again
    merit = {r.candidate_id: r for r in merit_list(session, campaign_id).rows}
    items = [(i.id, clean_line(i.name)) for i in queries.items(session, campaign_id, campaign.scale)]
    members = {m.id: clean_line(m.name) for m in queries.members(session, campaign_id)}
    candidates = [(c.id, clean_line(c.ref)) for c in queries.candidates(session, campaign_id, True)]
    return _Reads(clean_line(campaign.key), items, members, candidates, scores, agreed, merit)


def _reserve_until(m: MeritRow) -> str | None:
    return m.reserve_expiry.isoformat() if m.status == OutcomeStatus.RESERVE and m.reserve_expiry else None


def _candidate(reads: _Reads, cand_id: int, ref: str) -> dict:
    m = reads.merit[cand_id]
    by_item, consensus = reads.scores.get(cand_id, {}), reads.agreed.get(cand_id, {})
    members = reads.members
    cells = {}
    for item_id, name in reads.items:
        scored = by_item.get(item_id)
        cells[name] = {
            "scores": {members[mid]: score for mid, score in scored.items()} if scored else {},
            "consensus": consensus.get(item_id),
        }
    return {
        "ref": ref,
        "items": cells,
        "total": None if m.total is None else round(m.total, 2),
        "provisional": m.provisional,
        "passed": m.passed,
        "rank": m.rank,
        "reserve_until": _reserve_until(m),
    }


def results_document(session: Session, campaign_id: int) -> dict:
    """The campaign's results in the documented export shape (every member's scores, consensus, rank).

    Totals are rounded to two decimals (a mean of 4, 5 and 5 gives 4.67, not 4.666666666666667);
    scores and consensus are points on the scale, given as they are.
    Built from the merit list and two column reads: no grid (spread, divergence) is computed.
    """
    with gc_paused():  # ~20,000 candidates' small dicts, none in a cycle
        reads = _reads(session, campaign_id)
        return {"campaign": reads.key, "candidates": [_candidate(reads, c, ref) for c, ref in reads.candidates]}


# --- JSON -------------------------------------------------------------------------------------

_encode = json.JSONEncoder(ensure_ascii=False).encode  # the rendering results_json matches
_LITERAL = {None: "null", True: "true", False: "false"}


def _number(x: float) -> str:
    """A float as json writes it (repr; NaN and infinities as json spells them)."""
    return float.__repr__(x) if x - x == 0 else _encode(x)


def results_json(session: Session, campaign_id: int) -> Iterator[str]:
    """The results document as JSON text in pieces (one candidate per line): ``"".join`` them, or
    write them as they come. Parses to exactly ``results_document``; the text is what
    ``json.JSONEncoder(ensure_ascii=False)`` writes for each candidate, so it stays diff-friendly.
    """
    with gc_paused():  # the collector would re-scan the reads' ~300,000 containers while lines are made
        reads = _reads(session, campaign_id)
        names = [n for _, n in reads.items]
        if len(set(names)) < len(names) or len(set(reads.members.values())) < len(reads.members):
            # Two names alike once cleaned: a dict keeps one of them, as results_document does.
            lines = [_encode(_candidate(reads, c, ref)) for c, ref in reads.candidates]
        else:
            lines = list(_lines(reads))
    head = f'{{"campaign": {encode_basestring(reads.key)}, "candidates": ['
    if not lines:
        yield head + "]}\n"
        return
    yield head + "\n  "
    yield lines[0]
    for line in islice(lines, 1, None):
        yield ",\n  " + line
    yield "\n]}\n"


def _lines(reads: _Reads) -> Iterator[str]:
    heads = [(item_id, encode_basestring(name) + ': {"scores": {') for item_id, name in reads.items]
    keys = {mid: encode_basestring(name) + ": " for mid, name in reads.members.items()}
    literal, number, merit, empty = _LITERAL, _number, reads.merit, {}
    scores, agreed = reads.scores, reads.agreed
    # A cell's text depends only on its item, scores and consensus: a few hundred kinds on a
    # 1-7 scale, so each is written once (0.0 and -0.0 share one: the same point, the same JSON value).
    written: dict[tuple, str] = {}
    for cand_id, ref in reads.candidates:
        m = merit[cand_id]
        by_item, consensus = scores.get(cand_id, empty), agreed.get(cand_id, empty)
        cells = []
        for item_id, head in heads:
            scored = by_item.get(item_id, empty)
            c = consensus.get(item_id)
            key = (item_id, c, *scored, *scored.values())  # members, then their scores
            cell = written.get(key)
            if cell is None:
                inner = ", ".join([keys[mid] + number(s) for mid, s in scored.items()])
                cell = written[key] = f'{head}{inner}}}, "consensus": {"null" if c is None else number(c)}}}'
            cells.append(cell)
        total = "null" if m.total is None else number(round(m.total, 2))
        until = _reserve_until(m)
        yield (
            f'{{"ref": {encode_basestring(ref)}, "items": {{{", ".join(cells)}}}, "total": {total}, '
            f'"provisional": {literal[m.provisional]}, "passed": {literal[m.passed]}, '
            f'"rank": {"null" if m.rank is None else int.__repr__(m.rank)}, '
            f'"reserve_until": {"null" if until is None else encode_basestring(until)}}}'
        )


# --- CSV --------------------------------------------------------------------------------------


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
