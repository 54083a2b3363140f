"""The chair's outcomes: the merit list and what happens to each candidate, the score distribution,
panel agreement, and the reports (merit list CSV, assessment records, feedback).

Every decision goes through a service function in ``db.outcomes`` (which applies
the merit, tie and reserve rules and audits the change); the screen reloads the
merit list after each one. Exports run in thread workers and report through
notifications.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from db import campaigns as campaign_service
from db import outcomes as service
from db.interview import submitted_candidate_ids
from db.errors import PanelError
from db.outcomes import MeritList, MeritRow
from db import vocabulary
from panel_tui.screens.dialogs import ConfirmDialog, ReasonDialog
from panel_tui.screens.file_picker import FilePicker
from panel_tui.widgets.score_chart import ScoreChart

STATUS_STYLE = {
    "appointed": "bold green",
    "reserve": "cyan",
    "not_appointed": "dim",
    "declined": "dim",
    "pending": "",
}
RESULT_STYLE = {"pass": "green", "fail": "red", "incomplete": "dim"}

# Actions that need a highlighted candidate on the merit list.
CANDIDATE_ACTIONS = (
    "appoint", "reserve", "extend_reserve", "not_appointed", "declined", "pending",
    "tie_up", "order_tie", "export_record", "feedback",
)


def num(value: float | None) -> str:
    """29 -> '29', 23.3333 -> '23.33', None -> '–'."""
    return vocabulary.score_text(value, "–")


def short_name(name: str) -> str:
    """'Leading and Communicating' -> 'LC' (the column heading; the legend gives the full name)."""
    return vocabulary.short_name(name)


def fit(question: str, width: int = 62) -> str:
    """Wrap a dialog question to the dialog's width (a dialog title label does not wrap by itself)."""
    return textwrap.fill(question, width)


def rank_text(row: MeritRow) -> str:
    if row.rank is None:
        return "–"
    return f"{row.rank}=" if row.tied else str(row.rank)


def status_text(row: MeritRow) -> Text:
    if row.status == "reserve" and row.reserve_expiry is not None:
        if row.expired:
            return Text(f"reserve EXPIRED {row.reserve_expiry.isoformat()}", style="bold red")
        extended = " (ext.)" if row.reserve_extended else ""
        return Text(f"reserve to {row.reserve_expiry.isoformat()}{extended}", style=STATUS_STYLE["reserve"])
    words = {"not_appointed": "not appointed"}.get(row.status, row.status)
    return Text(words, style=STATUS_STYLE.get(row.status, ""))


def leniency_text(value: float | None) -> tuple[str, str]:
    """(signed average, reading) for a member's average difference from the agreed scores."""
    if value is None:
        return "–", "nothing to compare yet"
    if abs(value) < 0.005:
        return "0.00", "in line"
    sign = "+" if value > 0 else "−"
    return f"{sign}{abs(value):.2f}", "lenient" if value > 0 else "severe"


@dataclass(frozen=True)
class ItemInfo:
    name: str
    short: str
    scale: list
    pass_mark: float
    is_lead: bool


class ExtendReserveDialog(ModalScreen[tuple[int, str] | None]):
    """Ask for the new length of a reserve place (months from the decision date) and the reason."""

    CSS_PATH = "../styles/outcomes.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, question: str, months: int = 24) -> None:
        super().__init__()
        self.question = question
        self.months = months

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            yield Label("Months from the decision date (at most 24 in all):")
            yield Input(str(self.months), id="months", type="integer")
            yield Input(placeholder="Reason (required), then Enter", id="extend-reason")
            yield Label("", id="extend-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#extend-reason", Input).focus()

    @on(Input.Submitted, "#months")
    def _months_submitted(self) -> None:
        self.query_one("#extend-reason", Input).focus()

    @on(Input.Submitted, "#extend-reason")
    def _reason_submitted(self, event: Input.Submitted) -> None:
        error = self.query_one("#extend-error", Label)
        try:
            months = int(self.query_one("#months", Input).value)
        except ValueError:
            error.update("Months must be a whole number")
            return
        reason = event.value.strip()
        if not reason:
            error.update("A reason is required")
            return
        self.dismiss((months, reason))


class OutcomesScreen(Screen[None]):
    CSS_PATH = "../styles/outcomes.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (150, "-very-wide")]

    BINDINGS = [
        Binding("a", "appoint", "Appoint", tooltip="Offer the post (out of merit order needs a reason)"),
        Binding("r", "reserve", "Reserve", tooltip="Put on the reserve list for 12 months from the decision date"),
        Binding("x", "extend_reserve", "Extend", tooltip="Extend a reserve place (once, with a reason, 24 months at most)"),
        Binding("n", "not_appointed", "Not appointed"),
        Binding("d", "declined", "Declined", show=False, tooltip="The candidate declined the offer"),
        Binding("z", "pending", "Reset to pending", show=False, tooltip="Undo a not appointed / declined status"),
        Binding("u", "tie_up", "Tie: move up", tooltip="Move this tied candidate up (then t to record the order)"),
        Binding("t", "order_tie", "Record tie order", tooltip="Record the tie's order on screen, with a reason"),
        Binding("c", "export_csv", "CSV", tooltip="Export the merit list as CSV"),
        Binding("m", "export_record('md')", "Record", tooltip="Export this candidate's assessment record (Markdown)"),
        Binding("p", "export_record('pdf')", "PDF", tooltip="Export this candidate's assessment record (PDF)"),
        Binding("f", "feedback", "Feedback", tooltip="Edit this candidate's feedback, then export it"),
        Binding("1", "show_tab('merit')", "Tabs", key_display="1-3", tooltip="Merit list, distribution, panel agreement"),
        Binding("2", "show_tab('distribution')", show=False),
        Binding("3", "show_tab('agreement')", show=False),
        Binding("q,escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, database, campaign_id: int, member_id: int | None, *, start: Path | None = None) -> None:
        self.may_see: set[int] | None = None
        super().__init__()
        self.database = database
        self.campaign_id = campaign_id
        self.member_id = member_id
        self.start = start
        self.merit: MeritList | None = None
        self.items: list[ItemInfo] = []
        self.display_rows: list[MeritRow] = []
        # Tie orders the chair is arranging on screen, not yet recorded: tie group -> candidate ids.
        self.pending_ties: dict[int, list[int]] = {}

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="outcomes-summary", classes="screen-title")
        with TabbedContent(id="outcome-tabs", initial="merit"):
            with TabPane("Merit list", id="merit"):
                yield DataTable(id="merit-table", cursor_type="row", zebra_stripes=True)
                yield Label("", id="candidate-detail")
                yield Label("", id="legend")
            with TabPane("Distribution", id="distribution"):
                yield VerticalScroll(id="charts")
            with TabPane("Panel agreement", id="agreement"):
                with VerticalScroll(id="agreement-body"):
                    yield Label("Items: how far members' submitted scores spread (mean range per candidate)", classes="section")
                    yield DataTable(id="item-agreement", cursor_type="row", zebra_stripes=True)
                    yield Label(
                        "Members: average of (member's score − agreed score); + lenient, − severe",
                        classes="section",
                    )
                    yield DataTable(id="member-leniency", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        if self.start is None:
            self.start = Path.cwd()
        with self.database.session() as session:
            campaign = campaign_service.get_campaign(session, self.campaign_id)
            members = {m.id: m.name for m in campaign_service.panel_members(session, self.campaign_id)}
            items = campaign_service.campaign_items(session, self.campaign_id)
            self.items = [
                ItemInfo(i.name, short_name(i.name), list(i.scale or campaign.scale), i.pass_mark, i.is_lead) for i in items
            ]
        self.campaign_key = campaign.key
        self.anonymised = campaign.anonymised
        self.actor = members.get(self.member_id, "") if self.member_id is not None else ""
        self.title = campaign.title
        self.sub_title = "Outcomes" + (f" · {self.actor}" if self.actor else "")
        self.query_one("#legend", Label).update(
            " · ".join(f"{i.short} {i.name}" + (" ★ lead" if i.is_lead else "") for i in self.items)
        )
        charts = self.query_one("#charts", VerticalScroll)
        charts.mount_all(ScoreChart(classes="item-chart") for _ in self.items)
        self.reload()
        self.query_one("#merit-table", DataTable).focus()

    # --- loading ---------------------------------------------------------------------

    def reload(self) -> None:
        """Recompute the merit list (and the other tabs) and redraw, keeping the highlighted candidate."""
        with self.database.session() as session:
            self.merit = service.merit_list(session, self.campaign_id)
            # Independence: results built from other members' scores stay hidden until this
            # panellist has submitted their own assessment of that candidate.
            self.may_see = (
                None if self.member_id is None
                else submitted_candidate_ids(session, self.campaign_id, self.member_id)
            )
            calibration = service.calibration(session, self.campaign_id)
            distribution = service.distribution(session, self.campaign_id)
        self._forget_stale_ties()
        self._show_merit()
        self._show_distribution(distribution)
        self._show_agreement(calibration)
        self.refresh_bindings()

    def _forget_stale_ties(self) -> None:
        assert self.merit is not None
        groups = {g: {r.candidate_id for r in rows} for g, rows in self.merit.tie_groups().items()}
        self.pending_ties = {g: order for g, order in self.pending_ties.items() if groups.get(g) == set(order)}

    def _ordered_rows(self) -> list[MeritRow]:
        """The merit list in display order: any tie being arranged on screen shown in its new order."""
        assert self.merit is not None
        rows = list(self.merit.rows)
        for group, order in self.pending_ties.items():
            slots = [n for n, r in enumerate(rows) if r.tie_group == group]
            by_id = {rows[n].candidate_id: rows[n] for n in slots}
            for n, cid in zip(slots, order):
                rows[n] = by_id[cid]
        return rows

    def _show_merit(self) -> None:
        assert self.merit is not None
        merit = self.merit
        table = self.query_one("#merit-table", DataTable)
        keep = self._highlighted_id()
        table.clear(columns=True)
        table.add_column("Rank", key="rank")
        table.add_column("Ref", key="ref")
        if not self.anonymised:
            table.add_column("Name", key="name")
        table.add_column("Total", key="total")
        table.add_column("Result", key="result")
        table.add_column("Status", key="status")
        for n, item in enumerate(self.items):
            table.add_column(item.short + ("★" if item.is_lead else ""), key=f"item{n}")
        table.add_column("Prov.", key="provisional")
        table.add_column("Tie", key="tie")
        self.display_rows = self._ordered_rows()
        for r in self.display_rows:
            if self.may_see is not None and r.candidate_id not in self.may_see:
                table.add_row(*self._hidden_row(r, len(table.columns)), key=str(r.candidate_id))
                continue
            cells: list = [Text(rank_text(r), style="bold" if r.rank is not None else "dim"), r.ref]
            if not self.anonymised:
                cells.append(r.name)
            cells.append(Text(num(r.total), justify="right"))
            cells.append(Text(r.result, style=RESULT_STYLE[r.result]))
            cells.append(status_text(r))
            for n, value in enumerate(r.item_values):
                item = self.items[n] if n < len(self.items) else None
                label = num(value) if item is None or value is None else self._label(item, value)
                below = item is not None and value is not None and value < item.pass_mark
                cells.append(Text(label, justify="right", style="red" if below else ""))
            cells.append(Text("prov." if r.provisional else "", style="yellow"))
            cells.append(self._tie_text(r))
            table.add_row(*cells, key=str(r.candidate_id))
        if self.display_rows:
            ids = [r.candidate_id for r in self.display_rows]
            table.move_cursor(row=ids.index(keep) if keep in ids else 0)
        self._show_summary()
        self._show_detail()

    def _hidden_row(self, r: MeritRow, width: int) -> list:
        cells: list = [Text("–", style="dim"), r.ref] + ([] if self.anonymised else [r.name])
        cells += ["", Text("hidden until you submit yours", style="dim italic"), status_text(r)]
        return cells + [""] * (width - len(cells))

    @staticmethod
    def _label(item: ItemInfo, value: float) -> str:
        from db.scales import label_for

        return label_for(item.scale, value)

    def _tie_text(self, row: MeritRow) -> Text:
        if row.tie_group is not None and row.tie_group in self.pending_ties:
            return Text("order not recorded (t)", style="bold yellow")
        if row.tied:
            return Text("tie: chair to order", style="yellow")
        return Text(row.tie_reason)

    def _show_summary(self) -> None:
        assert self.merit is not None
        merit = self.merit
        parts = [f"{len(merit.ranked)} on the merit list, {len(merit.unranked)} not ranked"]
        if merit.decision_date:
            parts.append(f"decision {merit.decision_date.isoformat()}")
        refs = {r.candidate_id: r.ref for r in merit.rows}
        if len(merit.next_offer) > 1:
            parts.append("next offer: a tie, " + " = ".join(refs[c] for c in merit.next_offer) + " (order it: u, t)")
        elif merit.next_offer:
            parts.append(f"next offer: {refs[merit.next_offer[0]]}")
        elif merit.ranked:
            parts.append("no one left to offer")
        self.query_one("#outcomes-summary", Label).update(" · ".join(parts))

    def _show_detail(self) -> None:
        row = self._highlighted_row()
        label = self.query_one("#candidate-detail", Label)
        if row is None:
            label.update("No candidates")
            return
        bits = [row.label]
        if self.may_see is not None and row.candidate_id not in self.may_see:
            label.update(f"{row.label}: the panel's results stay hidden until you submit your own assessment")
            return
        if row.passed is False:
            bits.append("failed: " + ", ".join(row.failed_items) if row.failed_items else "below the minimum total")
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
        label.update(" · ".join(bits))

    def _show_distribution(self, distribution) -> None:
        pass_marks = {i.name: i.pass_mark for i in self.items}
        for chart, item in zip(self.query(ScoreChart), distribution):
            note = f"{item.values} candidate{'s' if item.values != 1 else ''}"
            if item.provisional:
                note += f", {item.provisional} provisional"
            lead = " ★" if any(i.name == item.name and i.is_lead for i in self.items) else ""
            chart.set_data(item.name + lead, item.counts, note=note, pass_mark=pass_marks.get(item.name))

    def _show_agreement(self, calibration) -> None:
        items = self.query_one("#item-agreement", DataTable)
        items.clear(columns=True)
        items.add_columns("Item", "Mean spread", "Candidates")
        for i in calibration.items:
            spread = "–" if i.mean_spread is None else f"{i.mean_spread:.2f}"
            wide = i.mean_spread is not None and i.mean_spread >= 2
            items.add_row(i.name, Text(spread, justify="right", style="bold yellow" if wide else ""),
                          Text(str(i.candidates), justify="right"))
        members = self.query_one("#member-leniency", DataTable)
        members.clear(columns=True)
        members.add_columns("Member", "Average vs agreed", "Reading", "Scores compared")
        for m in calibration.members:
            value, reading = leniency_text(m.leniency)
            members.add_row(m.name, Text(value, justify="right"), reading, Text(str(m.compared), justify="right"))

    # --- the highlighted candidate -----------------------------------------------------

    def _highlighted_id(self) -> int | None:
        table = self.query_one("#merit-table", DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)

    def _highlighted_row(self) -> MeritRow | None:
        cid = self._highlighted_id()
        if cid is None or self.merit is None:
            return None
        return next((r for r in self.display_rows if r.candidate_id == cid), None)

    @on(DataTable.RowHighlighted, "#merit-table")
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
        final = row.rank is not None and not row.provisional
        if action == "appoint":
            return final and row.status not in ("appointed", "declined") and not row.expired
        if action == "reserve":
            return final and row.status in ("pending", "not_appointed")
        if action == "extend_reserve":
            return row.status == "reserve" and not row.reserve_extended and not row.expired
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

    def _tie_order(self, group: int) -> list[int]:
        return [r.candidate_id for r in self.display_rows if r.tie_group == group]

    # --- decisions ---------------------------------------------------------------------

    def _run(self, what: str, fn, *args) -> object | None:
        """Call a service function in its own unit of work; a refusal is one line, and the list reloads."""
        try:
            with self.database.session() as session:
                result = fn(session, *args)
        except PanelError as exc:
            self.notify(str(exc), title=f"Not {what}", severity="warning", markup=False)
            return None
        finally:
            self.reload()
        return result if result is not None else True

    def action_appoint(self) -> None:
        row = self._highlighted_row()
        if row is None or self.merit is None:
            return
        unavailable = ("appointed", "declined")
        higher = [
            r.ref for r in self.merit.ranked
            if r.rank is not None and row.rank is not None and r.rank < row.rank
            and r.status not in unavailable and not r.expired
        ]
        cid = row.candidate_id
        if higher:
            question = (f"Appoint {row.label} out of merit order? {', '.join(higher)} "
                        f"{'is' if len(higher) == 1 else 'are'} ranked higher. Give the reason:")

            def with_reason(reason: str | None) -> None:
                if reason and self._run("appointed", service.appoint, cid, self.actor, reason):
                    self.notify(f"{row.ref} appointed out of merit order: {reason}", markup=False)

            self.app.push_screen(ReasonDialog(fit(question)), with_reason)
            return

        def confirmed(ok: bool | None) -> None:
            if ok and self._run("appointed", service.appoint, cid, self.actor):
                self.notify(f"{row.ref} appointed")

        self.app.push_screen(ConfirmDialog(fit(f"Appoint {row.label} (rank {rank_text(row)})?")), confirmed)

    def action_reserve(self) -> None:
        row = self._highlighted_row()
        if row is None:
            return
        expiry = self._run("put on the reserve list", service.add_to_reserve, row.candidate_id, self.actor)
        if isinstance(expiry, date):
            self.notify(f"{row.ref} is on the reserve list until {expiry.isoformat()}")

    def action_extend_reserve(self) -> None:
        row = self._highlighted_row()
        if row is None or row.reserve_expiry is None:
            return
        cid = row.candidate_id

        def chosen(answer: tuple[int, str] | None) -> None:
            if answer is None:
                return
            months, reason = answer
            expiry = self._run("extended", service.extend_reserve, cid, months, reason, self.actor)
            if isinstance(expiry, date):
                self.notify(f"{row.ref}'s reserve place extended to {expiry.isoformat()}")

        question = f"Extend {row.label}'s reserve place (now to {row.reserve_expiry.isoformat()})"
        self.app.push_screen(ExtendReserveDialog(fit(question)), chosen)

    def _set_status(self, status: str, words: str) -> None:
        row = self._highlighted_row()
        if row is not None and self._run(f"marked {words}", service.set_status, row.candidate_id, status, self.actor):
            self.notify(f"{row.ref}: {words}")

    def action_not_appointed(self) -> None:
        self._set_status("not_appointed", "not appointed")

    def action_declined(self) -> None:
        self._set_status("declined", "declined")

    def action_pending(self) -> None:
        self._set_status("pending", "pending")

    def action_tie_up(self) -> None:
        row = self._highlighted_row()
        if row is None or row.tie_group is None:
            return
        order = self._tie_order(row.tie_group)
        n = order.index(row.candidate_id)
        if n == 0:
            return
        order[n - 1], order[n] = order[n], order[n - 1]
        self.pending_ties[row.tie_group] = order
        self._show_merit()
        self.refresh_bindings()

    def action_order_tie(self) -> None:
        row = self._highlighted_row()
        if row is None or row.tie_group is None:
            return
        group = row.tie_group
        order = self._tie_order(group)
        refs = {r.candidate_id: r.ref for r in self.display_rows}

        def with_reason(reason: str | None) -> None:
            if not reason:
                return
            if self._run("ordered", service.order_tie, self.campaign_id, order, reason, self.actor):
                self.pending_ties.pop(group, None)
                self._show_merit()
                self.notify("Tie order recorded: " + ", ".join(refs[c] for c in order), markup=False)

        order_text = ", ".join(refs[c] for c in order)
        self.app.push_screen(ReasonDialog(fit(f"Record the tie order {order_text} (best first)? Give the reason:")), with_reason)

    # --- tabs ----------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "merit":
            self.query_one("#merit-table", DataTable).focus()
        elif tab == "agreement":
            self.query_one("#item-agreement", DataTable).focus()
        else:
            self.query_one("#charts", VerticalScroll).focus()

    # --- reports -------------------------------------------------------------------------

    def action_export_csv(self) -> None:
        self.app.push_screen(
            FilePicker("Save the merit list as", self.start or Path.cwd(), suggested=f"{self.campaign_key}-merit-list.csv",
                       must_exist=False),
            lambda path: path and self._export(path, "csv", None),
        )

    def action_export_record(self, kind: str) -> None:
        row = self._highlighted_row()
        if row is None:
            return
        what = "PDF" if kind == "pdf" else "Markdown"
        self.app.push_screen(
            FilePicker(f"Save {row.ref}'s assessment record ({what}) as", self.start or Path.cwd(),
                       suggested=f"{row.ref}-assessment-record.{kind}", must_exist=False),
            lambda path: path and self._export(path, kind, row.candidate_id),
        )

    def action_feedback(self) -> None:
        from panel_tui.screens.feedback_editor import FeedbackEditor

        row = self._highlighted_row()
        if row is None:
            return
        self.app.push_screen(FeedbackEditor(self.database, row.candidate_id, self.actor, start=self.start))

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, path: Path, kind: str, candidate_id: int | None) -> None:
        from db import reports

        try:
            with self.database.session() as session:
                if kind == "csv":
                    write_private(path, reports.merit_list_csv(session, self.campaign_id))
                    summary = f"Wrote the merit list to {path}"
                elif kind == "md":
                    assert candidate_id is not None
                    write_private(path, reports.assessment_record_markdown(session, candidate_id))
                    summary = f"Wrote the assessment record to {path}"
                else:
                    assert candidate_id is not None
                    reports.assessment_record_pdf(session, candidate_id, path)
                    os.chmod(path, 0o600)
                    summary = f"Wrote the assessment record (PDF) to {path}"
        except (PanelError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Not exported", severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, summary, title="Exported", markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Anything unexpected in an export: one line, and the screen carries on.
        if event.state == WorkerState.ERROR and event.worker.group == "export":
            error = event.worker.error
            self.notify(f"{type(error).__name__}: {error}", title="Not exported", severity="error", markup=False)

    # --- the command palette -------------------------------------------------------------

    def palette_commands(self):
        row = self._highlighted_row()
        yield ("Export merit list (CSV)", "Every candidate, rank, total, item scores and status", self.action_export_csv)
        yield ("Show merit list", "Ranks, totals, status", lambda: self.action_show_tab("merit"))
        yield ("Show score distribution", "Per item, how many candidates at each scale point",
               lambda: self.action_show_tab("distribution"))
        yield ("Show panel agreement", "Spread per item; each member's leniency or severity",
               lambda: self.action_show_tab("agreement"))
        if row is None:
            return
        actions = [
            ("appoint", f"Appoint {row.ref}", "Offer the post (out of merit order needs a reason)", self.action_appoint),
            ("reserve", f"Reserve list: {row.ref}", "12 months from the decision date", self.action_reserve),
            ("extend_reserve", f"Extend reserve place: {row.ref}", "Once, with a reason, at most 24 months",
             self.action_extend_reserve),
            ("not_appointed", f"Not appointed: {row.ref}", "Mark as not appointed", self.action_not_appointed),
            ("declined", f"Declined: {row.ref}", "The candidate declined", self.action_declined),
            ("pending", f"Back to pending: {row.ref}", "Undo not appointed / declined", self.action_pending),
            ("tie_up", f"Tie: move {row.ref} up", "Arrange the tie on screen, then record it", self.action_tie_up),
            ("order_tie", "Record the tie order", "The order on screen, with a reason", self.action_order_tie),
            ("export_record", f"Assessment record (Markdown): {row.ref}", "Evidence, scores, outcome, audit history",
             lambda: self.action_export_record("md")),
            ("export_record", f"Assessment record (PDF): {row.ref}", "Evidence, scores, outcome, audit history",
             lambda: self.action_export_record("pdf")),
            ("feedback", f"Feedback: {row.ref}", "Edit the feedback draft, then export it", self.action_feedback),
        ]
        for action, title, help_text, callback in actions:
            if self.check_action(action, ()):
                yield (title, help_text, callback)


def write_private(path: Path, text: str) -> None:
    """Write a report readable by its owner only: records and feedback hold personal data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
