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


def test_refresh_after_another_terminals_consensus_rereads_only_that_row(db_file):
    from sqlmodel import select

    from db.consolidation import load_grid, record_consensus, refresh_grid
    from db.demo import ensure_demo
    from db.models import CampaignItem, Candidate, PanelMember

    chair = open_database(sqlite_url(db_file))
    with chair.session() as s:
        campaign_id = ensure_demo(s).id
        sam = s.exec(select(PanelMember).where(PanelMember.name == "Sam Whitfield")).one().id
    with chair.session() as s:
        grid = load_grid(s, campaign_id, sam)  # type: ignore[arg-type]
    other = open_database(sqlite_url(db_file))
    with other.session() as s:
        candidate = s.exec(select(Candidate).where(Candidate.ref == "HRBP-001")).one()
        item = s.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign_id)).first()
        record_consensus(s, candidate.id, item.id, 5, "Agreed in the other room.", "Sam Whitfield")  # type: ignore[arg-type, union-attr]
    with chair.session() as s:
        fresh = refresh_grid(s, grid)
        unchanged = refresh_grid(s, fresh)
    changed = [old.ref for old, new in zip(grid.rows, fresh.rows) if old is not new]
    assert changed == ["HRBP-001"]
    assert unchanged is fresh  # nothing moved since: the same grid, no read
    other.dispose()
    chair.dispose()
