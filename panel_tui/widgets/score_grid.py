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

from rich.cells import get_character_cell_size
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

from db.consolidation import Grid, GridCell, GridRow
from db.scales import label_for
from db.text import clean_line
from db.vocabulary import score_text

HEADER_STYLE = Style(bold=True, underline=True)
CURSOR_STYLE = Style(reverse=True)
ROW_CURSOR_STYLE = Style(bold=True)
GAP = 2


def _short(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


# A cell's piece styles, parsed once (the names stay what get_cell_at's Text spans carry).
_STYLES = {name: Style.parse(name) for name in
           ("bold red", "bold green", "bold yellow", "bold reverse", "italic", "dim")}
_COMBINED: dict[tuple[Style, Style], Style] = {}


def _combine(base: Style, own: Style) -> Style:
    combined = _COMBINED.get((base, own))
    if combined is None:
        combined = _COMBINED[(base, own)] = base + own
    return combined


class _Labels(dict):
    """A scale's label for each score (label_for, looked up once per score rather than per cell)."""

    def __init__(self, scale) -> None:
        super().__init__()
        self.scale = scale

    def __missing__(self, value: float | None) -> str:
        label = self[value] = label_for(self.scale, value)
        return label


def _cell_pieces(grid: Grid, labels: _Labels, cell: GridCell, visible: bool) -> list[tuple[str, str]]:
    """One candidate x item cell as (text, style name) pieces: members' scores, then agreed / provisional."""
    scores = cell.scores
    members = " ".join(labels[scores[m.id]] if m.id in scores else "·" for m in grid.members)
    pieces = [(members, "bold red" if cell.divergent else "")]
    if cell.consensus is not None:
        pieces.append((f" ={labels[cell.consensus]}", "bold green" if not cell.below_pass else "bold yellow"))
        if cell.needs_review:
            # A member amended their evidence after this consensus: the chair re-confirms or changes it.
            pieces.append((" !review", "bold reverse"))
    elif cell.value is not None and visible:
        pieces.append((f" ~{score_text(cell.value)}", "italic"))
    if not visible:
        pieces.append((" (hidden)", "dim"))
    return pieces


def _result(row: GridRow) -> tuple[str, str]:
    if row.passed is None:
        return "incomplete", "dim"
    word = "pass" if row.passed else "fail"
    style = ("yellow" if row.provisional else "green") if row.passed else "red"
    return word + (" (provisional)" if row.provisional else ""), style


def _narrow(text: str) -> bool:
    """Every character one cell wide (then characters are cells: cut and padded by len)."""
    if text.isascii():
        return text.isprintable()
    return text.isprintable() and all(get_character_cell_size(ch) == 1 for ch in text)


def _fit(pieces, width: int) -> list[tuple[str, Style | None]] | None:
    """``pieces`` cut to ``width`` cells with an ellipsis, or padded with spaces, as rich's Text.truncate
    and render would make them: adjacent unstyled pieces (and the padding) form one run. None when a
    character may be wider than one cell (rich measures those)."""
    if not all(_narrow(text) for text, _ in pieces):
        return None
    length = sum(len(text) for text, _ in pieces)
    if length > width:
        cut, kept = width - 1, []
        at = 0
        for text, own in pieces:
            if at + len(text) > cut:  # this piece holds the last kept character's successor: the ellipsis
                kept.append((text[: cut - at] + "…", own))
                break
            kept.append((text, own))
            at += len(text)
        pieces = kept
    elif length < width:
        pieces = [*pieces, (" " * (width - length), None)]
    runs: list[tuple[str, Style | None]] = []
    for text, own in pieces:
        if not text:
            continue
        if runs and own is None and runs[-1][1] is None:
            runs[-1] = (runs[-1][0] + text, None)
        else:
            runs.append((text, own))
    return runs


class ScoreGrid(ScrollView, can_focus=True):
    # Its styles are in consolidation.tcss (read at start-up's warm-up): a DEFAULT_CSS would be added
    # and the app's rules parsed and mapped again as the first grid mounts (~3 ms of the first opening).

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
        # Row -> its columns as (text, style) pieces: what a strip is drawn from (no Text objects).
        self._pieces: dict[int, list[tuple[tuple[str, Style | None], ...]]] = {}
        self._labels: list[_Labels] = []  # per item: its scale's label for each score
        # Row -> ((on the cursor row, cursor column), fixed strip, scrolling strip): a frame redraws
        # from these; rows are rendered again only when they or the cursor on them change.
        self._strips: dict[int, tuple[tuple, Strip, Strip]] = {}

    # --- data ------------------------------------------------------------------

    def show(self, grid: Grid) -> None:
        """Replace the contents with ``grid``, keeping the cursor where it was.

        Rows drawn before that are unchanged (same columns, equal row: a reload, the rest of the grid
        read behind its first page) keep their strips: only what changed is drawn again."""
        old = self.grid
        self.grid = grid
        longest = grid.longest_label or max([0] + [len(self._label(r)) for r in grid.rows[:5000]])
        label_width = min(30, max(9, longest))
        score_width = max(7, 2 * len(grid.members) + 6)
        headers = (
            ["Candidate"]
            + [_short(clean_line(i.name), 16) + (" ★" if i.is_lead else "") for i in grid.items]
            + ["Total", "Result"]
        )
        widths = (
            [label_width]
            + [max(score_width, len(h)) for h in headers[1:-2]]
            + [7, 18]
        )
        same_columns = (old is not None and widths == self._widths and headers == self._headers
                        and old.members == grid.members and old.items == grid.items and old.anonymised == grid.anonymised)
        changed: list[int] | None = None  # rows to draw again; None: every line
        if same_columns:
            assert old is not None
            rows, old_rows = grid.rows, old.rows
            for n in [n for n in self._pieces if n >= len(rows) or n >= len(old_rows) or rows[n] != old_rows[n]]:
                del self._pieces[n]
                self._strips.pop(n, None)
            for n in [n for n in self._strips if n >= 0 and n not in self._pieces]:
                del self._strips[n]
            if len(rows) == len(old_rows):  # the same lines: only those on screen that changed are drawn
                top = self.scroll_offset.y
                changed = [n for n in range(top, min(len(rows), top + self.size.height)) if rows[n] != old_rows[n]]
        else:
            self._pieces.clear()
            self._strips.clear()
        self._headers, self._widths = headers, widths
        if not same_columns:
            self._labels = [_Labels(item.scale) for item in grid.items]
        self.virtual_size = Size(sum(self._widths) + GAP * len(self._widths), len(grid.rows) + 1)
        self.cursor_row = min(self.cursor_row, max(0, len(grid.rows) - 1))
        self.cursor_column = max(1, min(self.cursor_column, len(grid.items)))
        if changed is None:
            self.refresh()
        else:
            self._refresh_rows(changed)

    def _refresh_rows(self, indices) -> None:
        for n in indices:
            self.refresh_line(n + 1)  # line 0 is the header

    def update_rows(self, grid: Grid, candidate_ids) -> None:
        """Take ``grid`` (same candidates, some rows replaced) and redraw only those rows."""
        if self.grid is None or len(grid.rows) != len(self.grid.rows):
            self.show(grid)
            return
        self.grid = grid
        rows = [n for n in (grid.index.get(cid) for cid in candidate_ids) if n is not None]
        for n in rows:
            self._pieces.pop(n, None)
            self._strips.pop(n, None)
        self._refresh_rows(rows)

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
        """Row ``index``'s cells as Text (what get_cell_at answers; drawing uses ``_row_pieces``)."""
        assert self.grid is not None
        grid, row = self.grid, self.grid.rows[index]
        cells = [Text(self._label(row))]
        for labels, cell in zip(self._labels, row.cells):
            text = Text()
            for piece, style in _cell_pieces(grid, labels, cell, row.visible):
                text.append(piece, style=style)
            cells.append(text)
        cells.append(Text(score_text(row.total, "–"), justify="right"))
        word, style = _result(row)
        cells.append(Text(word, style=style))
        return cells

    def _row_pieces(self, index: int) -> list[tuple[tuple[str, Style | None], ...]]:
        """Row ``index``'s columns as pieces of (text, style or None), cached while the row is unchanged.

        Styled as the Text cells draw: a cell's unstyled pieces take the row's style; a cell whose only
        style is its own (Total, Result) is drawn plain, as rich draws a Text without spans."""
        cached = self._pieces.get(index)
        if cached is not None:
            return cached
        assert self.grid is not None
        grid, row = self.grid, self.grid.rows[index]
        columns: list[tuple[tuple[str, Style | None], ...]] = [((self._label(row), None),)]
        for labels, cell in zip(self._labels, row.cells):
            columns.append(tuple((piece, _STYLES[style] if style else None)
                                 for piece, style in _cell_pieces(grid, labels, cell, row.visible) if piece))
        columns.append(((score_text(row.total, "–"), None),))
        columns.append(((_result(row)[0], None),))
        if len(self._pieces) > 500:
            self._pieces.clear()
            self._strips.clear()
        self._pieces[index] = columns
        return columns

    # --- drawing -------------------------------------------------------------------

    def _segments(self, columns, which, base: Style, cursor_col: int | None) -> tuple[list[Segment], int]:
        """Segments for these columns, each cut or padded to its width, then the gap; and their cell length."""
        segments: list[Segment] = []
        add = segments.append
        gap = Segment(" " * GAP, base)
        length = 0
        for c in which:
            width = self._widths[c]
            style = _combine(base, CURSOR_STYLE) if c == cursor_col else base
            runs = _fit(columns[c], width)
            if runs is None:  # wide characters: rich measures and cuts them
                segments.extend(self._text_segments(columns[c], width, style))
            else:
                for text, own in runs:
                    add(Segment(text, style if own is None else _combine(style, own)))
            add(gap)
            length += width + GAP
        return segments, length

    def _text_segments(self, pieces, width: int, style: Style) -> list[Segment]:
        text = Text()
        for piece, own in pieces:
            text.append(piece, style=own)
        text.truncate(width, overflow="ellipsis", pad=True)
        return [Segment(seg.text, style + seg.style if seg.style else style)
                for seg in text.render(self.app.console, end="")]

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
                columns, base = [((h, None),) for h in self._headers], HEADER_STYLE
            else:
                columns, base = self._row_pieces(index), ROW_CURSOR_STYLE if key[0] else Style()
            fixed = Strip(*self._segments(columns, self._fixed, base, key[1]))
            rest = Strip(*self._segments(columns, range(1, len(columns) - 2), base, key[1]))
            self._strips[index] = (key, fixed, rest)
        rest = rest.crop(scroll_x, scroll_x + max(0, width - first))
        return Strip.join([fixed, rest]).crop(0, width).extend_cell_length(width)

    # --- keys and mouse ------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        # (The strips of the rows it leaves and enters are keyed by the cursor: redrawn as needed.)
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
