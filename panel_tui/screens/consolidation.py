"""The chair's consolidation: every candidate's scores side by side, divergence highlighted, consensus entered.

Opening reads the first page of candidates, draws it, then reads the rest behind it.
After a consensus only that candidate's row is re-read and redrawn; another
terminal's changes arrive the same way (LiveRefresh: the changed rows only).
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Label

from db import consolidation
from db.consolidation import CellEvidence, Grid
from db.text import clean_line
from panel_tui.live import LiveRefresh
from panel_tui.screens.first_paint import after_paint, freeze_while_open, hold_collector, thaw
from panel_tui.widgets.footer import PanelFooter
from panel_tui.widgets.score_grid import ScoreGrid
from panel_tui.work import ServiceWork

FIRST_PAGE = 20  # at least this many candidates are read before the first draw (more: the terminal's height)


def _prepare_dialog(screen: Screen) -> None:
    """The evidence dialog's module (its widgets: ~15 ms) imported and its styles parsed once the grid
    is drawn, not on the first enter."""
    from panel_tui.screens.consensus import prime_styles

    if screen.is_attached:
        prime_styles(screen.app)


class _LateFooter(PanelFooter):
    """The footer, its keys composed once the grid's first page is painted (``start``), then as any footer.

    Textual's footer composes its keys again each time the screen's bindings are refreshed (the
    screen resumed, then focus given to the grid), each after a frame: ~15 ms each, competing with
    the first page's read. This one waits for the first page: the bar is there from the first frame,
    its keys (composed once) a frame after the grid."""

    _started = False

    def bindings_changed(self, screen: Screen) -> None:
        if self._started:
            super().bindings_changed(screen)

    def start(self) -> None:
        if not self._started and self.is_attached:
            self._started = True
            # From the footer's own message loop: its keys are composed in its context, not the caller's.
            self.call_later(self.bindings_changed, self.screen)


def _same_columns(a: Grid, b: Grid) -> bool:
    """Same panel, items and view: rows of one can take their places in the other."""
    return (a.campaign_id == b.campaign_id and a.viewer_member_id == b.viewer_member_id and a.anonymised == b.anonymised
            and a.members == b.members and a.items == b.items)


class ConsolidationScreen(ServiceWork, LiveRefresh, Screen[None]):
    CSS_PATH = "../styles/consolidation.tcss"
    HELP_TITLE = "Consolidation (the chair)"

    BINDINGS = [
        Binding("d", "next_divergent", "Next divergent", tooltip="Jump to the next item whose scores differ by the threshold or more",
                id="consolidation.next_divergent"),
        Binding("h", "history", "Audit history", tooltip="Every recorded change for this candidate", id="consolidation.history"),
        Binding("o", "outcomes", "Outcomes", id="consolidation.outcomes"),
        Binding("r", "reload", "Reload", id="consolidation.reload"),
        Binding("q,escape", "app.pop_screen", "Back", id="consolidation.back"),
    ]

    def __init__(self, database, campaign_id: int, member_id: int | None) -> None:
        super().__init__()
        self.database = database
        self.campaign_id = campaign_id
        self.member_id = member_id
        self._reading_rest = False  # the rest of the grid is being read behind its first page

    def compose(self) -> ComposeResult:
        # The first page is read while the widgets are built (not after they are mounted); no
        # cyclic collection until it is on screen (first_paint).
        self._painted = hold_collector(self)
        self.action_reload()
        yield Header()
        yield Label("Loading…", id="grid-summary", classes="screen-title")
        yield ScoreGrid(id="grid")
        yield Label(
            "Each cell: members' scores in panel order, =agreed score, ~provisional mean; red: scores diverge",
            id="grid-legend",
        )
        yield _LateFooter()

    def on_mount(self) -> None:
        self.sub_title = "Consolidation"
        self.start_live()

    def on_unmount(self) -> None:
        thaw(self)  # what freeze_while_open froze goes back to the collector

    def action_reload(self) -> None:
        # Thousands of candidates: read in a worker, draw on the UI thread; the first page first. A page
        # is what the terminal can show (each row read costs ~0.3 ms: no more than that before the draw).
        first = max(FIRST_PAGE, self.app.size.height)
        self.run_service(partial(consolidation.load_grid, first=first), self.campaign_id, self.member_id,
                         tag="grid", done=self._first_page, failed=self._not_loaded, group="grid", exclusive=True)

    def _first_page(self, grid: Grid) -> None:
        shown = self.query_one(ScoreGrid).grid
        if shown is not None and shown.complete and _same_columns(shown, grid):
            # A reload: the first page's rows take their places in the grid on screen, which keeps its
            # cursor, scroll and other rows until the whole grid, read behind it, replaces them.
            self._update(shown.with_rows(grid.rows))
        else:
            self._show(grid)
        after_paint(self, self._painted)
        self.call_after_refresh(self.query_one(_LateFooter).start)
        self._reading_rest = not grid.complete
        if not grid.complete:  # after the first page is painted: the read competes with drawing for the GIL
            self.call_after_refresh(self._read_rest)

    def _read_rest(self) -> None:
        if self.is_attached:
            self.run_service(consolidation.load_grid, self.campaign_id, self.member_id, tag="grid", done=self._show,
                             failed=self._not_loaded, group="grid", exclusive=True, settled=self._rest_read)

    def _rest_read(self) -> None:
        self._reading_rest = False

    def live_changed(self) -> None:
        grid = self.query_one(ScoreGrid).grid
        if grid is None or not grid.complete or self._reading_rest:
            return  # still loading: the full read is newer than the change
        self.run_service(consolidation.refresh_grid, grid, tag="grid", done=self._refreshed, group="grid",
                         exclusive=True, failed=lambda _message: None)  # the next change (or r) tries again

    def _refreshed(self, grid: Grid) -> None:
        self._update(grid)

    def _update_rows(self, candidate_ids: list[int]) -> None:
        """Re-read and redraw only these candidates' rows (after a consensus)."""
        grid = self.query_one(ScoreGrid).grid
        if grid is None:
            return
        self.run_service(consolidation.grid_rows, grid, candidate_ids, tag="rows",
                         done=lambda rows: self._update(self._current().with_rows(rows)))

    def _current(self) -> Grid:
        grid = self.query_one(ScoreGrid).grid
        assert grid is not None
        return grid

    def _update(self, grid: Grid) -> None:
        old = self.query_one(ScoreGrid).grid
        if old is None or grid is old:
            return
        if len(grid.rows) != len(old.rows) or grid.index != old.index:
            self._show(grid)
            return
        changed = [new.candidate_id for new, was in zip(grid.rows, old.rows) if new is not was and new != was]
        self.query_one(ScoreGrid).update_rows(grid, changed)
        self._summary(grid)

    def _not_loaded(self, message: str) -> None:
        self._reading_rest = False
        self._painted()
        self.query_one(_LateFooter).start()
        self.query_one("#grid-summary", Label).update(Text(f"Not loaded: {message}"))
        self.notify(message, title="Grid not loaded", severity="error", markup=False)

    def _show(self, grid: Grid) -> None:
        self.title = clean_line(grid.title)
        self._summary(grid)
        self.query_one(ScoreGrid).show(grid)
        self.query_one(ScoreGrid).focus()
        if grid.complete:  # the whole grid is alive for as long as the screen: no collection re-scans it
            freeze_while_open(self)
            self.call_after_refresh(_prepare_dialog, self)

    def _summary(self, grid: Grid) -> None:
        members = ", ".join(clean_line(m.name) for m in grid.members)
        if not grid.complete:
            self.query_one("#grid-summary", Label).update(Text(
                f"first {len(grid.rows)} candidates (reading the rest…) · panel: {members} · items by {grid.scoring_method}"
            ))
            return
        provisional = sum(1 for r in grid.rows if r.provisional)
        self.query_one("#grid-summary", Label).update(Text(
            f"{len(grid.rows)} candidates · panel: {members} · {grid.divergent_cells} divergent "
            f"(spread ≥ {grid.divergence_threshold:g}) · {provisional} provisional · items by {grid.scoring_method}"
        ))

    @on(ScoreGrid.CellChosen)
    def _cell_chosen(self) -> None:
        self.action_consensus()

    def action_consensus(self) -> None:
        selected = self.query_one(ScoreGrid).selected()
        if selected is None:
            return
        candidate_id, item_id = selected
        actor = ""
        grid = self.query_one(ScoreGrid).grid
        if grid is not None and self.member_id is not None:
            actor = next((m.name for m in grid.members if m.id == self.member_id), "")

        painted = hold_collector(self)  # no cyclic collection until the dialog is on screen (first_paint)

        def open_dialog(cell: CellEvidence) -> None:
            from panel_tui.screens.consensus import ConsensusDialog

            self.app.push_screen(
                ConsensusDialog(cell, candidate_id, item_id, actor, painted=painted),
                lambda recorded: recorded and self._update_rows([candidate_id]),
            )

        self.run_service(consolidation.cell_evidence, candidate_id, item_id, self.member_id, tag="evidence",
                         done=open_dialog, title="Evidence not loaded")  # not loaded: resumed within 1 s

    def action_history(self) -> None:
        grid = self.query_one(ScoreGrid)
        row = grid.selected_row()
        if row is None:
            return
        from panel_tui.screens.audit_history import AuditHistory

        self.app.push_screen(AuditHistory(row.candidate_id, row.label))

    def action_next_divergent(self) -> None:
        if not self.query_one(ScoreGrid).next_divergent():
            self.notify("No divergent scores")

    def action_outcomes(self) -> None:
        from panel_tui.screens.outcomes import OutcomesScreen

        self.app.push_screen(OutcomesScreen(self.database, self.campaign_id, self.member_id))

    def palette_commands(self):
        yield ("Next divergent score", "Jump to the next item whose scores diverge", self.action_next_divergent)
        yield ("Evidence and consensus for this cell", "Record the agreed score and rationale", self.action_consensus)
