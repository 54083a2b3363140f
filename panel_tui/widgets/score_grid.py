"""The chair's grid: candidates x items, each cell the members' scores and the agreed (or provisional) score.

Drawn with Textual's line API: only the rows on screen are rendered, so a
campaign of thousands of candidates opens and scrolls instantly (a DataTable
measures every cell up front). The candidate column stays put while the items
scroll sideways. Total and Result stay put beside it (read first, never off-screen on a
narrow terminal); internally they are still the last two columns, so cursor columns
1..n are the items.

``update_rows(grid, ids)`` takes a grid with a few rows replaced (one consensus, or
another terminal's change) and redraws just those rows: nothing is re-measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from db.consolidation import Grid, GridCell, GridItem, GridRow
from db.scales import label_for
from db.text import clean_line
from db.vocabulary import score_text

HEADER_STYLE = Style(bold=True, underline=True)
CURSOR_STYLE = Style(reverse=True)
ROW_CURSOR_STYLE = Style(bold=True)
GAP = 2


def _short(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


class ScoreGrid(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    ScoreGrid { height: 1fr; }
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False, id="score_grid.up"),
        Binding("down", "move(1, 0)", "Down", show=False, id="score_grid.down"),
        Binding("left", "move(0, -1)", "Left", show=False, id="score_grid.left"),
        Binding("right", "move(0, 1)", "Right", show=False, id="score_grid.right"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="score_grid.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="score_grid.page_down"),
        Binding("home", "move(-1000000000, 0)", "First candidate", show=False, id="score_grid.first"),
        Binding("end", "move(1000000000, 0)", "Last candidate", show=False, id="score_grid.last"),
        Binding("enter", "choose", "Evidence & consensus", tooltip="Each member's evidence side by side; record the agreed score",
                id="score_grid.choose"),
    ]

    cursor_row: reactive[int] = reactive(0)
    cursor_column: reactive[int] = reactive(1)

    @dataclass
    class CellChosen(Message):
        """Enter or a click on a candidate x item cell."""

        score_grid: "ScoreGrid"
        candidate_id: int
        item_id: int

        @property
        def control(self) -> "ScoreGrid":
            return self.score_grid

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.grid: Grid | None = None
        self._widths: list[int] = []
        self._headers: list[str] = []
        self._line_cache: dict[int, list[Text]] = {}
        # Row -> ((on the cursor row, cursor column), fixed strip, scrolling strip): a frame redraws
        # from these; rows are rendered again only when they or the cursor on them change.
        self._strips: dict[int, tuple[tuple, Strip, Strip]] = {}

    # --- data ------------------------------------------------------------------

    def show(self, grid: Grid) -> None:
        """Replace the contents with ``grid``, keeping the cursor where it was."""
        self.grid = grid
        self._line_cache.clear()
        self._strips.clear()
        label_width = min(30, max([9] + [len(self._label(r)) for r in grid.rows[:5000]]))
        score_width = max(7, 2 * len(grid.members) + 6)
        self._headers = (
            ["Candidate"]
            + [_short(clean_line(i.name), 16) + (" ★" if i.is_lead else "") for i in grid.items]
            + ["Total", "Result"]
        )
        self._widths = (
            [label_width]
            + [max(score_width, len(h)) for h in self._headers[1:-2]]
            + [7, 18]
        )
        self.virtual_size = Size(sum(self._widths) + GAP * len(self._widths), len(grid.rows) + 1)
        self.cursor_row = min(self.cursor_row, max(0, len(grid.rows) - 1))
        self.cursor_column = max(1, min(self.cursor_column, len(grid.items)))
        self.refresh()

    def update_rows(self, grid: Grid, candidate_ids) -> None:
        """Take ``grid`` (same candidates, some rows replaced) and redraw only those rows."""
        if self.grid is None or len(grid.rows) != len(self.grid.rows):
            self.show(grid)
            return
        self.grid = grid
        for cid in candidate_ids:
            n = grid.index.get(cid)
            if n is not None:
                self._line_cache.pop(n, None)
                self._strips.pop(n, None)
        self.refresh()

    @property
    def _fixed(self) -> list[int]:
        """Columns that never scroll: the candidate, then Total and Result."""
        n = len(self._widths)
        return [0, n - 2, n - 1] if n >= 3 else list(range(n))

    @property
    def _fixed_width(self) -> int:
        return sum(self._widths[c] + GAP for c in self._fixed)

    @property
    def row_count(self) -> int:
        return len(self.grid.rows) if self.grid else 0

    @property
    def cursor_coordinate(self) -> Coordinate:
        return Coordinate(self.cursor_row, self.cursor_column)

    def move_cursor(self, *, row: int | None = None, column: int | None = None) -> None:
        if row is not None:
            self.cursor_row = max(0, min(row, self.row_count - 1))
        if column is not None:
            self.cursor_column = max(0, min(column, len(self._widths) - 3))

    def get_cell_at(self, coordinate: tuple[int, int]) -> Text:
        row, column = coordinate
        return self._cells(row)[column]

    def selected(self) -> tuple[int, int] | None:
        """(candidate id, item id) under the cursor, if the cursor is on an item column."""
        if self.grid is None or not self.grid.rows or not 1 <= self.cursor_column <= len(self.grid.items):
            return None
        return self.grid.rows[self.cursor_row].candidate_id, self.grid.items[self.cursor_column - 1].id

    def selected_row(self) -> GridRow | None:
        return self.grid.rows[self.cursor_row] if self.grid and self.grid.rows else None

    def next_divergent(self) -> bool:
        """Move the cursor to the next divergent cell after it; False if there is none."""
        if self.grid is None or not self.grid.rows:
            return False
        n_items = len(self.grid.items)
        total = len(self.grid.rows) * n_items
        start = self.cursor_row * n_items + max(0, self.cursor_column - 1) + 1
        for k in range(total):
            r, c = divmod((start + k) % total, n_items)
            if self.grid.rows[r].cells[c].divergent:
                self.move_cursor(row=r, column=c + 1)
                return True
        return False

    # --- cells -------------------------------------------------------------------

    def _label(self, row: GridRow) -> str:
        # Stored text: cleaned of escapes and controls; drawn as Text, so brackets are never markup.
        return clean_line(row.ref if self.grid is None or self.grid.anonymised else row.label)

    def _cells(self, index: int) -> list[Text]:
        cached = self._line_cache.get(index)
        if cached is not None:
            return cached
        assert self.grid is not None
        grid, row = self.grid, self.grid.rows[index]
        cells = [Text(self._label(row))]
        cells += [self._cell(grid, item, cell, row.visible) for item, cell in zip(grid.items, row.cells)]
        cells.append(Text(score_text(row.total, "–"), justify="right"))
        if row.passed is None:
            cells.append(Text("incomplete", style="dim"))
        else:
            word = "pass" if row.passed else "fail"
            style = ("yellow" if row.provisional else "green") if row.passed else "red"
            cells.append(Text(word + (" (provisional)" if row.provisional else ""), style=style))
        if len(self._line_cache) > 500:
            self._line_cache.clear()
            self._strips.clear()
        self._line_cache[index] = cells
        return cells

    @staticmethod
    def _cell(grid: Grid, item: GridItem, cell: GridCell, visible: bool) -> Text:
        scale = list(item.scale)
        text = Text()
        members = " ".join(label_for(scale, cell.scores.get(m.id)) if m.id in cell.scores else "·" for m in grid.members)
        text.append(members, style="bold red" if cell.divergent else "")
        if cell.consensus is not None:
            text.append(f" ={label_for(scale, cell.consensus)}", style="bold green" if not cell.below_pass else "bold yellow")
            if cell.needs_review:
                # A member amended their evidence after this consensus: the chair re-confirms or changes it.
                text.append(" !review", style="bold reverse")
        elif cell.value is not None and visible:
            text.append(f" ~{score_text(cell.value)}", style="italic")
        if not visible:
            text.append(" (hidden)", style="dim")
        return text

    # --- drawing -------------------------------------------------------------------

    def _segments(self, texts: list[Text], columns, base: Style, cursor_col: int | None) -> list[Segment]:
        segments: list[Segment] = []
        console = self.app.console
        for c in columns:
            text = texts[c].copy()
            text.truncate(self._widths[c], overflow="ellipsis", pad=True)
            style = base + CURSOR_STYLE if c == cursor_col else base
            for seg in text.render(console, end=""):
                segments.append(Segment(seg.text, style + seg.style if seg.style else style))
            segments.append(Segment(" " * GAP, base))
        return segments

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self.grid is None or not self._widths:
            return Strip.blank(width)
        scroll_x, scroll_y = self.scroll_offset
        first = self._fixed_width
        if y == 0:
            index, key = -1, (False, None)
        else:
            index = scroll_y + y - 1
            if index >= len(self.grid.rows):
                return Strip.blank(width)
            on_row = index == self.cursor_row
            key = (on_row, self.cursor_column if on_row and self.has_focus else None)
        cached = self._strips.get(index)
        if cached is not None and cached[0] == key:
            fixed, rest = cached[1], cached[2]
        else:
            if index < 0:
                texts, base = [Text(h) for h in self._headers], HEADER_STYLE
            else:
                texts, base = self._cells(index), ROW_CURSOR_STYLE if key[0] else Style()
            fixed = Strip(self._segments(texts, self._fixed, base, key[1]))
            rest = Strip(self._segments(texts, range(1, len(texts) - 2), base, key[1]))
            self._strips[index] = (key, fixed, rest)
        rest = rest.crop(scroll_x, scroll_x + max(0, width - first))
        return Strip.join([fixed, rest]).crop(0, width).extend_cell_length(width)

    # --- keys and mouse ------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._line_cache.pop(old, None)
        self._line_cache.pop(new, None)  # (their strips are keyed by the cursor: redrawn as needed)
        top = self.scroll_offset.y
        visible = max(1, self.size.height - 1)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)
        self.refresh()

    def watch_cursor_column(self) -> None:
        if not self._widths:
            return
        start = sum(w + GAP for w in self._widths[1 : self.cursor_column]) if self.cursor_column > 0 else 0
        end = start + self._widths[self.cursor_column] + GAP if self.cursor_column > 0 else 0
        view = max(1, self.size.width - self._fixed_width)
        if self.cursor_column > 0:
            if start < self.scroll_offset.x:
                self.scroll_to(x=start, animate=False)
            elif end > self.scroll_offset.x + view:
                self.scroll_to(x=end - view, animate=False)
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, rows: int, columns: int) -> None:
        self.move_cursor(row=self.cursor_row + rows, column=self.cursor_column + columns)

    def action_page(self, pages: int) -> None:
        self.action_move(pages * max(1, self.size.height - 2), 0)

    def on_click(self, event: Click) -> None:
        if self.grid is None or event.y == 0:
            return
        row = self.scroll_offset.y + event.y - 1
        x = event.x
        first = self._fixed_width
        column = 0
        if x >= first:
            x = x - first + self.scroll_offset.x
            for c, w in enumerate(self._widths[1:-2], 1):
                if x < w + GAP:
                    column = c
                    break
                x -= w + GAP
        self.move_cursor(row=row, column=column)
        if event.chain == 2:
            self.action_choose()

    def action_choose(self) -> None:
        selected = self.selected()
        if selected is not None:
            self.post_message(self.CellChosen(self, *selected))
