"""Paper score sheets: import a CSV of scores typed up from paper, all-or-nothing.

Columns (header required, any order, extra columns ignored)::

    candidate_ref,item,member,score,evidence

``item`` is matched by name and ``member`` by name, case-insensitively;
``score`` is a value or a label on the item's scale (``4``, ``B/C``);
``evidence`` is appended to that member's notes for the item. Every row is
checked before anything is written, and every bad row is reported by line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db import scales
from db.audit import note_written, prepare_many, record, record_many
from db.campaigns import current_member, get_campaign
from db.changes import lock_campaign
from db.retention import refuse_purged
from db.errors import ValidationError
from db.exchange.common import bulk_insert_plain
from db.models import Assessment, Campaign, CampaignItem, Candidate, ItemEvidence, PanelMember, utcnow
from db.queries import chunks
from db.specs.paper import COLUMNS, MAX_BYTES, MAX_ROWS, check_row

_WRITE_ROWS = 5_000  # rows per bulk statement


@dataclass(frozen=True)
class PaperImport:
    source: str
    campaign_key: str
    scores: int  # good rows
    unchanged: int  # rows whose score and evidence were already held
    submitted: int  # assessments marked submitted (with submit=True)

    @property
    def summary(self) -> str:
        text = f"imported {self.scores} scores"
        extras = []
        if self.unchanged:
            extras.append(f"{self.unchanged} already held")
        if self.submitted:
            extras.append(f"{self.submitted} assessments submitted")
        return text + (f" ({', '.join(extras)})" if extras else "")


@dataclass
class _Row:
    line: int
    candidate: Candidate
    item: CampaignItem
    member: PanelMember
    score: float
    evidence: str


def import_paper_scores(
    session: Session,
    campaign_key: str,
    data: str | bytes,
    *,
    source: str = "scores.csv",
    submit: bool = False,
    actor: str = "",
) -> PaperImport:
    """Import paper scores for a campaign; raise ValidationError listing every bad row, changing nothing.

    With ``submit``, each assessment the file touches that then has a score for
    every item is marked submitted. Every score written is audited with its old and new value.

    Everything is read, checked and planned before the write lock is taken; then one short
    transaction takes it, checks that what was planned against is unchanged (else plans again,
    now under the lock, so a concurrent identical import finds its rows and adds none), and
    writes in bulk statements: assessments, evidence, and the audit entries, chained.
    """
    campaign = get_campaign(session, campaign_key)
    cid: int = campaign.id  # type: ignore[assignment]
    if not actor and (user := current_member(session, cid)) is not None:
        actor = user.name
    text = _text(data, source)
    lookup = _Lookup(session, campaign)
    rows, errors = _read_rows(text, source, lookup)
    candidate_ids = sorted({r.candidate.id for r in rows})
    try:
        stamp = _stamp(session, candidate_ids)
        plan = _plan(session, rows, errors, lookup, source, submit)
        audit = _audit_entries(cid, plan, lookup, actor, source)  # hashed now, chained under the lock
        # The write transaction: the lock first, then what the plan was made against is checked.
        lock_campaign(session, cid)
        if _stamp(session, candidate_ids) != stamp:  # another writer changed these candidates meanwhile
            plan = _plan(session, rows, errors, lookup, source, submit)
            audit = _audit_entries(cid, plan, lookup, actor, source)
        if plan.errors:
            raise ValidationError(_bad_rows(source, sorted(plan.errors)))
        # A purged candidate's record stays gone: no score may be written back onto it.
        refuse_purged(session, candidate_ids, "given scores")
        submitted = _write(session, cid, plan, audit, actor, source)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationError(f"{source}: another import wrote these scores meanwhile; nothing imported, try again") from None
    except BaseException:
        session.rollback()
        raise
    return PaperImport(source=source, campaign_key=campaign.key, scores=len(rows), unchanged=plan.unchanged,
                       submitted=submitted)


@dataclass
class _Plan:
    errors: list[tuple[int, str]]
    new_assessments: list[tuple[int, int]]  # (candidate id, member id)
    evidence: list[tuple[_Row, int | None, str, float | None]]  # (row, evidence id or None, new notes, old score)
    complete: list[tuple[int, int]]  # (candidate id, member id) of assessments to mark submitted
    unchanged: int = 0


def _stamp(session: Session, candidate_ids: list[int]) -> list:
    """Moves when these candidates' assessments change (every evidence writer bumps updated_at)."""
    out = []
    for chunk in chunks(candidate_ids):
        out.append(tuple(session.exec(
            select(func.count(Assessment.id), func.sum(Assessment.id), func.count(Assessment.submitted_at),
                   func.max(Assessment.updated_at)).where(col(Assessment.candidate_id).in_(chunk))
        ).one()))
    return out


def _plan(session: Session, rows: list[_Row], errors: list[tuple[int, str]], lookup: _Lookup, source: str,
          submit: bool) -> _Plan:
    """What the rows change, against what is held now; rows that may not be written become errors."""
    plan = _Plan(errors=list(errors), new_assessments=[], evidence=[], complete=[])
    held = _held(session, {r.candidate.id for r in rows})
    for r in rows:
        key = (r.candidate.id, r.member.id)
        assessment = held.get(key)
        if assessment is None:
            held[key] = assessment = _Held(None, None, {})
            plan.new_assessments.append(key)
        ev = assessment.evidence.get(r.item.id)
        held_score = ev[2] if ev is not None else None
        if assessment.submitted_at is not None:
            # Scores already held on submitted assessments may not be changed by paper.
            if held_score is None or held_score != r.score:
                was = f"score {scales.label_for(lookup.scale(r.item), held_score)}" if held_score is not None else "no score"
                plan.errors.append(
                    (r.line, f"{r.member.name} has already submitted {r.candidate.ref} with {was} for {r.item.name}")
                )
            else:
                plan.unchanged += 1  # same score already submitted
            continue
        notes = ev[1] if ev is not None else ""
        new_notes = notes
        if r.evidence and r.evidence not in notes:
            new_notes = f"{notes.rstrip()}\n\n{r.evidence}" if notes.strip() else r.evidence
        if ev is not None and held_score == r.score and new_notes == notes:
            plan.unchanged += 1
            continue
        plan.evidence.append((r, ev[0] if ev is not None else None, new_notes, held_score))
        assessment.evidence[r.item.id] = (ev[0] if ev is not None else None, new_notes, r.score)
    if submit:
        item_ids = [i.id for i in lookup.items.values()]
        touched = {(r.candidate.id, r.member.id) for r in rows}
        plan.complete = [
            key for key in sorted(touched)
            if held[key].submitted_at is None
            and all(held[key].evidence.get(i) is not None and held[key].evidence[i][2] is not None for i in item_ids)
        ]
    return plan


def _audit_entries(campaign_id: int, plan: _Plan, lookup: _Lookup, actor: str, source: str) -> list[tuple]:
    """The plan's audit entries, prepared before the lock (new evidence gets its id when written)."""
    labels: dict[tuple[int, float], str] = {}

    def label(item: CampaignItem, value: float | None) -> str:
        if value is None:
            return ""
        key = (item.id, value)
        if key not in labels:
            labels[key] = scales.label_for(lookup.scale(item), value)  # type: ignore[index]
        return labels[key]

    return prepare_many(campaign_id, [
        {
            "action": "paper score", "entity": "evidence.score", "entity_id": eid, "actor": actor,
            "old": label(r.item, old), "new": label(r.item, r.score),
            "reason": f"{source} line {r.line}: {r.candidate.ref}, {r.item.name}, {r.member.name}",
        }
        for r, eid, _, old in plan.evidence
    ])


def _write(session: Session, campaign_id: int, plan: _Plan, audit: list[tuple], actor: str, source: str) -> int:
    """The plan's writes, in bulk statements; how many assessments were submitted."""
    if not plan.evidence and not plan.complete:
        return 0
    now = utcnow()
    if plan.new_assessments:
        session.execute(insert(Assessment.__table__), [  # type: ignore[attr-defined]
            {"candidate_id": c, "member_id": m, "updated_at": now} for c, m in plan.new_assessments
        ])
    touched = sorted({(r.candidate.id, r.member.id) for r, *_ in plan.evidence} | set(plan.complete))
    ids: dict[tuple[int, int], int] = {}
    candidates = sorted({c for c, _ in touched})
    for chunk in chunks(candidates):
        for aid, c, m in session.connection().execute(
            select(Assessment.id, Assessment.candidate_id, Assessment.member_id)
            .where(col(Assessment.candidate_id).in_(chunk))
        ).all():
            ids[(c, m)] = aid
    # New evidence straight to the driver: its assessments are bumped below through the session,
    # which notes them for the seal (db.audit) as any write would.
    bulk_insert_plain(session, ItemEvidence, ("assessment_id", "item_id", "notes", "star", "score", "updated_at"), [
        (ids[(r.candidate.id, r.member.id)], r.item.id, notes, "", r.score, now)
        for r, eid, notes, _ in plan.evidence if eid is None
    ])
    changed = [{"id": eid, "notes": notes, "score": r.score, "updated_at": now} for r, eid, notes, _ in plan.evidence if eid is not None]
    for start in range(0, len(changed), _WRITE_ROWS):
        session.execute(update(ItemEvidence), changed[start : start + _WRITE_ROWS])
    # Every assessment touched is bumped (the merit list's cache watches updated_at), the complete
    # ones submitted: a few IN-list UPDATEs on the connection, named to the audit for the seal.
    submitted = [ids[key] for key in plan.complete]
    bumped = sorted({ids[key] for key in touched} - set(submitted))
    conn = session.connection()
    for values, which in (({"updated_at": now, "submitted_at": now}, submitted), ({"updated_at": now}, bumped)):
        for chunk in chunks(which):
            conn.execute(update(Assessment).where(col(Assessment.id).in_(chunk)).values(**values))
    note_written(session, [ids[key] for key in touched])
    # Ids of the evidence just inserted, for its audit entries.
    evidence_ids: dict[tuple[int, int], int] = {}
    wanted = sorted({ids[(r.candidate.id, r.member.id)] for r, eid, *_ in plan.evidence if eid is None})
    for chunk in chunks(wanted):
        for eid, aid, item_id in session.connection().execute(
            select(ItemEvidence.id, ItemEvidence.assessment_id, ItemEvidence.item_id)
            .where(col(ItemEvidence.assessment_id).in_(chunk))
        ).all():
            evidence_ids[(aid, item_id)] = eid
    new_ids = {
        n: evidence_ids[(ids[(r.candidate.id, r.member.id)], r.item.id)]
        for n, (r, eid, _, _) in enumerate(plan.evidence) if eid is None
    }
    record_many(session, campaign_id, audit, new_ids)
    record_many(session, campaign_id, prepare_many(campaign_id, [
        {"action": "submit", "entity": "assessment", "entity_id": ids[key], "actor": actor, "reason": "paper scores"}
        for key in plan.complete
    ]))
    record(session, action="import", entity="paper-scores", campaign_id=campaign_id, actor=actor,
           new=f"{len(plan.evidence)} scores", reason=source)
    return len(plan.complete)


def import_paper_scores_xlsx(
    session: Session, campaign_key: str, data: bytes, *, source: str = "scores.xlsx", submit: bool = False,
    actor: str = "",
) -> PaperImport:
    """The same import from an Excel workbook: its data sheet, in the CSV's columns (db.xlsx reads it)."""
    from db.xlsx import xlsx_to_csv

    if len(data) > MAX_BYTES:
        raise ValidationError(f"{source}: file is too large ({len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB)")
    text = xlsx_to_csv(data, source, max_rows=MAX_ROWS)
    return import_paper_scores(session, campaign_key, text, source=source, submit=submit, actor=actor)


def _text(data: str | bytes, source: str) -> str:
    """The sheet as text: size-capped, UTF-8 (with or without a byte-order mark)."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > MAX_BYTES:
        raise ValidationError(f"{source}: file is too large ({size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB)")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(f"{source}: not UTF-8 text (save the sheet as 'CSV UTF-8'); nothing imported") from None
    return data.removeprefix("\ufeff")


class _Lookup:
    """The campaign's candidates, items and members by the names a sheet uses."""

    def __init__(self, session: Session, campaign: Campaign) -> None:
        self.campaign_scale = campaign.scale
        candidates = session.exec(select(Candidate).where(Candidate.campaign_id == campaign.id)).all()
        self.by_ref = {c.ref: c for c in candidates}
        self.by_ref_folded: dict[str, list[Candidate]] = {}
        for c in candidates:
            self.by_ref_folded.setdefault(c.ref.lower(), []).append(c)
        self.items = {
            i.name.lower(): i
            for i in session.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign.id)).all()
        }
        self.members = {
            m.name.lower(): m
            for m in session.exec(select(PanelMember).where(PanelMember.campaign_id == campaign.id)).all()
        }

    def scale(self, item: CampaignItem) -> list[dict[str, Any]]:
        return item.scale or self.campaign_scale

    def candidate(self, ref: str) -> Candidate | None:
        found = self.by_ref.get(ref)
        if found is None and len(self.by_ref_folded.get(ref.lower(), [])) == 1:
            found = self.by_ref_folded[ref.lower()][0]
        return found


def _read_rows(text: str, source: str, lookup: _Lookup) -> tuple[list[_Row], list[tuple[int, str]]]:
    """Every row resolved, and every bad row's line and reasons."""
    errors: list[tuple[int, str]] = []
    rows: list[_Row] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 1
    seen: dict[tuple[int, int, int], int] = {}
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header, header_line = [c.strip().lower() for c in cells], start
                missing = [c for c in COLUMNS if c not in header]
                if missing:
                    raise ValidationError(
                        _bad_rows(source, [(start, ", ".join(f"missing column {c!r}" for c in missing)
                                            + f" (the header needs {','.join(COLUMNS)})")])
                    )
                continue
            if len(rows) + len(errors) >= MAX_ROWS:
                errors.append((start, f"more than {MAX_ROWS} rows; split the sheet"))
                break
            row = _check_row(cells, header, lookup, seen, start)
            if isinstance(row, str):
                errors.append((start, row))
            else:
                rows.append(row)
    except csv.Error as exc:
        errors.append((reader.line_num, f"not valid CSV ({str(exc)[:80]})"))
    if header is None:
        raise ValidationError(_bad_rows(source, [(header_line, f"no header (need {','.join(COLUMNS)})")]))
    return rows, errors


def _check_row(
    cells: list[str], header: list[str], lookup: _Lookup, seen: dict[tuple[int, int, int], int], line: int
) -> _Row | str:
    """The row, resolved; or the reasons it is bad, joined with '; '."""
    reasons: list[str] = []
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        reasons.append(f"{len(cells)} values but the header has {len(header)} columns")
    values, problems = check_row({name: cells[i] if i < len(cells) else None for i, name in enumerate(header)})
    absent = [p for p in problems.values() if p.startswith("missing column")]
    if absent:
        reasons.append(", ".join(absent))
    candidate = item = member = None
    score: float | None = None
    for column in ("candidate_ref", "item", "member", "score", "evidence"):
        if column in problems:
            if not problems[column].startswith("missing column"):
                reasons.append(problems[column])
            continue
        value = values[column]
        if column == "candidate_ref" and (candidate := lookup.candidate(value)) is None:
            reasons.append(f"unknown candidate {value!r}")
        elif column == "item" and (item := lookup.items.get(value.lower())) is None:
            reasons.append(f"unknown item {value!r}")
        elif column == "member" and (member := lookup.members.get(value.lower())) is None:
            reasons.append(f"unknown panel member {value!r}")
        elif column == "score":
            try:
                score = scales.parse_score(lookup.scale(item) if item else lookup.campaign_scale, value)
            except ValidationError as exc:
                reasons.append(str(exc))
    if candidate is not None and item is not None and member is not None:
        key = (candidate.id, item.id, member.id)
        if key in seen:
            reasons.append(f"duplicate of line {seen[key]} (same candidate, item and member)")
        else:
            seen[key] = line  # type: ignore[index]
    if reasons:
        return "; ".join(reasons)
    assert candidate and item and member and score is not None
    return _Row(line=line, candidate=candidate, item=item, member=member, score=score, evidence=values["evidence"])


@dataclass
class _Held:
    id: int | None
    submitted_at: object
    evidence: dict[int, tuple[int | None, str, float | None]]  # item id -> (evidence id, notes, score)


def _held(session: Session, candidate_ids: set[int]) -> dict[tuple[int, int], _Held]:
    """Assessments (and their evidence by item) already held for these candidates: column reads."""
    out: dict[tuple[int, int], _Held] = {}
    by_id: dict[int, _Held] = {}
    ids = sorted(candidate_ids)
    for chunk in chunks(ids):
        for aid, c, m, submitted_at in session.exec(
            select(Assessment.id, Assessment.candidate_id, Assessment.member_id, Assessment.submitted_at)
            .where(col(Assessment.candidate_id).in_(chunk))
        ).all():
            out[(c, m)] = by_id[aid] = _Held(aid, submitted_at, {})  # type: ignore[index]
        for eid, aid, item_id, notes, score in session.exec(
            select(ItemEvidence.id, ItemEvidence.assessment_id, ItemEvidence.item_id, ItemEvidence.notes, ItemEvidence.score)
            .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
            .where(col(Assessment.candidate_id).in_(chunk))
        ).all():
            by_id[aid].evidence[item_id] = (eid, notes, None if score is None else float(score))  # type: ignore[index]
    return out


def _bad_rows(source: str, errors: list[tuple[int, str]]) -> str:
    n = len(errors)
    lines = [f"{source}: {n} bad row{'s' if n != 1 else ''}; nothing imported"]
    lines += [f"line {line}: {reason}" for line, reason in errors]
    return "\n".join(lines)
