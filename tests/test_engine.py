"""The database file: creation, durability settings, migrations, and refusing files that are not ours."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlmodel import select

import db.engine as db_engine
from db.engine import open_database, resolve_url, sqlite_url
from db.errors import DatabaseFileError
from db.migrations import HEAD, KNOWN_REVISIONS
from tests.conftest import PG_URL

sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="SQLite file behaviour")


@sqlite_only
def test_new_database_is_owner_only_and_durable(tmp_path):
    path = tmp_path / "data" / "panel.db"
    db = open_database(sqlite_url(path))
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    finally:
        db.dispose()


def test_migrations_match_the_models(database):
    """The migrated schema is exactly what the models declare (nothing missing, nothing extra)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from db.models import load_all

    load_all()
    with database.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diffs == []
        assert conn.execute(text("select version_num from alembic_version")).scalar() == HEAD


def test_head_constant_matches_alembic_scripts():
    from alembic.script import ScriptDirectory

    from db.migrations import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_current_head() == HEAD
    assert {r.revision for r in script.walk_revisions()} == set(KNOWN_REVISIONS)


@sqlite_only
def test_reopening_keeps_data(tmp_path):
    from db.demo import ensure_demo

    url = sqlite_url(tmp_path / "p.db")
    db = open_database(url)
    with db.session() as s:
        ensure_demo(s)
    db.dispose()
    db = open_database(url)
    with db.session() as s:
        from db.campaigns import list_campaigns

        assert [c.key for c in list_campaigns(s)] == ["demo-hr-business-partner"]
    db.dispose()


@sqlite_only
def test_refuses_a_text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n")
    with pytest.raises(DatabaseFileError, match="is not a panel-tui database"):
        open_database(sqlite_url(path))
    assert path.read_text() == "not a database\n"


@sqlite_only
def test_refuses_a_corrupt_sqlite_file(tmp_path):
    path = tmp_path / "bad.db"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    before = path.read_bytes()
    with pytest.raises(DatabaseFileError, match="not a panel-tui database \\(or is corrupt\\)"):
        open_database(sqlite_url(path))
    assert path.read_bytes() == before


@sqlite_only
def test_refuses_another_apps_database(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table customers (id integer primary key)")
    before = path.read_bytes()
    with pytest.raises(DatabaseFileError, match="it has other tables"):
        open_database(sqlite_url(path))
    # Not a byte changed: not even its journal mode (stored in the file) was switched to WAL.
    assert path.read_bytes() == before
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert tables == ["customers"]


@sqlite_only
def test_refuses_a_database_from_a_newer_version(db_file):
    with sqlite3.connect(db_file) as conn:
        conn.execute("update alembic_version set version_num = '9999'")
    conn.close()
    conn = sqlite3.connect(db_file, isolation_level=None)
    assert conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"  # as a newer version might leave it
    conn.close()
    before = db_file.read_bytes()
    with pytest.raises(DatabaseFileError, match="newer version of panel-tui \\(schema 9999\\)"):
        open_database(sqlite_url(db_file))
    assert db_file.read_bytes() == before


@sqlite_only
def test_unwritable_data_folder(tmp_path):
    if os.geteuid() == 0:
        # root ignores permissions: use a path under a file instead.
        blocker = tmp_path / "blocker"
        blocker.write_text("")
        target = blocker / "sub" / "panel.db"
        with pytest.raises(DatabaseFileError, match="cannot create data folder"):
            open_database(sqlite_url(target))
    else:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        with pytest.raises(DatabaseFileError, match="not writable"):
            open_database(sqlite_url(folder / "panel.db"))


def test_url_resolution_order(monkeypatch, tmp_path):
    monkeypatch.setenv("PANEL_TUI_DB", str(tmp_path / "env.db"))
    assert resolve_url() == sqlite_url(tmp_path / "env.db")
    monkeypatch.setenv("PANEL_TUI_DB_URL", "postgresql+psycopg://u@h/d")
    assert resolve_url() == "postgresql+psycopg://u@h/d"
    assert resolve_url(db_path=tmp_path / "x.db") == sqlite_url(tmp_path / "x.db")
    assert resolve_url(db_url="sqlite://") == "sqlite://"
    monkeypatch.delenv("PANEL_TUI_DB_URL")
    monkeypatch.delenv("PANEL_TUI_DB")
    assert resolve_url().endswith("/panel-tui/panel.db")


def test_db_package_never_imports_textual():
    """db/ is importable (every module) without Textual ever loading."""
    code = (
        "import importlib, pkgutil, sys, db\n"
        "for m in pkgutil.walk_packages(db.__path__, 'db.'):\n"
        "    if '.migrations.versions' in m.name or m.name.endswith('migrations.env'): continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _schema(path) -> dict[str, tuple]:
    """Each table's columns (name, type, not null, default, key), foreign keys and indexes, as SQLite reports them.

    Read through PRAGMAs rather than the stored DDL: a column Alembic added with ALTER TABLE or a
    table it rebuilt is spelled differently in sqlite_master but is the same schema.
    """
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table' and name not like 'sqlite_%'")]
        out = {}
        for t in tables:
            columns = sorted(tuple(r[1:]) for r in conn.execute(f'pragma table_xinfo("{t}")'))
            keys = sorted(tuple(r[2:5]) for r in conn.execute(f'pragma foreign_key_list("{t}")'))
            indexes = sorted(
                (bool(unique), tuple(c[2] for c in conn.execute(f'pragma index_info("{name}")')))
                for _, name, unique, *_ in conn.execute(f'pragma index_list("{t}")')
            )
            out[t] = (tuple(columns), tuple(keys), tuple(indexes))
    return out


@sqlite_only
def test_a_new_database_gets_exactly_the_migrated_schema(tmp_path):
    """A new file is made from the models (no Alembic); running the migrations gives the same tables."""
    from db.migrations import upgrade

    created = tmp_path / "created.db"
    open_database(sqlite_url(created), load_frameworks=False).dispose()
    migrated = tmp_path / "migrated.db"
    engine = db_engine.make_engine(sqlite_url(migrated))
    upgrade(engine)
    engine.dispose()
    assert _schema(created) == _schema(migrated)
    with sqlite3.connect(created) as conn:
        assert conn.execute("select version_num from alembic_version").fetchall() == [(HEAD,)]


@sqlite_only
def test_first_start_on_sqlite_imports_neither_alembic_nor_other_dialects(tmp_path):
    code = (
        "import sys; from pathlib import Path; from db.engine import open_database, sqlite_url\n"
        f"db = open_database(sqlite_url(Path({str(tmp_path / 'new.db')!r})))\n"
        "from db.demo import ensure_demo\n"
        "with db.session() as s: ensure_demo(s)\n"
        "print(sorted(m for m in sys.modules if m == 'alembic' or m.startswith('sqlalchemy.dialects.postgresql')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_demo_is_written_in_one_transaction(database):
    from sqlalchemy import event

    from db.campaigns import list_campaigns
    from db.demo import ensure_demo

    commits = []
    event.listen(database.engine, "commit", lambda conn: commits.append(conn))
    with database.session() as s:
        campaign = ensure_demo(s)
    assert len(commits) == 1
    with database.session() as s:
        assert [c.key for c in list_campaigns(s)] == [campaign.key]


def test_a_demo_that_fails_half_way_leaves_nothing(database, monkeypatch):
    import db.demo
    from db.models import Assessment, Campaign

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(db.demo, "set_current_member", broken)  # the last step
    with database.session() as s, pytest.raises(RuntimeError, match="disk full"):
        db.demo.ensure_demo(s)
    with database.session() as s:
        assert s.exec(select(Campaign)).all() == []
        assert s.exec(select(Assessment)).all() == []


def _through_the_services(session, campaign, items, members, candidates) -> None:
    """The demo's panel work typed in as a panellist would: one save_evidence per item, then submit."""
    from db.demo import NOTES, PANEL, SCORES
    from db.interview import EvidenceState, indicators, save_evidence, submit

    for (ref, member_name), scores in SCORES.items():
        cand, member = candidates[ref], members[member_name]
        offset = [name for name, _ in PANEL].index(member_name)
        for n, (item, score) in enumerate(zip(items, scores)):
            if score is None:
                continue
            effective = [i for i in indicators(session, item.element_id, campaign.level) if i.kind == "effective"]
            tags = {effective[0].id: "seen"} if effective else {}
            notes = NOTES[(n + offset) % len(NOTES)]
            save_evidence(session, cand.id, member.id, item.id,
                          EvidenceState(notes=notes, star="STAR" if score >= 4 else "SA", score=score, tags=tags))
        if all(s is not None for s in scores):
            submit(session, cand.id, member.id)


def _panel_work(session) -> tuple[list, list, list]:
    from db.models import Assessment, AuditEvent, CampaignItem, Candidate, IndicatorTag, ItemEvidence, PanelMember

    who = (
        select(Candidate.ref, PanelMember.name, CampaignItem.name)
        .join(Assessment, Assessment.candidate_id == Candidate.id)
        .join(PanelMember, PanelMember.id == Assessment.member_id)
        .join(ItemEvidence, ItemEvidence.assessment_id == Assessment.id)
        .join(CampaignItem, CampaignItem.id == ItemEvidence.item_id)
    )
    evidence = session.exec(who.add_columns(
        ItemEvidence.notes, ItemEvidence.star, ItemEvidence.score, Assessment.submitted_at.is_not(None)
    )).all()
    tags = session.exec(who.join(IndicatorTag, IndicatorTag.evidence_id == ItemEvidence.id).add_columns(
        IndicatorTag.indicator_id, IndicatorTag.tag
    )).all()
    audit = session.exec(select(AuditEvent.action, AuditEvent.entity, AuditEvent.actor, AuditEvent.old_value,
                                AuditEvent.new_value)).all()
    return sorted(evidence), sorted(tags), sorted(audit)


def test_the_demo_stores_what_the_services_would(tmp_path, monkeypatch):
    import db.demo

    fast = open_database(sqlite_url(tmp_path / "fast.db"))
    reference = open_database(sqlite_url(tmp_path / "reference.db"))
    try:
        with fast.session() as s:
            db.demo.ensure_demo(s)
        monkeypatch.setattr(db.demo, "_write_assessments", _through_the_services)
        with reference.session() as s:
            db.demo.ensure_demo(s)
        with fast.session() as f, reference.session() as r:
            got, want = _panel_work(f), _panel_work(r)
        assert len(got[0]) == 38 and len(got[1]) == 38 and got[2]
        assert got == want
    finally:
        fast.dispose()
        reference.dispose()


def test_bundled_frameworks_load_in_one_transaction(database):
    """Loading the bundled data commits once, and gives the rows the bundled files hold."""
    from sqlalchemy import event, func

    from db.frameworks import ensure_bundled, read_data
    from db.models import Element, Framework, Indicator

    engine = database.engine
    commits = []
    with database.session() as s:
        s.exec(text("delete from indicator"))
        s.exec(text("delete from element"))
        s.exec(text("delete from framework"))
        s.commit()
    event.listen(engine, "commit", lambda conn: commits.append(conn))
    with database.session() as s:
        ensure_bundled(s)
    assert len(commits) == 1
    with database.session() as s:
        for key in ("competencies-2012", "success-profiles-behaviours"):
            data = read_data(f"{key}.json")
            fw = s.exec(select(Framework).where(Framework.key == key)).one()
            names = s.exec(select(Element.name).where(Element.framework_id == fw.id).order_by(Element.position)).all()
            assert names == [e["name"] for e in data["elements"]]
            stored = s.exec(
                select(func.count()).select_from(Indicator).join(Element).where(Element.framework_id == fw.id)
            ).one()
            expected = sum(len(items) for e in data["elements"] for body in e["levels"].values() for items in body.values())
            assert stored == expected
