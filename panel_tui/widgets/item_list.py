"""The assessed items in order, each with its state; the lead item is marked."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

STATE_MARK = {"no notes": "○", "notes": "◐", "scored": "●", "submitted": "✔"}


class ItemList(OptionList):
    DEFAULT_CSS = """
    ItemList { width: 30; height: 1fr; }
    """

    def set_items(self, items, states: dict[int, str], scores: dict[int, str]) -> None:
        highlighted = self.highlighted
        self.clear_options()
        self.add_options(Option(self._prompt(i, states[i.id], scores.get(i.id, "")), id=str(i.id)) for i in items)
        if self.option_count:
            self.highlighted = highlighted if highlighted is not None and highlighted < self.option_count else 0

    def update_item(self, item, state: str, score: str) -> None:
        self.replace_option_prompt(str(item.id), self._prompt(item, state, score))

    @staticmethod
    def _prompt(item, state: str, score: str) -> Text:
        text = Text()
        text.append(f"{STATE_MARK[state]} ", style="bold")
        text.append(item.name)
        if item.is_lead:
            text.append(" ★", style="bold yellow")
        if score:
            text.append(f"  [{score}]", style="bold")
        return text
