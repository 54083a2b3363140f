"""The assessed items in order, each with its state; the lead item is marked."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from db.text import clean_line

STATE_MARK = {"no notes": "○", "notes": "◐", "scored": "●", "submitted": "✔"}
# Tag counts: one sign each, the keys that set them (+ seen, - contrary), never added together.
SEEN_MARK, CONTRARY_MARK = "+", "−"


class ItemList(OptionList):
    DEFAULT_CSS = """
    ItemList { width: 30; height: 1fr; }
    """

    def on_mount(self) -> None:
        self.border_title = "Items"

    def set_items(self, items, states: dict[int, str], scores: dict[int, str], tags: dict[int, dict] | None = None) -> None:
        highlighted = self.highlighted
        tags = tags or {}
        self.clear_options()
        self.add_options(
            Option(self._prompt(i, states[i.id], scores.get(i.id, ""), tags.get(i.id, {})), id=str(i.id)) for i in items
        )
        if self.option_count:
            self.highlighted = highlighted if highlighted is not None and highlighted < self.option_count else 0

    def update_item(self, item, state: str, score: str, tags: dict | None = None) -> None:
        self.replace_option_prompt(str(item.id), self._prompt(item, state, score, tags or {}))

    @staticmethod
    def _prompt(item, state: str, score: str, tags: dict) -> Text:
        text = Text()
        text.append(f"{STATE_MARK[state]} ", style="bold")
        text.append(clean_line(item.name))  # stored text: control characters removed
        if item.is_lead:
            text.append(" ★", style="bold yellow")
        if score:
            text.append(f"  [{score}]", style="bold")
        # The item's tag summary: indicators seen / contrary.
        seen = sum(1 for t in tags.values() if t == "seen")
        contrary = sum(1 for t in tags.values() if t == "contrary")
        if seen:
            text.append(f" {SEEN_MARK}{seen}", style="bold green")
        if contrary:
            text.append(f" {CONTRARY_MARK}{contrary}", style="bold red")
        return text
