"""The framework browser: framework → element → level, effective and ineffective side by side, with search."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from db.frameworks import export_framework, list_frameworks
from db.text import clean_block, clean_line
from panel_tui.widgets.footer import PanelFooter
from panel_tui.widgets.indicator_panel import IndicatorPanel
from panel_tui.work import ServiceWork

FILE_KIND = {"effective": "effective", "ineffective": "ineffective", "examples": "example"}


@dataclass(frozen=True)
class ShownIndicator:
    id: int
    kind: str
    text: str


def framework_keys(session) -> list[str]:
    return [fw.key for fw in list_frameworks(session)]


def campaign_framework(session, campaign_id: int) -> tuple[str, int]:
    """The campaign's framework key and level: where the browser opens when called from a campaign."""
    from db.campaigns import get_campaign
    from db.models import Framework

    campaign = get_campaign(session, campaign_id)
    framework = session.get(Framework, campaign.framework_id)
    return (framework.key if framework else ""), campaign.level


class FrameworksScreen(ServiceWork, Screen[None]):
    CSS_PATH = "../styles/frameworks.tcss"
    HELP_TITLE = "Framework browser"

    BINDINGS = [
        Binding("right_square_bracket", "level(1)", "Next level", key_display="]", id="frameworks.next_level"),
        Binding("left_square_bracket", "level(-1)", "Prev level", key_display="[", id="frameworks.previous_level"),
        *(Binding(str(n), f"goto_level({n})", f"Level {n}", show=False, id=f"frameworks.level_{n}") for n in range(1, 7)),
        Binding("f", "next_framework", "Switch framework", id="frameworks.switch"),
        Binding("slash", "search", "Search", key_display="/", id="frameworks.search"),
        Binding("escape", "close_search_or_back", "Back", id="frameworks.back"),
    ]

    def __init__(self, database, framework: str | None = None, level: int = 1) -> None:
        """``framework`` / ``level``: where to open (a campaign opens its own framework at its level)."""
        super().__init__()
        self.database = database
        self.frameworks: list[str] = []
        self.framework_index = 0
        self.start_framework = framework
        self.level = min(6, max(1, level))
        self.element_index = 0
        self.data: dict = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="browser"):
            with Vertical(id="element-column"):
                yield Label("", id="framework-name")
                yield OptionList(id="elements", markup=False)
            with Vertical(id="detail"):
                yield Label("", id="level-bar")
                yield Static("", id="definition")
                yield IndicatorPanel(id="indicators", taggable=False)
        with Vertical(id="search-box"):
            yield Input(placeholder="Search indicator text (Enter to jump, Esc to close)", id="search")
            yield OptionList(id="results", markup=False)
        yield PanelFooter()

    def on_mount(self) -> None:
        self.title = "Framework browser"
        self.query_one("#search-box").display = False
        self.run_service(framework_keys, tag="frameworks", done=self._listed, title="Frameworks not loaded")

    def _listed(self, keys: list[str]) -> None:
        self.frameworks = keys
        if self.start_framework in keys:
            self.framework_index = keys.index(self.start_framework)
        if keys:
            self._load_framework()

    def _load_framework(self) -> None:
        key = self.frameworks[self.framework_index]
        self.run_service(export_framework, key, tag="framework", done=self._framework_loaded, group="framework",
                         exclusive=True, title="Framework not loaded")

    def _framework_loaded(self, data: dict) -> None:
        self.data = data
        self.sub_title = clean_line(self.data["name"])
        self.query_one("#framework-name", Label).update(Text(f"{clean_line(self.data['name'])} (f: switch)"))
        elements = self.query_one("#elements", OptionList)
        elements.clear_options()
        cluster = None
        for n, el in enumerate(self.data["elements"]):
            if el.get("cluster") and el["cluster"] != cluster:
                cluster = el["cluster"]
                elements.add_option(Option(clean_line(cluster).upper(), disabled=True))
            elements.add_option(Option(clean_line(el["name"]), id=str(n)))
        self.element_index = 0
        self._select_element_option()
        self._show()
        elements.focus()

    def _select_element_option(self) -> None:
        elements = self.query_one("#elements", OptionList)
        elements.highlighted = elements.get_option_index(str(self.element_index))

    def _show(self) -> None:
        if not self.data:
            return
        el = self.data["elements"][self.element_index]
        levels = self.data.get("levels", {})
        bar = "  ".join(f"[reverse] {n} [/]" if n == self.level else f" {n} " for n in range(1, 7))
        self.query_one("#level-bar", Label).update(f"Level {bar}   {escape(clean_line(levels.get(str(self.level), '')))}")
        self.query_one("#definition", Static).update(Text(clean_block(el.get("definition", ""))))
        body = el["levels"].get(str(self.level), {})
        shown = [
            ShownIndicator(id=n * 1000 + i, kind=FILE_KIND[list_name], text=clean_line(text))
            for n, (list_name, texts) in enumerate(body.items())
            for i, text in enumerate(texts)
        ]
        title = escape(clean_line(f"{el['name']} · level {self.level}"))  # the panel's title is markup
        self.query_one(IndicatorPanel).show(title, shown, taggable=False)

    @on(OptionList.OptionHighlighted, "#elements")
    def _element_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and int(event.option.id) != self.element_index:
            self.element_index = int(event.option.id)
            self._show()

    def action_level(self, step: int) -> None:
        self.action_goto_level(min(6, max(1, self.level + step)))

    def action_goto_level(self, level: int) -> None:
        if level != self.level:
            self.level = level
            self._show()

    def action_next_framework(self) -> None:
        if not self.frameworks:
            return
        self.framework_index = (self.framework_index + 1) % len(self.frameworks)
        self._load_framework()

    def action_search(self) -> None:
        box = self.query_one("#search-box")
        box.display = True
        self.query_one("#search", Input).focus()

    def action_close_search_or_back(self) -> None:
        box = self.query_one("#search-box")
        if box.display:
            box.display = False
            self.query_one("#elements", OptionList).focus()
        else:
            self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While typing a search, letters and digits belong to the search box.
        if action in ("next_framework", "goto_level", "level", "search") and isinstance(self.focused, Input):
            return False
        return True

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        results = self.query_one("#results", OptionList)
        results.clear_options()
        needle = event.value.strip().lower()
        if len(needle) < 2:
            return
        hits = []
        for n, el in enumerate(self.data.get("elements", [])):
            for level, body in el["levels"].items():
                for list_name, texts in body.items():
                    for text in texts:
                        if needle in text.lower():
                            # The id locates the element and level; the count keeps ids unique.
                            prompt = clean_line(f"{el['name']} · L{level} · {list_name}: {text}")
                            hits.append(Option(prompt, id=f"{n}:{level}:{len(hits)}"))
        results.add_options(hits[:200])
        self.query_one("#search", Input).border_title = f"{len(hits)} matches"

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        results = self.query_one("#results", OptionList)
        if results.option_count:
            results.highlighted = 0
            results.focus()

    @on(OptionList.OptionSelected, "#results")
    def _result_chosen(self, event: OptionList.OptionSelected) -> None:
        element, level, _ = (int(x) for x in (event.option.id or "0:1:0").split(":"))
        self.element_index, self.level = element, level
        self.query_one("#search-box").display = False
        self._select_element_option()
        self._show()
        self.query_one("#elements", OptionList).focus()
