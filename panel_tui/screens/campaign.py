"""One campaign: its candidates in interview order, with this panel member's assessment state."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label

from db import campaigns as campaign_service
from db import interview as interview_service
from panel_tui.screens.dialogs import MemberPicker

STATE_STYLE = {"not started": "dim", "in progress": "yellow", "submitted": "green"}


class CampaignScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "interview", "Interview", tooltip="Open the interview screen for this candidate"),
        Binding("w", "who_am_i", "Switch panellist", tooltip="Choose which panel member is using this laptop"),
        Binding("c", "consolidate", "Consolidate", tooltip="The chair's grid: panel scores side by side, consensus"),
        Binding("o", "outcomes", "Outcomes", tooltip="Merit list, reserve list, panel agreement, reports"),
        Binding("a", "add_candidate", "Add candidate", show=False),
        Binding("e", "edit_candidate", "Edit candidate", show=False),
        Binding("p", "add_member", "Add panellist", show=False, tooltip="Add a member to this campaign's panel"),
        Binding("t", "today_only", "Today only", show=False, tooltip="Show only today's interviews, in slot order (again: everyone)"),
        Binding("x", "exchange", "Packs & returns", show=False, tooltip="Export or import panel packs and returns (offline exchange)"),
        Binding("f", "app.frameworks", "Frameworks"),
        Binding("q,escape", "app.campaigns", "Campaigns"),
    ]

    def __init__(self, database, campaign_id: int) -> None:
        super().__init__()
        self.database = database
        self.campaign_id = campaign_id
        self.member_id: int | None = None
        self._resumed_once = False
        self.today_only = False
        self.member_name = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="campaign-summary", classes="screen-title")
        yield Label("", id="today")
        yield DataTable(id="candidates", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        with self.database.session() as session:
            campaign = campaign_service.get_campaign(session, self.campaign_id)
            member = campaign_service.current_member(session, self.campaign_id)
            self.members = [(m.id, m.name, m.role) for m in campaign_service.panel_members(session, self.campaign_id)]
            items = campaign_service.campaign_items(session, self.campaign_id)
        self.campaign = campaign
        self.title = campaign.title
        lead = next((i.name for i in items if i.is_lead), None)
        self.query_one("#campaign-summary", Label).update(
            f"{campaign.title} · {campaign.grade} · level {campaign.level} · {len(items)} items"
            + (f" · lead: {lead}" if lead else "")
        )
        if member is not None:
            self.member_id, self.member_name = member.id, member.name
        self.reload()
        if member is None and self.members:
            self.call_after_refresh(self.action_who_am_i)

    def reload(self) -> None:
        with self.database.session() as session:
            rows = interview_service.candidate_rows(session, self.campaign_id, self.member_id)
        self.sub_title = f"You are {self.member_name}" if self.member_name else "Choose who you are (w)"
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        anonymised = self.campaign.anonymised
        columns = ["Slot", "Ref"] + ([] if anonymised else ["Name"]) + ["Your assessment", "Adjustments"]
        table.add_columns(*columns)
        today = date.today()
        todays = 0
        if self.today_only:
            rows = [r for r in rows if r.slot and r.slot.astimezone().date() == today]
        for r in rows:
            slot = ""
            if r.slot:
                local = r.slot.astimezone()
                slot = local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %H:%M")
                todays += local.date() == today
            from rich.text import Text

            cells = [slot, r.ref] + ([] if anonymised else [r.name]) + [Text(r.state, style=STATE_STYLE[r.state]), r.adjustments]
            table.add_row(*cells, key=str(r.id))
        shown = "showing today's only (t: everyone)" if self.today_only else "t: today's only"
        self.query_one("#today", Label).update(
            (f"Today's interviews: {todays}" if todays else "No interviews today") + f" · {shown}"
        )
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        table.focus()

    def on_screen_resume(self) -> None:
        # Back from an interview: states may have changed. (The first resume follows on_mount.)
        if self._resumed_once:
            self.reload()
        self._resumed_once = True

    def action_who_am_i(self) -> None:
        def chosen(member_id: int | None) -> None:
            if member_id is None:
                return
            with self.database.session() as session:
                campaign_service.set_current_member(session, self.campaign_id, member_id)
            self.member_id = member_id
            self.member_name = next(name for mid, name, _ in self.members if mid == member_id)
            self.reload()

        self.app.push_screen(MemberPicker(self.members, self.member_id), chosen)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(int(event.row_key.value or 0))

    def action_interview(self) -> None:
        candidate_id = self._highlighted_candidate()
        if candidate_id is not None:
            self._open(candidate_id)

    def _open(self, candidate_id: int) -> None:
        if self.member_id is None:
            self.notify("Choose who you are first (w)", severity="warning")
            self.action_who_am_i()
            return
        from panel_tui.screens.interview import InterviewScreen

        self.app.push_screen(InterviewScreen(self.database, candidate_id, self.member_id))

    def _highlighted_candidate(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)

    def action_today_only(self) -> None:
        self.today_only = not self.today_only
        self.reload()

    def action_add_member(self) -> None:
        from db.errors import PanelError
        from panel_tui.screens.dialogs import PanelMemberDialog

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            try:
                with self.database.session() as session:
                    member = campaign_service.add_panel_member(
                        session, self.campaign_id, *answer, actor=self.member_name
                    )
            except PanelError as exc:
                self.notify(str(exc), severity="error")
                return
            self.members.append((member.id, member.name, member.role))  # type: ignore[arg-type]
            self.notify(f"{member.name} ({member.role}) added to the panel")

        self.app.push_screen(PanelMemberDialog(), chosen)

    def action_consolidate(self) -> None:
        from panel_tui.screens.consolidation import ConsolidationScreen

        self.app.push_screen(ConsolidationScreen(self.database, self.campaign_id, self.member_id))

    def action_outcomes(self) -> None:
        from panel_tui.screens.outcomes import OutcomesScreen

        self.app.push_screen(OutcomesScreen(self.database, self.campaign_id, self.member_id))

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

    def action_exchange(self) -> None:
        from panel_tui.screens.exchange import ExchangeScreen

        self.app.push_screen(ExchangeScreen(self.database, self.campaign_id, self.member_id), lambda _: self.reload())

    def palette_commands(self):
        with self.database.session() as session:
            rows = interview_service.candidate_rows(session, self.campaign_id, self.member_id)
        for r in rows:
            label = r.ref if self.campaign.anonymised else f"{r.name} ({r.ref})"
            yield (f"Interview: {label}", f"Open the interview screen ({r.state})", lambda cid=r.id: self._open(cid))
        yield ("Switch panellist", "Choose who is using this laptop", self.action_who_am_i)
        yield ("Consolidate scores", "The chair's grid of panel scores and consensus", self.action_consolidate)
        yield ("Outcomes and merit list", "Merit order, reserve list, reports", self.action_outcomes)
        yield ("Add a candidate", "Candidate details and adjustments", self.action_add_candidate)
        yield ("Add a panellist", "A member, chair or independent member for this campaign's panel", self.action_add_member)
        yield ("Today's interviews only", "Show only today's candidates, in slot order (again: everyone)", self.action_today_only)
        yield ("Panel packs and returns", "Offline exchange between laptops", self.action_exchange)
