"""The file picker starts in the last folder used (kept in the test's own config folder) and offers removable media."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import DirectoryTree, Input

from panel_tui.dialogs import file_picker
from panel_tui.dialogs.file_picker import FilePicker, removable_media


def test_removable_media_lists_the_folders_that_exist(tmp_path):
    (tmp_path / "media" / "ann" / "USB STICK").mkdir(parents=True)
    (tmp_path / "Volumes" / "KINGSTON").mkdir(parents=True)
    (tmp_path / "Volumes" / "notes.txt").write_text("not a folder")
    roots = (str(tmp_path / "media" / "{user}"), str(tmp_path / "run" / "media" / "{user}"), str(tmp_path / "Volumes"))
    assert removable_media("ann", roots) == [tmp_path / "media" / "ann" / "USB STICK", tmp_path / "Volumes" / "KINGSTON"]
    assert removable_media("bob", roots) == [tmp_path / "Volumes" / "KINGSTON"]
    assert removable_media("", roots[:2]) == []


class PickerApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[Path | None] = []

    def pick(self) -> None:
        self.push_screen(FilePicker("Save the merit list as", suggested="merit.csv", must_exist=False), self.chosen.append)


async def test_the_picker_starts_in_the_last_folder_used_and_offers_media(tmp_path, monkeypatch, config_dir):
    here, elsewhere, stick = tmp_path / "here", tmp_path / "reports", tmp_path / "Volumes" / "STICK"
    for folder in (here, elsewhere, stick):
        folder.mkdir(parents=True)
    monkeypatch.chdir(here)
    monkeypatch.setattr(file_picker, "MEDIA_ROOTS", (str(tmp_path / "Volumes"),))
    app = PickerApp()
    async with app.run_test(size=(100, 40)) as pilot:
        app.pick()
        await pilot.pause()
        assert app.screen.query_one("#path", Input).value == str(here / "merit.csv")  # nothing remembered yet
        await pilot.press("home", "ctrl+k", *str(elsewhere / "merit.csv"), "enter")
        await pilot.pause()
        assert app.chosen == [elsewhere / "merit.csv"]
        assert (config_dir / "last-folder").read_text().strip() == str(elsewhere.resolve())

        app.pick()  # the next picker starts where the last file was chosen
        await pilot.pause()
        assert app.screen.query_one("#path", Input).value == str(elsewhere.resolve() / "merit.csv")
        assert Path(app.screen.query_one("#tree", DirectoryTree).path) == elsewhere.resolve()
        await pilot.press("shift+tab", "shift+tab", "end", "enter")  # the places list: the stick is last
        await pilot.pause()
        assert app.screen.query_one("#path", Input).value == str(stick / "merit.csv")
        await pilot.press("enter")
        await pilot.pause()
    assert app.chosen[-1] == stick / "merit.csv"
