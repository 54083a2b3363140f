"""The chair's outcomes: the merit list and what happens to each candidate, the score distribution,
panel agreement, and the reports (merit list CSV, assessment records, feedback).

Every decision goes through a service function in ``db.outcomes`` (which applies
the merit, tie and reserve rules and audits the change), off the UI thread; the
decision's row is redrawn at once (db.outcomes.with_outcome), and once saved
the merit list is re-read (db.results re-evaluates only what moved) and only
the table cells that changed are redrawn. The distribution and panel-agreement
tabs are re-read only when scores or consensus moved. Another terminal's changes
arrive the same way (LiveRefresh). Exports run in thread workers and report
through notifications.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Header, Label, TabbedContent, TabPane

from db.outcomes import MeritList, MeritRow
from db.text import clean_line
from panel_tui.dialogs import ExtendReserveDialog, FilePicker
from panel_tui.live import LiveRefresh
from panel_tui.screens.first_paint import freeze_while_open, thaw
from panel_tui.screens.outcome_decisions import OutcomeDecisions
from panel_tui.screens.outcomes_work import (
    MeritView,
    OutcomesView,
    export_report,
    load_charts,
    load_merit,
    load_outcomes,
)
from panel_tui.widgets.footer import PanelFooter
from panel_tui.widgets.merit_table import ItemInfo, MeritTable, ordered_rows
from panel_tui.widgets.panel_agreement import PanelAgreement
from panel_tui.widgets.score_chart import ScoreChart
from panel_tui.work import ServiceWork

__all__ = ["ExtendReserveDialog", "OutcomesScreen"]

# Actions that need a highlighted candidate on the merit list.
CANDIDATE_ACTIONS = (
    "appoint", "reserve", "extend_reserve", "not_appointed", "declined", "pending",
    "tie_up", "order_tie", "export_record", "feedback",
)


class OutcomesScreen(OutcomeDecisions, ServiceWork, LiveRefresh, Screen[None]):
    HELP_TITLE = "Outcomes"
    CSS_PATH = "../styles/outcomes.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (150, "-very-wide")]

    BINDINGS = [
        Binding("a", "appoint", "Appoint", tooltip="Offer the post (out of merit order needs a reason)", id="outcomes.appoint"),
        Binding("r", "reserve", "Reserve", tooltip="Put on the reserve list for 12 months from the decision date",
                id="outcomes.reserve"),
        Binding("x", "extend_reserve", "Extend", tooltip="Extend a reserve place (once, with a reason, 24 months at most)",
                id="outcomes.extend_reserve"),
        Binding("n", "not_appointed", "Not appointed", id="outcomes.not_appointed"),
        Binding("d", "declined", "Declined", show=False, tooltip="The candidate declined the offer", id="outcomes.declined"),
        Binding("z", "pending", "Reset to pending", show=False, tooltip="Undo a not appointed / declined status",
                id="outcomes.pending"),
        Binding("u", "tie_up", "Tie: move up", tooltip="Move this tied candidate up (then t to record the order)",
                id="outcomes.tie_up"),
        Binding("t", "order_tie", "Record tie order", tooltip="Record the tie's order on screen, with a reason",
                id="outcomes.order_tie"),
        Binding("c", "export_csv", "CSV", tooltip="Export the merit list as CSV (a .xlsx name writes Excel)",
                id="outcomes.export_csv"),
        Binding("X", "export_csv('xlsx')", "Excel", show=False, tooltip="Export the merit list as an Excel workbook",
                id="outcomes.export_xlsx"),
        Binding("m", "export_record('md')", "Record", tooltip="Export this candidate's assessment record (Markdown)",
                id="outcomes.export_markdown"),
        Binding("p", "export_record('pdf')", "PDF", tooltip="Export this candidate's assessment record (PDF)",
                id="outcomes.export_pdf"),
        Binding("f", "feedback", "Feedback", tooltip="Edit this candidate's feedback, then export it", id="outcomes.feedback"),
        Binding("1", "show_tab('merit')", "Tabs", key_display="1-3", tooltip="Merit list, distribution, panel agreement",
                id="outcomes.tab_merit"),
        Binding("2", "show_tab('distribution')", "Distribution", show=False, id="outcomes.tab_distribution"),
        Binding("3", "show_tab('agreement')", "Panel agreement", show=False, id="outcomes.tab_agreement"),
        Binding("q,escape", "app.pop_screen", "Back", id="outcomes.back"),
    ]

    def __init__(self, database, campaign_id: int, member_id: int | None, *, start: Path | None = None) -> None:
        self.may_see: set[int] | None = None
        super().__init__()
        self.database = database
        self.campaign_id = campaign_id
        self.member_id = member_id
        self.start = start
        self.campaign_key = ""
        self.anonymised = True
        self.actor = ""
        self.merit: MeritList | None = None
        self.versions: dict[int, int] = {}  # candidate id -> outcome version shown
        self.review: dict[int, tuple[str, ...]] = {}  # candidate id -> items needing review
        self.items: list[ItemInfo] = []
        self.display_rows: list[MeritRow] = []
        # Tie orders the chair is arranging on screen, not yet recorded: tie group -> candidate ids.
        self.pending_ties: dict[int, list[int]] = {}
        self.scores_stamp: tuple | None = None  # of the charts on screen
        self._loading = self._stale = False  # a merit list read is running / another is wanted after it
        self.decisions = 0  # decisions drawn by this screen (a merit list read begun before one is stale)
        self.writes = 0  # decisions being saved (a read waits for them: it would show the list before them)

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Loading…", id="outcomes-summary", classes="screen-title")
        with TabbedContent(id="outcome-tabs", initial="merit"):
            with TabPane("Merit list", id="merit"):
                yield MeritTable(id="merit-table")
                yield Label("", id="candidate-detail")
                yield Label("", id="legend")
            with TabPane("Distribution", id="distribution"):
                yield VerticalScroll(id="charts")
            with TabPane("Panel agreement", id="agreement"):
                yield PanelAgreement(id="agreement-body")
        yield PanelFooter()

    def on_mount(self) -> None:
        if self.start is None:
            self.start = Path.cwd()
        self.sub_title = "Outcomes"
        self.query_one(MeritTable).focus()
        self.start_live()
        self.run_service(load_outcomes, self.campaign_id, self.member_id, tag="load", done=self._loaded,
                         failed=self._not_loaded, group="load", exclusive=True)

    # --- loading ---------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the merit list (and the charts if scores moved); redraw what changed, keeping the highlight.

        A reload asked for while one is running follows it (rather than cancelling it, which
        would only delay the answer)."""
        if self._loading or self.writes:
            self._stale = True
            return
        self._loading, self._stale = True, False
        begun = self.decisions
        self.run_service(load_merit, self.campaign_id, self.member_id, tag="load",
                         done=lambda view: self._merit_loaded(view, begun),
                         failed=self._not_loaded, settled=self._merit_settled, group="load")

    def _merit_settled(self) -> None:
        self._loading = False
        if self._stale:
            self.reload()

    def live_changed(self) -> None:
        if self.merit is not None:
            self.reload()

    def _merit_loaded(self, view: MeritView, begun: int | None = None) -> None:
        if self.merit is None:
            return  # the first load is still on its way
        if begun is not None and begun != self.decisions:
            self._stale = True  # read before a decision drawn since: read again once it is saved
            return
        self.merit, self.may_see = view.merit, view.may_see
        self.versions, self.review = view.versions, view.review
        self._forget_stale_ties()
        self._show_merit()
        self.refresh_bindings()
        self._charts(view.scores_stamp)
        freeze_while_open(self)  # the new list too (see _loaded)

    def _charts(self, stamp: tuple) -> None:
        if stamp == self.scores_stamp:
            return
        self.scores_stamp = stamp
        self.run_service(load_charts, self.campaign_id, tag="charts", group="charts", exclusive=True,
                         done=self._charts_loaded, title="Charts not loaded")

    def _charts_loaded(self, charts: tuple) -> None:
        calibration, distribution = charts
        self._show_distribution(distribution)
        self.query_one(PanelAgreement).show(calibration)

    def _not_loaded(self, message: str) -> None:
        self.query_one("#outcomes-summary", Label).update(Text(f"Not loaded: {message}"))
        self.notify(message, title="Outcomes not loaded", severity="error", markup=False)

    def _loaded(self, view: OutcomesView) -> None:
        first = self.merit is None
        self.merit, self.may_see = view.merit, view.may_see
        self.versions, self.review = view.versions, view.review
        if first:
            self.items = view.items
            self.campaign_key = clean_line(view.key)
            self.anonymised = view.anonymised
            self.actor = clean_line(view.actor)
            self.title = clean_line(view.title)
            self.sub_title = "Outcomes" + (f" · {self.actor}" if self.actor else "")
            self.query_one("#legend", Label).update(Text(
                " · ".join(f"{i.short} {clean_line(i.name)}" + (" ★ lead" if i.is_lead else "") for i in self.items)
            ))
            self.query_one("#charts", VerticalScroll).mount_all(ScoreChart(classes="item-chart") for _ in self.items)
        self._forget_stale_ties()
        self._show_merit()
        self.refresh_bindings()
        self._charts(view.scores_stamp)
        freeze_while_open(self)  # the merit list is alive while the screen is: no collection re-scans it

    def on_unmount(self) -> None:
        thaw(self)  # what freeze_while_open froze goes back to the collector

    def _forget_stale_ties(self) -> None:
        assert self.merit is not None
        groups = {g: {r.candidate_id for r in rows} for g, rows in self.merit.tie_groups().items()}
        self.pending_ties = {g: order for g, order in self.pending_ties.items() if groups.get(g) == set(order)}

    def _show_merit(self) -> None:
        assert self.merit is not None
        self.display_rows = ordered_rows(self.merit, self.pending_ties)
        self.query_one(MeritTable).show(
            self.display_rows, self.items, anonymised=self.anonymised, may_see=self.may_see,
            pending_ties=self.pending_ties,
        )
        self._show_summary()
        self._show_detail()

    def _show_summary(self) -> None:
        assert self.merit is not None
        merit = self.merit
        parts = [f"{len(merit.ranked)} on the merit list, {len(merit.unranked)} not ranked"]
        if merit.decision_date:
            parts.append(f"decision {merit.decision_date.isoformat()}")
        refs = {r.candidate_id: clean_line(r.ref) for r in merit.rows}
        if len(merit.next_offer) > 1:
            parts.append("next offer: a tie, " + " = ".join(refs[c] for c in merit.next_offer) + " (order it: u, t)")
        elif merit.next_offer:
            parts.append(f"next offer: {refs[merit.next_offer[0]]}")
        elif merit.ranked:
            parts.append("no one left to offer")
        self.query_one("#outcomes-summary", Label).update(Text(" · ".join(parts)))

    def _show_detail(self) -> None:
        row = self._highlighted_row()
        label = self.query_one("#candidate-detail", Label)
        if row is None:
            label.update("No candidates")
            return
        who = clean_line(row.label)
        if self.may_see is not None and row.candidate_id not in self.may_see:
            label.update(Text(f"{who}: the panel's results stay hidden until you submit your own assessment"))
            return
        bits = [who]
        if row.candidate_id in self.review:
            bits.append("needs review: " + ", ".join(clean_line(i) for i in self.review[row.candidate_id])
                        + " (a panellist amended after the consensus)")
        if row.passed is False:
            bits.append("failed: " + "; ".join(clean_line(reason) for reason in row.fail_reasons))
        elif row.passed is None:
            bits.append("not yet fully scored")
        elif row.provisional:
            bits.append("provisional: agree every item before appointing")
        if row.offer_reason:
            bits.append(f"offer reason: {row.offer_reason}")
        if row.reserve_reason:
            bits.append(f"extended: {row.reserve_reason}")
        if row.tie_reason and row.tie_group not in self.pending_ties:
            bits.append(f"tie order: {row.tie_reason}")
        label.update(Text(clean_line(" · ".join(bits))))

    def _show_distribution(self, distribution) -> None:
        pass_marks = {i.name: i.pass_mark for i in self.items}
        for chart, item in zip(self.query(ScoreChart), distribution):
            note = f"{item.values} candidate{'s' if item.values != 1 else ''}"
            if item.provisional:
                note += f", {item.provisional} provisional"
            lead = " ★" if any(i.name == item.name and i.is_lead for i in self.items) else ""
            chart.set_data(clean_line(item.name) + lead, item.counts, note=note, pass_mark=pass_marks.get(item.name))

    # --- the highlighted candidate -----------------------------------------------------

    def _highlighted_row(self) -> MeritRow | None:
        if not self.is_mounted or self.merit is None:
            return None
        cid = self.query_one(MeritTable).highlighted_id()
        return next((r for r in self.display_rows if r.candidate_id == cid), None)

    @on(MeritTable.RowHighlighted, "#merit-table")
    def _row_highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self.refresh_bindings()

    def _on_merit_tab(self) -> bool:
        return self.query_one(TabbedContent).active == "merit"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in CANDIDATE_ACTIONS:
            return True
        if not self.is_mounted or not self._on_merit_tab():
            return False
        row = self._highlighted_row()
        if row is None:
            return False
        if action in ("appoint", "reserve", "extend_reserve"):
            return True  # refusals are explained by the action (_refused), never a silent key
        if action == "not_appointed":
            return row.status in ("pending", "reserve")
        if action == "declined":
            return row.status in ("appointed", "pending", "reserve")
        if action == "pending":
            return row.status in ("not_appointed", "declined")
        if action == "tie_up":
            return row.tie_group is not None and self._tie_order(row.tie_group)[0] != row.candidate_id
        if action == "order_tie":
            return row.tie_group is not None
        return True

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "merit":
            self.query_one(MeritTable).focus()
        elif tab == "agreement":
            self.query_one("#item-agreement").focus()
        else:
            self.query_one("#charts", VerticalScroll).focus()

    # --- reports -------------------------------------------------------------------------

    def action_export_csv(self, kind: str = "csv") -> None:
        self.app.push_screen(
            FilePicker("Save the merit list as", self.start, suggested=f"{self.campaign_key}-merit-list.{kind}",
                       must_exist=False),
            # The name decides: a .xlsx name writes an Excel workbook, anything else CSV.
            lambda path: path and self._export(path, "xlsx" if path.suffix.lower() == ".xlsx" else "csv", None),
        )

    def action_export_record(self, kind: str) -> None:
        row = self._highlighted_row()
        if row is None:
            return
        what = "PDF" if kind == "pdf" else "Markdown"
        ref = clean_line(row.ref)
        self.app.push_screen(
            FilePicker(f"Save {ref}'s assessment record ({what}) as", self.start,
                       suggested=f"{ref}-assessment-record.{kind}", must_exist=False),
            lambda path: path and self._export(path, kind, row.candidate_id),
        )

    def action_feedback(self) -> None:
        from panel_tui.screens.feedback_editor import FeedbackEditor

        row = self._highlighted_row()
        if row is None:
            return
        self.app.push_screen(FeedbackEditor(self.campaign_id, row.candidate_id, self.actor, start=self.start))

    def _export(self, path: Path, kind: str, candidate_id: int | None) -> None:
        self.run_service(export_report, kind, self.campaign_id, candidate_id, path, tag="export", group="export",
                         done=lambda summary: self.notify(summary, title="Exported", markup=False), title="Not exported")

    # --- the command palette -------------------------------------------------------------

    def palette_commands(self):
        row = self._highlighted_row()
        yield ("Export merit list (CSV)", "Every candidate, rank, total, item scores and status", self.action_export_csv)
        yield ("Export merit list (Excel)", "The same columns as an .xlsx workbook, marked OFFICIAL-SENSITIVE",
               lambda: self.action_export_csv("xlsx"))
        yield ("Show merit list", "Ranks, totals, status", lambda: self.action_show_tab("merit"))
        yield ("Show score distribution", "Per item, how many candidates at each scale point",
               lambda: self.action_show_tab("distribution"))
        yield ("Show panel agreement", "Spread per item; each member's leniency or severity",
               lambda: self.action_show_tab("agreement"))
        if row is None:
            return
        ref = escape(clean_line(row.ref))  # palette titles are markup
        actions = [
            ("appoint", f"Appoint {ref}", "Offer the post (out of merit order needs a reason)", self.action_appoint),
            ("reserve", f"Reserve list: {ref}", "12 months from the decision date", self.action_reserve),
            ("extend_reserve", f"Extend reserve place: {ref}", "Once, with a reason, at most 24 months",
             self.action_extend_reserve),
            ("not_appointed", f"Not appointed: {ref}", "Mark as not appointed", self.action_not_appointed),
            ("declined", f"Declined: {ref}", "The candidate declined", self.action_declined),
            ("pending", f"Back to pending: {ref}", "Undo not appointed / declined", self.action_pending),
            ("tie_up", f"Tie: move {ref} up", "Arrange the tie on screen, then record it", self.action_tie_up),
            ("order_tie", "Record the tie order", "The order on screen, with a reason", self.action_order_tie),
            ("export_record", f"Assessment record (Markdown): {ref}", "Evidence, scores, outcome, audit history",
             lambda: self.action_export_record("md")),
            ("export_record", f"Assessment record (PDF): {ref}", "Evidence, scores, outcome, audit history",
             lambda: self.action_export_record("pdf")),
            ("feedback", f"Feedback: {ref}", "Edit the feedback draft, then export it", self.action_feedback),
        ]
        for action, title, help_text, callback in actions:
            if self.check_action(action, ()) and self._refusal(action, row) is None:
                yield (title, help_text, callback)
