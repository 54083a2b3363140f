"""A candidate's audit history: who changed what, when, from what to what, and why."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from db.reports import audit_history
from db.text import clean_line
from panel_tui.work import ServiceWork


class AuditHistory(ServiceWork, ModalScreen[None]):
    HELP_TITLE = "Audit history"
    BINDINGS = [Binding("escape,q,h", "dismiss", "Close", id="audit_history.close")]

    def __init__(self, candidate_id: int, label: str) -> None:
        super().__init__()
        self.candidate_id = candidate_id
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog audit-history"):
            yield Label(Text(clean_line(f"Audit history: {self.label}")), classes="dialog-title")
            yield DataTable(id="audit", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("When", "Who", "What", "Item", "Old", "New", "Reason")
        table.focus()
        self.run_service(audit_history, self.candidate_id, tag="history", done=self._show, title="History not loaded")

    def _show(self, events) -> None:
        table = self.query_one(DataTable)
        for e in events:
            table.add_row(
                e.at.astimezone().strftime("%d %b %Y %H:%M"), Text(clean_line(e.actor)), Text(clean_line(f"{e.action} {e.entity}")),
                Text(_short(e.item, 24)), Text(_short(e.old_value)), Text(_short(e.new_value)), Text(clean_line(e.reason)),
            )
        if not events:
            table.add_row("", "", "no changes recorded yet", "", "", "", "")


def _short(text: str, width: int = 30) -> str:
    text = " ".join(clean_line(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
