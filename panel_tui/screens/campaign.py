"""One campaign: its candidates in interview order, with this panel member's assessment state."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label

from db.campaign_view import CampaignHead, CampaignView, candidate_rows, load_campaign
from db.text import clean_line
from panel_tui.dialogs import ConfirmDialog, MemberPicker
from panel_tui.live import LiveRefresh
from panel_tui.widgets.footer import PanelFooter
from panel_tui.work import ServiceWork

if TYPE_CHECKING:
    from db.engine import Database
    from db.models import PanelMember

STATE_STYLE = {"not started": "dim", "in progress": "yellow", "submitted": "green"}


class CampaignScreen(ServiceWork, LiveRefresh, Screen[None]):
    HELP_TITLE = "Campaign (candidates)"
    # Footer order is priority order: at 80 columns x, w, c and o stay visible (with Enter on a row);
    # the rest follow as the terminal widens, and every key is in F1 and the palette.
    BINDINGS = [
        Binding("enter", "interview", "Interview", tooltip="Open the interview screen for this candidate", id="campaign.interview"),
        Binding("x", "exchange", "Packs & returns", tooltip="Export or import panel packs and returns (offline exchange)",
                id="campaign.exchange"),
        Binding("w", "who_am_i", "Switch panellist", tooltip="Choose which panel member is using this laptop (asks to confirm; audited)", id="campaign.who_am_i"),
        Binding("c", "consolidate", "Consolidate", tooltip="The chair's grid: panel scores side by side, consensus",
                id="campaign.consolidate"),
        Binding("o", "outcomes", "Outcomes", tooltip="Merit list, reserve list, panel agreement, reports", id="campaign.outcomes"),
        Binding("a", "add_candidate", "Add candidate", id="campaign.add_candidate"),
        Binding("e", "edit_candidate", "Edit candidate", id="campaign.edit_candidate"),
        Binding("p", "add_member", "Add panellist", tooltip="Add a member to this campaign's panel", id="campaign.add_member"),
        Binding("t", "today_only", "Today only", tooltip="Show only today's interviews, in slot order (again: everyone)",
                id="campaign.today_only"),
        Binding("E", "edit_campaign", "Edit campaign",
                tooltip="Title, decision date, interview length, panel (audited with a reason)", id="campaign.edit_campaign"),
        Binding("q,escape", "app.campaigns", "Campaigns", id="campaign.back"),
        Binding("f", "frameworks", "Frameworks", tooltip="The campaign's framework, at its level", id="campaign.frameworks"),
    ]

    def __init__(self, database: Database, campaign_id: int, first: tuple[CampaignView, list] | None = None) -> None:
        """``first``: the view and rows already read (load_first), shown at mount, before the first paint."""
        super().__init__()
        self.database = database
        self.campaign_id = campaign_id
        self._first = first
        self.member_id: int | None = None
        self._resumed_once = False
        self.today_only = False
        self.member_name = ""
        self.campaign: CampaignHead | None = None
        self.members: list[tuple[int, str, str]] = []
        self.rows: list = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="campaign-summary", classes="screen-title")
        yield Label("", id="today")
        yield DataTable(id="candidates", cursor_type="row", zebra_stripes=True)
        yield PanelFooter()

    def on_mount(self) -> None:
        self.start_live()
        if self._first is not None:
            (view, rows), self._first = self._first, None
            self._loaded(view, rows)
            return
        self.sub_title = "Loading…"
        self.run_service(load_campaign, self.campaign_id, tag="load", done=self._loaded, title="Campaign not loaded",
                         failed=self._not_loaded)

    def live_changed(self) -> None:
        # Another terminal (or a worker of this app) committed: assessment states may have moved.
        self.reload()

    def _not_loaded(self, message: str) -> None:
        self.sub_title = ""
        self.notify(message, title="Campaign not loaded", severity="error", markup=False)

    def _loaded(self, view: CampaignView, rows: list | None = None) -> None:
        campaign = self.campaign = view.campaign
        self.members = [(mid, clean_line(name), role) for mid, name, role in view.members]
        self.title = clean_line(campaign.title)
        self.query_one("#campaign-summary", Label).update(Text(clean_line(
            f"{campaign.title} · {campaign.grade} · level {campaign.level} · {view.item_count} items"
            + (f" · lead: {view.lead}" if view.lead else "")
        )))
        if view.member is not None:
            self.member_id, self.member_name = view.member.id, clean_line(view.member.name)
        if rows is None:
            self.reload()
        else:
            self._show(rows)
        if view.member is None and self.members:
            self.call_after_refresh(self.action_who_am_i)

    def reload(self) -> None:
        if self.campaign is None:
            return
        self.run_service(candidate_rows, self.campaign_id, self.member_id, tag="rows",
                         done=self._show, group="rows", exclusive=True, title="Candidates not loaded")

    def _show(self, rows) -> None:
        self.rows = rows
        self.sub_title = f"You are {self.member_name}" if self.member_name else "Choose who you are (w)"
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        anonymised = self.campaign.anonymised
        columns = ["Slot", "Ref"] + ([] if anonymised else ["Name"]) + ["Your assessment", "Adjustments"]
        shown = [str(c.label) for c in table.columns.values()]
        update = shown == columns and [k.value for k in table.rows] == [
            str(r.id) for r in rows if not self.today_only or (r.slot and r.slot.astimezone().date() == date.today())
        ]
        today = date.today()
        todays = 0
        if self.today_only:
            rows = [r for r in rows if r.slot and r.slot.astimezone().date() == today]
        built = []
        for r in rows:
            slot = ""
            if r.slot:
                local = r.slot.astimezone()
                slot = local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %H:%M")
                todays += local.date() == today
            built.append((r, (
                [slot, Text(clean_line(r.ref))] + ([] if anonymised else [Text(clean_line(r.name))])
                + [Text(r.state, style=STATE_STYLE[r.state]), Text(clean_line(r.adjustments))]
            )))
        if update and any(len(str(v)) > col.width for _, cells in built for col, v in zip(table.columns.values(), cells)):
            update = False  # a cell wider than its column: rebuild with new widths rather than cut it
        if not update:
            table.clear(columns=True)
            # Widths given, not measured later: a table filled while its screen was still being
            # arranged kept its headings' widths ("09:3  HRP  Oliv") until the next navigation.
            for n, label in enumerate(columns):
                table.add_column(label, width=max([len(label), *(len(str(c[n])) for _, c in built)]))
        for r, cells in built:
            if update:  # the same candidates: change only the cells that moved (a live update)
                for column_key, old, value in zip(table.columns, table.get_row(str(r.id)), cells):
                    if old != value:
                        table.update_cell(str(r.id), column_key, value)
            else:
                table.add_row(*cells, key=str(r.id))
        shown = "showing today's only (t: everyone)" if self.today_only else "t: today's only"
        self.query_one("#today", Label).update(
            (f"Today's interviews: {todays}" if todays else "No interviews today") + f" · {shown}"
        )
        if rows and not update:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        if not update:
            table.refresh(layout=True)  # measure the new rows now, not at the next navigation
            table.focus()

    def on_screen_resume(self) -> None:
        # Back from an interview: states may have changed. (The first resume follows on_mount.)
        if self._resumed_once:
            self.reload()
        self._resumed_once = True

    def action_who_am_i(self) -> None:
        from db import identity

        # On a department server a panellist is their login: say why instead of offering a list.
        self.run_service(identity.switch_refusal, self.campaign_id, tag="who_am_i", done=self._pick_member,
                         title="Panellist not switched")

    def _pick_member(self, refusal: str) -> None:
        if refusal:
            self.notify(refusal[0].upper() + refusal[1:], title="Cannot switch panellist", severity="warning")
            return

        def save(member_id: int) -> None:
            from db import campaigns as campaign_service

            def chosen_saved(_: object) -> None:
                self.member_id = member_id
                self.member_name = next(name for mid, name, _ in self.members if mid == member_id)
                self.reload()

            self.run_service(campaign_service.set_current_member, self.campaign_id, member_id, tag="who_am_i",
                             done=chosen_saved, title="Panellist not switched")

        def chosen(member_id: int | None) -> None:
            if member_id is None or member_id == self.member_id:
                return
            if self.member_id is None:  # the first choice on this laptop: nobody to switch from
                save(member_id)
                return
            new_name = next(name for mid, name, _ in self.members if mid == member_id)
            question = (f"Switch panellist from {self.member_name} to {new_name}?\n"
                        "Scores entered from now on are recorded as theirs; the switch is audited.")
            self.app.push_screen(ConfirmDialog(question), lambda yes: save(member_id) if yes else None)

        self.app.push_screen(MemberPicker(self.members, self.member_id), chosen)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(int(event.row_key.value or 0))

    def action_interview(self) -> None:
        candidate_id = self._highlighted_candidate()
        if candidate_id is not None:
            self._open(candidate_id)

    def _open(self, candidate_id: int) -> None:
        if self.campaign is None:
            return
        if self.member_id is None:
            self.notify("Choose who you are first (w)", severity="warning")
            self.action_who_am_i()
            return
        from panel_tui.screens.key_hold import show_when_read

        show_when_read(self, _read_interview, candidate_id, self.member_id,
                       build=lambda view: _interview_screen(self.app.database, view),
                       message="Opening the interview…", title="Could not open the interview")

    def _highlighted_candidate(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)

    def action_today_only(self) -> None:
        self.today_only = not self.today_only
        if self.campaign is not None:
            self._show(self.rows)  # a filter of the rows on screen: no read

    def action_add_member(self) -> None:
        from panel_tui.dialogs import PanelMemberDialog

        def added(member: PanelMember) -> None:
            name = clean_line(member.name)
            self.members.append((member.id, name, member.role))  # type: ignore[arg-type]
            self.notify(f"{name} ({member.role}) added to the panel", markup=False)

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            from db import campaigns as campaign_service

            add = partial(campaign_service.add_panel_member, actor=self.member_name)
            self.run_service(add, self.campaign_id, *answer, tag="add_member", done=added, title="Panellist not added")

        self.app.push_screen(PanelMemberDialog(), chosen)

    def action_consolidate(self) -> None:
        from panel_tui.screens.key_hold import show_when_imported

        show_when_imported(self, "panel_tui.screens.consolidation",
                           lambda module: module.ConsolidationScreen(self.database, self.campaign_id, self.member_id),
                           message="Opening consolidation…", title="Could not open consolidation")

    def action_outcomes(self) -> None:
        from panel_tui.screens.key_hold import show_when_imported

        show_when_imported(self, "panel_tui.screens.outcomes",
                           lambda module: module.OutcomesScreen(self.database, self.campaign_id, self.member_id),
                           message="Opening outcomes…", title="Could not open outcomes")

    def action_add_candidate(self) -> None:
        from panel_tui.screens.candidate_form import CandidateForm

        self.app.push_screen(CandidateForm(self.database, self.campaign_id, None), lambda changed: changed and self.reload())

    def action_edit_candidate(self) -> None:
        from panel_tui.screens.candidate_form import CandidateForm

        candidate_id = self._highlighted_candidate()
        if candidate_id is not None:
            self.app.push_screen(
                CandidateForm(self.database, self.campaign_id, candidate_id), lambda changed: changed and self.reload()
            )

    def action_edit_campaign(self) -> None:
        from db.campaigns import get_campaign
        from panel_tui.screens.campaign_edit import CampaignEditForm

        if self.campaign is None:
            return

        def saved(result) -> None:
            if result is None:
                return
            self.notify("Campaign changed: " + "; ".join(result.changes), markup=False)
            for warning in result.warnings:
                self.notify(warning, title="Warning", severity="warning", markup=False)
            self.run_service(load_campaign, self.campaign_id, tag="load", done=self._loaded, title="Campaign not loaded")

        def edit(campaign) -> None:  # the whole campaign, as it is now (the list shows only its head)
            self.app.push_screen(CampaignEditForm(campaign, self.members, self.member_name), saved)

        self.run_service(get_campaign, self.campaign_id, tag="edit_campaign", done=edit, title="Campaign not opened")

    def action_frameworks(self) -> None:
        from panel_tui.screens.frameworks import FrameworksScreen, campaign_framework

        def found(where: tuple[str, int]) -> None:
            self.app.push_screen(FrameworksScreen(self.database, *where))

        self.run_service(campaign_framework, self.campaign_id, tag="frameworks", done=found, title="Frameworks not opened")

    def action_exchange(self) -> None:
        from panel_tui.screens.exchange import ExchangeScreen

        self.app.push_screen(ExchangeScreen(self.database, self.campaign_id, self.member_id), lambda _: self.reload())

    def palette_commands(self):
        # The rows on screen: the palette is built on the UI thread, so it reads no database.
        anonymised = self.campaign is None or self.campaign.anonymised
        for r in self.rows:
            label = escape(clean_line(r.ref if anonymised else f"{r.name} ({r.ref})"))
            yield (f"Interview: {label}", f"Open the interview screen ({r.state})", lambda cid=r.id: self._open(cid))
        yield ("Switch panellist", "Choose who is using this laptop", self.action_who_am_i)
        yield ("Consolidate scores", "The chair's grid of panel scores and consensus", self.action_consolidate)
        yield ("Outcomes and merit list", "Merit order, reserve list, reports", self.action_outcomes)
        yield ("Add a candidate", "Candidate details and adjustments", self.action_add_candidate)
        yield ("Add a panellist", "A member, chair or independent member for this campaign's panel", self.action_add_member)
        yield ("Today's interviews only", "Show only today's candidates, in slot order (again: everyone)", self.action_today_only)
        yield ("Panel packs and returns", "Offline exchange between laptops", self.action_exchange)
        yield ("Edit campaign", "Title, decision date, interview length, panel (with a reason)", self.action_edit_campaign)


def _read_interview(session, candidate_id: int, member_id: int):
    """The interview's data, read in the worker. Its screen's module is imported there too: right after
    start-up the warm-up may be importing it (and the models), and on the UI thread the import would
    wait for that with the screen frozen."""
    import panel_tui.screens.interview  # noqa: F401
    from db.interview import load_interview

    return load_interview(session, candidate_id, member_id)


def _interview_screen(database, view):
    from panel_tui.screens.interview import InterviewScreen  # imported by _read_interview

    return InterviewScreen(database, view)
