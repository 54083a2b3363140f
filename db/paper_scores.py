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

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db import scales
from db.audit import record
from db.campaigns import current_member, get_campaign
from db.changes import lock_campaign
from db.retention import refuse_purged
from db.errors import ValidationError
from db.models import Assessment, Campaign, CampaignItem, Candidate, ItemEvidence, PanelMember, utcnow
from db.specs.paper import COLUMNS, MAX_BYTES, MAX_ROWS, check_row

CHUNK = 900


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
    """
    campaign = get_campaign(session, campaign_key)
    if not actor and (user := current_member(session, campaign.id)) is not None:  # type: ignore[arg-type]
        actor = user.name
    text = _text(data, source)
    lookup = _Lookup(session, campaign)
    rows, errors = _read_rows(text, source, lookup)

    # From here on one write transaction: what is held is read under the lock, so a
    # concurrent import waits and then sees this one's rows (no duplicate assessments).
    lock_campaign(session, campaign.id)  # type: ignore[arg-type]
    # Scores already held on submitted assessments may not be changed by paper.
    held = _held(session, {r.candidate.id for r in rows})  # type: ignore[misc]
    for r in rows:
        assessment, evidence = held.get((r.candidate.id, r.member.id), (None, {}))  # type: ignore[index]
        if assessment is not None and assessment.submitted_at is not None:
            ev = evidence.get(r.item.id)
            held_score = ev.score if ev is not None else None
            if held_score is None or float(held_score) != r.score:
                was = f"score {scales.label_for(lookup.scale(r.item), held_score)}" if held_score is not None else "no score"
                errors.append(
                    (r.line, f"{r.member.name} has already submitted {r.candidate.ref} with {was} for {r.item.name}")
                )
    if errors:
        session.rollback()
        raise ValidationError(_bad_rows(source, sorted(errors)))
    # A purged candidate's record stays gone: no score may be written back onto it.
    try:
        refuse_purged(session, (r.candidate.id for r in rows), "given scores")  # type: ignore[misc]
    except ValidationError:
        session.rollback()
        raise

    # Write: one transaction.
    now = utcnow()
    unchanged = 0
    written: list[tuple[_Row, ItemEvidence, float | None]] = []  # (row, evidence, old score)
    try:
        # New assessments in one flush (not one per candidate and member): the lock is held briefly.
        fresh = {}
        for r in rows:
            key = (r.candidate.id, r.member.id)
            if held.get(key, (None, {}))[0] is None and key not in fresh:
                fresh[key] = Assessment(candidate_id=r.candidate.id, member_id=r.member.id, updated_at=now)  # type: ignore[arg-type]
        if fresh:
            session.add_all(fresh.values())
            session.flush()
            for key, assessment in fresh.items():
                held[key] = (assessment, held.get(key, (None, {}))[1])  # type: ignore[index]
        for r in rows:
            key = (r.candidate.id, r.member.id)
            assessment, evidence = held[key]  # type: ignore[index]
            assert assessment is not None
            if assessment.submitted_at is not None:
                unchanged += 1  # same score already submitted (checked above)
                continue
            ev = evidence.get(r.item.id)
            if ev is None:
                ev = ItemEvidence(assessment_id=assessment.id, item_id=r.item.id, notes="", star="", score=None)  # type: ignore[arg-type]
                evidence[r.item.id] = ev  # type: ignore[index]
            notes = ev.notes
            if r.evidence and r.evidence not in notes:
                notes = f"{notes.rstrip()}\n\n{r.evidence}" if notes.strip() else r.evidence
            if ev.id is not None and ev.score is not None and float(ev.score) == r.score and notes == ev.notes:
                unchanged += 1
                continue
            written.append((r, ev, None if ev.score is None else float(ev.score)))
            ev.notes, ev.score, ev.updated_at = notes, r.score, now
            session.add(ev)
            assessment.updated_at = now
            session.add(assessment)
        session.flush()  # evidence ids for the audit rows
        for r, ev, old in written:
            scale = lookup.scale(r.item)
            record(
                session, action="paper score", entity="evidence.score", entity_id=ev.id, campaign_id=campaign.id,
                actor=actor, old="" if old is None else scales.label_for(scale, old), new=scales.label_for(scale, r.score),
                reason=f"{source} line {r.line}: {r.candidate.ref}, {r.item.name}, {r.member.name}",
            )
        submitted = 0
        if submit:
            submitted = _submit_complete(session, campaign.id, held, now, actor)  # type: ignore[arg-type]
        if written or submitted:
            record(
                session, action="import", entity="paper-scores", campaign_id=campaign.id, actor=actor,
                new=f"{len(rows) - unchanged} scores", reason=source,
            )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationError(f"{source}: another import wrote these scores meanwhile; nothing imported, try again") from None
    except BaseException:
        session.rollback()
        raise
    return PaperImport(source=source, campaign_key=campaign.key, scores=len(rows), unchanged=unchanged, submitted=submitted)


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


def _held(
    session: Session, candidate_ids: set[int]
) -> dict[tuple[int, int], tuple[Assessment | None, dict[int, ItemEvidence]]]:
    """Assessments (and their evidence by item) already held for these candidates."""
    out: dict[tuple[int, int], tuple[Assessment | None, dict[int, ItemEvidence]]] = {}
    ids = sorted(candidate_ids)
    by_id: dict[int, dict[int, ItemEvidence]] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        for a in session.exec(select(Assessment).where(col(Assessment.candidate_id).in_(chunk))).all():
            out[(a.candidate_id, a.member_id)] = (a, by_id.setdefault(a.id, {}))  # type: ignore[arg-type]
        for ev in session.exec(
            select(ItemEvidence)
            .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
            .where(col(Assessment.candidate_id).in_(chunk))
        ).all():
            by_id.setdefault(ev.assessment_id, {})[ev.item_id] = ev
    return out


def _submit_complete(session: Session, campaign_id: int, held: dict, now, actor: str) -> int:
    item_ids = set(session.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == campaign_id)).all())
    n = 0
    for assessment, evidence in held.values():
        if assessment is None or assessment.submitted_at is not None:
            continue
        if all(evidence.get(i) is not None and evidence[i].score is not None for i in item_ids):
            assessment.submitted_at = now
            assessment.updated_at = now
            session.add(assessment)
            record(
                session, action="submit", entity="assessment", entity_id=assessment.id, campaign_id=campaign_id,
                actor=actor, reason="paper scores",
            )
            n += 1
    return n


def _bad_rows(source: str, errors: list[tuple[int, str]]) -> str:
    n = len(errors)
    lines = [f"{source}: {n} bad row{'s' if n != 1 else ''}; nothing imported"]
    lines += [f"line {line}: {reason}" for line, reason in errors]
    return "\n".join(lines)
