"""Ask for the new length of a reserve place and the reason (the outcomes screen records it)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from db.text import clean_block


class ExtendReserveDialog(ModalScreen[tuple[int, str] | None]):
    """Returns (months from the decision date, reason), or None."""

    CSS_PATH = "../styles/outcomes.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="extend_reserve.cancel")]

    def __init__(self, question: str, months: int = 24) -> None:
        super().__init__()
        self.question = question
        self.months = months

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(clean_block(self.question)), classes="dialog-title")
            yield Label("Months from the decision date (at most 24 in all):")
            yield Input(str(self.months), id="months", type="integer")
            yield Input(placeholder="Reason (required), then Enter", id="extend-reason")
            yield Label("", id="extend-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#extend-reason", Input).focus()

    @on(Input.Submitted, "#months")
    def _months_submitted(self) -> None:
        self.query_one("#extend-reason", Input).focus()

    @on(Input.Submitted, "#extend-reason")
    def _reason_submitted(self, event: Input.Submitted) -> None:
        error = self.query_one("#extend-error", Label)
        try:
            months = int(self.query_one("#months", Input).value)
        except ValueError:
            error.update("Months must be a whole number")
            return
        reason = event.value.strip()
        if not reason:
            error.update("A reason is required")
            return
        self.dismiss((months, reason))
