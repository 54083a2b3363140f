"""What every set-up step shares: the message it posts, form rows, and showing the spec's problems.

A step is a widget holding the fields for one part of the campaign spec
(``db.specs``). ``produce`` builds that part from the fields and validates it
through the spec, so a step shows exactly the line `campaign create` would
print for the same value. A step posts ``StepChanged`` whenever its part
changes; the screen calls methods down to tell steps what others chose.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, TextArea

from db.specs import Part, Problem


class StepChanged(Message):
    """A step's part changed; ``parts`` is empty while the step has a problem."""

    def __init__(self, step: Step, parts: list[Part], problems: list[Problem]) -> None:
        super().__init__()
        self.step = step
        self.parts = parts
        self.problems = problems

    @property
    def control(self) -> Step:
        return self.step

    @property
    def valid(self) -> bool:
        return not self.problems


class StepDone(Message):
    """Enter on a step's last field: go on to the next step."""


def form_row(label: str, widget: Widget, *, error_for: str | None = None) -> ComposeResult:
    """A form row: label, field; then the field's error line (hidden while empty)."""
    with Horizontal(classes="form-row"):
        yield Label(label, classes="form-label")
        yield widget
    if error_for:
        error = Label("", id=f"{error_for}-error", classes="error field-error")
        error.display = False
        yield error


class Step(Widget):
    """One step of the wizard. Subclasses set STEP_ID, TITLE and FIELDS and implement ``build``."""

    STEP_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    # Spec field name -> the widget that holds it (its error line is "<widget id>-error").
    FIELDS: ClassVar[dict[str, str]] = {}
    # Where a problem about no one field is shown.
    GENERAL: ClassVar[str] = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id=f"step-{self.STEP_ID}", classes="step", **kwargs)
        self.touched: set[str] = set()  # widget ids whose problems are shown as they are typed
        self.parts: list[Part] = []
        self.problems: list[Problem] = []
        self._shown: dict[str, str] = {}  # widget id -> the error line now shown beside it

    # --- what subclasses provide ---------------------------------------------------------

    def build(self) -> tuple[list[Part], list[Problem]]:
        """This step's parts from its fields, validated by the spec; or the problems."""
        return [], []

    def entered(self) -> None:
        """Called when the step is shown."""

    # --- the part and its problems ------------------------------------------------------

    def produce(self, *, show_all: bool = False) -> list[Problem]:
        """Rebuild the part, show its problems beside their fields, tell the screen."""
        parts, problems = self.build()
        if show_all:
            self.touched |= set(self.FIELDS.values()) | {self.GENERAL}
        self.show_problems(problems)
        if parts != self.parts or problems != self.problems:
            self.parts, self.problems = parts, problems
            self.post_message(StepChanged(self, parts, problems))
        return problems

    def widget_for(self, problem: Problem) -> str:
        return self.FIELDS.get(problem.field, self.GENERAL)

    def show_problems(self, problems: list[Problem]) -> None:
        by_widget: dict[str, str] = {}
        for p in problems:
            by_widget.setdefault(self.widget_for(p), p.message)
        for widget_id in set(self.FIELDS.values()) | {self.GENERAL}:
            if widget_id:
                self.show_error(widget_id, by_widget.get(widget_id, "") if widget_id in self.touched else "")

    def show_error(self, widget_id: str, message: str) -> None:
        # Called on every key: touch the screen only when the line changes (each update re-lays out).
        if self._shown.get(widget_id) == message:
            return
        self._shown[widget_id] = message
        labels = self.query(f"#{widget_id}-error")
        if labels:
            label = labels.first(Label)
            label.update(message)
            label.display = bool(message)
        widgets = self.query(f"#{widget_id}")
        if widgets and isinstance(widgets.first(), (Input, TextArea, Select)):
            widgets.first().set_class(bool(message), "-invalid")

    def shown_error(self, widget_id: str) -> str:
        """The error line beside a field, as the user sees it ("" when hidden)."""
        label = self.query_one(f"#{widget_id}-error", Label)
        return str(label.render()) if label.display else ""

    def value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    # --- typing shows problems of the fields touched ----------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input.has_focus and event.input.id:
            self.touched.add(event.input.id)
        self.produce()

    @on(Input.Blurred)
    def _left(self, event: Input.Blurred) -> None:
        if event.input.id:
            self.touched.add(event.input.id)
        self.produce()
