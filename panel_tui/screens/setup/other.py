"""Step 5: other Success Profiles elements (strength, experience, ...), each assessed as an item."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from db.specs import ItemSpec, OtherPart, Part, Problem
from db.specs.parts import OTHER_KINDS
from panel_tui.screens.setup.base import Step, form_row

SCALES = (
    ("The campaign's scale", "campaign"),
    ("1-7 (Civil Service Jobs)", "csj-1-7"),
    ("A-E (Civil Service Commission)", "csc-a-e"),
    ("1-4 (often used for strengths)", "1-4"),
)
ONE_TO_FOUR = [{"value": v, "label": str(v)} for v in range(1, 5)]
SCALE_NAMES = {v: k for k, v in SCALES}


def scale_choice(item: ItemSpec) -> str:
    """Which of SCALES an element's own scale is."""
    if item.scale is None:
        return "campaign"
    labels = [p["label"] for p in item.scale]
    return {"1234": "1-4", "1234567": "csj-1-7", "EDCB/CBA": "csc-a-e"}.get("".join(labels), "campaign")


class OtherStep(Step):
    STEP_ID = "other"
    TITLE = "Other"
    FIELDS = {"name": "other-name", "items": "others"}
    GENERAL = "others"

    BINDINGS = [Binding("delete", "remove", "Remove", tooltip="Remove the highlighted element")]

    def __init__(self) -> None:
        super().__init__()
        self.others: list[ItemSpec] = []
        self.framework_items: list[str] = []
        self.element_names: list[str] = []

    def compose(self) -> ComposeResult:
        yield Label("Other Success Profiles elements, each assessed as an item. Optional: Next skips.", classes="hint")
        yield from form_row("Kind", Select([(k.label, k.value) for k in OTHER_KINDS], allow_blank=False,
                                           id="other-kind", compact=True))
        yield from form_row("Name", Input(placeholder="e.g. Resilience", id="other-name", compact=True),
                            error_for="other-name")
        yield from form_row("Description", Input(placeholder="Shown to the panel", id="other-description", compact=True))
        yield from form_row("Scale", Select(SCALES, allow_blank=False, id="other-scale", compact=True))
        with Horizontal(classes="form-row"):
            yield Label("", classes="form-label")
            yield Button("Add element", id="add-other", compact=True)
        others = OptionList(id="others", compact=True)
        others.display = False
        yield others
        yield Label("No other elements: behaviours/competencies only.", id="others-empty", classes="hint")
        error = Label("", id="others-error", classes="error field-error")
        error.display = False
        yield error

    def set_framework_items(self, items: list[str], element_names: list[str]) -> None:
        self.framework_items, self.element_names = list(items), list(element_names)
        self.produce()

    def build(self) -> tuple[list[Part], list[Problem]]:
        problems = []
        if self.value("other-name"):
            problems.append(Problem("name", "press Add element to keep this one, or clear the name"))
        if not self.framework_items and not self.others:
            problems.append(Problem("items", "choose at least one item to assess: a framework element (step 4) or one here"))
        part, part_problems = OtherPart.check({"items": self.others})
        if part is None or problems:
            return [], problems + part_problems
        return [part], []

    def new_element(self) -> tuple[ItemSpec | None, str]:
        """The element typed in the fields, checked by the spec and against the items so far."""
        name = self.value("other-name")
        if not name:
            return None, "give the element a name"
        if name.lower() in {n.lower() for n in self.framework_items + [o.name for o in self.others]}:
            return None, f"{name!r} is already an item"
        if name.lower() in {e.lower() for e in self.element_names}:
            return None, f"{name!r} is an element of the framework: choose it on the framework step"
        scale = str(self.query_one("#other-scale", Select).selection)
        item, problems = ItemSpec.check({
            "name": name, "kind": self.query_one("#other-kind", Select).selection,
            "description": self.value("other-description"),
            "scale": ONE_TO_FOUR if scale == "1-4" else None if scale == "campaign" else scale,
        }, "the element")
        return item, problems[0].message if problems else ""

    @on(Button.Pressed, "#add-other")
    @on(Input.Submitted, "#other-name, #other-description")
    def add(self) -> None:
        item, message = self.new_element()
        if item is None:
            self.touched.add("other-name")
            self.show_error("other-name", message)
            self.query_one("#other-name", Input).focus()
            return
        self.others.append(item)
        self.query_one("#other-name", Input).value = ""
        self.query_one("#other-description", Input).value = ""
        self.touched.discard("other-name")
        self._show_others(highlight=len(self.others) - 1)
        self.query_one("#other-name", Input).focus()
        self.produce()

    def _show_others(self, highlight: int | None = None) -> None:
        option_list = self.query_one("#others", OptionList)
        option_list.set_options(
            Option(Text(f"{o.kind.label}: {o.name} · {SCALE_NAMES[scale_choice(o)]}"), id=str(n))  # type: ignore[union-attr]
            for n, o in enumerate(self.others)
        )
        option_list.display = bool(self.others)
        if self.others and highlight is not None:
            option_list.highlighted = min(highlight, len(self.others) - 1)
        self.query_one("#others-empty").display = not self.others

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove":
            return self.screen.focused is self.query_one("#others") and bool(self.others)
        return True

    def action_remove(self) -> None:
        index = self.query_one("#others", OptionList).highlighted
        if index is None or index >= len(self.others):
            return
        self.others.pop(index)
        self._show_others(highlight=index)
        if not self.others:
            self.query_one("#other-name", Input).focus()
        self.produce()
