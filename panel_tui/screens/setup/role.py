"""Step 2: the role (title, department, reference, location) and its dates (decision date, interview length)."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label

from db.setup_helpers import TemplateChoice
from db.specs import DatesPart, Part, Problem, RolePart
from panel_tui.screens.setup.base import Step, form_row


class RoleStep(Step):
    STEP_ID = "role"
    TITLE = "Role"
    FIELDS = {"title": "title", "decision_date": "decision-date", "interview_minutes": "minutes"}
    GENERAL = "title"

    def __init__(self, *, today: date | None = None) -> None:
        super().__init__()
        self.today = today or date.today()

    def compose(self) -> ComposeResult:
        yield Label("The role. Only the title is required.", classes="hint")
        yield from form_row("Title", Input(placeholder="e.g. Policy Adviser", id="title", compact=True), error_for="title")
        yield from form_row("Department", Input(placeholder="e.g. Home Office", id="department", compact=True))
        yield from form_row("Reference", Input(placeholder="The vacancy reference", id="reference", compact=True))
        yield from form_row("Location", Input(placeholder="Where the post is based", id="location", compact=True))
        yield from form_row(
            "Decision date",
            Input(placeholder="YYYY-MM-DD; retention and reserve lists run from it", id="decision-date", compact=True),
            error_for="decision-date",
        )
        warning = Label("", id="decision-date-warning", classes="warning field-error")
        warning.display = False
        yield warning
        yield from form_row("Interview min", Input("60", placeholder="minutes, 1-600", id="minutes", compact=True),
                            error_for="minutes")
        with Horizontal(classes="form-row"):
            yield Label("", classes="form-label")
            yield Checkbox("Anonymised: hide candidates' names from the panel", id="anonymised", compact=True)

    def build(self) -> tuple[list[Part], list[Problem]]:
        role, role_problems = RolePart.check({
            "title": self.value("title"), "department": self.value("department"),
            "reference": self.value("reference"), "location": self.value("location"),
            "anonymised": self.query_one("#anonymised", Checkbox).value,
        })
        dates, date_problems = DatesPart.check({
            "decision_date": self.value("decision-date") or None, "interview_minutes": self.value("minutes"),
        })
        self._show_warnings(dates)
        if role is None or dates is None:
            return [], role_problems + date_problems
        return [role, dates], []

    def _show_warnings(self, dates: DatesPart | None) -> None:
        # Advice, not a refusal: the same words `campaign create` prints on stderr.
        warnings = dates.warnings(self.today) if dates is not None else []
        text = "\n".join(f"⚠ {w}" for w in warnings)
        label = self.query_one("#decision-date-warning", Label)
        if str(label.render()) != text:
            label.update(Text(text))
            label.display = bool(warnings)

    @property
    def warnings(self) -> list[str]:
        dates = next((p for p in self.parts if isinstance(p, DatesPart)), None)
        return dates.warnings(self.today) if dates is not None else []

    def apply_template(self, template: TemplateChoice) -> None:
        self.query_one("#title", Input).value = template.title
        self.query_one("#department", Input).value = "Home Office"
        self.query_one("#location", Input).value = template.location
        self.produce()

    @on(Checkbox.Changed)
    def _ticked(self) -> None:
        self.produce()

    @on(Input.Submitted)
    def _enter_moves_on(self) -> None:
        self.screen.focus_next()
