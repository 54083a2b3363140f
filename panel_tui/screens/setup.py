"""Set up a new campaign, step by step, from a Home Office role template or from blank.

One screen, nine steps in a ContentSwitcher: start, role, grade → level,
framework items, other elements, question bank, scoring, panel, review. Each
field is checked as it is typed and the reason shown under it; Next refuses to
leave a step with a problem. The last step builds the same spec a campaign
TOML file holds and calls db.campaigns.create_campaign; the screen dismisses
with the new campaign's id (None when cancelled).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    SelectionList,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from db import scales
from db import setup_helpers as helpers
from db.errors import PanelError, ValidationError

STEPS = (
    ("start", "Start"),
    ("role", "Role"),
    ("grade", "Grade"),
    ("framework", "Framework"),
    ("other", "Other"),
    ("questions", "Questions"),
    ("scoring", "Scoring"),
    ("panel", "Panel"),
    ("review", "Review"),
)
STEP_IDS = [s for s, _ in STEPS]

OTHER_KINDS = ("strength", "experience", "technical", "ability", "presentation")
OTHER_SCALES = (
    ("The campaign's scale", "campaign"),
    ("1-7 (Civil Service Jobs)", "csj-1-7"),
    ("A-E (Civil Service Commission)", "csc-a-e"),
    ("1-4 (often used for strengths)", "1-4"),
)
ONE_TO_FOUR = [{"value": v, "label": str(v)} for v in range(1, 5)]
SCALE_CHOICES = (
    ("1-7, Civil Service Jobs (default)", "csj-1-7"),
    ("A-E, Civil Service Commission", "csc-a-e"),
    ("Custom points", "custom"),
)
SCALE_NOTES = {
    "csj-1-7": "1 Not demonstrated, 2 Minimal, 3 Moderate, 4 Acceptable, 5 Good, 6 Strong, 7 Outstanding. 4 is the usual pass mark.",
    "csc-a-e": "E, D, C, B/C, B, A: A, B, B/C and C are appointable; D and E are not. C is the usual pass mark.",
    "custom": "One point a line: value,label,name,descriptor (only the value is needed). At least two points.",
}
METHODS = (("Consensus: the chair leads the panel to an agreed score", "consensus"), ("Mean of the members' scores", "mean"))
ROLES = (("Chair", "chair"), ("Member", "member"), ("Independent", "independent"))
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class OtherItem:
    kind: str
    name: str
    description: str
    scale: str  # a key of OTHER_SCALES


def _row(label: str, widget: Widget, *, error_for: str | None = None) -> ComposeResult:
    """A form row: label, field; then the field's error line (hidden while empty)."""
    with Horizontal(classes="form-row"):
        yield Label(label, classes="form-label")
        yield widget
    if error_for:
        yield Label("", id=f"{error_for}-error", classes="error field-error")


class SetupScreen(Screen[int | None]):
    CSS_PATH = "../styles/setup.tcss"

    BINDINGS = [
        Binding("ctrl+right", "next", "Next", key_display="^→", priority=True, tooltip="Check this step and go on"),
        Binding("ctrl+left", "back", "Back", key_display="^←", priority=True, tooltip="The step before (nothing is lost)"),
        Binding("delete", "remove_row", "Remove", tooltip="Remove the highlighted element or panel member"),
        Binding("escape", "cancel", "Cancel", tooltip="Leave without creating a campaign"),
    ]

    def __init__(self, database) -> None:
        super().__init__()
        self.database = database
        from db.campaigns import list_campaigns
        from db.frameworks import list_frameworks

        with database.session() as session:
            self.templates = helpers.template_choices(session)
            self.grades = helpers.grade_choices(session)
            self.level_names = helpers.level_names(session)
            self.frameworks = list_frameworks(session)
            self.campaigns = list_campaigns(session)
        self.step = 0
        self.applied_start: str | None = None  # the start option whose values are filled in
        self.items: list[str] = []  # chosen framework elements, in interview order
        self.element_names: list[str] = []  # the chosen framework's elements
        self.lead: str | None = None
        self.others: list[OtherItem] = []
        self.questions: dict[str, tuple[str, str]] = {}  # item name -> (questions, probes), one a line
        self.question_item: str | None = None
        self.pass_overrides: dict[str, str] = {}  # item name -> typed pass mark
        self.pass_rows: list[str] = []
        self.pass_default_typed = False
        self.member_rows = 0  # ids handed out so far (rows are never renumbered)
        self.touched: set[str] = set()

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="steps")
        with ContentSwitcher(initial="step-start", id="wizard"):
            yield from self._compose_start()
            yield from self._compose_role()
            yield from self._compose_grade()
            yield from self._compose_framework()
            yield from self._compose_other()
            yield from self._compose_questions()
            yield from self._compose_scoring()
            yield from self._compose_panel()
            yield from self._compose_review()
        with Horizontal(id="nav"):
            yield Button("← Back", id="back", compact=True)
            yield Label("", id="nav-status")
            yield Button("Next →", id="next", variant="primary", compact=True)
        yield Footer()

    def _compose_start(self) -> ComposeResult:
        with Vertical(id="step-start", classes="step"):
            yield Label("Start from a Home Office role template, or from blank. Enter chooses.", classes="hint")
            options = [Option("Blank campaign", id="blank")] + [
                Option(Text(f"Annex {t.annex} · {t.title} · {t.grade}"), id=t.annex)
                for t in self.templates
            ]
            yield OptionList(*options, id="templates", compact=True)
            yield Static("", id="template-summary")

    def _compose_role(self) -> ComposeResult:
        with VerticalScroll(id="step-role", classes="step", can_focus=False):
            yield Label("The role. Only the title is required.", classes="hint")
            yield from _row("Title", Input(placeholder="e.g. Policy Adviser", id="title", compact=True), error_for="title")
            yield from _row("Department", Input(placeholder="e.g. Home Office", id="department", compact=True))
            yield from _row("Reference", Input(placeholder="The vacancy reference", id="reference", compact=True))
            yield from _row("Location", Input(placeholder="Where the post is based", id="location", compact=True))
            yield from _row(
                "Decision date",
                Input(placeholder="YYYY-MM-DD; retention and reserve lists run from it", id="decision-date", compact=True),
                error_for="decision-date",
            )
            yield from _row("Interview min", Input("60", placeholder="minutes, 1-600", id="minutes", compact=True), error_for="minutes")
            with Horizontal(classes="form-row"):
                yield Label("", classes="form-label")
                yield Checkbox("Anonymised: hide candidates' names from the panel", id="anonymised", compact=True)

    def _compose_grade(self) -> ComposeResult:
        with VerticalScroll(id="step-grade", classes="step", can_focus=False):
            yield Label("The grade sets the framework level (levels are cumulative).", classes="hint")
            options = [(g.label, n) for n, g in enumerate(self.grades)]
            yield from _row("Grade", Select(options, prompt="Choose a grade", id="grade", compact=True), error_for="grade")
            yield Static("", id="level-info")
            with Horizontal(classes="form-row"):
                yield Label("", classes="form-label")
                yield Checkbox("Use a different level (give a reason)", id="override", compact=True)
            levels = [(f"Level {lv}: {name}", lv) for lv, name in self.level_names.items()]
            yield from _row("Level", Select(levels, allow_blank=False, id="level", compact=True, disabled=True))
            yield from _row(
                "Reason",
                Input(placeholder="Why this level, e.g. team leader post", id="level-reason", compact=True, disabled=True),
                error_for="level-reason",
            )

    def _compose_framework(self) -> ComposeResult:
        with Vertical(id="step-framework", classes="step"):
            options = [(f.name, f.key) for f in self.frameworks]
            default = "competencies-2012" if any(f.key == "competencies-2012" for f in self.frameworks) else self.frameworks[0].key
            yield from _row("Framework", Select(options, allow_blank=False, value=default, id="framework", compact=True))
            with Horizontal(id="framework-body"):
                yield SelectionList[str](id="elements", compact=True)
                with VerticalScroll(id="framework-side", can_focus=False):
                    yield Static("", id="item-count")
                    yield Static("", id="copfs", classes="warning")
            yield from _row("Lead item", Select([], prompt="No lead item", id="lead", compact=True))
            yield Label("", id="elements-error", classes="error field-error")

    def _compose_other(self) -> ComposeResult:
        with VerticalScroll(id="step-other", classes="step", can_focus=False):
            yield Label("Other Success Profiles elements, each assessed as an item. Optional: Next skips.", classes="hint")
            kinds = [(k.capitalize(), k) for k in OTHER_KINDS]
            yield from _row("Kind", Select(kinds, allow_blank=False, id="other-kind", compact=True))
            yield from _row("Name", Input(placeholder="e.g. Resilience", id="other-name", compact=True), error_for="other-name")
            yield from _row("Description", Input(placeholder="Shown to the panel", id="other-description", compact=True))
            yield from _row("Scale", Select(OTHER_SCALES, allow_blank=False, id="other-scale", compact=True))
            with Horizontal(classes="form-row"):
                yield Label("", classes="form-label")
                yield Button("Add element", id="add-other", compact=True)
            yield OptionList(id="others", compact=True)
            yield Label("No other elements: behaviours/competencies only.", id="others-empty", classes="hint")
            yield Label("", id="others-error", classes="error field-error")

    def _compose_questions(self) -> ComposeResult:
        with Vertical(id="step-questions", classes="step"):
            with Horizontal(id="questions-body"):
                yield OptionList(id="question-items", compact=True)
                with Vertical(id="question-editors"):
                    questions = TextArea(id="item-questions", tab_behavior="focus", placeholder="Planned questions, one a line")
                    questions.border_title = "Questions"
                    yield questions
                    probes = TextArea(id="item-probes", tab_behavior="focus", placeholder="Follow-up probes, one a line")
                    probes.border_title = "Probes"
                    yield probes
            with Horizontal(classes="form-row"):
                yield Label("Copy from", classes="form-label")
                campaigns = [(f"{c.title} ({c.key})", c.key) for c in self.campaigns]
                yield Select(campaigns, prompt="A previous campaign", id="copy-from", compact=True, disabled=not campaigns)
                yield Button("Copy", id="copy", compact=True, disabled=not campaigns)

    def _compose_scoring(self) -> ComposeResult:
        with VerticalScroll(id="step-scoring", classes="step", can_focus=False):
            yield from _row("Scale", Select(SCALE_CHOICES, allow_blank=False, id="scale", compact=True))
            yield Static(SCALE_NOTES["csj-1-7"], id="scale-note", classes="hint")
            custom = TextArea(
                id="custom-scale", tab_behavior="focus", placeholder="0,Fail,Not met\n1,Pass,Met,Meets the standard\n2,Merit"
            )
            custom.border_title = "Custom points"
            yield custom
            yield Label("", id="custom-scale-error", classes="error field-error")
            yield from _row("Pass mark", Input("4", placeholder="for every item", id="pass-default", compact=True), error_for="pass-default")
            yield Label("Per item (blank: the pass mark above):", classes="hint")
            yield Vertical(id="pass-items")
            yield from _row(
                "Minimum total", Input(placeholder="optional, as well as every pass mark", id="min-total", compact=True),
                error_for="min-total",
            )
            yield from _row(
                "Divergence", Input("2", placeholder="flag scores this far apart", id="divergence", compact=True),
                error_for="divergence",
            )
            yield from _row("Item scores", Select(METHODS, allow_blank=False, id="method", compact=True))
            yield Label("How item scores are decided is fixed once scoring starts.", classes="hint")

    def _compose_panel(self) -> ComposeResult:
        with VerticalScroll(id="step-panel", classes="step", can_focus=False):
            yield Label("The panel. Enter after a name adds another row; Remove takes one away.", classes="hint")
            yield Vertical(id="members")
            yield Label("", id="members-error", classes="error field-error")
            with Horizontal(classes="form-row"):
                yield Button("Add member", id="add-member", compact=True)
            yield Label(
                "Candidates are added later on the campaign screen (a), or imported from CSV "
                "(panel-tui candidates import).",
                classes="hint",
            )

    def _compose_review(self) -> ComposeResult:
        with Vertical(id="step-review", classes="step"):
            with VerticalScroll(id="review-scroll"):
                yield Static("", id="summary")
            yield Label("", id="create-error", classes="error field-error")
            yield Button("Create campaign", id="create", variant="success", compact=True)

    def on_mount(self) -> None:
        self.title = "New campaign"
        for label in self.query(".field-error"):
            label.display = False
        self.query_one("#custom-scale").display = False
        self.query_one("#others").display = False
        self._add_member_row(role="chair")
        self._load_elements()
        self._show_template_summary(0)
        self._show_step()

    # --- steps -----------------------------------------------------------------------

    def _show_step(self) -> None:
        step_id, name = STEPS[self.step]
        self.query_one(ContentSwitcher).current = f"step-{step_id}"
        self.sub_title = f"Step {self.step + 1} of {len(STEPS)}: {name}"
        parts = []
        for n, (_, label) in enumerate(STEPS):
            if n == self.step:
                parts.append(f"[b $text on $accent] {label} [/]")
            elif n < self.step:
                parts.append(f" {label} ")
            else:
                parts.append(f"[dim] {label} [/]")
        self.query_one("#steps", Static).update("".join(parts))
        self.query_one("#back", Button).disabled = self.step == 0
        last = self.step == len(STEPS) - 1
        self.query_one("#next", Button).label = "Create" if last else "Next →"
        self._status("")
        entering = getattr(self, f"_enter_{step_id}", None)
        if entering is not None:
            self.call_later(entering)
        self.refresh_bindings()
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        if STEP_IDS[self.step] == "review":
            self.query_one("#create", Button).focus()
            return
        step = self.query_one(f"#step-{STEP_IDS[self.step]}")
        for widget in self.focus_chain:
            if step in widget.ancestors:
                widget.focus()
                return

    def _status(self, message: str, *, error: bool = False) -> None:
        label = self.query_one("#nav-status", Label)
        label.update(message)
        label.set_class(error, "-error")

    def goto(self, step: int) -> None:
        """Go to a step; going forward checks each step on the way and stops at the first problem."""
        step = max(0, min(step, len(STEPS) - 1))
        while self.step < step:
            if not self._leave_step():
                return
            self.step += 1
        self.step = step
        self._show_step()

    def _leave_step(self) -> bool:
        """Check the current step before moving on; show the problems and refuse when there are any."""
        if self.step == 0:
            self._apply_start()
        problems = self._check_step(self.step, show=True)
        if problems:
            field, message = problems[0]
            self._status(message, error=True)
            widget = self.query_one(f"#{field}") if field else None
            if widget is not None and widget.focusable and widget.display:
                widget.focus()
            return False
        return True

    def action_next(self) -> None:
        if self.step == len(STEPS) - 1:
            self.action_create()
        else:
            self.goto(self.step + 1)

    def action_back(self) -> None:
        if self.step > 0:
            self._save_question_texts()
            self.step -= 1
            self._show_step()

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    def action_cancel(self) -> None:
        from panel_tui.screens.dialogs import ConfirmDialog

        if self.step == 0 and self.applied_start is None:
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog("Leave without creating this campaign? What you entered is lost."), answered)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove_row":
            focused = self.focused
            if focused is not None and focused.id == "others" and self.others:
                return True
            # In a name field Delete edits the text; on the role or the Remove button it removes the row.
            if isinstance(focused, (Select, Button)) and "member" in focused.classes:
                return True
            return False
        if action == "back":
            return self.step > 0
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def palette_commands(self):
        yield ("Next step", "Check this step and go on (ctrl+right)", self.action_next)
        yield ("Previous step", "Back one step (ctrl+left)", self.action_back)
        for n, (_, name) in enumerate(STEPS):
            yield (f"Set-up step {n + 1}: {name}", "Go to this step (steps before it are checked)", lambda n=n: self.goto(n))
        yield ("Create the campaign", "Check every step and create the campaign", self.action_create)
        yield ("Cancel set-up", "Leave without creating a campaign", self.action_cancel)

    # --- checks ----------------------------------------------------------------------

    def _check_step(self, step: int, *, show: bool) -> list[tuple[str, str]]:
        """Problems of one step as (widget id, message); with ``show`` each is written under its field."""
        checks: dict[str, Callable[[], str]] = self._field_checks(STEP_IDS[step])
        problems = []
        for field, check in checks.items():
            message = check()
            if show:
                self.touched.add(field)
                self._show_error(field, message)
            if message:
                problems.append((field, message))
        extra = getattr(self, f"_step_problems_{STEP_IDS[step]}", None)
        if extra is not None:
            problems += extra(show)
        return problems

    def _field_checks(self, step_id: str) -> dict[str, Callable[[], str]]:
        if step_id == "role":
            return {"title": self._check_title, "decision-date": self._check_date, "minutes": self._check_minutes}
        if step_id == "grade":
            return {"grade": self._check_grade, "level-reason": self._check_reason}
        if step_id == "other":
            return {"other-name": self._check_pending_other}
        if step_id == "scoring":
            checks = {"custom-scale": self._check_custom_scale, "pass-default": self._check_pass_default}
            for n in range(len(self.pass_rows)):
                checks[f"pass-item-{n}"] = lambda n=n: self._check_pass_item(n)
            checks["min-total"] = self._check_min_total
            checks["divergence"] = self._check_divergence
            return checks
        if step_id == "panel":
            return {f"member-name-{n}": lambda n=n: self._check_member(n) for n in self._member_ids()}
        return {}

    def _check_field(self, field: str) -> None:
        for step_id in STEP_IDS:
            check = self._field_checks(step_id).get(field)
            if check is not None:
                self._show_error(field, check())
                return

    def _show_error(self, field: str, message: str) -> None:
        labels = self.query(f"#{field}-error")
        if labels:
            label = labels.first(Label)
            label.update(message)
            label.display = bool(message)
        widgets = self.query(f"#{field}")
        if widgets and isinstance(widgets.first(), (Input, TextArea, Select)):
            widgets.first().set_class(bool(message), "-invalid")

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def _check_title(self) -> str:
        return "" if self._value("title") else "the title is required"

    def _check_date(self) -> str:
        text = self._value("decision-date")
        if not text:
            return ""
        if not DATE_RE.fullmatch(text):
            return f"{text!r} is not a date as YYYY-MM-DD"
        try:
            date.fromisoformat(text)
        except ValueError:
            return f"{text} is not a real date"
        return ""

    def _check_minutes(self) -> str:
        text = self._value("minutes")
        if not text.isdigit() or not 1 <= int(text) <= 600:
            return "the interview length is a whole number of minutes, 1-600"
        return ""

    def _grade(self) -> helpers.GradeChoice | None:
        value = self.query_one("#grade", Select).selection
        return self.grades[value] if value is not None else None

    def _check_grade(self) -> str:
        return "" if self._grade() is not None else "choose the role's grade"

    def _overridden(self) -> bool:
        grade = self._grade()
        return (
            self.query_one("#override", Checkbox).value
            and grade is not None
            and self.query_one("#level", Select).selection != grade.level
        )

    def _check_reason(self) -> str:
        if self._overridden() and not self._value("level-reason"):
            return "a different level needs a reason"
        return ""

    def _level(self) -> int:
        if self._overridden():
            return int(self.query_one("#level", Select).selection or 1)
        grade = self._grade()
        return grade.level if grade is not None else 1

    def _step_problems_other(self, show: bool) -> list[tuple[str, str]]:
        if not self.items and not self.others:
            message = "choose at least one item to assess: a framework element (step 4) or an element here"
            if show:
                self._show_error("others", message)
            return [("other-name", message)]
        if show:
            self._show_error("others", "")
        return []

    def _check_pending_other(self) -> str:
        if self._value("other-name"):
            return "press Add element to keep this one, or clear the name"
        return ""

    def _check_new_other(self) -> str:
        name = self._value("other-name")
        if not name:
            return "give the element a name"
        taken = {n.lower() for n in self._item_names()}
        if name.lower() in taken:
            return f"{name!r} is already an item"
        if name.lower() in {e.lower() for e in self.element_names}:
            return f"{name!r} is an element of the framework: choose it on the framework step"
        return ""

    def _scale(self) -> scales.Scale:
        """The campaign's scale; raises ValidationError for a custom scale with a problem."""
        choice = self.query_one("#scale", Select).selection
        if choice == "custom":
            return helpers.parse_scale_lines(self.query_one("#custom-scale", TextArea).text)
        return scales.validate_scale(choice)

    def _item_scale(self, name: str) -> scales.Scale:
        for other in self.others:
            if other.name == name and other.scale != "campaign":
                return ONE_TO_FOUR if other.scale == "1-4" else scales.validate_scale(other.scale)
        return self._scale()

    def _check_custom_scale(self) -> str:
        if self.query_one("#scale", Select).selection != "custom":
            return ""
        try:
            self._scale()
        except ValidationError as exc:
            return str(exc)
        return ""

    def _check_pass_default(self) -> str:
        try:
            scale = self._scale()
        except ValidationError:
            return ""  # the scale's own problem is shown
        try:
            helpers.check_pass_mark(scale, self._value("pass-default"))
        except ValidationError as exc:
            return str(exc)
        return ""

    def _check_pass_item(self, n: int) -> str:
        name = self.pass_rows[n]
        text = self._value(f"pass-item-{n}")
        try:
            scale = self._item_scale(name)
        except ValidationError:
            return ""
        if not text:
            if self._check_pass_default() or self._check_custom_scale():
                return ""
            try:
                helpers.check_pass_mark(scale, self._value("pass-default"))
            except ValidationError:
                return "the pass mark above is not on this item's scale: give this item its own"
            return ""
        try:
            helpers.check_pass_mark(scale, text)
        except ValidationError as exc:
            return str(exc)
        return ""

    def _check_min_total(self) -> str:
        text = self._value("min-total")
        if not text:
            return ""
        try:
            value = float(text)
        except ValueError:
            return f"{text!r} is not a number"
        return "" if value >= 0 and value == value else "the minimum total must not be negative"

    def _check_divergence(self) -> str:
        text = self._value("divergence")
        try:
            value = float(text)
        except ValueError:
            return f"{text!r} is not a number" if text else "give a divergence threshold (default 2)"
        return "" if value > 0 and value != float("inf") else "the divergence threshold must be more than 0"

    def _member_ids(self) -> list[int]:
        return [int(str(row.id).rsplit("-", 1)[1]) for row in self.query(".member-row")]

    def _check_member(self, n: int) -> str:
        name = self._value(f"member-name-{n}")
        if not name:
            return ""
        others = [self._value(f"member-name-{m}").lower() for m in self._member_ids() if m != n]
        return f"{name!r} is already on the panel" if name.lower() in others else ""

    def _step_problems_panel(self, show: bool) -> list[tuple[str, str]]:
        members = self._panel()
        message = ""
        if not members:
            message = "add at least one panel member: nobody can score without one"
        if show:
            self._show_error("members", message)
        ids = self._member_ids()
        return [(f"member-name-{ids[0]}" if ids else "add-member", message)] if message else []

    # --- live checks -------------------------------------------------------------------

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        field = event.input.id or ""
        if event.input.has_focus:
            self.touched.add(field)
        if field == "pass-default" and event.input.has_focus:
            self.pass_default_typed = True
        if field.startswith("pass-item-"):
            n = int(field.rsplit("-", 1)[1])
            if n < len(self.pass_rows):
                self.pass_overrides[self.pass_rows[n]] = event.value
        if field in self.touched:
            self._check_field(field)
        if field == "pass-default":
            for n in range(len(self.pass_rows)):
                self._check_field(f"pass-item-{n}")
        if field == "level-reason" or field.startswith("member-name-"):
            self._status("")

    @on(Input.Submitted, "#title, #department, #reference, #location, #decision-date, #minutes, #level-reason")
    @on(Input.Submitted, "#pass-default, .pass-item, #min-total, #divergence")
    def _enter_moves_on(self) -> None:
        self.focus_next()

    @on(Input.Blurred)
    def _input_blurred(self, event: Input.Blurred) -> None:
        field = event.input.id or ""
        self.touched.add(field)
        self._check_field(field)

    # --- step 1: start ---------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#templates")
    def _template_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_template_summary(event.option_index)

    def _show_template_summary(self, index: int) -> None:
        summary = self.query_one("#template-summary", Static)
        if index == 0:
            summary.update(Text("Every field empty: choose the grade, framework and items yourself."))
            return
        t = self.templates[index - 1]
        summary.update(
            Text(f"{t.title}, {t.grade} (level {t.level}), {t.location}. Competencies: {', '.join(t.items)}. {t.summary}")
        )

    @on(OptionList.OptionSelected, "#templates")
    def _template_chosen(self) -> None:
        self.goto(1)

    def _apply_start(self) -> None:
        option_list = self.query_one("#templates", OptionList)
        index = option_list.highlighted or 0
        choice = "blank" if index == 0 else self.templates[index - 1].annex
        if choice == self.applied_start:
            return  # already filled in: keep what was typed since
        self.applied_start = choice
        if choice == "blank":
            return
        t = self.templates[index - 1]
        self.query_one("#title", Input).value = t.title
        self.query_one("#department", Input).value = "Home Office"
        self.query_one("#location", Input).value = t.location
        grade = next((n for n, g in enumerate(self.grades) if g.grade == t.grade), None)
        if grade is not None:
            self.query_one("#grade", Select).value = grade
        self.query_one("#override", Checkbox).value = False
        self.items = list(t.items)
        self.lead = t.lead
        framework = self.query_one("#framework", Select)
        if any(f.key == "competencies-2012" for f in self.frameworks):
            framework.value = "competencies-2012"
        self._load_elements()
        self._show_level()

    # --- step 3: grade → level ------------------------------------------------------------

    @on(Select.Changed, "#grade")
    @on(Select.Changed, "#level")
    def _grade_changed(self) -> None:
        grade = self._grade()
        level = self.query_one("#level", Select)
        if grade is not None and not self.query_one("#override", Checkbox).value and level.selection != grade.level:
            level.value = grade.level  # follows the grade until overridden
        self._show_level()
        if "grade" in self.touched or self._grade() is not None:
            self._check_field("grade")
        self._check_field("level-reason")
        self._show_copfs()

    @on(Checkbox.Changed, "#override")
    def _override_changed(self, event: Checkbox.Changed) -> None:
        level = self.query_one("#level", Select)
        level.disabled = not event.value
        self.query_one("#level-reason", Input).disabled = not event.value
        grade = self._grade()
        if event.value and grade is not None and level.selection == grade.level:
            # Start the override one level up, so it is visibly an override.
            level.value = min(grade.level + 1, 6) if grade.level < 6 else grade.level - 1
        self._show_level()
        self._check_field("level-reason")
        self._show_copfs()

    def _show_level(self) -> None:
        info = self.query_one("#level-info", Static)
        grade = self._grade()
        if grade is None:
            info.update("Choose a grade to see its level.")
            return
        text = f"{grade.grade} is level {grade.level} ({self.level_names.get(grade.level, '')})."
        if self._overridden():
            level = self._level()
            text += f" Assessed at level {level} instead ({self.level_names.get(level, '')}): give the reason."
        else:
            text += " Candidates are expected to show the levels below as a matter of course."
        info.update(Text(text))

    # --- step 4: framework and items --------------------------------------------------------

    def _framework_key(self) -> str:
        return str(self.query_one("#framework", Select).selection or "")

    @on(Select.Changed, "#framework")
    def _framework_changed(self) -> None:
        self._load_elements()

    def _load_elements(self) -> None:
        key = self._framework_key()
        if not key:
            return
        with self.database.session() as session:
            elements = helpers.framework_elements(session, key)
        self.element_names = [e.name for e in elements]
        canonical = {e.name.lower(): e.name for e in elements}
        self.items = [canonical[n.lower()] for n in self.items if n.lower() in canonical]
        if self.lead is not None and self.lead.lower() in canonical:
            self.lead = canonical[self.lead.lower()]
        chosen = set(self.items)
        selection_list = self.query_one("#elements", SelectionList)
        selection_list.clear_options()
        selection_list.add_options(
            [Selection(Text(e.name), e.name, e.name in chosen) for e in elements]
        )
        if elements:
            selection_list.highlighted = 0
        self._items_changed()

    @on(SelectionList.SelectedChanged, "#elements")
    def _elements_changed(self, event: SelectionList.SelectedChanged) -> None:
        selected = list(event.selection_list.selected)
        before = self.items
        self.items = [n for n in self.items if n in selected] + [n for n in selected if n not in self.items]
        if self.items != before:
            self._items_changed()

    def _items_changed(self) -> None:
        lead = self.query_one("#lead", Select)
        if self.lead not in self.items:
            self.lead = None
        keep = self.lead
        lead.set_options([(name, name) for name in self.items])
        if keep is not None:
            lead.value = keep
        self._show_item_count()
        self._show_copfs()

    @on(Select.Changed, "#lead")
    def _lead_changed(self, event: Select.Changed) -> None:
        self.lead = event.select.selection
        self._show_item_count()

    def _show_item_count(self) -> None:
        n = len(self.items)
        lines = []
        if 4 <= n <= 6:
            lines.append(f"{n} chosen (typically 4-6).")
        else:
            lines.append(f"{n} chosen: panels typically assess 4-6.")
        lines += [f"{i}. {name}" + (" ★ lead" if name == self.lead else "") for i, name in enumerate(self.items, 1)]
        count = self.query_one("#item-count", Static)
        count.update(Text("\n".join(lines)))
        count.set_class(not 4 <= n <= 6, "-warning")

    def _copfs_warnings(self) -> dict[str, str]:
        key = self._framework_key()
        if not key or not self.items:
            return {}
        with self.database.session() as session:
            return helpers.copfs_warnings(session, key, self.items, self._level())

    def _show_copfs(self) -> None:
        warnings = self._copfs_warnings()
        copfs = self.query_one("#copfs", Static)
        copfs.update(Text("\n".join(f"⚠ {w}" for w in warnings.values())))
        copfs.display = bool(warnings)

    # --- step 5: other elements --------------------------------------------------------------

    def _item_names(self) -> list[str]:
        return self.items + [o.name for o in self.others]

    @on(Button.Pressed, "#add-other")
    @on(Input.Submitted, "#other-name, #other-description")
    def _add_other(self) -> None:
        self.touched.add("other-name")
        message = self._check_new_other()
        self._show_error("other-name", message)
        if message:
            self.query_one("#other-name", Input).focus()
            return
        self.others.append(
            OtherItem(
                kind=str(self.query_one("#other-kind", Select).selection),
                name=self._value("other-name"),
                description=self._value("other-description"),
                scale=str(self.query_one("#other-scale", Select).selection),
            )
        )
        self.query_one("#other-name", Input).value = ""
        self.query_one("#other-description", Input).value = ""
        self.touched.discard("other-name")
        self._show_error("other-name", "")
        self._show_error("others", "")
        self._show_others()
        self.query_one("#other-name", Input).focus()

    def _show_others(self) -> None:
        option_list = self.query_one("#others", OptionList)
        scale_names = dict((v, k) for k, v in OTHER_SCALES)
        option_list.set_options(
            Option(Text(f"{o.kind.capitalize()}: {o.name} · {scale_names[o.scale]}"), id=str(n)) for n, o in enumerate(self.others)
        )
        option_list.display = bool(self.others)
        if self.others:
            option_list.highlighted = len(self.others) - 1  # the one just added
        self.query_one("#others-empty").display = not self.others

    def action_remove_row(self) -> None:
        focused = self.focused
        if focused is None:
            return
        if focused.id == "others":
            index = self.query_one("#others", OptionList).highlighted
            if index is not None and index < len(self.others):
                removed = self.others.pop(index)
                self.pass_overrides.pop(removed.name, None)
                self._show_others()
                if self.others:
                    self.query_one("#others", OptionList).highlighted = min(index, len(self.others) - 1)
                else:
                    self.query_one("#other-name", Input).focus()
        elif "member" in focused.classes:
            row = next((a for a in focused.ancestors if "member-row" in a.classes), None)
            if row is not None:
                self._remove_member_row(row)

    # --- step 6: question bank ----------------------------------------------------------------

    def _enter_questions(self) -> None:
        names = self._item_names()
        option_list = self.query_one("#question-items", OptionList)
        option_list.set_options(Option(self._question_label(name), id=str(n)) for n, name in enumerate(names))
        if self.question_item not in names:
            self.question_item = names[0] if names else None
        if self.question_item is not None:
            option_list.highlighted = names.index(self.question_item)
        self._load_question_texts()

    def _question_label(self, name: str) -> Text:
        questions, _ = self.questions.get(name, ("", ""))
        mark = "✓ " if questions.strip() else "  "
        return Text(mark + name)

    def _load_question_texts(self) -> None:
        questions, probes = self.questions.get(self.question_item or "", ("", ""))
        editor = self.query_one("#item-questions", TextArea)
        editor.load_text(questions)
        editor.border_title = f"Questions: {self.question_item}" if self.question_item else "Questions"
        self.query_one("#item-probes", TextArea).load_text(probes)

    def _save_question_texts(self) -> None:
        if self.question_item is None or STEP_IDS[self.step] != "questions":
            return
        self.questions[self.question_item] = (
            self.query_one("#item-questions", TextArea).text,
            self.query_one("#item-probes", TextArea).text,
        )

    @on(OptionList.OptionHighlighted, "#question-items")
    def _question_item_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        names = self._item_names()
        if event.option_index >= len(names) or names[event.option_index] == self.question_item:
            return
        self._save_question_texts()
        self.question_item = names[event.option_index]
        self._load_question_texts()

    @on(OptionList.OptionSelected, "#question-items")
    def _question_item_selected(self) -> None:
        self.query_one("#item-questions", TextArea).focus()

    @on(TextArea.Changed, "#item-questions")
    def _questions_typed(self) -> None:
        if self.question_item is None or STEP_IDS[self.step] != "questions":
            return
        self._save_question_texts()
        names = self._item_names()
        if self.question_item in names:
            option_list = self.query_one("#question-items", OptionList)
            option_list.replace_option_prompt_at_index(names.index(self.question_item), self._question_label(self.question_item))

    @on(TextArea.Changed, "#item-probes")
    def _probes_typed(self) -> None:
        self._save_question_texts()

    @on(Button.Pressed, "#copy")
    def _copy_questions(self) -> None:
        key = self.query_one("#copy-from", Select).selection
        if key is None:
            self.notify("Choose the campaign to copy from first", severity="warning")
            self.query_one("#copy-from", Select).focus()
            return
        self._save_question_texts()
        with self.database.session() as session:
            bank = {b.name.lower(): b for b in helpers.question_bank(session, str(key))}
        copied = []
        for name in self._item_names():
            entry = bank.get(name.lower())
            if entry is not None and (entry.questions or entry.probes):
                self.questions[name] = ("\n".join(entry.questions), "\n".join(entry.probes))
                copied.append(name)
        self._enter_questions()
        missing = len(self._item_names()) - len(copied)
        if copied:
            self.notify(
                f"Copied questions for {len(copied)} item{'s' if len(copied) != 1 else ''}"
                + (f"; {missing} had no match by name" if missing else "")
            )
        else:
            self.notify("No item of that campaign has the same name as one of these", severity="warning")

    # --- step 7: scoring ------------------------------------------------------------------------

    @on(Select.Changed, "#scale")
    def _scale_changed(self, event: Select.Changed) -> None:
        choice = str(event.select.selection)
        self.query_one("#scale-note", Static).update(SCALE_NOTES.get(choice, ""))
        self.query_one("#custom-scale").display = choice == "custom"
        if choice != "custom":
            self._show_error("custom-scale", "")
        self._suggest_pass_mark()
        self._recheck_scoring()

    @on(TextArea.Changed, "#custom-scale")
    def _custom_scale_typed(self) -> None:
        if self.query_one("#custom-scale", TextArea).has_focus:
            self.touched.add("custom-scale")
        if "custom-scale" in self.touched:
            self._show_error("custom-scale", self._check_custom_scale())
        self._suggest_pass_mark()
        self._recheck_scoring()

    def _suggest_pass_mark(self) -> None:
        if self.pass_default_typed:
            return
        choice = self.query_one("#scale", Select).selection
        suggestion = ""
        if choice in scales.DEFAULT_PASS_MARK:
            value = scales.DEFAULT_PASS_MARK[str(choice)]
            suggestion = scales.label_for(scales.NAMED_SCALES[str(choice)], value)
        else:
            try:
                scale = self._scale()
                suggestion = str(scale[len(scale) // 2]["label"])
            except ValidationError:
                pass
        self.query_one("#pass-default", Input).value = suggestion

    def _recheck_scoring(self) -> None:
        for field in ["pass-default"] + [f"pass-item-{n}" for n in range(len(self.pass_rows))]:
            if field in self.touched or self._value(field):
                self._check_field(field)

    async def _enter_scoring(self) -> None:
        names = self._item_names()
        if names == self.pass_rows:
            return
        container = self.query_one("#pass-items", Vertical)
        await container.remove_children()
        self.pass_rows = names
        rows = []
        for n, name in enumerate(names):
            row = Horizontal(
                Label(Text(name), classes="pass-label"),
                Input(self.pass_overrides.get(name, ""), placeholder="default", id=f"pass-item-{n}", classes="pass-item", compact=True),
                classes="form-row",
            )
            rows += [row, Label("", id=f"pass-item-{n}-error", classes="error field-error")]
        await container.mount_all(rows)
        for label in container.query(".field-error"):
            label.display = False

    # --- step 8: panel ---------------------------------------------------------------------------

    def _add_member_row(self, name: str = "", role: str = "member", *, focus: bool = False) -> None:
        n = self.member_rows
        self.member_rows += 1
        name_input = Input(name, placeholder="Name, then Enter for another", id=f"member-name-{n}", classes="member", compact=True)
        row = Horizontal(
            name_input,
            Select(ROLES, allow_blank=False, value=role, id=f"member-role-{n}", classes="member", compact=True),
            Button("Remove", id=f"member-remove-{n}", classes="member", compact=True),
            id=f"member-row-{n}",
            classes="member-row",
        )
        error = Label("", id=f"member-name-{n}-error", classes="error field-error member-error")
        error.display = False
        members = self.query_one("#members", Vertical)
        members.mount(row, error)
        if focus:
            self.call_after_refresh(name_input.focus)

    def _remove_member_row(self, row: Widget) -> None:
        n = str(row.id).rsplit("-", 1)[1]
        rows = list(self.query(".member-row"))
        index = rows.index(row) if row in rows else 0
        self.query(f"#member-name-{n}-error").remove()
        row.remove()
        remaining = [r for r in rows if r is not row]
        if remaining:
            target = remaining[min(index, len(remaining) - 1)]
            self.call_after_refresh(target.query_one(Input).focus)
        else:
            self.call_after_refresh(self.query_one("#add-member", Button).focus)

    @on(Button.Pressed, "#add-member")
    def _add_member_pressed(self) -> None:
        self._add_member_row(focus=True)

    @on(Button.Pressed, "Button.member")
    def _remove_member_pressed(self, event: Button.Pressed) -> None:
        row = event.button.parent
        if row is not None:
            self._remove_member_row(row)

    @on(Input.Submitted, "Input.member")
    def _member_submitted(self, event: Input.Submitted) -> None:
        rows = list(self.query(".member-row"))
        if event.value.strip() and rows and event.input.parent is rows[-1]:
            self._add_member_row(focus=True)
        else:
            self.action_next()

    def _panel(self) -> list[dict[str, str]]:
        out = []
        for n in self._member_ids():
            name = self._value(f"member-name-{n}")
            if name:
                out.append({"name": name, "role": str(self.query_one(f"#member-role-{n}", Select).selection)})
        return out

    # --- step 9: review and create ----------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        """The campaign as the TOML-shaped spec that create_campaign takes."""
        grade = self._grade()
        spec: dict[str, Any] = {
            "title": self._value("title"),
            "department": self._value("department"),
            "reference": self._value("reference"),
            "location": self._value("location"),
            "grade": grade.grade if grade else "",
            "framework": self._framework_key(),
            "interview_minutes": int(self._value("minutes") or 60),
            "anonymised": self.query_one("#anonymised", Checkbox).value,
        }
        if self._overridden():
            spec["level"] = self._level()
            spec["level_reason"] = self._value("level-reason")
        if self._value("decision-date"):
            spec["decision_date"] = self._value("decision-date")
        items: list[Any] = list(self.items)
        for o in self.others:
            item: dict[str, Any] = {"name": o.name, "kind": o.kind, "description": o.description}
            if o.scale == "1-4":
                item["scale"] = [dict(p) for p in ONE_TO_FOUR]
            elif o.scale != "campaign":
                item["scale"] = o.scale
            items.append(item)
        spec["items"] = items
        if self.lead:
            spec["lead"] = self.lead
        choice = self.query_one("#scale", Select).selection
        spec["scale"] = self._scale() if choice == "custom" else choice
        default = self._value("pass-default")
        pass_marks: dict[str, float] = {}
        for name in self._item_names():
            text = self.pass_overrides.get(name, "").strip() or default
            pass_marks[name] = helpers.check_pass_mark(self._item_scale(name), text)
        spec["pass_mark"] = pass_marks
        if self._value("min-total"):
            spec["min_total"] = float(self._value("min-total"))
        spec["divergence_threshold"] = float(self._value("divergence"))
        spec["scoring_method"] = self.query_one("#method", Select).selection
        questions = {}
        for name in self._item_names():
            q, p = self.questions.get(name, ("", ""))
            qs = [line.strip() for line in q.splitlines() if line.strip()]
            ps = [line.strip() for line in p.splitlines() if line.strip()]
            if qs or ps:
                questions[name] = {"questions": qs, "probes": ps}
        if questions:
            spec["questions"] = questions
        spec["panel"] = self._panel()
        return spec

    def _enter_review(self) -> None:
        self.query_one("#create-error", Label).display = False
        try:
            spec = self.spec()
        except PanelError as exc:
            self.query_one("#summary", Static).update(Text(f"Not ready: {exc}"))
            return
        self.query_one("#summary", Static).update(self._summary(spec))

    def _summary(self, spec: dict[str, Any]) -> Text:
        grade = self._grade()
        out = Text()

        def line(label: str, value: str, style: str = "") -> None:
            out.append(f"{label:<14}", style="bold")
            out.append(value + "\n", style=style)

        line("Title", spec["title"])
        where = " · ".join(v for v in (spec["department"], spec["reference"], spec["location"]) if v)
        if where:
            line("", where)
        level_text = f"{grade.grade if grade else ''} → level {self._level()}"
        if "level_reason" in spec:
            level_text += f" (overridden: {spec['level_reason']})"
        line("Grade", level_text)
        framework = next((f.name for f in self.frameworks if f.key == spec["framework"]), spec["framework"])
        line("Framework", framework)
        line("Decision date", spec.get("decision_date", "not set") + f" · interviews {spec['interview_minutes']} min"
             + (" · anonymised" if spec["anonymised"] else ""))
        scale = self._scale()
        scale_text = " ".join(str(p["label"]) for p in scale)
        line("Scale", scale_text + f" · divergence {spec['divergence_threshold']:g} · {spec['scoring_method']}"
             + (f" · minimum total {spec['min_total']:g}" if "min_total" in spec else ""))
        out.append("Items (pass mark, questions):\n", style="bold")
        for name in self._item_names():
            q = spec.get("questions", {}).get(name, {"questions": [], "probes": []})
            lead = " ★ lead" if name == spec.get("lead") else ""
            label = scales.label_for(self._item_scale(name), spec["pass_mark"][name])
            nq, np_ = len(q["questions"]), len(q["probes"])
            asked = f"{nq} question{'s' if nq != 1 else ''}, {np_} probe{'s' if np_ != 1 else ''}" if nq else "no question yet"
            out.append(f"• {name}{lead} · pass {label} · {asked}\n")
        warnings = list(self._copfs_warnings().values())
        n = len(self.items)
        if not 4 <= n <= 6:
            warnings.append(f"{n} behaviours/competencies chosen: panels typically assess 4-6")
        for w in warnings:
            out.append(f"⚠ {w}\n", style="italic")
        panel = ", ".join(f"{m['name']} ({m['role']})" for m in spec["panel"])
        line("Panel", panel)
        out.append("Candidates are added on the campaign screen once it is created.", style="dim")
        return out

    @on(Button.Pressed, "#create")
    def action_create(self) -> None:
        from db.campaigns import create_campaign

        # Every step must pass its checks; the first with a problem is shown.
        for step in range(len(STEPS) - 1):
            if self._check_step(step, show=False):
                self.step = step
                self._show_step()
                self._leave_step()
                return
        if self.step != len(STEPS) - 1:
            self.step = len(STEPS) - 1
            self._show_step()
        label = self.query_one("#create-error", Label)
        try:
            spec = self.spec()
            with self.database.session() as session:
                campaign = create_campaign(session, spec)
                campaign_id, key = campaign.id, campaign.key
        except PanelError as exc:
            label.update(Text(f"Not created: {exc}"))
            label.display = True
            self._status("Not created: see the reason above", error=True)
            return
        self.notify(f"Campaign {key} created")
        self.dismiss(campaign_id)
