"""Panel agreement: how far members' scores spread per item, and each member's leniency or severity."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label

from db.text import clean_line


def leniency_text(value: float | None) -> tuple[str, str]:
    """(signed average, reading) for a member's average difference from the agreed scores."""
    if value is None:
        return "–", "nothing to compare yet"
    if abs(value) < 0.005:
        return "0.00", "in line"
    sign = "+" if value > 0 else "−"
    return f"{sign}{abs(value):.2f}", "lenient" if value > 0 else "severe"


class PanelAgreement(VerticalScroll):
    """``show(calibration)`` with the result of ``db.outcomes.calibration``."""

    def compose(self) -> ComposeResult:
        yield Label("Items: how far members' submitted scores spread (mean range per candidate)", classes="section")
        yield DataTable(id="item-agreement", cursor_type="row", zebra_stripes=True)
        yield Label("Members: average of (member's score − agreed score); + lenient, − severe", classes="section")
        yield DataTable(id="member-leniency", cursor_type="row", zebra_stripes=True)

    def show(self, calibration) -> None:
        items = self.query_one("#item-agreement", DataTable)
        items.clear(columns=True)
        items.add_columns("Item", "Mean spread", "Candidates")
        for i in calibration.items:
            spread = "–" if i.mean_spread is None else f"{i.mean_spread:.2f}"
            wide = i.mean_spread is not None and i.mean_spread >= 2
            items.add_row(Text(clean_line(i.name)), Text(spread, justify="right", style="bold yellow" if wide else ""),
                          Text(str(i.candidates), justify="right"))
        members = self.query_one("#member-leniency", DataTable)
        members.clear(columns=True)
        members.add_columns("Member", "Average vs agreed", "Reading", "Scores compared")
        for m in calibration.members:
            value, reading = leniency_text(m.leniency)
            members.add_row(Text(clean_line(m.name)), Text(value, justify="right"), reading,
                            Text(str(m.compared), justify="right"))
