"""The chair's grid: candidates x items, each cell the members' scores and the agreed (or provisional) score."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from db.consolidation import Grid, GridCell, GridItem
from db.scales import label_for


def _short(name: str, width: int = 14) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


class ScoreGrid(DataTable):
    """A DataTable that shows a consolidation Grid; the cell cursor picks candidate x item."""

    DEFAULT_CSS = """
    ScoreGrid { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="cell", zebra_stripes=True)
        self.grid: Grid | None = None

    def show(self, grid: Grid) -> None:
        """Replace the contents with ``grid``, keeping the cursor where it was."""
        cursor = self.cursor_coordinate
        self.grid = grid
        self.clear(columns=True)
        self.add_column("Candidate", key="candidate")
        for item in grid.items:
            self.add_column(_short(item.name) + (" ★" if item.is_lead else ""), key=str(item.id))
        self.add_column("Total", key="total")
        self.add_column("Result", key="result")
        self.add_rows(self._row(grid, row) for row in grid.rows)
        # add_rows takes no keys: rows are in grid order, so the row index is the key.
        if grid.rows:
            self.move_cursor(row=min(cursor.row, len(grid.rows) - 1), column=max(1, min(cursor.column, len(grid.items))))

    def _row(self, grid: Grid, row) -> list:
        cells = [row.label if not grid.anonymised else row.ref]
        cells += [self._cell(grid, item, cell, row.visible) for item, cell in zip(grid.items, row.cells)]
        cells.append("–" if row.total is None else f"{row.total:g}")
        if row.passed is None:
            result = Text("incomplete", style="dim")
        elif row.passed:
            result = Text("pass" + (" (provisional)" if row.provisional else ""), style="green" if not row.provisional else "yellow")
        else:
            result = Text("fail" + (" (provisional)" if row.provisional else ""), style="red")
        cells.append(result)
        return cells

    def _cell(self, grid: Grid, item: GridItem, cell: GridCell, visible: bool) -> Text:
        scale = list(item.scale)
        text = Text()
        members = " ".join(label_for(scale, cell.scores.get(m.id)) if m.id in cell.scores else "·" for m in grid.members)
        text.append(members, style="bold red" if cell.divergent else "")
        if cell.consensus is not None:
            text.append(f" ={label_for(scale, cell.consensus)}", style="bold green" if not cell.below_pass else "bold yellow")
        elif cell.value is not None and visible:
            text.append(f" ~{cell.value:.1f}", style="italic")
        if not visible:
            text.append(" (hidden)", style="dim")
        return text

    def selected(self) -> tuple[int, int] | None:
        """(candidate id, item id) under the cursor, if the cursor is on an item column."""
        if self.grid is None or not self.grid.rows:
            return None
        row, column = self.cursor_coordinate
        if not 1 <= column <= len(self.grid.items):
            return None
        return self.grid.rows[row].candidate_id, self.grid.items[column - 1].id

    def next_divergent(self) -> bool:
        """Move the cursor to the next divergent cell after it; False if there is none."""
        if self.grid is None:
            return False
        n_items = len(self.grid.items)
        start = self.cursor_coordinate.row * n_items + max(0, self.cursor_coordinate.column - 1) + 1
        flat = [(r, c) for r in range(len(self.grid.rows)) for c in range(n_items)]
        for r, c in flat[start:] + flat[:start]:
            if self.grid.rows[r].cells[c].divergent:
                self.move_cursor(row=r, column=c + 1)
                return True
        return False
