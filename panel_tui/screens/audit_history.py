"""A candidate's audit history: who changed what, when, from what to what, and why."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from db.reports import audit_history


class AuditHistory(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,h", "dismiss", "Close")]

    def __init__(self, database, candidate_id: int, label: str) -> None:
        super().__init__()
        self.database = database
        self.candidate_id = candidate_id
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog audit-history"):
            yield Label(f"Audit history: {self.label}", classes="dialog-title")
            yield DataTable(id="audit", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        with self.database.session() as session:
            events = audit_history(session, self.candidate_id)
        table = self.query_one(DataTable)
        table.add_columns("When", "Who", "What", "Old", "New", "Reason")
        for e in events:
            table.add_row(
                e.at.astimezone().strftime("%d %b %Y %H:%M"), e.actor, f"{e.action} {e.entity}",
                _short(e.old_value), _short(e.new_value), e.reason,
            )
        if not events:
            table.add_row("", "", "no changes recorded yet", "", "", "")
        table.focus()


def _short(text: str, width: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
