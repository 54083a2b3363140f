"""Autosave: the interview screen's hot path, a few prepared statements per save.

The ownership check (candidate, member and items in one campaign) runs once per
interview (autosave_target); autosave() then validates the state and writes it in one
short transaction with core INSERT ... ON CONFLICT / UPDATE statements. Portable to
SQLite and PostgreSQL (both have ON CONFLICT); any other database takes save_evidence.
Amending a submitted assessment (audited) stays with db.interview.save_evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, update
from sqlmodel import Session, col, select

from db import scales
from db.errors import NotFound, ValidationError
from db.interview import STAR, TAGS, EvidenceState, panel_seat, save_evidence
from db.models import Assessment, CampaignItem, IndicatorTag, ItemEvidence, utcnow


@dataclass
class AutosaveTarget:
    """One member's assessment of one candidate, checked once; autosave() then only writes.

    The ownership check (candidate, member and items in one campaign) and the ids are
    resolved when the screen opens, not on every save. Ids learnt while saving are cached
    only after their transaction commits.
    """

    candidate_id: int
    member_id: int
    campaign_id: int
    member_name: str
    scales: dict[int, list]  # item id -> its scale: only these items may be saved
    assessment_id: int | None = None
    evidence_ids: dict[int, int] = field(default_factory=dict)  # item id -> evidence id
    saved_tags: dict[int, dict[int, str]] = field(default_factory=dict)  # item id -> tags as last committed


def autosave_target(session: Session, candidate_id: int, member_id: int) -> AutosaveTarget:
    candidate, member, campaign = panel_seat(session, candidate_id, member_id)
    items = session.exec(
        select(CampaignItem.id, CampaignItem.scale).where(CampaignItem.campaign_id == campaign.id)
    ).all()
    target = AutosaveTarget(
        candidate_id=candidate_id,
        member_id=member_id,
        campaign_id=campaign.id,  # type: ignore[arg-type]
        member_name=member.name,
        scales={i: s or campaign.scale for i, s in items},  # type: ignore[misc]
    )
    target.assessment_id = session.exec(
        select(Assessment.id).where(Assessment.candidate_id == candidate_id, Assessment.member_id == member_id)
    ).first()
    if target.assessment_id is not None:
        for ev_id, item_id in session.exec(
            select(ItemEvidence.id, ItemEvidence.item_id).where(ItemEvidence.assessment_id == target.assessment_id)
        ).all():
            target.evidence_ids[item_id] = ev_id  # type: ignore[assignment]
            target.saved_tags[item_id] = {}
        items_by_evidence = {ev: item for item, ev in target.evidence_ids.items()}
        for ev_id, indicator_id, tag in session.exec(
            select(IndicatorTag.evidence_id, IndicatorTag.indicator_id, IndicatorTag.tag).where(
                col(IndicatorTag.evidence_id).in_(list(items_by_evidence))
            )
        ).all():
            target.saved_tags[items_by_evidence[ev_id]][indicator_id] = tag
    return target


def _insert_for(dialect: str):
    """INSERT ... ON CONFLICT for the two dialects panel-tui runs on (the same API in both)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return None
    return insert


_AUTOSAVE_STATEMENTS: dict[str, dict] = {}


def _autosave_statements(dialect: str) -> dict | None:
    """Core statements built once per dialect, run with parameters: no ORM work per save."""
    if dialect in _AUTOSAVE_STATEMENTS:
        return _AUTOSAVE_STATEMENTS[dialect]
    insert = _insert_for(dialect)
    if insert is None:
        return None
    a, e, t = Assessment.__table__, ItemEvidence.__table__, IndicatorTag.__table__  # type: ignore[attr-defined]
    now = bindparam("p_now", type_=a.c.updated_at.type)
    evidence = insert(e).values(
        assessment_id=bindparam("p_assessment"), item_id=bindparam("p_item"), notes=bindparam("p_notes"),
        star=bindparam("p_star"), score=bindparam("p_score", type_=e.c.score.type),
        updated_at=bindparam("p_now", type_=e.c.updated_at.type),
    )
    evidence = evidence.on_conflict_do_update(
        index_elements=["assessment_id", "item_id"],
        set_={c: evidence.excluded[c] for c in ("notes", "star", "score", "updated_at")},
    )
    tag = insert(t).values(evidence_id=bindparam("p_evidence"), indicator_id=bindparam("p_indicator"), tag=bindparam("p_tag"))
    statements = {
        "new_assessment": insert(a)
        .values(candidate_id=bindparam("p_candidate"), member_id=bindparam("p_member"), updated_at=now)
        .on_conflict_do_nothing(index_elements=["candidate_id", "member_id"]),
        "assessment_id": select(a.c.id).where(a.c.candidate_id == bindparam("p_candidate"), a.c.member_id == bindparam("p_member")),
        # The guard and the bump in one statement: no row means submitted (or deleted) meanwhile.
        "bump": update(a).where(a.c.id == bindparam("p_assessment"), a.c.submitted_at.is_(None)).values(updated_at=now),
        "evidence": evidence,
        "evidence_returning": evidence.returning(e.c.id),
        "tag": tag.on_conflict_do_update(index_elements=["evidence_id", "indicator_id"], set_={"tag": tag.excluded.tag}),
        "untag": delete(t).where(t.c.evidence_id == bindparam("p_evidence"), t.c.indicator_id.in_(bindparam("p_gone", expanding=True))),
        "untag_all": delete(t).where(t.c.evidence_id == bindparam("p_evidence")),
    }
    if dialect == "postgresql":
        # The guard, the bump and the notes in one statement (a writable CTE): one round trip
        # fewer per save on a server. No row written means submitted (or deleted) meanwhile.
        bump = statements["bump"].returning(a.c.id).cte("bump")
        columns = ("assessment_id", "item_id", "notes", "star", "score", "updated_at")
        guarded = insert(e).from_select(columns, select(
            bump.c.id, bindparam("p_item"), bindparam("p_notes"), bindparam("p_star"),
            bindparam("p_score", type_=e.c.score.type), bindparam("p_now", type_=e.c.updated_at.type),
        ))
        statements["guarded_evidence"] = guarded.on_conflict_do_update(
            index_elements=["assessment_id", "item_id"],
            set_={c: guarded.excluded[c] for c in ("notes", "star", "score", "updated_at")},
        ).execution_options(preserve_rowcount=True)  # SQLAlchemy keeps an INSERT's rowcount only when asked
    _AUTOSAVE_STATEMENTS[dialect] = statements
    return statements


def autosave(session: Session, target: AutosaveTarget, item_id: int, state: EvidenceState) -> datetime:
    """Save one item's notes, STAR, score and tags for an assessment not submitted: one short transaction.

    The same rules as save_evidence (which also handles amending a submitted
    assessment, with its audit); prepared core statements instead of ORM loads.
    Raises ValidationError if the assessment has been submitted meanwhile.
    """
    if item_id not in target.scales:
        raise NotFound("that item is not assessed in this candidate's campaign")
    score = None if state.score is None else scales.check_score(target.scales[item_id], state.score)
    if any(c not in STAR for c in state.star):
        raise ValidationError(f"STAR coverage {state.star!r} may only use the letters S, T, A, R")
    if any(t not in TAGS for t in state.tags.values()):
        raise ValidationError("indicator tags must be 'seen' or 'contrary'")
    connection = session.connection()
    sql = _autosave_statements(connection.dialect.name)
    if sql is None:  # another database: the general path
        return save_evidence(session, target.candidate_id, target.member_id, item_id, state)
    now = utcnow()
    who = {"p_candidate": target.candidate_id, "p_member": target.member_id}
    try:
        assessment_id = target.assessment_id
        if assessment_id is None:
            connection.execute(sql["new_assessment"], {**who, "p_now": now})
            assessment_id = connection.execute(sql["assessment_id"], who).scalar_one()
        values = {
            "p_assessment": assessment_id, "p_item": item_id, "p_notes": state.notes,
            "p_star": "".join(c for c in STAR if c in state.star), "p_score": score, "p_now": now,
        }
        evidence_id = target.evidence_ids.get(item_id)
        if evidence_id is not None and "guarded_evidence" in sql:
            if connection.execute(sql["guarded_evidence"], values).rowcount != 1:
                _refuse(connection, assessment_id)
        elif connection.execute(sql["bump"], {"p_assessment": assessment_id, "p_now": now}).rowcount != 1:
            _refuse(connection, assessment_id)
        elif evidence_id is None:
            evidence_id = connection.execute(sql["evidence_returning"], values).scalar_one()
        else:
            connection.execute(sql["evidence"], values)
        old_tags = target.saved_tags.get(item_id)
        if old_tags != state.tags:
            _write_tags(connection, sql, evidence_id, old_tags, state.tags)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    target.assessment_id = assessment_id
    target.evidence_ids[item_id] = evidence_id
    target.saved_tags[item_id] = dict(state.tags)
    return now


def _refuse(connection, assessment_id: int) -> None:
    """The guard wrote nothing: say why."""
    if connection.execute(select(Assessment.id).where(Assessment.id == assessment_id)).first() is None:
        raise NotFound("this assessment no longer exists (deleted or purged)")
    raise ValidationError("this assessment is submitted: amending it needs a reason")


def _write_tags(connection, sql: dict, evidence_id: int, old: dict[int, str] | None, new: dict[int, str]) -> None:
    """Only the tags that changed; with no record of the old ones, every tag is made to match."""
    if old is None:
        connection.execute(sql["untag_all"], {"p_evidence": evidence_id})
        changed = new
    else:
        gone = [i for i in old if i not in new]
        if gone:
            connection.execute(sql["untag"], {"p_evidence": evidence_id, "p_gone": gone})
        changed = {i: t for i, t in new.items() if old.get(i) != t}
    if changed:
        connection.execute(
            sql["tag"], [{"p_evidence": evidence_id, "p_indicator": i, "p_tag": tag} for i, tag in changed.items()]
        )
