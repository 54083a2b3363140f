"""Live screens: another terminal (a second engine on the same file) changes data; the open screen shows it
within 2 seconds with no key press, re-reading only what changed. And the grid's field-trial fixes."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from db.campaigns import get_campaign
from db.candidates import add_candidate
from db.consolidation import record_consensus
from db.demo import DEMO_KEY
from db.engine import open_database, sqlite_url
from db.models import CampaignItem, Candidate
from db.outcomes import set_status
from panel_tui.app import make_app
from panel_tui.screens.campaigns import CampaignsScreen
from panel_tui.screens.consolidation import ConsolidationScreen
from panel_tui.widgets.score_grid import ScoreGrid
from tests.ui.settle import settle


@pytest.fixture
def other(demo_db_file):
    """Another terminal: its own engine on the same database file."""
    database = open_database(sqlite_url(demo_db_file))
    yield database
    database.dispose()


def _ids(database, ref: str) -> tuple[int, int, int]:
    with database.session() as s:
        campaign = get_campaign(s, DEMO_KEY)
        candidate = s.exec(select(Candidate.id).where(Candidate.ref == ref)).one()
        item = s.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == campaign.id)
                      .order_by(CampaignItem.position)).first()
        return campaign.id, candidate, item  # type: ignore[return-value]


async def _within(pilot, seconds: float, check) -> float:
    """Wait (no key press) until check() holds; return how long it took."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if check():
            return time.monotonic() - start
        await pilot.pause(0.05)
    raise AssertionError(f"not shown within {seconds} s")


async def _open_grid(pilot) -> ScoreGrid:
    await settle(pilot)
    await pilot.press("c")
    grid = pilot.app.screen.query_one(ScoreGrid)
    await _within(pilot, 5, lambda: grid.grid is not None and grid.grid.complete and grid.row_count)
    await settle(pilot)
    return grid


async def test_grid_shows_another_terminals_consensus_without_a_key(make_demo_app, other):
    app = make_demo_app()
    async with app.run_test(size=(160, 40)) as pilot:
        grid = await _open_grid(pilot)
        assert isinstance(app.screen, ConsolidationScreen)
        # The grid draws its first page, then reads the rest: compare against the whole grid.
        await _within(pilot, 5.0, lambda: grid.grid is not None and grid.grid.complete)
        before = grid.grid
        assert before is not None and "=" not in str(grid.get_cell_at((0, 1)))
        _, candidate, item = _ids(other, "HRBP-001")
        with other.session() as s:
            record_consensus(s, candidate, item, 5, "Agreed in the other room.", "Sam Whitfield")
        await _within(pilot, 2.0, lambda: "=5" in str(grid.get_cell_at((0, 1))))
        after = grid.grid
        assert after is not None and after.rows[0] is not before.rows[0]
        # That only the changed row is re-read is checked on the service (tests/test_changes.py).


async def test_merit_list_shows_another_terminals_decision_without_a_key(make_demo_app, other):
    app = make_demo_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        table = app.screen.query_one("#merit-table")
        _, candidate, _ = _ids(other, "HRBP-002")

        def status() -> str:
            return " ".join(str(c) for c in table.get_row(str(candidate)))

        assert "not appointed" not in status()
        with other.session() as s:
            set_status(s, candidate, "not_appointed", "Sam Whitfield")
        await _within(pilot, 2.0, lambda: "not appointed" in status())


async def test_campaign_list_counts_candidates_added_elsewhere(demo_db_file, other):
    database = open_database(sqlite_url(demo_db_file))
    app = make_app(database)
    try:
        async with app.run_test(size=(160, 30)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, CampaignsScreen)
            table = app.screen.query_one("#campaigns")
            campaign_id, _, _ = _ids(other, "HRBP-001")
            count = int(str(table.get_row(str(campaign_id))[4]))
            with other.session() as s:
                add_candidate(s, campaign_id, ref="LATE-001", name="Late Applicant")
            await _within(pilot, 2.0, lambda: str(table.get_row(str(campaign_id))[4]) == str(count + 1))
    finally:
        database.dispose()


async def test_campaign_screen_shows_candidates_added_elsewhere(make_demo_app, other):
    app = make_demo_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#candidates")
        rows = table.row_count
        campaign_id, _, _ = _ids(other, "HRBP-001")
        with other.session() as s:
            add_candidate(s, campaign_id, ref="LATE-002", name="Later Applicant")
        await _within(pilot, 2.0, lambda: table.row_count == rows + 1)


async def test_total_and_result_are_on_screen_at_120_columns_and_rounded(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await _open_grid(pilot)
        header = grid.render_line(0).text
        assert header.index("Total") < header.index("Result") < 120
        assert header.index("Candidate") < header.index("Total") < header.index("Leading")
        first = grid.render_line(1).text
        total = grid.grid.rows[0].total  # type: ignore[union-attr]
        assert total is not None and f"{total:.2f}".rstrip("0").rstrip(".") in first
        assert "…" not in first.split("HRBP-001", 1)[1][:20]  # the total is whole, not cut
