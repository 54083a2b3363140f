"""Step 4: the framework, the behaviours or competencies assessed (in interview order) and the lead item."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from db.campaigns import CopfsTable
from db.setup_helpers import ElementChoice
from db.specs import FrameworkPart, Part, Problem
from panel_tui.screens.setup.base import Step, form_row

COPFS_FRAMEWORK = "competencies-2012"


class FrameworkStep(Step):
    STEP_ID = "framework"
    TITLE = "Framework"
    FIELDS = {"framework": "framework", "items": "elements", "lead": "lead"}
    GENERAL = "elements"

    def __init__(self, frameworks: list, elements: dict[str, list[ElementChoice]], copfs: CopfsTable) -> None:
        """``elements`` (by framework key) and ``copfs`` are read with the wizard's choices, in its
        worker: choosing a framework or an item reads nothing on the UI thread."""
        super().__init__()
        self.frameworks = frameworks
        self.elements = elements
        self.copfs = copfs
        self.items: list[str] = []  # chosen elements, in interview order
        self.element_names: list[str] = []  # the framework's elements
        self.lead: str | None = None
        self.level = 1
        self.grade = ""
        self.department = ""

    def compose(self) -> ComposeResult:
        options = [(f.name, f.key) for f in self.frameworks]
        default = COPFS_FRAMEWORK if any(f.key == COPFS_FRAMEWORK for f in self.frameworks) else self.frameworks[0].key
        yield from form_row("Framework", Select(options, allow_blank=False, value=default, id="framework", compact=True))
        with Horizontal(id="framework-body"):
            yield SelectionList[str](id="elements", compact=True)
            with VerticalScroll(id="framework-side", can_focus=False):
                yield Static("", id="item-count")
                yield Static("", id="copfs", classes="warning")
        yield from form_row("Lead item", Select([], prompt="No lead item", id="lead", compact=True))
        error = Label("", id="elements-error", classes="error field-error")
        error.display = False
        yield error

    def on_mount(self) -> None:
        self.load_elements()

    @property
    def framework_key(self) -> str:
        return str(self.query_one("#framework", Select).selection or "")

    def build(self) -> tuple[list[Part], list[Problem]]:
        part, problems = FrameworkPart.check({"framework": self.framework_key, "items": self.items, "lead": self.lead})
        return ([part], []) if part is not None else ([], problems)

    # --- calls down from the screen ----------------------------------------------------------

    def apply_template(self, items: tuple[str, ...], lead: str | None) -> None:
        self.items, self.lead = list(items), lead
        framework = self.query_one("#framework", Select)
        if any(f.key == COPFS_FRAMEWORK for f in self.frameworks) and framework.selection != COPFS_FRAMEWORK:
            framework.value = COPFS_FRAMEWORK  # loads the elements when the change arrives
        else:
            self.load_elements()

    def set_context(self, level: int, grade: str, department: str) -> None:
        """The level and whether the campaign is COPFS's decide the COPFS advice."""
        if (level, grade, department) != (self.level, self.grade, self.department):
            self.level, self.grade, self.department = level, grade, department
            self._show_copfs()

    # --- the lists ---------------------------------------------------------------------------

    @on(Select.Changed, "#framework")
    def _framework_changed(self) -> None:
        self.load_elements()

    def load_elements(self) -> None:
        key = self.framework_key
        if not key:
            return
        elements = self.elements.get(key, [])
        self.element_names = [e.name for e in elements]
        canonical = {e.name.lower(): e.name for e in elements}
        self.items = [canonical[n.lower()] for n in self.items if n.lower() in canonical]
        if self.lead is not None:
            self.lead = canonical.get(self.lead.lower())
        chosen = set(self.items)
        selection_list = self.query_one("#elements", SelectionList)
        selection_list.clear_options()
        selection_list.add_options([Selection(Text(e.name), e.name, e.name in chosen) for e in elements])
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
        self.produce()

    @on(Select.Changed, "#lead")
    def _lead_changed(self, event: Select.Changed) -> None:
        self.lead = event.select.selection
        self._show_item_count()
        self.produce()

    def _show_item_count(self) -> None:
        n = len(self.items)
        lines = [f"{n} chosen (typically 4-6)." if 4 <= n <= 6 else f"{n} chosen: panels typically assess 4-6."]
        lines += [f"{i}. {name}" + (" ★ lead" if name == self.lead else "") for i, name in enumerate(self.items, 1)]
        count = self.query_one("#item-count", Static)
        count.update(Text("\n".join(lines)))
        count.set_class(not 4 <= n <= 6, "-warning")

    @property
    def copfs_warnings(self) -> list[str]:
        if not self.framework_key or not self.items:
            return []
        return list(self.copfs.warnings(
            self.framework_key, self.items, self.level, grade=self.grade, department=self.department
        ).values())

    def _show_copfs(self) -> None:
        warnings = self.copfs_warnings
        copfs = self.query_one("#copfs", Static)
        copfs.update(Text("\n".join(f"⚠ {w}" for w in warnings)))
        copfs.display = bool(warnings)
