"""Choose a file: browse folders with a tree, jump to a place (last folder used, removable media), or type a path.

The picker starts in the folder the caller names, else the last folder used (remembered in the
user's config folder: platformdirs, or ``PANEL_TUI_CONFIG``), else the current folder.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, OptionList
from textual.widgets.option_list import Option

from db.text import clean_line

LAST_FOLDER_FILE = "last-folder"
# Where operating systems mount USB sticks and other removable media ({user}: the login name).
MEDIA_ROOTS = ("/media/{user}", "/run/media/{user}", "/Volumes")


def _config_dir() -> Path:
    from panel_tui.keymap import config_dir

    return config_dir()


def last_folder() -> Path | None:
    """The folder the last file was chosen in, if it still exists."""
    try:
        text = (_config_dir() / LAST_FOLDER_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    folder = Path(text) if text else None
    return folder if folder is not None and folder.is_dir() else None


def remember_folder(folder: Path) -> None:
    """Keep ``folder`` for the next picker; a config folder that cannot be written only loses the memory."""
    from db.files import write_private

    try:
        config = _config_dir()
        config.mkdir(parents=True, exist_ok=True)
        write_private(config / LAST_FOLDER_FILE, str(folder.resolve()) + "\n")
    except OSError:
        pass


def removable_media(user: str | None = None, roots: tuple[str, ...] | None = None) -> list[Path]:
    """Mounted removable media (each folder under /media/$USER, /run/media/$USER, /Volumes) that exist."""
    if user is None:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = os.environ.get("USER", "")
    found: list[Path] = []
    for root in roots if roots is not None else MEDIA_ROOTS:
        if "{user}" in root and not user:
            continue
        folder = Path(root.format(user=user))
        try:
            found.extend(sorted(p for p in folder.iterdir() if p.is_dir()))
        except OSError:
            continue
    return found


def start_folder(start: Path | None) -> Path:
    """The caller's folder, else the last folder used, else the current folder."""
    return start if start is not None else (last_folder() or Path.cwd())


class FilePicker(ModalScreen[Path | None]):
    """Returns the chosen path, or None. For saving, the path need not exist yet."""

    CSS_PATH = "../styles/file_picker.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="file_picker.cancel")]

    def __init__(self, title: str, start: Path | None = None, *, suggested: str = "", must_exist: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.start = start_folder(start)
        self.suggested = suggested
        self.must_exist = must_exist

    def places(self) -> list[tuple[str, Path]]:
        """Folders to jump to: where the picker started, the last used, home, removable media."""
        out: list[tuple[str, Path]] = [("Start", self.start)]
        last = last_folder()
        if last is not None:
            out.append(("Last used", last))
        out.append(("Home", Path.home()))
        out.extend(("Removable", media) for media in removable_media())
        seen: set[Path] = set()
        unique = []
        for label, folder in out:
            if folder not in seen:
                seen.add(folder)
                unique.append((label, folder))
        return unique

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog file-picker"):
            yield Label(Text(clean_line(self.title_text)), classes="dialog-title")
            yield OptionList(
                *(Option(Text(clean_line(f"{label}: {folder}")), id=str(n)) for n, (label, folder) in enumerate(self.places())),
                id="places",
            )
            yield DirectoryTree(self.start, id="tree")
            yield Input(value=self._path_text(self.start), id="path")
            yield Label("Enter to choose; Esc to cancel", id="picker-error", classes="hint")

    def _path_text(self, folder: Path) -> str:
        return str(folder / self.suggested) if self.suggested else str(folder) + os.sep

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(OptionList.OptionSelected, "#places")
    def _place_chosen(self, event: OptionList.OptionSelected) -> None:
        folder = self.places()[int(event.option.id or 0)][1]
        self.query_one("#tree", DirectoryTree).path = folder
        self.query_one("#path", Input).value = self._path_text(folder)
        self.query_one("#path", Input).focus()

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.file_picked(Path(event.path))

    def file_picked(self, path: Path) -> None:
        """A file chosen in the tree: into the path field, to confirm with Enter."""
        self.query_one("#path", Input).value = str(path)
        self.query_one("#path", Input).focus()

    @on(DirectoryTree.DirectorySelected)
    def _dir_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        name = Path(self.query_one("#path", Input).value).name if self.suggested else ""
        self.query_one("#path", Input).value = str(event.path / name) if name else str(event.path) + os.sep

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        self.path_entered(event.value)

    def path_entered(self, text: str) -> None:
        path = Path(text).expanduser()
        error = self.query_one("#picker-error", Label)
        if self.must_exist and not path.is_file():
            error.update(Text(f"{path} is not a file"))
            error.add_class("error")
            return
        if not self.must_exist and (path.is_dir() or not path.parent.is_dir()):
            error.update(Text(f"{path} is not a file name in an existing folder"))
            error.add_class("error")
            return
        remember_folder(path.parent)
        self.dismiss(path)


class MultiFilePicker(FilePicker):
    """Choose one or more files; returns them in the order chosen (a list), or None.

    Enter on a file (or a pattern such as ``returns/*.age``) adds it to the list, Enter on it again
    takes it off; a file chosen in the tree is added the same way. Enter on a folder finishes.
    """

    HINT = "Enter: add a file (again: take it off) · on the folder: done"

    def __init__(self, title: str, start: Path | None = None) -> None:
        super().__init__(title, start)
        self.chosen: list[Path] = []

    def on_mount(self) -> None:
        box = self.query_one(".file-picker", Vertical)
        box.mount(Label("No files chosen yet", id="chosen"), before=self.query_one("#picker-error"))
        self._hint(self.HINT)

    def _hint(self, text: str, *, error: bool = False) -> None:
        label = self.query_one("#picker-error", Label)
        label.update(Text(text))
        label.set_class(error, "error")

    def _toggle(self, paths: list[Path]) -> None:
        for path in paths:
            if path in self.chosen:
                self.chosen.remove(path)
            else:
                self.chosen.append(path)
        names = ", ".join(p.name for p in self.chosen)
        n = len(self.chosen)
        self.query_one("#chosen", Label).update(
            Text(clean_line(f"Chosen ({n}): {names}")) if n else Text("No files chosen yet")
        )

    def file_picked(self, path: Path) -> None:
        self._toggle([path])
        self.query_one("#path", Input).focus()

    def path_entered(self, text: str) -> None:
        path = Path(text).expanduser()
        field = self.query_one("#path", Input)
        if any(c in path.name for c in "*?["):
            matches = sorted(p for p in path.parent.glob(path.name) if p.is_file())
            if not matches:
                self._hint(f"no file matches {path}", error=True)
                return
            self._toggle(matches)
        elif path.is_file():
            self._toggle([path])
        elif path.is_dir() or not text.strip():
            if not self.chosen:
                self._hint("Choose at least one file first (type its name, then Enter)", error=True)
                return
            remember_folder(self.chosen[-1].parent)
            self.dismiss(list(self.chosen))
            return
        else:
            self._hint(f"{path} is not a file", error=True)
            return
        self._hint(self.HINT)
        field.value = str(path.parent) + os.sep
