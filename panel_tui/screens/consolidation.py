"""The chair's consolidation: every candidate's scores side by side, divergence highlighted, consensus entered."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Label

from db import consolidation
from db.consolidation import Grid
from panel_tui.widgets.score_grid import ScoreGrid


class ConsolidationScreen(Screen[None]):
    CSS_PATH = "../styles/consolidation.tcss"

    BINDINGS = [
        Binding("d", "next_divergent", "Next divergent", tooltip="Jump to the next item whose scores differ by the threshold or more"),
        Binding("h", "history", "Audit history", tooltip="Every recorded change for this candidate"),
        Binding("o", "outcomes", "Outcomes"),
        Binding("r", "reload", "Reload"),
        Binding("q,escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, database, campaign_id: int, member_id: int | None) -> None:
        super().__init__()
        self.database = database
        self.campaign_id = campaign_id
        self.member_id = member_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Loading…", id="grid-summary", classes="screen-title")
        yield ScoreGrid(id="grid")
        yield Label(
            "Each cell: members' scores in panel order, =agreed score, ~provisional mean; red: scores diverge",
            id="grid-legend",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Consolidation"
        self.action_reload()

    @work(thread=True, exclusive=True, group="grid", exit_on_error=False)
    def action_reload(self) -> None:
        # Thousands of candidates: read in a worker, draw on the UI thread.
        with self.database.session() as session:
            grid = consolidation.load_grid(session, self.campaign_id, self.member_id)
        self.app.call_from_thread(self._show, grid)

    def _show(self, grid: Grid) -> None:
        self.title = grid.title
        members = ", ".join(m.name for m in grid.members)
        provisional = sum(1 for r in grid.rows if r.provisional)
        self.query_one("#grid-summary", Label).update(
            f"{len(grid.rows)} candidates · panel: {members} · {grid.divergent_cells} divergent "
            f"(spread ≥ {grid.divergence_threshold:g}) · {provisional} provisional · items by {grid.scoring_method}"
        )
        self.query_one(ScoreGrid).show(grid)
        self.query_one(ScoreGrid).focus()

    @on(ScoreGrid.CellChosen)
    def _cell_chosen(self) -> None:
        self.action_consensus()

    def action_consensus(self) -> None:
        selected = self.query_one(ScoreGrid).selected()
        if selected is None:
            return
        from panel_tui.screens.consensus import ConsensusDialog

        actor = ""
        grid = self.query_one(ScoreGrid).grid
        if grid is not None and self.member_id is not None:
            actor = next((m.name for m in grid.members if m.id == self.member_id), "")
        self.app.push_screen(
            ConsensusDialog(self.database, *selected, self.member_id, actor),
            lambda recorded: recorded and self.action_reload(),
        )

    def action_history(self) -> None:
        grid = self.query_one(ScoreGrid)
        if grid.selected_row() is None:
            return
        from panel_tui.screens.audit_history import AuditHistory

        row = grid.selected_row()
        self.app.push_screen(AuditHistory(self.database, row.candidate_id, row.label))

    def action_next_divergent(self) -> None:
        if not self.query_one(ScoreGrid).next_divergent():
            self.notify("No divergent scores")

    def action_outcomes(self) -> None:
        from panel_tui.screens.outcomes import OutcomesScreen

        self.app.push_screen(OutcomesScreen(self.database, self.campaign_id, self.member_id))

    def palette_commands(self):
        yield ("Next divergent score", "Jump to the next item whose scores diverge", self.action_next_divergent)
        yield ("Evidence and consensus for this cell", "Record the agreed score and rationale", self.action_consensus)
