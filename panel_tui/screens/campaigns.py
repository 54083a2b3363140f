"""The campaigns in this database; kept current (LiveRefresh), so counts move as candidates are added anywhere."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label

from db.campaign_view import list_campaigns
from db.text import clean_line
from panel_tui.live import LiveRefresh
from panel_tui.widgets.footer import PanelFooter
from panel_tui.work import ServiceWork

COLUMNS = ("Campaign", "Grade", "Level", "Framework", "Candidates", "Decision", "Key")


class CampaignsScreen(ServiceWork, LiveRefresh, Screen[None]):
    HELP_TITLE = "Campaigns"
    BINDINGS = [
        Binding("i", "import_pack", "Import a pack", tooltip="Import the panel pack the chair sent you (a new laptop starts here)",
                id="campaigns.import_pack"),
        Binding("enter", "open_campaign", "Open", show=True, id="campaigns.open"),
        Binding("n", "new_campaign", "New campaign", tooltip="Set up a campaign from a role template or from blank",
                id="campaigns.new"),
        Binding("f", "app.frameworks", "Frameworks", id="campaigns.frameworks"),
    ]

    def __init__(self, database, first: list | None = None) -> None:
        """``first``: the rows already read (the app's start-up read), shown at mount, before the first paint."""
        super().__init__()
        self.database = database
        self._first = first

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Campaigns", classes="screen-title")
        yield DataTable(id="campaigns", cursor_type="row", zebra_stripes=True)
        yield Label("", id="empty-hint")
        yield PanelFooter()

    def on_mount(self) -> None:
        self.title = "panel-tui"
        self.sub_title = "Campaigns"
        self.start_live()
        if self._first is None:
            self.reload()
        else:
            first, self._first = self._first, None
            self._show(first)

    def live_changed(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.run_service(list_campaigns, tag="load", done=self._show, group="load", exclusive=True,
                         title="Campaigns not loaded")

    def _show(self, rows) -> None:
        table = self.query_one(DataTable)
        cells = {
            str(r.id): [
                Text(clean_line(r.title)), Text(clean_line(r.grade)), str(r.level), Text(clean_line(r.framework)),
                str(r.candidates), r.decision_date.isoformat() if r.decision_date else "", Text(clean_line(r.key)),
            ]
            for r in rows
        }
        shown = [row_key.value for row_key in table.rows]
        if table.columns and shown == list(cells):
            # The same campaigns: change only the cells that moved (a live update keeps the cursor and focus).
            for key, new in cells.items():
                for column_key, old, value in zip(table.columns, table.get_row(key), new):
                    if old != value:
                        table.update_cell(key, column_key, value, update_width=True)
            return
        table.clear(columns=True)
        # Widths given, not measured later: a table filled while its screen was still being
        # arranged could keep its headings' widths ("HR Busin") until the next navigation.
        for n, label in enumerate(COLUMNS):
            table.add_column(label, width=max([len(label), *(len(str(c[n])) for c in cells.values())]))
        for key, row_cells in cells.items():
            table.add_row(*row_cells, key=key)
        self.query_one("#empty-hint", Label).update(
            "" if rows else "No campaigns yet: press i to import the panel pack the chair sent you, or n to set one up "
            "(or run `panel-tui campaign create FILE.toml` or `panel-tui demo`)."
        )
        table.focus()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(int(event.row_key.value or 0))

    def action_open_campaign(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            self._open(int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0))

    def action_new_campaign(self) -> None:
        from panel_tui.screens.setup import SetupScreen

        def created(campaign_id: int | None) -> None:
            self.reload()
            if campaign_id is not None:
                self._open(campaign_id)

        self.app.push_screen(SetupScreen(self.database), created)

    def action_import_pack(self) -> None:
        """The exchange screen's import flow, with no campaign yet; the list reloads when it closes."""
        from panel_tui.screens.exchange import ExchangeScreen

        screen = ExchangeScreen(self.database, None, None)
        self._importing = True
        self.app.push_screen(screen)
        screen.call_after_refresh(screen.action_import_file)

    @on(events.ScreenResume)
    def _back_from_import(self) -> None:
        # The exchange screen closes with pop_screen (no result callback): reload once back from it.
        if getattr(self, "_importing", False):
            self._importing = False
            self.reload()

    def palette_commands(self):
        yield ("Import a pack", "Import the panel pack the chair sent you", self.action_import_pack)
        yield ("New campaign", "Set up a campaign from a role template or from blank", self.action_new_campaign)

    def _open(self, campaign_id: int) -> None:
        from panel_tui.screens.campaign import CampaignScreen

        self.app.push_screen(CampaignScreen(self.database, campaign_id))
