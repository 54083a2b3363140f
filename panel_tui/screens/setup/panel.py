"""Step 8: the panel: a name and a role a row; Enter after a name adds another row."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from db.specs import PanelPart, Part, Problem
from db.vocabulary import PanelRole
from panel_tui.screens.setup.base import Step, StepDone

ROLES = [(role.label, role.value) for role in PanelRole]


class PanelStep(Step):
    STEP_ID = "panel"
    TITLE = "Panel"
    FIELDS = {"panel": "members"}
    GENERAL = "members"

    BINDINGS = [Binding("delete", "remove", "Remove", tooltip="Remove this panel member's row")]

    def __init__(self) -> None:
        super().__init__()
        self.rows_made = 0  # ids handed out so far (rows are never renumbered)

    def compose(self) -> ComposeResult:
        yield Label("The panel. Enter after a name adds another row; Remove takes one away.", classes="hint")
        yield Vertical(id="members")
        error = Label("", id="members-error", classes="error field-error")
        error.display = False
        yield error
        with Horizontal(classes="form-row"):
            yield Button("Add member", id="add-member", compact=True)
        yield Label("Candidates are added later on the campaign screen (a), or imported from CSV "
                    "(panel-tui candidates import).", classes="hint")

    def on_mount(self) -> None:
        self.add_row(role="chair")

    def row_ids(self) -> list[int]:
        return [int(str(row.id).rsplit("-", 1)[1]) for row in self.query(".member-row")]

    def build(self) -> tuple[list[Part], list[Problem]]:
        members = []
        for n in self.row_ids():
            name = self.value(f"member-name-{n}")
            if name:
                members.append({"name": name, "role": self.query_one(f"#member-role-{n}", Select).selection})
        if not members:
            return [], [Problem("panel", "add at least one panel member: nobody can score without one")]
        part, problems = PanelPart.check({"panel": members})
        return ([part], []) if part is not None else ([], problems)

    def widget_for(self, problem: Problem) -> str:
        # "panel member 'Sam' is listed twice": beside the second row with that name.
        for n in reversed(self.row_ids()):
            name = self.value(f"member-name-{n}")
            if name and f"{name!r}" in problem.message:
                return f"member-name-{n}"
        return super().widget_for(problem)

    def show_problems(self, problems: list[Problem]) -> None:
        super().show_problems(problems)
        shown = {self.widget_for(p): p.message for p in problems}
        for n in self.row_ids():
            self.show_error(f"member-name-{n}", shown.get(f"member-name-{n}", ""))

    def focus_problem(self) -> None:
        for n in self.row_ids():
            if self.shown_error(f"member-name-{n}"):
                self.query_one(f"#member-name-{n}").focus()
                return
        ids = self.row_ids()
        self.query_one(f"#member-name-{ids[0]}" if ids else "#add-member").focus()

    def add_row(self, name: str = "", role: str = "member", *, focus: bool = False) -> None:
        n = self.rows_made
        self.rows_made += 1
        name_input = Input(name, placeholder="Name, then Enter for another", id=f"member-name-{n}", classes="member",
                           compact=True)
        row = Horizontal(
            name_input,
            Select(ROLES, allow_blank=False, value=role, id=f"member-role-{n}", classes="member", compact=True),
            Button("Remove", id=f"member-remove-{n}", classes="member", compact=True),
            id=f"member-row-{n}",
            classes="member-row",
        )
        error = Label("", id=f"member-name-{n}-error", classes="error field-error member-error")
        error.display = False
        self.query_one("#members", Vertical).mount(row, error)
        if focus:
            self.call_after_refresh(name_input.focus)

    async def remove_row(self, row: Widget) -> None:
        n = str(row.id).rsplit("-", 1)[1]
        rows = list(self.query(".member-row"))
        index = rows.index(row) if row in rows else 0
        await self.query(f"#member-name-{n}-error").remove()
        await row.remove()
        remaining = [r for r in rows if r is not row]
        if remaining:
            self.call_after_refresh(remaining[min(index, len(remaining) - 1)].query_one(Input).focus)
        else:
            self.call_after_refresh(self.query_one("#add-member", Button).focus)
        self.produce()

    @on(Button.Pressed, "#add-member")
    def _add_pressed(self) -> None:
        self.add_row(focus=True)

    @on(Button.Pressed, "Button.member")
    async def _remove_pressed(self, event: Button.Pressed) -> None:
        if event.button.parent is not None:
            await self.remove_row(event.button.parent)

    @on(Select.Changed, "Select.member")
    def _role_changed(self) -> None:
        self.produce()

    @on(Input.Submitted, "Input.member")
    def _name_submitted(self, event: Input.Submitted) -> None:
        rows = list(self.query(".member-row"))
        if event.value.strip() and rows and event.input.parent is rows[-1]:
            self.add_row(focus=True)
        else:
            self.post_message(StepDone())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove":
            # In a name field Delete edits the text; on the role or the Remove button it removes the row.
            focused = self.screen.focused
            return isinstance(focused, (Select, Button)) and "member" in focused.classes
        return True

    async def action_remove(self) -> None:
        focused = self.screen.focused
        row = next((a for a in focused.ancestors if "member-row" in a.classes), None) if focused else None
        if row is not None:
            await self.remove_row(row)
