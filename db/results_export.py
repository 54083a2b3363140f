"""The results export: every member's scores, the consensus, total, rank and reserve date per candidate.

One shape (README: results export), two renderings: ``results_document`` (a dict; the CSV is
flattened from it) and ``results_json`` (the same document as JSON text, one candidate per line).
At 20,000 candidates x 6 items x 3 members the JSON is written straight from the reads (names
and refs encoded once, numbers as the json module writes them) instead of building 140,000 dicts
and encoding them again. A test checks both renderings parse to the same.

The export runs in a process of its own, so it works its results out without the merit list's
cache (db.results) or rows (db.outcomes.merit_ranks): scores read a row per assessment, each kind
of cell scored by the same rules (db.results.cell_score) and written once. Tests check every
figure against merit_list and the shared reads (tests/test_results_export_reads.py).

Stored refs and names pass ``clean_line`` on the way out, so the JSON holds no control or bidi
character and no escape sequence (json escapes what remains of C0 anyway).
"""

from __future__ import annotations

import csv
import io
import json
from json.encoder import encode_basestring
from itertools import groupby, islice
from operator import itemgetter
from typing import Iterator, NamedTuple

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db import queries, rules
from db.cache import gc_paused
from db.campaigns import get_campaign
from db.models import Assessment, Candidate, Consensus, ItemEvidence
from db.outcomes import merit_ranks
from db.results import CampaignResults, all_submitted, cell_score, item_rules
from db.text import MARKING, clean_line, spreadsheet_safe
from db.vocabulary import OutcomeStatus, score_text

__all__ = ["results_document", "results_json", "results_csv"]

# Items per score read (one join each): a campaign with more is read a score per row instead.
_PIVOT_ITEMS = 16


class _Cell(NamedTuple):
    """One candidate's item: what the export writes of it, and its score by the rules."""

    scores: tuple[tuple[int, float], ...]  # (member id, score), in member order
    consensus: float | None
    score: rules.ItemScore | None  # results.cell_score
    text: str  # as JSON (results_json); "" when two names are alike (see results_json)


class _Row(NamedTuple):
    candidate_id: int
    ref: str
    result: rules.CandidateResult
    cells: tuple[_Cell, ...]  # in item order


class _Reads(NamedTuple):
    key: str
    items: list[tuple[int, str]]  # (id, name) in campaign order
    members: dict[int, str]  # id -> name
    rows: list[_Row]  # in ref order
    ranks: dict[int, int]  # the merit list's ranks
    outcomes: dict[int, queries.OutcomeRow]  # reserve dates

    @property
    def names_alike(self) -> bool:
        """Two item or member names the same once cleaned: a dict keeps only one of them."""
        names = [n for _, n in self.items]
        return len(set(names)) < len(names) or len(set(self.members.values())) < len(self.members)


def _reads(session: Session, campaign_id: int) -> _Reads:
    """Everything the export shows, each column read once, and each candidate's result by the merit
    list's rules (db.results.campaign_results) and rank (db.outcomes.merit_ranks), without the
    merit list's cache or rows: the export runs in a process of its own.

    The scores come a row per assessment (a column per item) and each kind of cell (item, members'
    scores, consensus) is scored and written once: 120,000 cells at 20,000 candidates have a few
    hundred kinds on a 1-7 scale.
    """
    campaign = get_campaign(session, campaign_id)
    items = queries.items(session, campaign_id, campaign.scale)
    try:
        lead_key = rules.lead_item_key(item_rules(items))
    except ValueError as exc:
        from db.errors import ValidationError

        raise ValidationError(str(exc)) from None
    item_ids = [i.id for i in items]
    members = {m.id: clean_line(m.name) for m in queries.members(session, campaign_id)}
    names = [(i.id, clean_line(i.name)) for i in items]
    reads = _Reads(clean_line(campaign.key), names, members, [], {}, {})
    alike = reads.names_alike
    heads = [encode_basestring(name) + ': {"scores": {' for _, name in names]
    keys = {mid: encode_basestring(name) + ": " for mid, name in members.items()}
    by_candidate = _score_rows(session, campaign_id, item_ids)
    agreed = _consensus_rows(session, campaign_id, item_ids)
    method, min_total = campaign.scoring_method, campaign.min_total
    # rules.item_score reads all_submitted only for the mean: the consensus method skips the read.
    submitted = all_submitted(session, campaign_id) if method != "consensus" else {}
    rules_for_items = item_rules(items)
    nothing = (None,) * len(items)
    known: dict[tuple, _Cell] = {}
    results: dict[int, rules.CandidateResult] = {}
    candidates = queries.candidates(session, campaign_id, True)
    for c in candidates:
        cid = c.id
        rows = by_candidate.get(cid)
        member_ids, columns = (rows[0], rows[1:]) if rows else ((), [()] * len(items))
        done = submitted.get(cid, False)
        cells = []
        item_scores: dict[str, rules.ItemScore] = {}
        for k, column, consensus in zip(range(len(items)), columns, agreed.get(cid, nothing)):
            key = (k, consensus, done, member_ids, column)
            cell = known.get(key)
            if cell is None:
                scored = tuple((m, float(s)) for m, s in zip(member_ids, column) if s is not None)
                agreed_score = None if consensus is None else float(consensus)
                text = "" if alike else _cell_text(heads[k], keys, scored, agreed_score)
                score = cell_score(tuple(s for _, s in scored), agreed_score, method, done)
                cell = known[key] = _Cell(scored, agreed_score, score, text)
            cells.append(cell)
            if cell.score is not None:
                item_scores[items[k].name] = cell.score
        result = results[cid] = rules.candidate_result(cid, rules_for_items, item_scores, min_total)
        # Every character clean_line drops is unprintable (controls, bidi marks): a printable ref is kept as it is.
        ref = c.ref if c.ref.isprintable() else clean_line(c.ref)
        reads.rows.append(_Row(cid, ref, result, tuple(cells)))
    res = CampaignResults(
        campaign_id=campaign_id, title=campaign.title, scoring_method=method, min_total=min_total,
        anonymised=campaign.anonymised, decision_date=campaign.decision_date, items=items, lead_key=lead_key,
        candidates=candidates, results=results,
    )
    ranks, outcomes = merit_ranks(session, res)
    return reads._replace(ranks=ranks, outcomes=outcomes)


def _score_rows(session: Session, campaign_id: int, item_ids: list[int]) -> dict[int, list[tuple]]:
    """candidate id -> [member ids, then for each item the members' scores] (None: not scored):
    queries.member_scores's values, read a row per assessment (one score column per item), a third
    of the rows (and of their cost) of a row per score.

    Each item's score is an outer join on the covering index (assessment, item, score): ``item_id
    BETWEEN i AND i`` rather than ``=``, because with ``=`` SQLite takes the unique (assessment,
    item) index instead and opens every evidence row, notes and all (twice the time).
    """
    if len(item_ids) > _PIVOT_ITEMS:
        rows = _rows_from(queries.member_scores(session, campaign_id), item_ids)
    else:
        evidence = [aliased(ItemEvidence) for _ in item_ids]
        stmt = select(Assessment.candidate_id, Assessment.member_id, *[e.score for e in evidence]).join(
            Candidate, col(Candidate.id) == Assessment.candidate_id)
        for e, item_id in zip(evidence, item_ids):
            stmt = stmt.outerjoin(e, and_(col(e.assessment_id) == Assessment.id, col(e.item_id).between(item_id, item_id)))
        # Candidate, then member (index order, no sort): each item's scores in member order.
        rows = queries.fetch(session, stmt.where(Candidate.campaign_id == campaign_id)
                             .order_by(Candidate.id, Assessment.member_id))
    out: dict[int, list[tuple]] = {}
    for cid, group in groupby(rows, itemgetter(0)):
        out[cid] = list(zip(*group))[1:]  # columns: member ids, then each item's scores
    return out


def _rows_from(scores: dict[int, dict[int, dict[int, float]]], item_ids: list[int]) -> list[tuple]:
    """queries.member_scores as _score_rows reads them (a campaign with many items)."""
    rows = []
    for cid in sorted(scores):
        per_item = scores[cid]
        for mid in sorted({m for cell in per_item.values() for m in cell}):
            rows.append((cid, mid, *[per_item.get(i, {}).get(mid) for i in item_ids]))
    return rows


def _consensus_rows(session: Session, campaign_id: int, item_ids: list[int]) -> dict[int, tuple[float | None, ...]]:
    """candidate id -> each item's consensus (None: none yet), read a row per candidate (a column per item)."""
    if len(item_ids) > _PIVOT_ITEMS:
        agreed = queries.consensus_scores(session, campaign_id)
        return {cid: tuple(per_item.get(i) for i in item_ids) for cid, per_item in agreed.items()}
    consensus = [aliased(Consensus) for _ in item_ids]
    stmt = select(Candidate.id, *[k.score for k in consensus])
    for k, item_id in zip(consensus, item_ids):
        stmt = stmt.outerjoin(k, and_(col(k.candidate_id) == Candidate.id, col(k.item_id) == item_id))
    return {cid: tuple(values) for cid, *values in queries.fetch(session, stmt.where(Candidate.campaign_id == campaign_id))}


def _cell_text(head: str, keys: dict[int, str], scored: tuple[tuple[int, float], ...], consensus: float | None) -> str:
    inner = ", ".join([keys[mid] + _number(s) for mid, s in scored])
    return f'{head}{inner}}}, "consensus": {"null" if consensus is None else _number(consensus)}}}'


def _reserve_until(reads: _Reads, cand_id: int) -> str | None:
    o = reads.outcomes.get(cand_id)
    return o.reserve_expiry.isoformat() if o and o.status == OutcomeStatus.RESERVE and o.reserve_expiry else None


def _candidate(reads: _Reads, row: _Row) -> dict:
    members, r = reads.members, row.result
    return {
        "ref": row.ref,
        "items": {
            name: {"scores": {members[m]: s for m, s in cell.scores}, "consensus": cell.consensus}
            for (_, name), cell in zip(reads.items, row.cells)
        },
        "total": None if r.total is None else round(r.total, 2),
        "provisional": r.provisional,
        "passed": r.passed,
        "rank": reads.ranks.get(row.candidate_id),
        "reserve_until": _reserve_until(reads, row.candidate_id),
    }


def results_document(session: Session, campaign_id: int) -> dict:
    """The campaign's results in the documented export shape (every member's scores, consensus, rank).

    Totals are rounded to two decimals (a mean of 4, 5 and 5 gives 4.67, not 4.666666666666667);
    scores and consensus are points on the scale, given as they are.
    Built by the merit list's rules from two score reads: no grid (spread, divergence) is computed.
    """
    with gc_paused():  # ~20,000 candidates' small dicts, none in a cycle
        reads = _reads(session, campaign_id)
        return {"campaign": reads.key, "candidates": [_candidate(reads, row) for row in reads.rows]}


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
        if reads.names_alike:  # a dict keeps one of them, as results_document does
            lines = [_encode(_candidate(reads, row)) for row in reads.rows]
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
    """Each candidate's line, from the cells' text (_reads writes each kind of cell once)."""
    literal, number, ranks = _LITERAL, _number, reads.ranks
    for row in reads.rows:
        m, rank = row.result, ranks.get(row.candidate_id)
        total = "null" if m.total is None else number(round(m.total, 2))
        until = _reserve_until(reads, row.candidate_id)
        yield (
            f'{{"ref": {encode_basestring(row.ref)}, "items": {{{", ".join([c.text for c in row.cells])}}}, '
            f'"total": {total}, "provisional": {literal[m.provisional]}, "passed": {literal[m.passed]}, '
            f'"rank": {"null" if rank is None else int.__repr__(rank)}, '
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
