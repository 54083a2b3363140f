"""Step 7: the scale, pass marks (every item, or per item), minimum total, divergence and scoring method."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static, TextArea

from db import scales
from db import setup_helpers as helpers
from db.errors import ValidationError
from db.specs import Part, Problem, ScoringPart
from panel_tui.screens.setup.base import Step, form_row

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


class ScoringStep(Step):
    STEP_ID = "scoring"
    TITLE = "Scoring"
    FIELDS = {"scale": "custom-scale", "pass_mark": "pass-default", "min_total": "min-total",
              "divergence_threshold": "divergence", "scoring_method": "method"}
    GENERAL = "pass-default"

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, scales.Scale | None]] = []  # (name, its own scale) in interview order
        self.overrides: dict[str, str] = {}  # item name -> typed pass mark
        self.default_typed = False
        self._rows_lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield from form_row("Scale", Select(SCALE_CHOICES, allow_blank=False, id="scale", compact=True))
        yield Static(SCALE_NOTES["csj-1-7"], id="scale-note", classes="hint")
        custom = TextArea(id="custom-scale", tab_behavior="focus",
                          placeholder="0,Fail,Not met\n1,Pass,Met,Meets the standard\n2,Merit")
        custom.border_title = "Custom points"
        custom.display = False
        yield custom
        error = Label("", id="custom-scale-error", classes="error field-error")
        error.display = False
        yield error
        yield from form_row("Pass mark", Input("4", placeholder="for every item", id="pass-default", compact=True),
                            error_for="pass-default")
        yield Label("Per item (blank: the pass mark above):", classes="hint")
        yield Vertical(id="pass-items")
        yield from form_row("Minimum total", Input(placeholder="optional, as well as every pass mark", id="min-total",
                                                   compact=True), error_for="min-total")
        yield from form_row("Divergence", Input("2", placeholder="flag scores this far apart", id="divergence",
                                                compact=True), error_for="divergence")
        yield from form_row("Item scores", Select(METHODS, allow_blank=False, id="method", compact=True))
        yield Label("How item scores are decided is fixed once scoring starts.", classes="hint")

    # --- the part ------------------------------------------------------------------------------

    def scale(self) -> scales.Scale | str:
        """The chosen scale: a name, or the custom points (ValidationError naming the line)."""
        choice = str(self.query_one("#scale", Select).selection)
        if choice == "custom":
            return helpers.parse_scale_lines(self.query_one("#custom-scale", TextArea).text)
        return choice

    def build(self) -> tuple[list[Part], list[Problem]]:
        try:
            scale: Any = self.scale()
        except ValidationError as exc:
            return [], [Problem("scale", str(exc))]
        names = [name for name, _ in self.items]
        pass_mark = {"default": self.value("pass-default")} | {
            name: self.overrides[name].strip() for name in names if self.overrides.get(name, "").strip()
        }
        part, problems = ScoringPart.check({
            "scale": scale, "pass_mark": pass_mark, "min_total": self.value("min-total") or None,
            "divergence_threshold": self.value("divergence"),
            "scoring_method": self.query_one("#method", Select).selection,
        })
        if part is None:
            return [], problems
        try:
            if self.value("pass-default"):
                part.pass_mark_for("default")
            else:
                problems.append(Problem("pass_mark", "give a pass mark for every item (or one per item below)"))
        except ValueError as exc:
            problems.append(Problem("pass_mark", str(exc)))
        for name, own in self.items:
            try:
                part.pass_mark_for(name, own)
            except ValueError as exc:
                problems.append(Problem(f"pass:{name}", str(exc)))
        return ([part], []) if not problems else ([], problems)

    def widget_for(self, problem: Problem) -> str:
        if problem.field.startswith("pass:"):
            names = [name for name, _ in self.items]
            return f"pass-item-{names.index(problem.field.removeprefix('pass:'))}"
        return super().widget_for(problem)

    def show_problems(self, problems: list[Problem]) -> None:
        super().show_problems(problems)
        shown = {self.widget_for(p): p.message for p in reversed(problems)}
        for n in range(len(self.items)):
            widget_id = f"pass-item-{n}"
            # A per-item problem is shown even untouched: the item's scale, not the typing, caused it.
            self.show_error(widget_id, shown.get(widget_id, ""))

    # --- calls down from the screen ------------------------------------------------------------

    async def set_items(self, items: list[tuple[str, scales.Scale | None]]) -> None:
        """The items and their own scales (None: the campaign's); typed pass marks are kept by name."""
        async with self._rows_lock:  # two callers must not rebuild the rows at once (duplicate ids)
            await self._set_items(items)

    async def _set_items(self, items: list[tuple[str, scales.Scale | None]]) -> None:
        if [n for n, _ in items] == [n for n, _ in self.items]:
            self.items = list(items)
            self.produce()
            return
        self.items = list(items)
        container = self.query_one("#pass-items", Vertical)
        await container.remove_children()
        rows = []
        for n, (name, _) in enumerate(items):
            rows.append(Horizontal(
                Label(Text(name), classes="pass-label"),
                Input(self.overrides.get(name, ""), placeholder="default", id=f"pass-item-{n}", classes="pass-item",
                      compact=True),
                classes="form-row",
            ))
            error = Label("", id=f"pass-item-{n}-error", classes="error field-error")
            error.display = False
            rows.append(error)
        await container.mount_all(rows)
        self._shown = {k: v for k, v in self._shown.items() if not k.startswith("pass-item-")}  # new rows
        self.produce()

    # --- typing --------------------------------------------------------------------------------

    @on(Select.Changed, "#scale")
    def _scale_changed(self, event: Select.Changed) -> None:
        choice = str(event.select.selection)
        self.query_one("#scale-note", Static).update(SCALE_NOTES.get(choice, ""))
        self.query_one("#custom-scale").display = choice == "custom"
        self._suggest_pass_mark()
        self.produce()

    @on(TextArea.Changed, "#custom-scale")
    def _custom_typed(self, event: TextArea.Changed) -> None:
        if event.text_area.has_focus:
            self.touched.add("custom-scale")
        self._suggest_pass_mark()
        self.produce()

    @on(Input.Changed, "#pass-default, .pass-item")
    def _pass_mark_typed(self, event: Input.Changed) -> None:
        if event.input.id == "pass-default" and event.input.has_focus:
            self.default_typed = True
        elif event.input.id and event.input.id.startswith("pass-item-"):
            n = int(event.input.id.rsplit("-", 1)[1])
            if n < len(self.items):
                self.overrides[self.items[n][0]] = event.value

    @on(Select.Changed, "#method")
    def _method_changed(self) -> None:
        self.produce()

    @on(Input.Submitted)
    def _enter_moves_on(self) -> None:
        self.screen.focus_next()

    def _suggest_pass_mark(self) -> None:
        if self.default_typed:
            return
        choice = str(self.query_one("#scale", Select).selection)
        suggestion = ""
        if choice in scales.DEFAULT_PASS_MARK:
            suggestion = scales.label_for(scales.NAMED_SCALES[choice], scales.DEFAULT_PASS_MARK[choice])
        else:
            try:
                points = self.scale()
                suggestion = str(points[len(points) // 2]["label"])  # type: ignore[index]
            except ValidationError:
                pass
        self.query_one("#pass-default", Input).value = suggestion
