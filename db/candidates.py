"""Candidates: import from CSV, add, edit, today's interviews.

A candidate row holds what the panel needs: a reference, a name and email,
and the reasonable adjustments as *what the panel should do* (extra time,
questions in advance, breaks) -- never the reason for them.

Every write validates first and changes nothing when any value is bad. Text
from people and files is data: escape sequences and control characters are
removed from every value on the way in (db.text).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.audit import record
from db.changes import lock_campaign
from db.errors import NotFound, ValidationError
from db.models import Campaign, Candidate
from db.text import clean_block, clean_line

COLUMNS = ("ref", "name", "email", "adjustments", "disability_confident", "slot")
OPTIONAL_COLUMNS = ("extra_minutes",)
FIELDS = COLUMNS + OPTIONAL_COLUMNS

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
SLOT_RE = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")
EXTRA_TIME_RE = re.compile(r"extra\s+time\s*:?\s*(\d+)\s*(?:min|mins|minutes)\b", re.IGNORECASE)
TRUE_WORDS = ("yes", "true", "1")
FALSE_WORDS = ("no", "false", "0", "")
MAX_EXTRA_MINUTES = 600


# --- validating one candidate's values --------------------------------------


def extra_minutes_from(adjustments: str) -> int | None:
    """The N in "extra time: N minutes" within the adjustments text, if any."""
    m = EXTRA_TIME_RE.search(adjustments or "")
    return int(m.group(1)) if m else None


def parse_slot(value: Any) -> datetime | None:
    """A slot typed as "YYYY-MM-DD HH:MM" in local time (or a datetime); stored aware."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and SLOT_RE.fullmatch(value.strip()):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"slot {value!r} is not a real date and time") from None
    else:
        raise ValueError(f"slot {value!r} is not YYYY-MM-DD HH:MM")
    return dt.astimezone() if dt.tzinfo is None else dt


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"disability_confident {value!r} is not yes/no/true/false/1/0/blank")


def _minutes(value: Any) -> int | None:
    """None for blank; a whole number of minutes 0..600 otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"extra_minutes {value!r} is not a whole number of minutes")
    try:
        n = int(value.strip()) if isinstance(value, str) else int(value)
        if isinstance(value, float) and value != n:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"extra_minutes {value!r} is not a whole number of minutes") from None
    if not 0 <= n <= MAX_EXTRA_MINUTES:
        raise ValueError(f"extra_minutes {n} is not 0-{MAX_EXTRA_MINUTES}")
    return n


def clean_candidate(fields: dict[str, Any], *, partial: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Check and normalise candidate values.

    Returns (clean values, problems). With ``partial`` (an edit) only the given
    fields are checked and returned; otherwise every field is filled in and a
    ref is required. Unknown field names are problems. ``extra_minutes`` left
    out or blank is read from "extra time: N minutes" in the adjustments.
    """
    problems: list[str] = []
    out: dict[str, Any] = {}
    for name in fields:
        if name not in FIELDS:
            problems.append(f"unknown field {name!r} (known: {', '.join(FIELDS)})")
    if "ref" in fields or not partial:
        ref = clean_line(str(fields.get("ref") or "")).strip()
        if not ref:
            problems.append("ref is missing")
        elif len(ref) > 80:
            problems.append(f"ref {ref[:20]!r}... is longer than 80 characters")
        out["ref"] = ref
    for name, clean in (("name", clean_line), ("adjustments", clean_block)):
        if name in fields or not partial:
            v = fields.get(name)
            out[name] = "" if v is None else clean(str(v)).strip()
    if "email" in fields or not partial:
        email = clean_line(str(fields.get("email") or "")).strip()
        if email and not EMAIL_RE.fullmatch(email):
            problems.append(f"email {email!r} is not an email address")
        out["email"] = email
    if "disability_confident" in fields or not partial:
        try:
            out["disability_confident"] = _bool(fields.get("disability_confident"))
        except ValueError as exc:
            problems.append(str(exc))
    if "slot" in fields or not partial:
        try:
            out["slot"] = parse_slot(fields.get("slot"))
        except ValueError as exc:
            problems.append(str(exc))
    if "extra_minutes" in fields or "adjustments" in fields or not partial:
        try:
            minutes = _minutes(fields.get("extra_minutes"))
        except ValueError as exc:
            problems.append(str(exc))
            minutes = 0
        if minutes is None:
            minutes = extra_minutes_from(out.get("adjustments", ""))
        if minutes is not None:
            out["extra_minutes"] = minutes
        elif not partial or "extra_minutes" in fields:
            out["extra_minutes"] = 0
    return out, problems


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign with id {campaign_id}")
    return campaign


def _refs(session: Session, campaign_id: int) -> set[str]:
    return set(session.exec(select(Candidate.ref).where(Candidate.campaign_id == campaign_id)).all())


# --- CSV import ---------------------------------------------------------------


def _column_name(header: str) -> str:
    return re.sub(r"[\s-]+", "_", header.strip().lower())


def import_candidates_csv(session: Session, campaign_id: int, text: str, filename: str, *, actor: str = "") -> int:
    """Add the candidates in a CSV file to a campaign; all-or-nothing. Returns how many.

    Columns (header row required, any order): ref, name, email, adjustments,
    disability_confident, slot, and optionally extra_minutes. Every bad row is
    reported, by line number, in one ValidationError.
    """
    campaign = _campaign(session, campaign_id)
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)
        if header is None:
            raise ValidationError(f"{filename}: empty file; expected a header row ({','.join(COLUMNS)}); nothing imported")
        columns = [_column_name(h) for h in header]
        unknown = [h for h, c in zip(header, columns) if c not in FIELDS]
        if unknown:
            raise ValidationError(
                f"{filename}: unknown column {unknown[0].strip()!r} in the header "
                f"(known: {','.join(FIELDS)}); nothing imported"
            )
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        if dupes:
            raise ValidationError(f"{filename}: column {dupes[0]!r} appears twice in the header; nothing imported")
        if "ref" not in columns:
            raise ValidationError(f"{filename}: the header has no 'ref' column ({','.join(COLUMNS)}); nothing imported")
        # The duplicate check and the insert are one write transaction: a concurrent import waits here.
        lock_campaign(session, campaign_id)
        existing = _refs(session, campaign_id)
        seen: dict[str, int] = {}
        bad: list[str] = []
        clean_rows: list[dict[str, Any]] = []
        last_line = reader.line_num
        for row in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(v.strip() for v in row):
                continue
            if any(v.strip() for v in row[len(columns):]):
                bad.append(f"line {line}: {len(row)} fields but the header has {len(columns)}")
                continue
            values, problems = clean_candidate(dict(zip(columns, row)))
            ref = values.get("ref", "")
            if ref:
                if ref in seen:
                    problems.insert(0, f"duplicate ref {ref!r} (also on line {seen[ref]})")
                elif ref in existing:
                    problems.insert(0, f"ref {ref!r} is already in campaign {campaign.key}")
                else:
                    seen[ref] = line
            if problems:
                bad.append(f"line {line}: " + "; ".join(problems))
            else:
                clean_rows.append(values)
    except csv.Error as exc:
        raise ValidationError(f"{filename}: not a readable CSV file (line {reader.line_num}: {exc}); nothing imported") from None
    if bad:
        n = len(bad)
        raise ValidationError("\n".join([f"{filename}: {n} bad row{'s' if n != 1 else ''}; nothing imported", *bad]))
    if not clean_rows:
        raise ValidationError(f"{filename}: no candidate rows under the header; nothing imported")
    try:
        session.add_all(Candidate(campaign_id=campaign_id, **values) for values in clean_rows)
        record(
            session, action="import", entity="candidate", campaign_id=campaign_id, actor=actor,
            new=f"{len(clean_rows)} candidates from {filename}",
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationError(f"{filename}: another import added some of these refs meanwhile; nothing imported") from None
    except Exception:
        session.rollback()
        raise
    return len(clean_rows)


# --- one candidate --------------------------------------------------------------


def add_candidate(session: Session, campaign_id: int, *, actor: str = "", **fields: Any) -> Candidate:
    """Add one candidate (fields as for a CSV row); raises ValidationError naming every problem."""
    campaign = _campaign(session, campaign_id)
    values, problems = clean_candidate(fields)
    if values.get("ref") and values["ref"] in _refs(session, campaign_id):
        problems.insert(0, f"ref {values['ref']!r} is already in campaign {campaign.key}")
    if problems:
        raise ValidationError("; ".join(problems))
    candidate = Candidate(campaign_id=campaign_id, **values)
    try:
        session.add(candidate)
        session.flush()
        record(session, action="create", entity="candidate", entity_id=candidate.id, campaign_id=campaign_id,
               actor=actor, new=candidate.ref)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return candidate


def update_candidate(session: Session, candidate_id: int, *, actor: str = "", **fields: Any) -> Candidate:
    """Change some of a candidate's fields; same checks as import. Each change is audited.

    Changing ``adjustments`` without giving ``extra_minutes`` re-reads
    "extra time: N minutes" from the new text when it says so.
    """
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no candidate with id {candidate_id}")
    if candidate.purged_at is not None:
        raise ValidationError(f"candidate {candidate.ref!r} was purged under the retention policy and cannot be changed")
    values, problems = clean_candidate(fields, partial=True)
    ref = values.get("ref")
    if ref and ref != candidate.ref and ref in _refs(session, candidate.campaign_id):
        problems.insert(0, f"ref {ref!r} is already in this campaign")
    if problems:
        raise ValidationError("; ".join(problems))
    try:
        for name, new in values.items():
            old = getattr(candidate, name)
            if old != new:
                record(session, action="update", entity=f"candidate.{name}", entity_id=candidate.id,
                       campaign_id=candidate.campaign_id, actor=actor, old=old, new=new)
                setattr(candidate, name, new)
        session.add(candidate)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return candidate


def get_candidate(session: Session, campaign_id: int, ref: str) -> Candidate:
    candidate = session.exec(
        select(Candidate).where(Candidate.campaign_id == campaign_id, Candidate.ref == ref.strip())
    ).first()
    if candidate is None:
        raise NotFound(f"no candidate {ref!r} in this campaign")
    return candidate


# --- lists --------------------------------------------------------------------------


def _slot_order(candidates: Iterable[Candidate]) -> list[Candidate]:
    far = datetime.max
    return sorted(candidates, key=lambda c: (c.slot.astimezone().replace(tzinfo=None) if c.slot else far, c.ref))


def list_candidates(session: Session, campaign_id: int) -> list[Candidate]:
    """All the campaign's candidates in slot order (no slot last), then by ref."""
    return _slot_order(session.exec(select(Candidate).where(Candidate.campaign_id == campaign_id)).all())


def todays_interviews(session: Session, campaign_id: int, today: date) -> list[Candidate]:
    """Candidates with a slot on ``today`` (local time), in slot order; purged candidates left out."""
    start = datetime.combine(today, time()).astimezone()
    end = datetime.combine(today + timedelta(days=1), time()).astimezone()
    rows = session.exec(
        select(Candidate).where(
            Candidate.campaign_id == campaign_id,
            col(Candidate.slot) >= start,
            col(Candidate.slot) < end,
            col(Candidate.purged_at).is_(None),
        )
    ).all()
    return _slot_order(rows)


def format_slot(slot: datetime | None) -> str:
    """A stored slot as local "YYYY-MM-DD HH:MM" (blank when none)."""
    return slot.astimezone().strftime("%Y-%m-%d %H:%M") if slot else ""
