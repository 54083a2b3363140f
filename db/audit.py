"""The audit trail: who changed what, when, from what to what, and why -- tamper-evident.

Each campaign's entries form a hash chain. An entry has a sequence number
(1, 2, 3 ... per campaign, unique, so a deleted entry leaves a gap) and
``chain_hash = sha256(previous chain_hash + canonical content)``. The content
holds the old/new values only as ``value_digest = sha256(salt, old, new)``, so
``purge`` can blank personal old/new values (and their salt, so the digest
cannot confirm a guessed name) without breaking the chain.

Submitted work is bound to the chain: when a transaction changes a submitted
assessment (its evidence, scores, STAR, tags), a consensus score or an
outcome, the commit writes a *seal* -- digests of the values as stored now --
into that transaction's newest audit entry for the campaign (or into an entry
of its own when the change was not otherwise audited). Writers need do nothing
but ``record()`` as before: session events find what changed, at commit.
``db.audit_verify`` recomputes everything and names what no longer matches.

Without a secret key, someone who knows this scheme and has the file could
rebuild a whole chain; ``audit verify`` prints the chain head so it can be
noted elsewhere (e.g. in the signed-off record) and compared later.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import event, insert, inspect as sa_inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from db.audit_material import canon as _canon, current_material, digests, SEAL_CHUNK, latest_seals
from db.models import Assessment, Campaign, Candidate, ItemEvidence
from db.queries import chunks

if TYPE_CHECKING:  # built on first use (db.models)
    from db.models import AuditEvent

# Audit entities whose old/new values copy personal text; purge blanks them (and their salt).
PERSONAL_ENTITIES = (
    "candidate.name", "candidate.email", "candidate.adjustments", "candidate.extra_minutes",
    "evidence.notes", "outcome.feedback",
)
# (entity, action) pairs whose old/new values hold personal text under a non-personal entity name.
PERSONAL_ACTIONS = (("outcome", "feedback"),)


def is_personal(entity: str, action: str) -> bool:
    """Does an entry with this entity and action copy personal text into its old/new values?"""
    return entity in PERSONAL_ENTITIES or (entity, action) in PERSONAL_ACTIONS


SEALED_TABLES = {"assessment", "itemevidence", "indicatortag", "consensus", "outcome"}
_PENDING, _TOUCHED, _BULK, _BUSY = "audit_pending", "audit_touched", "audit_bulk", "audit_busy"
_KNOWN = "audit_known"  # assessment id -> (carrier entry, seal) handed over by seal_known


def record(
    session: Session,
    *,
    action: str,
    entity: str,
    entity_id: int | None = None,
    campaign_id: int | None = None,
    actor: str = "",
    old: object = "",
    new: object = "",
    reason: str = "",
    salt: str | None = None,
) -> AuditEvent:
    """Add an audit entry to the caller's transaction (it commits, chained and sealed, with the change it records).

    ``salt``: one chosen beforehand (``new_salt``), when seals were digested with it (``seal_known``)."""
    from db.models import AuditEvent
    event_ = AuditEvent(
        action=action,
        entity=entity,
        entity_id=entity_id,
        campaign_id=campaign_id,
        actor=actor,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        reason=reason,
        salt=salt or new_salt(),
    )
    event_.value_digest = value_digest(event_.salt, event_.old_value, event_.new_value)
    session.add(event_)
    session.info.setdefault(_PENDING, []).append(event_)
    return event_


def prepare_many(campaign_id: int, entries: Iterable[dict[str, Any]]) -> list[tuple]:
    """Audit entries made ready to chain (salt, value digest, time), before the write lock is taken;
    each dict holds record()'s keyword arguments but campaign_id. See record_many."""
    at = datetime.now(timezone.utc)
    when = _when(at)
    out = []
    for entry in entries:
        old, new = entry.get("old", ""), entry.get("new", "")
        old, new = "" if old is None else str(old), "" if new is None else str(new)
        salt = secrets.token_hex(16)
        digest = value_digest(salt, old, new)
        actor, entity, action, reason = entry.get("actor", ""), entry["entity"], entry["action"], entry.get("reason", "")
        # entry_content without seq and entity_id: those two are filled in when chained.
        head, tail = _canon([when, actor, campaign_id, entity])[1:-1], _canon([action, reason, digest, ""])[1:-1]
        out.append((entry.get("entity_id"), head, tail, at, actor, entity, action, reason, old, new, salt, digest))
    return out


def record_many(session: Session, campaign_id: int, prepared: list[tuple], entity_ids: dict[int, int] | None = None) -> int:
    """Chain and write entries from prepare_many (imports: tens of thousands) in bulk INSERTs;
    ``entity_ids`` fills in, by position, ids of rows the transaction has only just inserted.
    The caller holds the campaign's write lock (db.changes.lock_campaign): only the chain hashes
    are computed under it. Later record()s chain after these at commit and carry the seals."""
    from db.models import AuditEvent
    if not prepared:
        return 0
    seq, previous = head(session, campaign_id, lock=True)
    conn, table = session.connection(), AuditEvent.__table__  # type: ignore[attr-defined]
    columns = ("at", "actor", "campaign_id", "entity", "entity_id", "action", "old_value", "new_value", "reason",
               "seq", "salt", "value_digest", "seal", "chain_hash")
    to_db = table.c.at.type.bind_processor(conn.dialect)  # the one shared time, stored by SQLAlchemy's own processor
    stored_at = to_db(prepared[0][3]) if to_db else prepared[0][3]
    rows = []
    for n, (entity_id, head_text, tail_text, _, actor, entity, action, reason, old, new, salt, digest) in enumerate(prepared):
        if entity_id is None and entity_ids is not None:
            entity_id = entity_ids.get(n)
        seq += 1
        previous = _sha("entry", previous, f"[{seq},{head_text},{'null' if entity_id is None else int(entity_id)},{tail_text}]")
        rows.append((stored_at, actor, campaign_id, entity, entity_id, action, old, new, reason, seq, salt, digest, "",
                     previous))
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:
        order = [columns.index(name) for name in compiled.positiontup]  # type: ignore[union-attr]
        params: list = [tuple(r[i] for i in order) for r in rows]
    else:
        params = [dict(zip(columns, r)) for r in rows]
    conn.exec_driver_sql(str(compiled), params)  # plain values: no per-row parameter processing
    return len(rows)


def note_written(session: Session, assessment_ids: Iterable[int]) -> None:
    """A writer that changed assessments (or their evidence) with statements on the session's
    connection, which the session does not see, names them here so the commit seals them."""
    session.info.setdefault(_TOUCHED, set()).update(("a", i) for i in assessment_ids)


def new_salt() -> str:
    return secrets.token_hex(16)


def seal_known(session: Session, carrier: AuditEvent, sealed: dict[int, str | None]) -> None:
    """A bulk writer (a return's merge) that has just written these assessments hands over their seals,
    digested (``db.audit_material.sealed_part``) with ``carrier``'s salt from the values it stored, so the commit need not
    read 100,000 rows back: assessment id -> the seal, or None for one not submitted (not sealed).

    They go into ``carrier`` (the writer's own audit entry, not a personal one). Anything that writes
    one of them later in the transaction drops its seal (and a write the hooks cannot place drops them
    all), and it is read back at commit as usual. Tests check these seals equal what is read back."""
    if is_personal(carrier.entity, carrier.action):
        raise ValueError("seals go into an entry that purge leaves whole")
    note_written(session, sealed)
    known: dict[int, tuple[AuditEvent, str | None]] = session.info.setdefault(_KNOWN, {})
    known.update((a, (carrier, seal)) for a, seal in sealed.items())


def _forget_known(session: OrmSession, key: tuple | None) -> None:
    """A later write to something a writer sealed itself: read it back at commit after all."""
    known = session.info.get(_KNOWN)
    if known:
        if key is not None and key[0] == "a":
            known.pop(key[1], None)
        else:  # a write that names no assessment (evidence or tag ids, a bulk DELETE): drop them all
            known.clear()


# --- digests -----------------------------------------------------------------


def _sha(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8")
        h.update(len(b).to_bytes(8, "big"))  # length-prefixed: no two part lists hash alike
        h.update(b)
    return h.hexdigest()


def value_digest(salt: str, old: str, new: str) -> str:
    return _sha("values", salt, old, new)


def _when(at: datetime | None) -> str:
    if at is None:
        return ""
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_content(e: AuditEvent) -> str:
    """What the chain hash covers: every column except id, the salt and the raw old/new values."""
    return _canon([
        e.seq, _when(e.at), e.actor, e.campaign_id, e.entity, e.entity_id, e.action, e.reason, e.value_digest, e.seal,
    ])


def chain_hash(previous: str, e: AuditEvent) -> str:
    return _sha("entry", previous, entry_content(e))


# --- session events: find what changed, then seal and chain at commit ------------


def _touch(session: OrmSession, obj: Any) -> None:
    from db.models import Consensus, IndicatorTag, Outcome
    touched: set[tuple[str, int]] = session.info.setdefault(_TOUCHED, set())
    key: tuple | None = None
    if isinstance(obj, Assessment) and obj.id is not None:
        key = ("a", obj.id)
    elif isinstance(obj, ItemEvidence) and obj.assessment_id is not None:
        key = ("a", obj.assessment_id)
    elif isinstance(obj, IndicatorTag) and obj.evidence_id is not None:
        key = ("e", obj.evidence_id)
    elif isinstance(obj, Consensus) and obj.id is not None:
        key = ("c", obj.id)
    elif isinstance(obj, Outcome) and obj.id is not None:
        key = ("o", obj.id)
    if key is not None:
        touched.add(key)
    if isinstance(obj, (Assessment, ItemEvidence, IndicatorTag)):
        _forget_known(session, key)


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if type(obj).__tablename__ in SEALED_TABLES:
            _touch(session, obj)


@event.listens_for(OrmSession, "do_orm_execute")
def _bulk_write(state) -> None:
    """Bulk INSERT/UPDATE/DELETE (imports) skip the unit of work: note what their rows touch,
    or, when the rows cannot tell (a DELETE ... WHERE), reseal the whole campaign at commit."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table not in SEALED_TABLES:
        return
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    touched: set = state.session.info.setdefault(_TOUCHED, set())
    for row in rows:
        found = _bulk_key(table, row)
        if found is None:
            if not (table == "indicatortag" and state.is_delete):
                state.session.info[_BULK] = True
        else:
            touched.add(found)
        if table in ("assessment", "itemevidence", "indicatortag"):
            _forget_known(state.session, found)
    if not rows and not (table == "indicatortag" and state.is_delete):
        state.session.info[_BULK] = True
    if not rows and table in ("assessment", "itemevidence", "indicatortag"):
        _forget_known(state.session, None)
    # A tag DELETE ... WHERE comes with the evidence rows it belongs to, which are noted themselves.


def _bulk_key(table: str, row: dict) -> tuple | None:
    if table == "assessment":
        if row.get("id") is not None:
            return ("a", row["id"])
        if row.get("candidate_id") is not None and row.get("member_id") is not None:
            return ("am", (row["candidate_id"], row["member_id"]))
    elif table == "itemevidence":
        if row.get("assessment_id") is not None:
            return ("a", row["assessment_id"])
        if row.get("id") is not None:
            return ("e", row["id"])
    elif table == "indicatortag" and row.get("evidence_id") is not None:
        return ("e", row["evidence_id"])
    elif table in ("consensus", "outcome") and row.get("id") is not None:
        return (table[0], row["id"])
    return None


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    if session.info.get(_BUSY):
        return
    session.info[_BUSY] = True
    try:
        session.flush()  # commit would flush anyway; now after_flush has seen every change
        if not (session.info.get(_PENDING) or session.info.get(_TOUCHED) or session.info.get(_BULK)):
            return
        _seal(session)  # type: ignore[arg-type]
        session.flush()
        _chain(session)  # type: ignore[arg-type]
    finally:
        session.info.pop(_BUSY, None)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget(session: OrmSession, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: committed, rolled back or closed
        for key in (_PENDING, _TOUCHED, _BULK, _KNOWN):
            session.info.pop(key, None)


def _seal(session: Session) -> None:
    pending: list[AuditEvent] = [e for e in session.info.get(_PENDING, []) if e.seq is None]
    touched: set[tuple[str, int]] = session.info.pop(_TOUCHED, set())
    bulk = session.info.pop(_BULK, False)
    # Seals a writer handed over (seal_known) and nothing has written since; the bulk path below reseals all.
    known: dict[int, tuple[AuditEvent, str | None]] = {} if bulk else session.info.pop(_KNOWN, {})
    for a in [a for a, (carrier, _) in known.items() if not sa_inspect(carrier).persistent]:
        del known[a]  # its entry is gone (a rolled-back savepoint): read it back instead
    evidence_ids = [i for kind, i in touched if kind == "e"]
    pairs = {i for kind, i in touched if kind == "am"}
    keys = {f"{kind}{i}" for kind, i in touched if kind in ("a", "c", "o") and not (kind == "a" and i in known)}
    for chunk in chunks(evidence_ids, SEAL_CHUNK):
        keys |= {f"a{a}" for a in session.exec(select(ItemEvidence.assessment_id).where(col(ItemEvidence.id).in_(chunk))).all()
                 if a not in known}
    if pairs:
        for chunk in chunks(sorted({c for c, _ in pairs}), SEAL_CHUNK):
            keys |= {f"a{a}" for a, c, m in session.exec(
                select(Assessment.id, Assessment.candidate_id, Assessment.member_id)
                .where(col(Assessment.candidate_id).in_(chunk))
            ).all() if (c, m) in pairs and a not in known}
    # Each campaign's seals go into the newest non-personal entry of this transaction.
    carriers: dict[int | None, AuditEvent] = {}
    for e in pending:
        # Not an entry purge will blank: its salt must outlive the candidate's personal data.
        if not is_personal(e.entity, e.action) and sa_inspect(e).persistent:
            carriers[e.campaign_id] = e
    seals: dict[int | None, dict[str, dict[str, str]]] = {}
    salt_for = {cid: e.salt for cid, e in carriers.items()}
    if keys:
        for cid, key_list in _by_campaign(session, keys).items():
            salt = salt_for.setdefault(cid, new_salt())
            for part in chunks(key_list, 1000):  # read, digest, forget: an import seals 20,000 at once
                now, _ = current_material(session, keys=part)
                for key in (k for k in part if k in now):  # an assessment not (yet) submitted is not sealed
                    seals.setdefault(cid, {})[key] = digests(now[key], salt)
    if bulk:
        for cid in {e.campaign_id for e in pending if e.campaign_id is not None}:
            salt = salt_for.setdefault(cid, new_salt())
            now, _ = current_material(session, campaign_id=cid)
            old = latest_seals(session, cid)
            for key, material in now.items():
                if key not in old or digests(material, old[key][0].salt) != old[key][1]:
                    seals.setdefault(cid, {})[key] = digests(material, salt)
    # The seal column: canonical JSON of {thing: digests}, built from each thing's own canonical part.
    parts: dict[int, tuple[AuditEvent, dict[str, str]]] = {}
    for a, (carrier, sealed) in known.items():
        if sealed is not None:  # None: not submitted, not sealed
            parts.setdefault(id(carrier), (carrier, {}))[1][f"a{a}"] = sealed
    for cid, things in seals.items():
        carrier = carriers.get(cid)
        if carrier is None:
            carrier = record(session, action="seal", entity="sealed values", campaign_id=cid,
                             reason="changed without an audit entry of its own", salt=salt_for[cid])
        held = parts.setdefault(id(carrier), (carrier, {}))[1]
        held.update((key, _canon(d)) for key, d in things.items())
    for carrier, held in parts.values():
        pieces = ["{"]  # the held parts themselves, not a joined copy of each (an import's seal is ~10 MB)
        for key in sorted(held):
            pieces += (_canon(key), ":", held[key], ",")
        pieces[-1] = "}" if len(pieces) > 1 else "{}"
        carrier.seal = "".join(pieces)
        session.add(carrier)


def _by_campaign(session: Session, keys: set[str]) -> dict[int | None, list[str]]:
    """Which campaign each thing belongs to (things deleted meanwhile are dropped)."""
    from db.models import Consensus, Outcome
    out: dict[int | None, list[str]] = {}
    for prefix, model in (("a", Assessment), ("c", Consensus), ("o", Outcome)):
        ids = [int(k[1:]) for k in keys if k[0] == prefix]
        for chunk in chunks(ids, SEAL_CHUNK):
            for i, cid in session.exec(
                select(model.id, Candidate.campaign_id).join(Candidate, col(Candidate.id) == model.candidate_id)
                .where(col(model.id).in_(chunk))
            ).all():
                out.setdefault(cid, []).append(f"{prefix}{i}")
    return out


def _chain(session: Session) -> None:
    pending: list[AuditEvent] = [e for e in session.info.get(_PENDING, []) if e.seq is None and sa_inspect(e).persistent]
    heads: dict[int | None, tuple[int, str]] = {}
    for e in pending:
        cid = e.campaign_id
        if cid not in heads:
            heads[cid] = head(session, cid, lock=True)
        seq, previous = heads[cid]
        e.seq = seq + 1
        e.chain_hash = chain_hash(previous, e)
        heads[cid] = (e.seq, e.chain_hash)
        session.add(e)


def head(session: Session, campaign_id: int | None, lock: bool = False) -> tuple[int, str]:
    """(sequence number, chain hash) of a campaign's newest chained entry; (0, "") for none.

    With ``lock`` the campaign row is locked first (PostgreSQL: SELECT ... FOR UPDATE), so two
    writers append one after the other; on SQLite the transaction already holds the write lock,
    and the unique (campaign, seq) constraint refuses a fork on any database.
    """
    from db.models import AuditEvent
    if lock and campaign_id is not None:
        session.exec(select(Campaign.id).where(Campaign.id == campaign_id).with_for_update()).first()
    last = session.exec(
        select(AuditEvent.seq, AuditEvent.chain_hash)
        .where(AuditEvent.campaign_id == campaign_id, col(AuditEvent.seq).is_not(None))
        .order_by(col(AuditEvent.seq).desc()).limit(1)
    ).first()
    return (last[0], last[1]) if last else (0, "")
