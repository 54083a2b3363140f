"""Migration 0006: evidence scores are read from a covering index (assessment, item, score), not from
rows holding pages of notes; the app upgrades a 0005 database and the export is unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from db.demo import ensure_demo
from db.engine import open_database
from db.migrations import HEAD, alembic_config
from db.results_export import results_json

INDEX = "ix_itemevidence_score"


def _indexes(engine) -> dict[str, list[str]]:
    return {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("itemevidence")}


def _export(database, campaign_id) -> str:
    with database.session() as s:
        return "".join(results_json(s, campaign_id))


def test_upgrading_from_0005_adds_the_index_and_changes_no_result(database):
    from alembic import command

    with database.session() as s:
        campaign_id = ensure_demo(s).id
    before = _export(database, campaign_id)
    assert _indexes(database.engine)[INDEX] == ["assessment_id", "item_id", "score"]
    with database.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
    assert INDEX not in _indexes(database.engine)
    database.dispose()

    reopened = open_database(database.url, load_frameworks=False)  # the app upgrades it on opening
    try:
        assert _indexes(reopened.engine)[INDEX] == ["assessment_id", "item_id", "score"]
        with reopened.engine.connect() as conn:
            assert conn.exec_driver_sql("select version_num from alembic_version").scalar() == HEAD
        assert _export(reopened, campaign_id) == before
    finally:
        reopened.dispose()


def evidence_read_plan(database, read) -> list[str]:
    """SQLite's plan steps for the one evidence statement ``read(session)`` runs."""
    from sqlalchemy import event

    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "itemevidence" in statement:
            captured.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        with database.session() as s:
            assert read(s)
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)
    (statement, parameters), = captured
    with database.engine.connect() as conn:
        return [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]


def test_sqlite_reads_the_scores_from_the_index_alone(database, demo):
    """The merit list's and the export's score read never opens an evidence row (nor its notes)."""
    from db import queries

    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    plan = " / ".join(evidence_read_plan(database, lambda s: queries.member_scores(s, demo.id)))
    assert f"COVERING INDEX {INDEX}" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # read in order: no sort of 360,000 rows at 20,000 candidates
