"""Step 3: the grade, which sets the framework level; or another level, with the reason."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, Select, Static

from db.setup_helpers import GradeChoice, TemplateChoice
from db.specs import GradePart, Part, Problem
from panel_tui.screens.setup.base import Step, form_row


class GradeStep(Step):
    STEP_ID = "grade"
    TITLE = "Grade"
    FIELDS = {"grade": "grade", "level": "level", "level_reason": "level-reason"}
    GENERAL = "grade"

    def __init__(self, grades: list[GradeChoice], level_names: dict[int, str]) -> None:
        super().__init__()
        self.grades = grades
        self.level_names = level_names

    def compose(self) -> ComposeResult:
        yield Label("The grade sets the framework level (levels are cumulative).", classes="hint")
        options = [(g.label, n) for n, g in enumerate(self.grades)]
        yield from form_row("Grade", Select(options, prompt="Choose a grade", id="grade", compact=True), error_for="grade")
        yield Static("Choose a grade to see its level.", id="level-info")
        with Horizontal(classes="form-row"):
            yield Label("", classes="form-label")
            yield Checkbox("Use a different level (give a reason)", id="override", compact=True)
        levels = [(f"Level {lv}: {name}", lv) for lv, name in self.level_names.items()]
        yield from form_row("Level", Select(levels, allow_blank=False, id="level", compact=True, disabled=True))
        yield from form_row(
            "Reason",
            Input(placeholder="Why this level, e.g. team leader post", id="level-reason", compact=True, disabled=True),
            error_for="level-reason",
        )

    @property
    def grade(self) -> GradeChoice | None:
        value = self.query_one("#grade", Select).selection
        return self.grades[value] if value is not None else None

    @property
    def overridden(self) -> bool:
        grade = self.grade
        return (
            self.query_one("#override", Checkbox).value
            and grade is not None
            and self.query_one("#level", Select).selection != grade.level
        )

    @property
    def level(self) -> int:
        if self.overridden:
            return int(self.query_one("#level", Select).selection or 1)
        return self.grade.level if self.grade is not None else 1

    def build(self) -> tuple[list[Part], list[Problem]]:
        grade = self.grade
        data: dict = {"grade": grade.grade if grade else ""}
        if self.overridden:
            data |= {"level": self.level, "level_reason": self.value("level-reason")}
        part, problems = GradePart.check(data)
        if part is None:
            return [], problems
        problem = part.level_problem(grade.level if grade else None)
        return ([], [Problem("level_reason", problem)]) if problem else ([part], [])

    def apply_template(self, template: TemplateChoice) -> None:
        grade = next((n for n, g in enumerate(self.grades) if g.grade == template.grade), None)
        if grade is not None:
            self.query_one("#grade", Select).value = grade
        self.query_one("#override", Checkbox).value = False

    @on(Select.Changed, "#grade, #level")
    def _grade_changed(self) -> None:
        grade = self.grade
        level = self.query_one("#level", Select)
        if grade is not None and not self.query_one("#override", Checkbox).value and level.selection != grade.level:
            level.value = grade.level  # follows the grade until overridden
        if grade is not None:
            self.touched.add("grade")
        self._show_level()
        self.produce()

    @on(Checkbox.Changed, "#override")
    def _override_changed(self, event: Checkbox.Changed) -> None:
        level = self.query_one("#level", Select)
        level.disabled = not event.value
        self.query_one("#level-reason", Input).disabled = not event.value
        grade = self.grade
        if event.value and grade is not None and level.selection == grade.level:
            # Start the override one level up, so it is visibly an override.
            level.value = grade.level + 1 if grade.level < 6 else grade.level - 1
        self._show_level()
        self.produce()

    def _show_level(self) -> None:
        info = self.query_one("#level-info", Static)
        grade = self.grade
        if grade is None:
            info.update("Choose a grade to see its level.")
            return
        text = f"{grade.grade} is level {grade.level} ({self.level_names.get(grade.level, '')})."
        if self.overridden:
            text += f" Assessed at level {self.level} instead ({self.level_names.get(self.level, '')}): give the reason."
        else:
            text += " Candidates are expected to show the levels below as a matter of course."
        info.update(Text(text))

    @on(Input.Submitted)
    def _enter_moves_on(self) -> None:
        self.screen.focus_next()
