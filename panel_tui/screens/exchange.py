"""Panel packs and returns: the offline exchange between laptops, from the TUI.

The same service functions as `panel-tui pack ...` and `panel-tui return ...`.
Imports run in a worker with a progress bar, so a large return never freezes the screen.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, ProgressBar, RichLog

from db import exchange
from db.campaigns import get_campaign
from panel_tui.screens.file_picker import FilePicker


class ExchangeScreen(Screen[None]):
    BINDINGS = [
        Binding("p", "export_pack", "Export panel pack"),
        Binding("r", "export_return", "Export my return"),
        Binding("i", "import_file", "Import pack/return"),
        Binding("q,escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, database, campaign_id: int, member_id: int | None, *, start: Path | None = None) -> None:
        super().__init__()
        self.database = database
        self.campaign_id = campaign_id
        self.member_id = member_id
        self.start = start or Path.cwd()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(
            "Panel packs carry a campaign to a panellist's laptop; returns carry a panellist's notes and scores "
            "back to the chair. Files are checked (checksum, campaign, version) and imported all-or-nothing.",
            classes="screen-title",
        )
        yield ProgressBar(id="progress", show_eta=False)
        yield RichLog(id="exchange-log", wrap=True, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        with self.database.session() as session:
            self.campaign = get_campaign(session, self.campaign_id)
            from db.campaigns import current_member

            member = current_member(session, self.campaign_id)
        self.member_name = member.name if member else None
        self.title = self.campaign.title
        self.sub_title = "Panel packs and returns"
        self.query_one(ProgressBar).display = False

    def _log(self, line: str) -> None:
        self.query_one(RichLog).write(line)

    def action_export_pack(self) -> None:
        name = f"{self.campaign.key}-pack.json"
        self.app.push_screen(
            FilePicker("Save the panel pack as", self.start, suggested=name, must_exist=False),
            lambda path: path and self._export(path, "pack"),
        )

    def action_export_return(self) -> None:
        if not self.member_name:
            self.notify("Choose who you are first (w on the campaign screen)", severity="warning")
            return
        slug = self.member_name.lower().replace(" ", "-")
        self.app.push_screen(
            FilePicker("Save your return as", self.start, suggested=f"{self.campaign.key}-return-{slug}.json", must_exist=False),
            lambda path: path and self._export(path, "return"),
        )

    def action_import_file(self) -> None:
        self.app.push_screen(FilePicker("Import a panel pack or a return", self.start), lambda path: path and self._import(path))

    @work(thread=True, exclusive=True, group="exchange", exit_on_error=False)
    def _export(self, path: Path, kind: str) -> None:
        from db.errors import PanelError

        self.app.call_from_thread(self._busy, True)
        try:
            with self.database.session() as session:
                if kind == "pack":
                    text = exchange.export_pack(session, self.campaign.key)
                    summary = f"wrote panel pack to {path}"
                else:
                    text, n = exchange.export_return(session, self.campaign.key, self.member_name or "")
                    summary = f"wrote {self.member_name}'s return ({n} assessments) to {path}"
            exchange.write_exchange_file(path, text)
        except (PanelError, OSError) as exc:
            summary = f"NOT EXPORTED: {exc}"
        self.app.call_from_thread(self._done, summary)

    @work(thread=True, exclusive=True, group="exchange", exit_on_error=False)
    def _import(self, path: Path) -> None:
        from db.errors import PanelError

        self.app.call_from_thread(self._busy, True)
        try:
            data = exchange.read_exchange_file(path)
            with self.database.session() as session:
                summary = exchange.import_any(session, data, source=path.name, actor=self.member_name or "")
        except PanelError as exc:
            summary = f"NOT IMPORTED: {exc}"
        self.app.call_from_thread(self._done, summary)

    def _busy(self, busy: bool) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = busy
        bar.update(total=None)  # indeterminate: imports are one transaction

    def _done(self, summary: str) -> None:
        self._busy(False)
        self._log(summary)
        self.notify(summary, severity="error" if summary.startswith("NOT ") else "information")
