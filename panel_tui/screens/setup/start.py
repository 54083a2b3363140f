"""Step 1: start from a Home Office role template (Annex A-I), or from blank."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from db.setup_helpers import TemplateChoice
from panel_tui.screens.setup.base import Step


class StartStep(Step):
    STEP_ID = "start"
    TITLE = "Start"

    class Chosen(Message):
        """Enter on a start option: the template (None for blank)."""

        def __init__(self, template: TemplateChoice | None) -> None:
            super().__init__()
            self.template = template

    def __init__(self, templates: list[TemplateChoice]) -> None:
        super().__init__()
        self.templates = templates

    def compose(self) -> ComposeResult:
        yield Label("Start from a Home Office role template, or from blank. Enter chooses.", classes="hint")
        options = [Option("Blank campaign", id="blank")] + [
            Option(Text(f"Annex {t.annex} · {t.title} · {t.grade}"), id=t.annex) for t in self.templates
        ]
        yield OptionList(*options, id="templates", compact=True)
        yield Static("", id="template-summary")

    def on_mount(self) -> None:
        self._summary(0)

    @property
    def template(self) -> TemplateChoice | None:
        """The highlighted start option (None: blank)."""
        index = self.query_one("#templates", OptionList).highlighted or 0
        return self.templates[index - 1] if index else None

    @on(OptionList.OptionHighlighted, "#templates")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._summary(event.option_index)

    @on(OptionList.OptionSelected, "#templates")
    def _selected(self) -> None:
        self.post_message(self.Chosen(self.template))

    def _summary(self, index: int) -> None:
        summary = self.query_one("#template-summary", Static)
        if index == 0:
            summary.update(Text("Every field empty: choose the grade, framework and items yourself."))
            return
        t = self.templates[index - 1]
        summary.update(
            Text(f"{t.title}, {t.grade} (level {t.level}), {t.location}. Competencies: {', '.join(t.items)}. {t.summary}")
        )
