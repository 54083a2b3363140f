"""What a batch of returns would change, file by file, before the chair imports them all (or none)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from db.exchange.preview import BatchPreview
from db.text import clean_line


class ReturnPreviewDialog(ModalScreen[bool]):
    """Each file's member, candidates and items changed, amendments with their reasons, or why it is refused.

    True: import them all. With any file refused there is nothing to confirm: only Close.
    """

    CSS_PATH = "../styles/exchange.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel", id="return_preview.cancel"),
        Binding("y", "confirm", "Import all", id="return_preview.confirm"),
    ]

    def __init__(self, preview: BatchPreview) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        n = len(self.preview.files)
        with Vertical(classes="dialog", id="return-preview"):
            yield Label(f"Import {n} return{'s' if n != 1 else ''}?", classes="dialog-title")
            with VerticalScroll(id="preview-files"):
                for file in self.preview.files:
                    # Names and reasons come from the files: drawn as Text, never as markup.
                    lines = [clean_line(line) for line in file.lines()]
                    yield Static(Text("\n".join(lines)), classes="preview-file" + (" -refused" if file.refused else ""))
            yield Label(Text(self.preview.verdict), id="preview-verdict", classes="" if self.preview.ok else "error")
            with Horizontal(classes="dialog-buttons"):
                if self.preview.ok:
                    yield Button("Import all (y)", variant="primary", id="yes")
                    yield Button("Cancel (esc)", id="no")
                else:
                    yield Button("Close (esc)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes" if self.preview.ok else "#no", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.preview.ok if action == "confirm" else True

    def action_confirm(self) -> None:
        if self.preview.ok:
            self.dismiss(True)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
