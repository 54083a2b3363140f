"""The merit list as a table: rank, candidate, total, result, status, item scores, ties.

Rows the viewer may not see yet (independence: they have not submitted their own
assessment of that candidate) keep the panel's figures hidden. Stored text (refs,
names, reasons) is cleaned and drawn as Text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from db.outcomes import MeritList, MeritRow
from db.scales import label_for
from db.text import clean_line
from db.vocabulary import OutcomeStatus, score_text

STATUS_STYLE = {
    "appointed": "bold green",
    "reserve": "cyan",
    "not_appointed": "dim",
    "declined": "dim",
    "pending": "",
}
RESULT_STYLE = {"pass": "green", "fail": "red", "incomplete": "dim"}
# The status column is never narrower than its longest plain label, so a decision ("pending" ->
# "not appointed") always fits without re-measuring the column.
STATUS_WIDTH = max(len(s.label) for s in OutcomeStatus)


@dataclass(frozen=True)
class ItemInfo:
    name: str
    short: str
    scale: list
    pass_mark: float
    is_lead: bool


def num(value: float | None) -> str:
    """29 -> '29', 23.3333 -> '23.33', None -> '–'."""
    return score_text(value, "–")


def rank_text(row: MeritRow) -> str:
    if row.rank is None:
        return "–"
    return f"{row.rank}=" if row.tied else str(row.rank)


def status_text(row: MeritRow) -> Text:
    if row.status == "reserve" and row.reserve_expiry is not None:
        if row.expired:
            return Text(f"reserve EXPIRED {row.reserve_expiry.isoformat()}", style="bold red")
        extended = " (ext.)" if row.reserve_extended else ""
        return Text(f"reserve to {row.reserve_expiry.isoformat()}{extended}", style=STATUS_STYLE["reserve"])
    return Text(OutcomeStatus.label_of(row.status), style=STATUS_STYLE.get(row.status, ""))


class MeritTable(DataTable):
    """``show(rows, items, ...)`` draws the list, keeping the highlighted candidate.

    When the same candidates come back in the same order (a status, reserve or
    offer decision; most live changes) only the cells that differ are updated:
    at 2,000 candidates rebuilding the table costs far more than a key may take.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: dict[str, list] = {}  # row key -> the cells on screen
        self._layout: tuple = ()  # (column keys, row keys in order)
        self._seen: dict[str, tuple] = {}  # row key -> (MeritRow, hidden, pending tie order) drawn
        self._widths: list[int] = []  # each column's width, set when the table is built

    def highlighted_id(self) -> int | None:
        if not self.row_count:
            return None
        return int(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or 0)

    def show(
        self,
        rows: list[MeritRow],
        items: list[ItemInfo],
        *,
        anonymised: bool,
        may_see: set[int] | None,
        pending_ties: dict[int, list[int]],
    ) -> None:
        columns = ["rank", "ref"] + ([] if anonymised else ["name"]) + ["total", "result", "status"]
        columns += [f"item{n}" for n in range(len(items))] + ["provisional", "tie"]
        # A row equal to the one drawn last time (most of them after one decision) keeps its cells.
        same_columns = bool(self._layout) and self._layout[0] == tuple(columns)
        seen, width = (self._seen if same_columns else {}), len(columns)
        cells: dict[str, list] = {}
        fresh: dict[str, tuple] = {}
        for r in rows:
            key = str(r.candidate_id)
            hidden = may_see is not None and r.candidate_id not in may_see
            mark = (r, hidden, pending_ties.get(r.tie_group) if r.tie_group is not None else None)
            fresh[key] = mark
            old = seen.get(key)
            cells[key] = (self._shown[key] if old is not None and old == mark and key in self._shown
                          else self._cells(r, items, anonymised, may_see, pending_ties, width))
        self._seen = fresh
        layout = (tuple(columns), tuple(cells))
        changed = [
            (key, column, b)
            for key, new in cells.items() if (old := self._shown.get(key)) is not new and old is not None
            for column, (a, b) in enumerate(zip(old, new)) if a != b
        ] if layout == self._layout and self.row_count == len(cells) else None
        if changed is not None and all(_width(b) <= self._widths[column] for _, column, b in changed):
            # Every new cell fits its column: update in place; widths stay as they are.
            self._update_in_place([(key, columns[column], value) for key, column, value in changed])
            self._shown = cells
            return
        keep = self.highlighted_id()
        self.clear(columns=True)
        headers = {"rank": "Rank", "ref": "Ref", "name": "Name", "total": "Total", "result": "Result",
                   "status": "Status", "provisional": "Prov.", "tie": "Tie"}
        for n, item in enumerate(items):
            headers[f"item{n}"] = Text(item.short + ("★" if item.is_lead else ""))  # type: ignore[assignment]
        # Widths are measured here, from every cell, not left to the table's idle-time re-measuring:
        # the table draws the same on every run (a column is never drawn cut while it catches up).
        self._widths = [
            max([_width(headers[column]), STATUS_WIDTH if column == "status" else 0,
                 *(_width(row_cells[n]) for row_cells in cells.values())])
            for n, column in enumerate(columns)
        ]
        for column, width in zip(columns, self._widths):
            self.add_column(headers[column], key=column, width=width)
        for key, row_cells in cells.items():
            self.add_row(*row_cells, key=key)
        self._shown, self._layout = cells, layout
        if rows:
            ids = [r.candidate_id for r in rows]
            self.move_cursor(row=ids.index(keep) if keep in ids else 0)

    def _update_in_place(self, changed: list[tuple[str, str, object]]) -> None:
        """``update_cell`` for each, keeping the other rows' rendering: update_cell bumps a counter
        every DataTable render cache is keyed on, so one changed status re-rendered every visible row
        (45 rows x 17 cells, ~100 ms at 160x48). Here only the changed rows' entries are dropped
        (the caches of Textual 8.2's DataTable, keyed by row); anything unexpected: update_cell."""
        try:
            rows = set()
            for key, column, value in changed:
                row_key = RowKey(key)
                self._data[row_key][ColumnKey(column)] = value
                rows.add(row_key)
            indices = {self._row_locations.get(row_key) for row_key in rows}
            for cache in (self._row_render_cache, self._cell_render_cache):
                for k in [k for k in cache.keys() if k[0] in rows]:
                    cache.discard(k)
            for k in [k for k in self._row_renderable_cache.keys() if k[1] in indices]:
                self._row_renderable_cache.discard(k)
            self._line_cache.clear()
        except (AttributeError, KeyError, TypeError, IndexError):
            for key, column, value in changed:
                self.update_cell(key, column, value)
            return
        self.refresh()

    def _cells(self, r: MeritRow, items: list[ItemInfo], anonymised: bool, may_see: set[int] | None,
               pending_ties: dict[int, list[int]], width: int) -> list:
        who = [Text(clean_line(r.ref))] + ([] if anonymised else [Text(clean_line(r.name))])
        if may_see is not None and r.candidate_id not in may_see:
            cells: list = [Text("–", style="dim"), *who]
            cells += ["", Text("hidden until you submit yours", style="dim italic"), status_text(r)]
            return cells + [""] * (width - len(cells))
        cells = [Text(rank_text(r), style="bold" if r.rank is not None else "dim"), *who]
        cells.append(Text(num(r.total), justify="right"))
        cells.append(Text(r.result, style=RESULT_STYLE[r.result]))
        cells.append(status_text(r))
        for n, value in enumerate(r.item_values):
            item = items[n] if n < len(items) else None
            on_scale = item is not None and value is not None and any(float(p["value"]) == value for p in item.scale)
            # A scale point by its label; a mean (provisional) rounded to two decimals, like every score people read.
            label = label_for(item.scale, value) if on_scale else num(value)  # type: ignore[union-attr]
            below = item is not None and value is not None and value < item.pass_mark
            cells.append(Text(clean_line(label), justify="right", style="red" if below else ""))
        cells.append(Text("prov." if r.provisional else "", style="yellow"))
        cells.append(self._tie_text(r, pending_ties))
        return cells

    @staticmethod
    def _tie_text(row: MeritRow, pending_ties: dict[int, list[int]]) -> Text:
        if row.tie_group is not None and row.tie_group in pending_ties:
            return Text("order not recorded (t)", style="bold yellow")
        if row.tied:
            return Text("tie: chair to order", style="yellow")
        return Text(clean_line(row.tie_reason))


def _width(cell: object) -> int:
    return cell.cell_len if isinstance(cell, Text) else Text(str(cell)).cell_len


def ordered_rows(merit: MeritList, pending_ties: dict[int, list[int]]) -> list[MeritRow]:
    """The merit list in display order: any tie being arranged on screen shown in its new order."""
    rows = list(merit.rows)
    for group, order in pending_ties.items():
        slots = [n for n, r in enumerate(rows) if r.tie_group == group]
        by_id = {rows[n].candidate_id: rows[n] for n in slots}
        for n, cid in zip(slots, order):
            rows[n] = by_id[cid]
    return rows
