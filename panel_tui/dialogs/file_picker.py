"""Choose a file: browse folders with a tree, or type a path."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label

from db.text import clean_line


class FilePicker(ModalScreen[Path | None]):
    """Returns the chosen path, or None. For saving, the path need not exist yet."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="file_picker.cancel")]

    def __init__(self, title: str, start: Path, *, suggested: str = "", must_exist: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.start = start
        self.suggested = suggested
        self.must_exist = must_exist

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog file-picker"):
            yield Label(Text(clean_line(self.title_text)), classes="dialog-title")
            yield DirectoryTree(self.start, id="tree")
            yield Input(value=str(self.start / self.suggested) if self.suggested else str(self.start) + "/", id="path")
            yield Label("Enter to choose; Esc to cancel", id="picker-error", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)
        self.query_one("#path", Input).focus()

    @on(DirectoryTree.DirectorySelected)
    def _dir_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        name = Path(self.query_one("#path", Input).value).name if self.suggested else ""
        self.query_one("#path", Input).value = str(event.path / name) if name else str(event.path) + "/"

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        path = Path(event.value).expanduser()
        error = self.query_one("#picker-error", Label)
        if self.must_exist and not path.is_file():
            error.update(Text(f"{path} is not a file"))
            error.add_class("error")
            return
        if not self.must_exist and (path.is_dir() or not path.parent.is_dir()):
            error.update(Text(f"{path} is not a file name in an existing folder"))
            error.add_class("error")
            return
        self.dismiss(path)
