"""Step 6: the question bank: planned questions and probes for each item, or copied from an earlier campaign."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, OptionList, Select, TextArea
from textual.widgets.option_list import Option

from db import setup_helpers as helpers
from db.specs import Part, Problem, QuestionsPart
from panel_tui.screens.setup.base import Step


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionsStep(Step):
    STEP_ID = "questions"
    TITLE = "Questions"
    FIELDS = {"questions": "item-questions"}
    GENERAL = "item-questions"

    def __init__(self, campaigns: list) -> None:
        super().__init__()
        self.campaigns = campaigns
        self.names: list[str] = []
        self.texts: dict[str, tuple[str, str]] = {}  # item name -> (questions, probes), one a line
        self.current: str | None = None

    def compose(self) -> ComposeResult:
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

    def build(self) -> tuple[list[Part], list[Problem]]:
        questions = {}
        for name in self.names:
            q, p = self.texts.get(name, ("", ""))
            if lines(q) or lines(p):
                questions[name] = {"questions": lines(q), "probes": lines(p)}
        part, problems = QuestionsPart.check({"questions": questions})
        return ([part], []) if part is not None else ([], problems)

    def set_items(self, names: list[str]) -> None:
        """The items asked about, in interview order (typed text is kept by name)."""
        self.names = list(names)
        option_list = self.query_one("#question-items", OptionList)
        option_list.set_options(Option(self._label(name), id=str(n)) for n, name in enumerate(self.names))
        if self.current not in self.names:
            self.current = self.names[0] if self.names else None
        if self.current is not None:
            option_list.highlighted = self.names.index(self.current)
        self._load()
        self.produce()

    def _label(self, name: str) -> Text:
        return Text(("✓ " if lines(self.texts.get(name, ("", ""))[0]) else "  ") + name)

    def _load(self) -> None:
        questions, probes = self.texts.get(self.current or "", ("", ""))
        editor = self.query_one("#item-questions", TextArea)
        editor.load_text(questions)
        editor.border_title = f"Questions: {self.current}" if self.current else "Questions"
        self.query_one("#item-probes", TextArea).load_text(probes)

    @on(OptionList.OptionHighlighted, "#question-items")
    def _item_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index < len(self.names) and self.names[event.option_index] != self.current:
            self.current = self.names[event.option_index]
            self._load()

    @on(OptionList.OptionSelected, "#question-items")
    def _item_selected(self) -> None:
        self.query_one("#item-questions", TextArea).focus()

    @on(TextArea.Changed, "#item-questions, #item-probes")
    def _typed(self) -> None:
        if self.current is None:
            return
        before = self.texts.get(self.current, ("", ""))
        now = (self.query_one("#item-questions", TextArea).text, self.query_one("#item-probes", TextArea).text)
        if now == before:
            return  # a load, not typing
        self.texts[self.current] = now
        self.query_one("#question-items", OptionList).replace_option_prompt_at_index(
            self.names.index(self.current), self._label(self.current)
        )
        self.produce()

    @on(Button.Pressed, "#copy")
    def copy(self) -> None:
        key = self.query_one("#copy-from", Select).selection
        if key is None:
            self.notify("Choose the campaign to copy from first", severity="warning")
            self.query_one("#copy-from", Select).focus()
            return
        # Read by the wizard's worker (the screen's run_service), then copied here.
        self.screen.run_service(helpers.question_bank, str(key), done=self._copy_bank, group="question-bank",
                                exclusive=True, title="Questions not copied")

    def _copy_bank(self, entries: list) -> None:
        bank = {b.name.lower(): b for b in entries}
        copied = []
        for name in self.names:
            entry = bank.get(name.lower())
            if entry is not None and (entry.questions or entry.probes):
                self.texts[name] = ("\n".join(entry.questions), "\n".join(entry.probes))
                copied.append(name)
        self.set_items(self.names)
        missing = len(self.names) - len(copied)
        if copied:
            self.notify(f"Copied questions for {len(copied)} item{'s' if len(copied) != 1 else ''}"
                        + (f"; {missing} had no match by name" if missing else ""))
        else:
            self.notify("No item of that campaign has the same name as one of these", severity="warning")
