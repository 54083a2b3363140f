"""The return import's fast paths do what the plain ones did: multi-row inserts (db.exchange.bulk_values),
statements on a background thread, time checks that read the clock less often (db.specs.base._stamp),
and migration 0007's dropped indexes (every hot read still finds its rows by an index)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text
from sqlmodel import col, select

from db.demo import ensure_demo
from db.exchange import bulk_values
from db.exchange.bulk_values import Background, insert_rows
from db.models import Assessment, CampaignItem, Candidate, ItemEvidence, PanelMember
from db.specs import base


def _fresh_assessments(session, n: int) -> tuple[list[int], list[int]]:
    """n new assessments of the demo campaign's candidates by a member with none yet; their ids and the items."""
    campaign = ensure_demo(session)
    member = PanelMember(campaign_id=campaign.id, name="Bulk Tester")
    session.add(member)
    session.flush()
    candidates = session.exec(select(Candidate.id).where(Candidate.campaign_id == campaign.id)).all()[:n]
    now = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    insert_rows(session, Assessment, ("candidate_id", "member_id", "submitted_at", "updated_at"),
                [(c, member.id, None, now) for c in candidates])
    aids = session.exec(select(Assessment.id).where(Assessment.member_id == member.id).order_by(col(Assessment.id))).all()
    items = session.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == campaign.id)).all()
    return list(aids), list(items)


def test_multi_row_inserts_store_what_an_executemany_stores(session, monkeypatch):
    monkeypatch.setattr(bulk_values, "MAX_ROWS", 4)  # several statements, and a short last one
    aids, items = _fresh_assessments(session, 3)
    base_time = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    rows = [(a, i, f"notes {a}/{i}\nline two", "ST", 3.0 if k % 2 else None, base_time + timedelta(seconds=k))
            for k, (a, i) in enumerate((a, i) for a in aids for i in items)]
    insert_rows(session, ItemEvidence, ("assessment_id", "item_id", "notes", "star", "score", "updated_at"), rows)
    held = session.exec(
        select(ItemEvidence.assessment_id, ItemEvidence.item_id, ItemEvidence.notes, ItemEvidence.star,
               ItemEvidence.score, ItemEvidence.updated_at)
        .where(col(ItemEvidence.assessment_id).in_(aids)).order_by(col(ItemEvidence.id))
    ).all()
    assert len(held) == len(rows) > 4
    for got, want in zip(held, rows):
        assert tuple(got[:5]) == want[:5]
        assert got[5].replace(tzinfo=timezone.utc) == want[5]  # the same stored time as SQLAlchemy writes it


def test_a_statement_that_cannot_be_repeated_falls_back_to_executemany(session):
    if session.bind.dialect.name != "sqlite":
        pytest.skip("SQLite's ON CONFLICT clause after the VALUES group")
    from sqlalchemy.dialects.sqlite import insert

    aids, items = _fresh_assessments(session, 1)
    statement = insert(ItemEvidence).on_conflict_do_nothing()
    names = ("assessment_id", "item_id", "star", "updated_at", "notes")
    with pytest.raises(ValueError, match="give values for star, updated_at"):
        bulk_values._compiled(session.bind.dialect, statement, names[:2])
    assert bulk_values._compiled(session.bind.dialect, statement, names)[3] is None
    now = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    bulk_values.insert_values(session, statement, names, [
        (aids[0], items[0], "", now, "x"), (aids[0], items[0], "S", now, "y"), (aids[0], items[1], "", now, "z"),
    ], table=ItemEvidence.__table__)
    held = session.exec(select(ItemEvidence.item_id).where(ItemEvidence.assessment_id == aids[0])).all()
    assert sorted(held) == sorted(items[:2])


def test_background_statements_run_in_order_and_an_error_is_raised_at_the_end(session):
    aids, items = _fresh_assessments(session, 1)
    columns = ("assessment_id", "item_id", "notes", "star", "score", "updated_at")
    now = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    with Background(session) as background:
        insert_rows(session, ItemEvidence, columns, [(aids[0], items[0], "a", "", None, now)], run=background.run)
        steps = iter(range(3))
        background.meanwhile(steps)  # Python work while the statement runs
    assert session.exec(select(ItemEvidence.notes).where(ItemEvidence.assessment_id == aids[0])).all() == ["a"]

    with pytest.raises(Exception) as raised:
        with Background(session) as background:
            # the same (assessment, item) twice: the unique constraint refuses the second statement
            insert_rows(session, ItemEvidence, columns, [(aids[0], items[0], "b", "", None, now)], run=background.run)
            insert_rows(session, ItemEvidence, columns, [(aids[0], items[1], "c", "", None, now)], run=background.run)
    assert "unique" in str(raised.value).lower()
    if session.bind.dialect.name == "sqlite":  # (PostgreSQL refuses any statement after an error until the rollback)
        assert session.exec(select(ItemEvidence.notes).where(ItemEvidence.assessment_id == aids[0])).all() == ["a"]  # "c" skipped
    session.rollback()


def test_an_error_in_the_block_skips_what_is_still_queued(session):
    _fresh_assessments(session, 1)
    with pytest.raises(RuntimeError):
        with Background(session) as background:
            background.run("SELECT 1", ())
            raise RuntimeError("the caller failed")
    session.rollback()


@pytest.mark.parametrize("value", [
    "2026-11-30T10:00:00+00:00", "2026-11-30T10:00:00.123456+00:00", "2026-11-30T10:00:00",
    "2026-11-30T11:00:00+01:00", "2026-11-30", "2026-11-30T10:00:00Z", "1999-12-31T23:59:59+00:00",
    "2100-01-01T00:00:00+00:00", "2099-12-31T23:59:59-05:00", "not a time", "", "2026-13-01T00:00:00",
    "2026-11-30T10:00:00+00:00" + " " * 30, 1700000000, None, 3.5,
])
def test_a_stamp_is_read_as_the_general_check_reads_it(value):
    def outcome(check):
        try:
            return ("ok", check(value))
        except ValueError as exc:
            return ("refused", str(exc))

    assert outcome(base._stamp) == outcome(lambda v: base._moment(v, past=True))


def test_a_stamp_in_the_future_is_refused_whatever_the_clock_said_before():
    now = datetime.now(timezone.utc)
    base._stamp(now.isoformat())  # the clock is read and remembered
    for minutes in (4, 6, 60):
        later = (now + timedelta(minutes=minutes)).isoformat()
        if minutes < 5:
            assert base._stamp(later) == datetime.fromisoformat(later)
        else:
            with pytest.raises(ValueError, match="is in the future"):
                base._stamp(later)


def _indexes(engine, table: str) -> set[str]:
    return {i["name"] for i in inspect(engine).get_indexes(table)}


DROPPED = {"itemevidence": "ix_itemevidence_assessment_id", "indicatortag": "ix_indicatortag_evidence_id",
           "assessment": "ix_assessment_candidate_id"}


def test_migration_0007_drops_the_indexes_a_unique_one_starts_with_and_0006_had_them(database):
    from alembic import command

    from db.migrations import alembic_config

    for table, index in DROPPED.items():
        assert index not in _indexes(database.engine, table)
    with database.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
    for table, index in DROPPED.items():
        assert index in _indexes(database.engine, table)
    with database.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    for table, index in DROPPED.items():
        assert index not in _indexes(database.engine, table)


def test_reads_by_assessment_and_by_evidence_still_use_an_index(database, demo):
    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    reads = [
        "SELECT id, item_id FROM itemevidence WHERE assessment_id = 1",
        "SELECT indicator_id, tag FROM indicatortag WHERE evidence_id = 1",
        "SELECT id FROM assessment WHERE candidate_id = 1",
        "SELECT e.notes, t.tag FROM itemevidence e LEFT JOIN indicatortag t ON t.evidence_id = e.id WHERE e.assessment_id = 1",
    ]
    with database.engine.connect() as conn:
        for sql in reads:
            plan = " / ".join(row[3] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "SCAN" not in plan and "INDEX" in plan, (sql, plan)


def test_a_returns_notes_are_cleaned_as_any_block_of_text():
    import json

    from pydantic import TypeAdapter

    from db.exchange.return_lines import _ASSESSMENTS
    from db.specs.base import Block

    notes = "S: a\r\nT: \x1b[31mred\x1b[0m\tok\u202e\nR: done"
    entry = {"ref": "C-1", "updated_at": "2026-11-30T10:00:00+00:00",
             "items": [{"item": "Leadership", "notes": notes, "updated_at": "2026-11-30T10:00:00+00:00"}]}
    for version in (1, 2):  # the return's format versions
        (checked,) = _ASSESSMENTS[version].validate_json(json.dumps([entry]))
        assert checked["items"][0]["notes"] == TypeAdapter(Block(50_000)).validate_python(notes) != notes


def test_an_encrypted_database_takes_multi_row_and_background_inserts(tmp_path, monkeypatch):
    """SQLCipher's driver tells no parameter limit: statements keep to SQLite's old 999."""
    from db.engine import open_database, sqlite_url

    monkeypatch.setattr(bulk_values, "_limits", {})
    db = open_database(sqlite_url(tmp_path / "secret.db"), passphrase="correct horse battery staple")
    try:
        with db.session() as session:
            aids, items = _fresh_assessments(session, 6)
            now = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
            rows = [(a, i, f"n{a}/{i}", "", None, now) for a in aids for i in items]
            with Background(session) as background:
                insert_rows(session, ItemEvidence, ("assessment_id", "item_id", "notes", "star", "score", "updated_at"),
                            rows, run=background.run)
            session.commit()
            assert len(session.exec(select(ItemEvidence.id).where(col(ItemEvidence.assessment_id).in_(aids))).all()) == len(rows)
        assert list(bulk_values._limits.values()) == [999]
    finally:
        db.dispose()
