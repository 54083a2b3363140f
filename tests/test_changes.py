"""db.changes.ChangeWatch: one cheap check that says whether anything was committed since the last one."""

from __future__ import annotations

from db.campaigns import create_campaign
from db.candidates import add_candidate
from db.changes import ChangeWatch
from db.engine import memory_database, open_database, sqlite_url

SPEC = {"key": "w-1", "title": "Watch", "grade": "SEO", "framework": "success-profiles-behaviours",
        "items": ["Working Together"], "pass_mark": 4, "panel": [{"name": "Sam Whitfield", "role": "chair"}]}


def _check(writer, watch: ChangeWatch) -> None:
    with writer.session() as s:
        campaign = create_campaign(s, SPEC)
    assert watch.changed() is True  # the campaign
    assert watch.changed() is False
    with writer.session() as s:
        add_candidate(s, campaign.id, ref="C-1", name="One")  # type: ignore[arg-type]
    assert watch.changed() is True
    assert watch.changed() is False
    watch.close()


def test_file_database_another_engine_commits(db_file):
    """SQLite file: PRAGMA data_version on the watch's own connection sees another engine's commit."""
    reader, writer = open_database(sqlite_url(db_file)), open_database(sqlite_url(db_file))
    watch = ChangeWatch(reader.engine)
    assert watch.uses_data_version
    try:
        assert watch.changed() is False  # the first look is the baseline
        _check(writer, watch)
    finally:
        reader.dispose()
        writer.dispose()


def test_portable_check_on_a_shared_connection():
    """In-memory (one shared connection, as on any non-SQLite database): the portable statement."""
    database = memory_database()
    watch = ChangeWatch(database.engine)
    assert not watch.uses_data_version
    assert watch.changed() is False  # the first look is the baseline
    _check(database, watch)
    database.dispose()
