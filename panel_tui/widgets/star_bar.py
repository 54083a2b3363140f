"""STAR coverage: which of situation, task, action and result the answer covered.

Each part is a checkbox, [x] or [ ], so covered and not covered differ without colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

STAR_WORDS = {"S": "Situation", "T": "Task", "A": "Action", "R": "Result"}


class StarBar(Widget, can_focus=False):
    DEFAULT_CSS = """
    StarBar { height: 1; padding: 0 1; }
    """

    covered: reactive[str] = reactive("")

    @dataclass
    class StarToggled(Message):
        bar: "StarBar"
        letter: str

        @property
        def control(self) -> "StarBar":
            return self.bar

    def toggle(self, letter: str) -> None:
        self.post_message(self.StarToggled(self, letter.upper()))

    def render(self) -> Text:
        text = Text("STAR ", style="bold")
        for letter, word in STAR_WORDS.items():
            if letter in self.covered:
                text.append(f"[x] {word}", style="bold")
            else:
                text.append(f"[ ] {word}", style="dim")
            text.append("  ")
        missing = [w for letter, w in STAR_WORDS.items() if letter not in self.covered]
        if missing and self.covered:
            text.append("  missing: " + ", ".join(missing).lower(), style="italic")
        return text

    def on_click(self, event: Click) -> None:
        x = 5
        for letter, word in STAR_WORDS.items():
            width = len(word) + 6  # "[x] word" and two spaces
            if x <= event.x < x + width:
                self.toggle(letter)
                return
            x += width
