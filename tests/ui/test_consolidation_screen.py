"""The chair's consolidation screen: the grid, divergence, independence, and recording consensus by keys."""

from __future__ import annotations

from sqlmodel import Session, select

from db.models import AuditEvent, Consensus
from panel_tui.screens.consolidation import ConsolidationScreen
from panel_tui.widgets.score_grid import ScoreGrid
from tests.ui.settle import settle


async def open_grid(pilot) -> ScoreGrid:
    await settle(pilot)
    await pilot.press("c")
    for _ in range(30):
        await pilot.pause(0.05)
        grid = pilot.app.screen.query_one(ScoreGrid)
        if grid.row_count:
            return grid
    raise AssertionError("the grid never loaded")


async def open_evidence(pilot) -> ScoreGrid:
    """The grid, then Enter on the first candidate's first item: its evidence and consensus dialog."""
    grid = await open_grid(pilot)
    grid.move_cursor(row=0, column=1)
    await pilot.press("enter")
    await settle(pilot)
    return grid


def _cell_text(grid: ScoreGrid, row: int, column: int) -> str:
    return str(grid.get_cell_at((row, column)))


async def test_grid_shows_members_scores_and_hides_unsubmitted_candidates(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(160, 40)) as pilot:
        grid = await open_grid(pilot)
        assert isinstance(app.screen, ConsolidationScreen)
        # HRBP-001, Leading and Communicating: Sam 5, Priya 5, Joe 6 (everyone submitted).
        assert _cell_text(grid, 0, 1).startswith("5 5 6")
        assert "~5.3" in _cell_text(grid, 0, 1)
        # HRBP-003: Sam (the viewer) has not submitted, so Priya's scores are withheld from him.
        assert "(hidden)" in _cell_text(grid, 2, 1)
        assert "5" not in _cell_text(grid, 2, 1).split("(hidden)")[0]


async def test_next_divergent_jumps_to_the_spread(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(160, 40)) as pilot:
        grid = await open_grid(pilot)
        await pilot.press("d")
        # HRBP-002, Leading and Communicating: 4, 4, 2 -- a spread of 2 meets the threshold.
        assert tuple(grid.cursor_coordinate) == (1, 1)
        assert grid.get_cell_at((1, 1)).spans[0].style == "bold red"


async def test_record_consensus_by_keys(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await open_evidence(pilot)
        assert type(app.screen).__name__ == "ConsensusDialog"
        await pilot.press("9", "ctrl+s")  # off the scale: refused, stays open
        await settle(pilot)
        assert "not on the scale" in str(app.screen.query_one("#consensus-error").render())
        await pilot.press("backspace", "5", "tab", *"Clear, well-structured evidence of engaging staff.", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConsolidationScreen)
        await settle(pilot)
        assert "=5" in _cell_text(app.screen.query_one(ScoreGrid), 0, 1)
    with Session(reader.engine) as s:
        rows = s.exec(select(Consensus)).all()
        audit = s.exec(select(AuditEvent).where(AuditEvent.entity == "consensus")).all()
    assert [(r.score, r.rationale) for r in rows] == [(5.0, "Clear, well-structured evidence of engaging staff.")]
    assert len(audit) == 1 and audit[0].actor == "Sam Whitfield"


async def test_consensus_waits_for_every_submission(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(160, 45)) as pilot:
        grid = await open_grid(pilot)
        grid.move_cursor(row=2, column=1)  # HRBP-003: nobody has submitted
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("5", "tab", *"x", "ctrl+s")
        await settle(pilot)
        assert "still to submit" in str(app.screen.query_one("#consensus-error").render())


async def test_audit_history_shows_the_consensus_change(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await open_evidence(pilot)
        await pilot.press("5", "tab", *"Agreed after discussion.", "ctrl+s")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        table = app.screen.query_one("#audit")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert any("record consensus" in r[2] and r[5].startswith("5") and r[1] == "Sam Whitfield" for r in rows)
        # Field trial: the Reason column held the item's name; the item has its own column, the reason is the rationale.
        consensus = next(r for r in rows if "record consensus" in r[2])
        assert consensus[3] and consensus[3] not in consensus[6]
        assert consensus[6] == "Agreed after discussion."
        assert any("submit assessment" in r[2] for r in rows)


async def test_evidence_columns_scroll_and_the_links_act(make_demo_app, reader):
    """Long notes scroll (the members' columns together: focus them, then the arrow keys); the
    Record and Cancel links do what ctrl+s and escape do."""
    from sqlalchemy import text

    from textual.containers import VerticalScroll

    from panel_tui.screens.consensus import ConsensusDialog

    with Session(reader.engine) as s:
        s.exec(text("update itemevidence set notes = :n"), params={"n": "A long account of what was said.\n" * 60})
        s.commit()
    app = make_demo_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await open_evidence(pilot)
        assert isinstance(app.screen, ConsensusDialog)
        column = app.screen.query_one("#member-evidence", VerticalScroll)
        assert column.max_scroll_y > 0
        column.focus()
        await pilot.pause()
        assert column.has_focus, app.screen.focused
        await pilot.press("down", "down", "pagedown")
        await pilot.pause(0.5)
        assert column.scroll_y > 2
        actions = app.screen.query_one("#consensus-actions")
        await pilot.click(actions, offset=(str(actions.render()).index("Cancel") + 1, 0))
        await settle(pilot)
        assert isinstance(app.screen, ConsolidationScreen)


async def test_reload_keeps_the_cursor_and_every_row_while_it_reads(make_demo_app, reader):
    """r reads the first page first: its rows take their places in the grid on screen (a reload never
    shrinks the grid to its first page, nor pulls the cursor back into it), then the whole grid."""
    from db.models import Campaign, Candidate

    with Session(reader.engine) as s:
        campaign = s.exec(select(Campaign)).first()
        s.add_all([Candidate(campaign_id=campaign.id, ref=f"ZZ-{n:03d}", name=f"Late {n}") for n in range(40)])
        s.commit()
    app = make_demo_app()
    async with app.run_test(size=(100, 24)) as pilot:
        grid = await open_grid(pilot)
        await settle(pilot)
        assert grid.grid.complete and grid.row_count == 46
        grid.move_cursor(row=40, column=2)
        await pilot.pause()
        chosen = grid.selected()
        sizes = []
        grid.watch(grid, "virtual_size", lambda size: sizes.append(size.height), init=False)
        await pilot.press("r")
        await settle(pilot)
        assert grid.grid.complete and grid.row_count == 46
        assert (grid.cursor_row, grid.selected()) == (40, chosen)
        assert all(height == 47 for height in sizes)  # never the first page's 24 + 1
