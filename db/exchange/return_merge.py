"""Merging one panel member's return into this database (``db.exchange.returns`` exports them).

A return is checked (envelope, ``db.specs.exchange``, then every name resolved against this
database: ``db.exchange.return_lines``) before anything is written, and written with bulk
statements on the session's connection; the merge digests the seals of the submitted work it
writes itself (``db.audit.seal_known``), so the commit reads none of it back. The file is read
one assessment at a time (``envelope.unseal_streamed``) and compared with what is held
CHUNK candidates at a time, so a 20,000-candidate return (~70 MB) merges in a few seconds
and a few hundred MB; only the rows to write are kept until the writes.

Writes are one short transaction at the end: ``lock_campaign`` takes the write lock, the
member's assessments are checked to be as they were when the file was compared with them
(else: refused, try again), then the bulk writes. An unchanged return (the same signed file
as the last one merged for this member, and nothing of theirs changed since) is recognised
after the signature check, without reading the file's content.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import bindparam, delete, func, update
from sqlmodel import Session, col, select

from db.audit import new_salt, record, seal_known
from db.audit_material import Material, evidence_material, sealed_part
from db.cache import gc_paused
from db.changes import lock_campaign
from db.engine import ids_follow_max
from db.errors import Conflict, ImportRefused
from db.exchange import keys as exchange_keys
from db.exchange.bulk_values import Background, insert_rows
from db.exchange.common import CHUNK, ReturnImport, laptop_user
from db.queries import chunks
from db.exchange.envelope import FORMAT_RETURN, check_author, iso, open_return, unseal, unseal_streamed
from db.exchange.return_lines import FileAssessment, FileEvidence, Resolver, checked_entries
from db.models import Assessment, Campaign, Candidate, IndicatorTag, ItemEvidence, PanelMember, Setting, utcnow
from db.retention import refuse_purged
from db.specs.base import Block, Line, Spec, Stamp, validate
from db.specs.exchange import ReturnContent

AMENDED_FIELDS = ("notes", "score", "star", "tags")
_WRITE_ROWS = 5_000  # rows per bulk statement: bounds the parameter lists held at once


class AmendmentSpec(Spec):
    """One changed field of submitted work, as the laptop's audit trail recorded it."""

    ref: Line(80, required=True)  # type: ignore[valid-type]
    item: Line(200, required=True)  # type: ignore[valid-type]
    field: Literal[AMENDED_FIELDS]  # type: ignore[valid-type]
    old: Block(50_000) = ""  # type: ignore[valid-type]
    new: Block(50_000) = ""  # type: ignore[valid-type]
    reason: Block(2000, required=True)  # type: ignore[valid-type]
    at: Stamp


class _Amendments(Spec):
    amendments: Annotated[list[AmendmentSpec], Field(max_length=100_000)]


# --- an unchanged return: the same signed file, nothing of the member's changed since --------------


def _member_stamp(session: Session, campaign_id: int, member_id: int) -> list[Any]:
    """Moves whenever the member's assessments in the campaign change (evidence writers bump updated_at)."""
    row = session.exec(
        select(func.count(Assessment.id), func.count(Assessment.submitted_at), func.sum(Assessment.id),
               func.max(Assessment.updated_at))
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Assessment.member_id == member_id, Candidate.campaign_id == campaign_id)
    ).one()
    return [row[0], row[1], row[2], iso(row[3])]


def _seen_key(campaign_id: int, member_id: int) -> str:
    return f"return-merged:{campaign_id}:{member_id}"


def _remember(session: Session, campaign_id: int, member_id: int, signature: str) -> None:
    value = json.dumps([signature, _member_stamp(session, campaign_id, member_id)])
    held = session.get(Setting, _seen_key(campaign_id, member_id))
    if held is None:
        session.add(Setting(key=_seen_key(campaign_id, member_id), value=value))
    elif held.value != value:
        held.value = value
        session.add(held)


def _already_merged(session: Session, campaign_id: int, member_id: int, signature: str) -> bool:
    held = session.get(Setting, _seen_key(campaign_id, member_id))
    if held is None:
        return False
    try:
        return json.loads(held.value) == [signature, _member_stamp(session, campaign_id, member_id)]
    except ValueError:
        return False


# --- merge ------------------------------------------------------------------------------------


def merge_return(
    session: Session, data: str | bytes, *, source: str, campaign_key: str | None = None, actor: str = ""
) -> ReturnImport:
    """Check one return and write it into the caller's transaction (no commit).

    Evidence already held and different is overwritten only by a later
    ``updated_at``; newer held evidence, or a held submitted assessment that the
    file has unsubmitted, refuses the whole file as a Conflict. Refusals are
    raised before anything is written.
    """
    # Millions of small objects (the file's parsed lines, the plan), nearly all kept until the writes:
    # each automatic collection would re-scan them all (a fifth of the import's time).
    with gc_paused():
        return _merge(session, data, source=source, campaign_key=campaign_key, actor=actor)


def _merge(session: Session, data: str | bytes, *, source: str, campaign_key: str | None, actor: str) -> ReturnImport:
    raw = data.encode() if isinstance(data, str) else data
    signed = open_return(raw, exchange_keys.campaign_identities(session), source)
    key = signed.campaign
    if campaign_key is not None and key != campaign_key:
        raise ImportRefused(f"{source} is a return for campaign {key}, not {campaign_key}")
    campaign = session.exec(select(Campaign).where(Campaign.key == key)).first()
    if campaign is None:
        raise ImportRefused(f"{source} is a return for campaign {key}, which this database does not hold")
    members = session.exec(select(PanelMember).where(PanelMember.campaign_id == campaign.id)).all()
    member = next((m for m in members if m.name.lower() == signed.member.lower()), None)
    if member is None:
        raise ImportRefused(f"{source}: {signed.member!r} is not on the panel for campaign {key}")
    # The author first: nothing the file says is read until its signature is known to be the member's.
    check_author(signed, exchange_keys.member_public_keys(session, campaign.id, member.id), source)  # type: ignore[arg-type]
    cid, mid, signature = campaign.id, member.id, signed.signature
    assert cid is not None and mid is not None
    if _already_merged(session, cid, mid, signature):
        return ReturnImport(source=source, campaign_key=key, member=member.name, assessments=0, evidence=0)
    streamed = unseal_streamed(signed.view, source, FORMAT_RETURN, "assessments")
    if streamed is not None:
        env, entries = streamed.envelope, streamed.lines()
        content = validate(ReturnContent, env.content, source=source, what="return", error=ImportRefused)
    else:  # another layout (an older panel-tui): the whole document at once, its entries checked as JSON
        env = unseal(signed.body, source, FORMAT_RETURN)
        listed = env.content.get("assessments")
        content = validate(ReturnContent, {**env.content, "assessments": listed if not isinstance(listed, list) else []},
                           source=source, what="return", error=ImportRefused)
        entries = iter([json.dumps(a, ensure_ascii=False).encode() for a in listed])
    if env.campaign != key or content.member.lower() != member.name.lower():
        raise ImportRefused(f"{source}: the signed header and the content disagree on campaign or member; refused")
    amendments = _amendments_by_evidence(env.amendments, source)
    actor = actor or laptop_user(session, cid)
    stamp = _member_stamp(session, cid, mid)
    plan = _Plan(session, campaign, member, amendments, source, holds_any=stamp[0] > 0)
    resolver = Resolver(session, campaign, source)
    part: list[FileAssessment] = []
    for n, a in checked_entries(entries, source, env.version):
        part.append(resolver.resolve(n, a))
        if len(part) == CHUNK:
            plan.add(part)
            part = []
    plan.add(part)  # the file's checksum was checked when the entries ran out
    del streamed, entries, signed
    # A purged candidate's record stays gone: a late return may not write notes back onto it.
    refuse_purged(session, plan.candidate_ids, "given a return")
    if plan.conflicts:
        more = f" (and {len(plan.conflicts) - 1} more)" if len(plan.conflicts) > 1 else ""
        raise Conflict(f"{source}: conflict: {plan.conflicts[0]}{more}; nothing imported")
    result = ReturnImport(
        source=source, campaign_key=key, member=member.name, assessments=plan.touched,
        evidence=len(plan.new_evidence) + len(plan.changed_evidence),
    )
    # The write transaction: short, and only if what was compared is still what is held.
    lock_campaign(session, cid)
    if _member_stamp(session, cid, mid) != stamp:
        raise Conflict(f"{source}: {member.name}'s assessments changed while the file was read; nothing imported, try again")
    if plan.touched:
        plan.write(actor, result)
    _remember(session, cid, mid, signature)
    session.flush()
    return result


class _Plan:
    """What a return changes, built CHUNK assessments at a time against what is held for them.

    It also digests the seal of every assessment it will write (``db.audit.seal_known``), from the
    values it writes and those held: the commit then need not read 120,000 rows back to seal them."""

    def __init__(self, session: Session, campaign: Campaign, member: PanelMember,
                 amendments: dict[tuple[str, str], list[AmendmentSpec]], source: str, *, holds_any: bool = True) -> None:
        self.session, self.campaign, self.member, self.amendments, self.source = session, campaign, member, amendments, source
        self.holds_any = holds_any  # False: the member holds no assessment in the campaign (a first return): nothing to read
        self.conflicts: list[str] = []
        self.candidate_ids: list[int] = []
        self.new_assessments: list[tuple] = []  # (candidate id, submitted_at, updated_at)
        self.changed_assessments: list[dict[str, Any]] = []
        self.held_assessment_ids: dict[int, int] = {}  # candidate id -> assessment id, for new evidence
        self.new_evidence: list[tuple[int, FileEvidence]] = []  # (candidate id, evidence)
        self.changed_evidence: list[tuple[int, FileEvidence]] = []  # (evidence id, evidence)
        self.amended: list[tuple[int, AmendmentSpec]] = []  # (evidence id, amendment) for the chair's audit
        self.salt = new_salt()  # the import's audit entry's: it carries the seals
        self.digested: dict = {}  # sealed_part's memo: unsalted parts repeat (item, score, STAR, tags)
        self.sealed: dict[int, str | None] = {}  # candidate id -> seal of the assessment as written (None: not submitted)
        self.to_seal: list[FileAssessment] = []  # new submitted assessments: sealed from the file's values in write
        self.touched = 0

    def _mine(self, candidate_ids: list[int]) -> tuple:
        return (Assessment.member_id == self.member.id, col(Assessment.candidate_id).in_(candidate_ids))

    def add(self, assessments: list[FileAssessment]) -> None:
        if not assessments:
            return
        session, member, salt = self.session, self.member, self.salt
        ids = [a.candidate_id for a in assessments]
        self.candidate_ids += ids
        mine = self._mine(ids)
        conn = session.connection()  # column reads: no ORM row processing
        held_assessments = {
            c: (aid, submitted_at, updated_at)
            for aid, c, submitted_at, updated_at in conn.execute(
                select(Assessment.id, Assessment.candidate_id, Assessment.submitted_at, Assessment.updated_at).where(*mine)
            ).all()
        } if self.holds_any else {}
        held_evidence: dict[int, dict[int, tuple]] = {}  # candidate id -> item id -> held row
        if held_assessments:
            for eid, c, item_id, notes, star, score, updated_at in conn.execute(
                select(
                    ItemEvidence.id, Assessment.candidate_id, ItemEvidence.item_id, ItemEvidence.notes,
                    ItemEvidence.star, ItemEvidence.score, ItemEvidence.updated_at,
                )
                .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
                .where(*mine)
            ).all():
                held_evidence.setdefault(c, {})[item_id] = (eid, notes, star, score, updated_at)
        held_tags: dict[int, dict[int, str]] = {}
        if held_evidence:
            for eid, indicator_id, tag in conn.execute(
                select(IndicatorTag.evidence_id, IndicatorTag.indicator_id, IndicatorTag.tag)
                .join(ItemEvidence, col(ItemEvidence.id) == IndicatorTag.evidence_id)
                .join(Assessment, col(Assessment.id) == ItemEvidence.assessment_id)
                .where(*mine)
            ).all():
                held_tags.setdefault(eid, {})[indicator_id] = tag
        held_tuples = {eid: tuple(sorted(t.items())) for eid, t in held_tags.items()}
        for a in assessments:
            held = held_assessments.get(a.candidate_id)
            if held is not None and held[1] is not None and a.submitted_at is None:
                self.conflicts.append(
                    f"candidate {a.ref}: this database holds {member.name}'s submitted assessment, the file's is not submitted"
                )
                continue
            changed = False
            held_items = held_evidence.get(a.candidate_id, {})
            material: Material = {}  # the assessment's evidence as it will be held: what its seal covers
            for ev in a.items:
                h = held_items.get(ev.item_id)
                if h is None:
                    self.new_evidence.append((a.candidate_id, ev))
                    if held is not None:  # (a new assessment is sealed while it is written: write)
                        evidence_material(material, ev.item_id, ev.score, ev.star, ev.tags, ev.notes)
                    changed = True
                    continue
                eid, notes, star, score, updated_at = h
                held_score = None if score is None else float(score)
                if (notes, star, held_score, held_tuples.get(eid, ())) == (ev.notes, ev.star, ev.score, ev.tags):
                    continue
                if updated_at >= ev.updated_at:
                    self.conflicts.append(
                        f"candidate {a.ref}, {ev.item_name}: this database holds newer evidence from {member.name}"
                    )
                    continue
                if held is not None and held[1] is not None:
                    # Submitted work changes only with the panellist's reasons, which go into this audit trail.
                    why = [m for m in self.amendments.get((a.ref, ev.item_name.lower()), ()) if m.at > updated_at]
                    if not why:
                        self.conflicts.append(
                            f"candidate {a.ref}, {ev.item_name}: changes {member.name}'s submitted assessment "
                            "without an amendment reason"
                        )
                        continue
                    self.amended += [(eid, m) for m in why]
                self.changed_evidence.append((eid, ev))
                evidence_material(material, ev.item_id, ev.score, ev.star, ev.tags, ev.notes)
                changed = True
            if held is None:
                self.new_assessments.append((a.candidate_id, a.submitted_at, a.updated_at))
                if a.submitted_at is None:
                    self.sealed[a.candidate_id] = None
                else:
                    self.to_seal.append(a)
                self.touched += 1
                continue
            aid, held_submitted, held_updated = held
            self.held_assessment_ids[a.candidate_id] = aid
            submitted = held_submitted
            if a.submitted_at is not None and (
                held_submitted is None or (held_submitted != a.submitted_at and a.updated_at > held_updated)
            ):
                submitted = a.submitted_at
            if changed or submitted != held_submitted:
                self.changed_assessments.append(
                    # Now, not the file's time: the merit-list cache watches Assessment.updated_at for changes.
                    {"b_id": aid, "submitted_at": submitted, "updated_at": max(held_updated, a.updated_at, utcnow())}
                )
                if submitted is None:
                    self.sealed[a.candidate_id] = None
                else:
                    for item_id, (eid, notes, star, score, _) in held_items.items():
                        if f"i{item_id}" not in material:  # held and unchanged
                            evidence_material(material, item_id, score, star, held_tuples.get(eid, ()), notes)
                    self.sealed[a.candidate_id] = sealed_part(material, salt, self.digested)
                self.touched += 1

    @staticmethod
    def _new_evidence_ids(conn, tagged: list[tuple[int, FileEvidence]], assessment_ids: dict[int, int]) -> dict[tuple, int]:
        """(assessment id, item id) -> id of the new evidence rows ``tagged`` names, read back in parts of
        up to CHUNK assessments."""
        ids: dict[tuple, int] = {}
        start = 0
        while start < len(tagged):
            end, seen = start, set()
            while end < len(tagged) and (len(seen) < CHUNK or tagged[end][0] in seen):
                seen.add(tagged[end][0])
                end += 1
            start = end
            wanted = {assessment_ids[c] for c in seen}
            low, high = min(wanted), max(wanted)
            # New assessments' ids lie together: read their id range (others' rows dropped), not an IN list of 900.
            where = (col(ItemEvidence.assessment_id).between(low, high) if high - low < 2 * len(wanted)
                     else col(ItemEvidence.assessment_id).in_(sorted(wanted)))
            ids.update(
                ((aid, item_id), eid)
                for eid, aid, item_id in conn.execute(
                    select(ItemEvidence.id, ItemEvidence.assessment_id, ItemEvidence.item_id).where(where)
                ).all()
                if aid in wanted
            )
        return ids

    def _seal_new(self) -> Iterator[None]:
        """The new submitted assessments' seals, from the values written: one per step. Taken once the
        evidence statements are made (they hold the notes): each assessment's notes are then let go
        (~40 MB of a 20,000-candidate return's)."""
        for a in self.to_seal:
            material: Material = {}
            for ev in a.items:
                evidence_material(material, ev.item_id, ev.score, ev.star, ev.tags, ev.notes)
                ev.notes = ""
            self.sealed[a.candidate_id] = sealed_part(material, self.salt, self.digested)
            yield

    def write(self, actor: str, result: ReturnImport) -> None:
        """The bulk writes, on the session's connection (no per-row ORM or parameter work); the audit
        is told what was written (note_written, and the seals: seal_known)."""
        session, campaign, member = self.session, self.campaign, self.member
        conn = session.connection()
        for rows in _batches(self.new_assessments):
            insert_rows(session, Assessment, ("candidate_id", "member_id", "submitted_at", "updated_at"),
                        [(c, member.id, submitted, updated) for c, submitted, updated in rows])
        if self.changed_assessments:
            table = Assessment.__table__  # type: ignore[attr-defined]
            statement = update(table).where(table.c.id == bindparam("b_id"))
            for rows in _batches(self.changed_assessments):
                conn.execute(statement, rows)
        assessment_ids = dict(self.held_assessment_ids)
        if self.new_assessments:  # the member's ids, one query (a member belongs to one campaign)
            assessment_ids.update(
                (c, aid) for aid, c in conn.execute(
                    select(Assessment.id, Assessment.candidate_id).where(Assessment.member_id == member.id)
                ).all()
            )
        if self.changed_evidence:
            table = ItemEvidence.__table__  # type: ignore[attr-defined]
            statement = update(table).where(table.c.id == bindparam("b_id"))
            for rows in _batches(self.changed_evidence):
                conn.execute(statement, [
                    {"b_id": eid, "notes": ev.notes, "star": ev.star, "score": ev.score, "updated_at": ev.updated_at}
                    for eid, ev in rows
                ])
                for chunk in chunks([eid for eid, _ in rows]):
                    conn.execute(delete(IndicatorTag).where(col(IndicatorTag.evidence_id).in_(chunk)))
        evidence_columns = ("assessment_id", "item_id", "notes", "star", "score", "updated_at")
        tag_columns = ("evidence_id", "indicator_id", "tag")
        # Evidence, then tags, are written on another thread (the driver works without the GIL) while
        # this one makes the rows and digests the new assessments' seals (Background.meanwhile).
        seals = self._seal_new()
        changed_tags = [(eid, ind, tag) for eid, ev in self.changed_evidence for ind, tag in ev.tags]
        if ids_follow_max(conn):
            # The transaction holds the write lock (lock_campaign), so the new rows' ids are known
            # beforehand: max(id) + 1 onwards, in this order, as the database itself numbers them.
            # Given with the rows, they need no reading back (~0.3 s), and each part's tags follow its
            # evidence on the writer thread. (RETURNING made SQLite's inserts 2x slower.)
            next_id = (conn.execute(select(func.max(ItemEvidence.id))).scalar() or 0) + 1
            with Background(session) as background:
                insert_rows(session, IndicatorTag, tag_columns, changed_tags, run=background.run)
                for part in _batches(self.new_evidence):
                    rows, tags = [], []
                    for eid, (c, ev) in enumerate(part, next_id):
                        rows.append((eid, assessment_ids[c], ev.item_id, ev.notes, ev.star, ev.score, ev.updated_at))
                        if ev.tags:
                            tags += [(eid, ind, tag) for ind, tag in ev.tags]
                    next_id += len(part)
                    insert_rows(session, ItemEvidence, ("id", *evidence_columns), rows, run=background.run)
                    insert_rows(session, IndicatorTag, tag_columns, tags, run=background.run)
                background.meanwhile(seals)
        else:  # ids from the database's sequence: read back once the evidence is written
            with Background(session) as background:
                for part in _batches(self.new_evidence):
                    insert_rows(session, ItemEvidence, evidence_columns, [
                        (assessment_ids[c], ev.item_id, ev.notes, ev.star, ev.score, ev.updated_at) for c, ev in part
                    ], run=background.run)
                background.meanwhile(seals)
            tagged = [(c, ev) for c, ev in self.new_evidence if ev.tags]  # in candidate order
            ids = self._new_evidence_ids(conn, tagged, assessment_ids)
            with Background(session) as background:
                insert_rows(session, IndicatorTag, tag_columns, changed_tags, run=background.run)
                rows = []  # a statement's worth at a time: never all 240,000 tag rows at once
                for c, ev in tagged:
                    eid = ids[(assessment_ids[c], ev.item_id)]
                    rows += [(eid, ind, tag) for ind, tag in ev.tags]
                    if len(rows) >= _WRITE_ROWS:
                        insert_rows(session, IndicatorTag, tag_columns, rows, run=background.run)
                        rows = []
                insert_rows(session, IndicatorTag, tag_columns, rows, run=background.run)
                del ids, rows
                background.meanwhile(seals)
        for _ in seals:  # what is left
            pass
        for eid, m in self.amended:
            record(
                session, action="amend", entity=f"evidence.{m.field}", entity_id=eid, campaign_id=campaign.id,
                actor=member.name, old=m.old, new=m.new, reason=f"{m.reason} (amended {iso(m.at)}; from {self.source})",
            )
        entry = record(
            session, action="import", entity="return", entity_id=member.id, campaign_id=campaign.id, actor=actor,
            new=f"{result.assessments} assessments, {result.evidence} item evidence from {member.name}", reason=self.source,
            salt=self.salt,
        )
        seal_known(session, entry, {assessment_ids[c]: seal for c, seal in self.sealed.items()})


def _batches(rows: list) -> Iterator[list]:
    for start in range(0, len(rows), _WRITE_ROWS):
        yield rows[start : start + _WRITE_ROWS]


def _amendments_by_evidence(raw: list[dict[str, Any]] | None, source: str) -> dict[tuple[str, str], list[AmendmentSpec]]:
    if not raw:
        return {}
    checked = validate(_Amendments, {"amendments": raw}, source=source, what="return", error=ImportRefused)
    out: dict[tuple[str, str], list[AmendmentSpec]] = {}
    for m in checked.amendments:
        out.setdefault((m.ref, m.item.lower()), []).append(m)
    return out
