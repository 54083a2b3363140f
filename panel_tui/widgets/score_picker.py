"""The score picker: the campaign's scale with its descriptors; number keys or a click choose a score."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class ScorePicker(Widget, can_focus=False):
    DEFAULT_CSS = """
    ScorePicker { height: auto; padding: 0 1; }
    """

    score: reactive[float | None] = reactive(None)
    pass_mark: reactive[float] = reactive(4.0)
    read_only: reactive[bool] = reactive(False)

    @dataclass
    class ScoreChosen(Message):
        """The panellist chose a score (None clears it)."""

        picker: "ScorePicker"
        value: float | None

        @property
        def control(self) -> "ScorePicker":
            return self.picker

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scale: list[dict] = []

    def set_scale(self, scale: list[dict], pass_mark: float, score: float | None) -> None:
        self.scale = scale
        self.pass_mark = pass_mark
        self.score = score
        self.refresh(layout=True)

    def choose_position(self, position: int) -> None:
        """Choose the nth point of the scale (1-based), as number keys do."""
        if self.read_only or not 1 <= position <= len(self.scale):
            return
        self.post_message(self.ScoreChosen(self, float(self.scale[position - 1]["value"])))

    def clear(self) -> None:
        if not self.read_only:
            self.post_message(self.ScoreChosen(self, None))

    def render(self) -> Text:
        text = Text()
        text.append("Score ", style="bold")
        for n, point in enumerate(self.scale, 1):
            value = float(point["value"])
            chosen = self.score is not None and value == float(self.score)
            style = "reverse bold" if chosen else ("" if value >= self.pass_mark else "dim")
            text.append(f" {point['label']} ", style=style)
        pass_label = next((p["label"] for p in self.scale if float(p["value"]) == self.pass_mark), f"{self.pass_mark:g}")
        text.append(f"  pass {pass_label}", style="italic")
        chosen_point = next((p for p in self.scale if self.score is not None and float(p["value"]) == float(self.score)), None)
        text.append("\n")
        if chosen_point is not None:
            text.append(f"{chosen_point['label']} {chosen_point['name']}", style="bold")
            if chosen_point.get("descriptor"):
                text.append(f": {chosen_point['descriptor']}")
        else:
            text.append("Not scored yet", style="dim")
        return text

    def on_click(self, event: Click) -> None:
        # Each point is drawn as " label " after the 6-cell "Score " prefix.
        if event.y != 0:
            return
        x = 6
        for n, point in enumerate(self.scale, 1):
            width = len(str(point["label"])) + 2
            if x <= event.x < x + width:
                self.choose_position(n)
                return
            x += width
