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


async def test_several_files_by_name_or_pattern_then_enter_on_the_folder(tmp_path, monkeypatch):
    from panel_tui.dialogs.file_picker import MultiFilePicker

    for name in ("a.age", "b.age", "c.txt"):
        (tmp_path / name).write_text("x")
    monkeypatch.chdir(tmp_path)
    chosen: list = []
    app = App()
    async with app.run_test(size=(100, 40)) as pilot:
        app.push_screen(MultiFilePicker("Import returns"), chosen.append)
        await pilot.pause()
        await pilot.press("enter")  # nothing chosen yet: not done
        await pilot.pause()
        assert "Choose at least one file" in str(app.screen.query_one("#picker-error").render())
        await pilot.press("end", *"*.age", "enter")
        await pilot.pause()
        assert str(app.screen.query_one("#chosen").render()) == "Chosen (2): a.age, b.age"
        await pilot.press("end", *"a.age", "enter", "end", *"c.txt", "enter")  # a.age again: taken off
        await pilot.pause()
        assert str(app.screen.query_one("#chosen").render()) == "Chosen (2): b.age, c.txt"
        await pilot.press("end", *"nothing.age", "enter")
        await pilot.pause()
        assert "is not a file" in str(app.screen.query_one("#picker-error").render())
        await pilot.press("home", "ctrl+k", *str(tmp_path), "enter")  # the folder: done
        await pilot.pause()
    assert chosen == [[tmp_path / "b.age", tmp_path / "c.txt"]]
