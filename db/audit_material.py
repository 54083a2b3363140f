"""What the audit seals of submitted work, and the seals a campaign's chain holds (see ``db.audit``).

Each sealable thing's *material* is its values as text, by part; its seal is a short digest per
part, personal parts salted with the sealing entry's salt. ``db.audit`` seals at commit and
``db.audit_verify`` recomputes; both read the values here, as plain column reads.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Iterable

from sqlmodel import Session, col, select

from db.models import Assessment, Candidate, ItemEvidence
from db.queries import chunks

if TYPE_CHECKING:  # built on first use (db.models)
    from db.models import AuditEvent


def canon(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces, ASCII): what hashes and seals are made of."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def _num(v: float | None) -> Any:
    return None if v is None else float(v)


Material = dict[str, tuple[bool, str]]


def assessment_material(evidence: Iterable[tuple], tags: dict[int, dict[int, str]]) -> Material:
    """Per item: score, STAR and tags ("i<item>") and the notes ("n<item>", salted: personal text).

    ``evidence`` rows are (id, item_id, score, star, notes)."""
    parts: Material = {}
    for ev_id, item_id, score, star, notes in evidence:
        evidence_material(parts, item_id, score, star, sorted(tags.get(ev_id, {}).items()), notes)
    return parts


def evidence_material(parts: Material, item_id: int, score: float | None, star: str,
                      tags: Iterable[tuple[int, str]], notes: str | None) -> None:
    """One item's evidence into an assessment's material; ``tags`` (indicator id, tag) by indicator id."""
    tagged = ",".join([f"{i}:{t}" for i, t in tags])
    parts[f"i{item_id}"] = (False, f"{_num(score)!r}|{star}|{tagged}")
    parts[f"n{item_id}"] = (True, notes or "")


def consensus_material(item_id: int, score: float, rationale: str) -> Material:
    return {"c": (False, canon([item_id, _num(score), rationale]))}


def outcome_material(status, tie_position, tie_reason, offer_reason, reserve_expiry, reserve_extended,
                     reserve_reason, feedback) -> Material:
    return {
        "o": (False, canon([
            status, tie_position, tie_reason, offer_reason,
            reserve_expiry.isoformat() if reserve_expiry else None, bool(reserve_extended), reserve_reason,
        ])),
        "f": (True, feedback or ""),
    }


def sealed_part(material: Material, salt: str, memo: dict | None = None) -> str:
    """One thing's seal as the seal column's JSON holds it: ``canon(digests(material, salt))``, written
    directly (an import seals 20,000 things; part names and digests need no escaping; tests compare).

    ``memo``: the unsalted parts' digests by (part, text), for a caller sealing many things whose
    scores, STAR and tags repeat (it stops growing at 50,000 entries)."""
    sha = hashlib.sha256
    out = []
    for part, (salted, text) in sorted(material.items()):
        if salted or memo is None:
            digest = sha(f"{part}\0{salt if salted else ''}\0{text}".encode()).hexdigest()[:32]
        else:
            digest = memo.get((part, text))
            if digest is None:
                digest = sha(f"{part}\0\0{text}".encode()).hexdigest()[:32]
                if len(memo) < 50_000:
                    memo[(part, text)] = digest
        out.append(f'"{part}":"{digest}"')
    return "{" + ",".join(out) + "}"


def digests(material: Material, salt: str) -> dict[str, str]:
    """The sealed form: a short digest per part; personal parts salted with the sealing entry's salt.

    One hash call per part (an import seals tens of thousands): the part name and salt
    hold no NUL, and the text comes last, so the joined input is unambiguous."""
    sha = hashlib.sha256
    return {
        part: sha(f"{part}\0{salt if salted else ''}\0{text}".encode()).hexdigest()[:32]
        for part, (salted, text) in material.items()
    }


def _outcome_columns() -> tuple:
    from db.models import Outcome

    return (Outcome.id, Candidate.campaign_id, Outcome.status, Outcome.tie_position, Outcome.tie_reason,
            Outcome.offer_reason, Outcome.reserve_expiry, Outcome.reserve_extended, Outcome.reserve_reason,
            Outcome.feedback)


def current_material(
    session: Session, *, campaign_id: int | None = None, keys: Iterable[str] = ()
) -> tuple[dict[str, Material], dict[str, int]]:
    """What the sealable things hold now, by key ("a<assessment id>", "c<consensus id>", "o<outcome id>"):
    every one in ``campaign_id``, or just ``keys``. Only submitted assessments count.
    Also returns each key's campaign. Plain column reads: the database's values, no ORM objects."""
    from db.models import Consensus, IndicatorTag, Outcome
    ids: dict[str, list[int]] = {"a": [], "c": [], "o": []}
    for k in keys:
        ids[k[0]].append(int(k[1:]))
    out: dict[str, Material] = {}
    where: dict[str, int] = {}

    def rows(columns, model, key_ids, extra=None):
        stmt = select(*columns).join(Candidate, col(Candidate.id) == model.candidate_id)
        if extra is not None:
            stmt = stmt.where(extra)
        if campaign_id is not None:
            return list(_rows_of(session, stmt.where(Candidate.campaign_id == campaign_id)))
        found = []
        for chunk in chunks(key_ids, SEAL_CHUNK):
            found += _rows_of(session, stmt.where(col(model.id).in_(chunk)))
        return found

    if campaign_id is not None or ids["a"]:
        assessments = rows((Assessment.id, Candidate.campaign_id), Assessment, ids["a"],
                           col(Assessment.submitted_at).is_not(None))
        a_ids = [a for a, _ in assessments]
        evidence: dict[int, list[tuple]] = {a: [] for a in a_ids}
        tags: dict[int, dict[int, str]] = {}
        for chunk in chunks(a_ids, SEAL_CHUNK):
            for ev_id, a, item_id, score, star, notes in _rows_of(
                session,
                select(ItemEvidence.id, ItemEvidence.assessment_id, ItemEvidence.item_id, ItemEvidence.score,
                       ItemEvidence.star, ItemEvidence.notes).where(col(ItemEvidence.assessment_id).in_(chunk))
            ):
                evidence[a].append((ev_id, item_id, score, star, notes))
            for ev_id, indicator_id, tag in _rows_of(
                session,
                select(IndicatorTag.evidence_id, IndicatorTag.indicator_id, IndicatorTag.tag)
                .join(ItemEvidence, col(ItemEvidence.id) == IndicatorTag.evidence_id)
                .where(col(ItemEvidence.assessment_id).in_(chunk))
            ):
                tags.setdefault(ev_id, {})[indicator_id] = tag
        for a, cid in assessments:
            out[f"a{a}"], where[f"a{a}"] = assessment_material(evidence[a], tags), cid
    if campaign_id is not None or ids["c"]:
        for c_id, cid, item_id, score, rationale in rows(
            (Consensus.id, Candidate.campaign_id, Consensus.item_id, Consensus.score, Consensus.rationale), Consensus, ids["c"]
        ):
            out[f"c{c_id}"], where[f"c{c_id}"] = consensus_material(item_id, score, rationale), cid
    if campaign_id is not None or ids["o"]:
        for o_id, cid, *values in rows(_outcome_columns(), Outcome, ids["o"]):
            out[f"o{o_id}"], where[f"o{o_id}"] = outcome_material(*values), cid
    return out, where


def _rows_of(session: Session, stmt) -> list:
    """Column rows on the session's connection (no ORM row processing: a seal reads ~100,000 of them)."""
    return session.connection().execute(stmt).all()


# Ids per IN-list when a seal reads material back (its rows are wide: notes and tags).
SEAL_CHUNK = 500


def latest_seals(session: Session, campaign_id: int | None) -> dict[str, tuple[AuditEvent, dict[str, str]]]:
    """The newest sealed values of each thing in a campaign's chain, with the entry that holds them."""
    from db.models import AuditEvent
    latest: dict[str, tuple[AuditEvent, dict[str, str]]] = {}
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.campaign_id == campaign_id, AuditEvent.seal != "",
                                 col(AuditEvent.seq).is_not(None)).order_by(col(AuditEvent.seq))
        .execution_options(populate_existing=True)  # the database's, not a remembered object's
    ).all()
    for e in rows:
        try:
            seal = json.loads(e.seal)
        except ValueError:
            continue
        if isinstance(seal, dict):
            for key, parts in seal.items():
                latest[key] = (e, parts if isinstance(parts, dict) else {})
    return latest
