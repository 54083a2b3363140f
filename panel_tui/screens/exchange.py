"""Panel packs and returns: the offline exchange between laptops, from the TUI.

The same service functions as `panel-tui pack ...` and `panel-tui return ...`.
Exports and imports run in service workers with a progress bar, so a large return
never freezes the screen; the bar goes when the work ends, however it ends.
A pack is made for one member and locked with a passphrase typed (masked) in
``PassphraseDialog``; opening one asks for it too. Returns need no passphrase:
they are signed with the laptop's member key and sealed to the chair's database.
Several returns can be chosen at once: ``ReturnPreviewDialog`` shows what each
would change (or why it is refused) before the chair imports them, all or none;
the bytes previewed are the bytes imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Label, ProgressBar, RichLog

from db import exchange
from db.campaigns import current_member, get_campaign, panel_members
from db.errors import ImportRefused
from db.exchange.preview import BatchPreview, preview_returns, refused_file
from db.files import write_private
from db.text import clean_line
from panel_tui.dialogs import (
    FilePicker,
    MultiFilePicker,
    PackSecret,
    PassphraseDialog,
    ReturnPreviewDialog,
)
from panel_tui.widgets.footer import PanelFooter
from panel_tui.work import ServiceWork


@dataclass(frozen=True)
class ExchangeView:
    title: str
    key: str
    member_name: str | None
    members: tuple[str, ...] = ()


def load_exchange(session, campaign_id: int) -> ExchangeView:
    campaign = get_campaign(session, campaign_id)
    member = current_member(session, campaign_id)
    names = tuple(m.name for m in panel_members(session, campaign_id))
    return ExchangeView(campaign.title, campaign.key, member.name if member else None, names)


def export_file(session, kind: str, campaign_key: str, member_name: str, path: Path, passphrase: str = "") -> str:
    """Write a member's pack or this member's return (owner-only, atomically); returns the line to show."""
    if kind == "pack":
        write_private(path, exchange.export_pack(session, campaign_key, member_name, passphrase))
        return f"wrote {member_name}'s panel pack to {path}"
    data, n = exchange.export_return(session, campaign_key, member_name)
    write_private(path, data)
    return f"wrote {member_name}'s return ({n} assessments) to {path}"


def import_file(session, path: Path, actor: str, passphrase: str = "") -> str:
    data = exchange.read_exchange_file(path)
    return exchange.import_any(session, data, source=path.name, actor=actor, passphrase=passphrase)


@dataclass(frozen=True)
class ReturnsRead:
    """Chosen returns as read once: what the preview showed is what the import applies."""

    preview: BatchPreview
    files: tuple[tuple[str, bytes], ...]  # the readable files, (name, bytes)


def preview_files(session, paths: list[Path], actor: str) -> ReturnsRead:
    """Read the chosen returns and say what each would change (an unreadable file is refused in the preview)."""
    unreadable: dict[int, ImportRefused] = {}
    files: list[tuple[str, bytes]] = []
    for n, path in enumerate(paths):
        try:
            files.append((path.name, exchange.read_exchange_file(path)))
        except ImportRefused as exc:
            unreadable[n] = exc
    previewed = iter(preview_returns(session, files, actor=actor).files)
    shown = [
        refused_file(path.name, unreadable[n]) if n in unreadable else next(previewed) for n, path in enumerate(paths)
    ]
    return ReturnsRead(BatchPreview(tuple(shown)), tuple(files))


def import_files(session, files: tuple[tuple[str, bytes], ...], actor: str) -> list[str]:
    """Import the previewed returns in one transaction; the lines to show (refused: all of them say why)."""
    batch = exchange.import_returns(session, list(files), actor=actor)
    if not batch.applied:
        raise ImportRefused("; ".join(batch.lines))
    return batch.lines


def _slug(name: str) -> str:
    return clean_line(name).lower().replace(" ", "-").replace("/", "-")


class ExchangeScreen(ServiceWork, Screen[None]):
    HELP_TITLE = "Panel packs and returns"
    BINDINGS = [
        Binding("p", "export_pack", "Export panel pack", id="exchange.export_pack"),
        Binding("r", "export_return", "Export my return", id="exchange.export_return"),
        Binding("i", "import_file", "Import pack/return", id="exchange.import"),
        Binding("q,escape", "app.pop_screen", "Back", id="exchange.back"),
    ]

    def __init__(self, database, campaign_id: int | None, member_id: int | None, *, start: Path | None = None) -> None:
        super().__init__()
        self.database = database
        self.campaign_id = campaign_id
        self.member_id = member_id
        self.start = start  # None: the file picker's own start (the last folder used)
        self.view: ExchangeView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(
            "Panel packs carry a campaign to one panellist's laptop, locked with a passphrase you give them by another "
            "route; returns carry their notes and scores back, signed by them and readable only by the chair's "
            "database. A changed file is refused; imports are all-or-nothing.",
            classes="screen-title",
        )
        yield ProgressBar(id="progress", show_eta=False)
        yield RichLog(id="exchange-log", wrap=True, markup=False)
        yield PanelFooter()

    def on_mount(self) -> None:
        self.sub_title = "Panel packs and returns"
        self.query_one(ProgressBar).display = False
        if self.campaign_id is not None:  # None: opened from an empty campaigns list to import a pack
            self.run_service(load_exchange, self.campaign_id, tag="load", done=self._loaded, title="Campaign not loaded")

    def _loaded(self, view: ExchangeView) -> None:
        self.view = view
        self.title = clean_line(view.title)

    def _log(self, line: str) -> None:
        self.query_one(RichLog).write(Text(clean_line(line)))

    def action_export_pack(self) -> None:
        if self.view is None:
            return
        self.app.push_screen(
            PassphraseDialog("Make a panel pack", members=list(self.view.members)), self._pack_secret_chosen
        )

    def _pack_secret_chosen(self, secret: PackSecret | None) -> None:
        if secret is None or secret.member is None or self.view is None:
            return
        key, member = self.view.key, secret.member
        self.app.push_screen(
            FilePicker(f"Save {member}'s panel pack as", self.start, suggested=f"{key}-pack-{_slug(member)}.age",
                       must_exist=False),
            lambda path: path and self._run(export_file, "pack", key, member, path, secret.passphrase, what="EXPORTED"),
        )

    def action_export_return(self) -> None:
        if self.view is None:
            return
        name = self.view.member_name
        if not name:
            self.notify("Choose who you are first (w on the campaign screen)", severity="warning")
            return
        self.app.push_screen(
            FilePicker("Save your return as", self.start, suggested=f"{self.view.key}-return-{_slug(name)}.age",
                       must_exist=False),
            lambda path: path and self._run(export_file, "return", self.view.key, name, path, what="EXPORTED"),
        )

    def action_import_file(self) -> None:
        actor = (self.view.member_name if self.view else None) or ""
        self.app.push_screen(
            MultiFilePicker("Import a panel pack, or one or more returns", self.start),
            lambda paths: paths and self._chosen(paths, actor),
        )

    def _chosen(self, paths: list[Path], actor: str) -> None:
        packs = [p for p in paths if exchange.file_format(p) == exchange.FORMAT_PACK]
        if packs and len(paths) > 1:
            self._done("NOT IMPORTED: choose one panel pack on its own, or return files only")
            return
        if packs:
            path = packs[0]
            self.app.push_screen(
                PassphraseDialog(f"Passphrase for {path.name}"),
                lambda secret: secret and self._run(import_file, path, actor, secret.passphrase, what="IMPORTED"),
            )
            return
        # Returns: preview first, then all or none.
        self._busy(True)
        self.run_service(
            preview_files, paths, actor, tag="preview", done=lambda read: self._previewed(read, actor), group="exchange",
            failed=lambda message: self._done(f"NOT IMPORTED: {message}"), settled=lambda: self._busy(False),
        )

    def _previewed(self, read: ReturnsRead, actor: str) -> None:
        def answered(yes: bool | None) -> None:
            if not read.preview.ok:
                for file in read.preview.refused:
                    self._log(file.headline)
                self._done(f"NOT IMPORTED: {read.preview.verdict}")
            elif yes:
                self._run(import_files, read.files, actor, what="IMPORTED")
            else:
                self._log("Import cancelled: nothing imported")

        self.app.push_screen(ReturnPreviewDialog(read.preview), answered)

    def _run(self, fn, *args, what: str) -> None:
        self._busy(True)
        self.run_service(
            fn, *args, tag=what.lower(), done=self._done, group="exchange",
            failed=lambda message: self._done(f"NOT {what}: {message}"), settled=lambda: self._busy(False),
        )

    def _busy(self, busy: bool) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = busy
        bar.update(total=None)  # indeterminate: imports are one transaction

    def _done(self, summary: str | list[str]) -> None:
        lines = [summary] if isinstance(summary, str) else summary
        for line in lines:
            self._log(line)
        summary = "; ".join(lines)
        failed = summary.startswith("NOT ")
        self.notify(clean_line(summary), severity="error" if failed else "information", markup=False)
