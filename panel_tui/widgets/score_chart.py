"""A small horizontal bar chart: how many candidates sit at each point of a scoring scale."""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.widget import Widget

# Eighths of a cell, so short bars still differ at narrow widths.
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(count: int, most: int, width: int) -> str:
    """A bar of `width` cells scaled so that `most` fills it; at least a sliver for any count > 0."""
    if count <= 0 or most <= 0 or width <= 0:
        return ""
    eighths = max(1, round(count / most * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


class ScoreChart(Widget):
    """One item's score distribution: a title, then one bar per scale point, low to high.

    `set_data(title, counts, note=..., pass_mark=...)` where counts are
    (scale value, label, candidates). Points below the pass mark are drawn
    in a muted style, so the pass line is visible at a glance.
    """

    DEFAULT_CSS = """
    ScoreChart {
        height: auto;
        padding: 0 1;
    }
    ScoreChart > .score-chart--title {
        text-style: bold;
        color: $accent;
    }
    ScoreChart > .score-chart--bar {
        color: $primary;
    }
    ScoreChart > .score-chart--below {
        color: $warning;
    }
    ScoreChart > .score-chart--note {
        color: $text-muted;
    }
    """

    COMPONENT_CLASSES = {"score-chart--title", "score-chart--bar", "score-chart--below", "score-chart--note"}

    def __init__(
        self,
        title: str = "",
        counts: Sequence[tuple[float, str, int]] = (),
        *,
        note: str = "",
        pass_mark: float | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.chart_title = title
        self.counts: tuple[tuple[float, str, int], ...] = tuple(counts)
        self.note = note
        self.pass_mark = pass_mark

    def set_data(
        self,
        title: str,
        counts: Sequence[tuple[float, str, int]],
        *,
        note: str = "",
        pass_mark: float | None = None,
    ) -> None:
        self.chart_title, self.counts, self.note, self.pass_mark = title, tuple(counts), note, pass_mark
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return 1 + len(self.counts) + (1 if self.note else 0)

    def render(self) -> Text:
        width = self.content_size.width
        title_style = self.get_component_rich_style("score-chart--title")
        bar_style = self.get_component_rich_style("score-chart--bar")
        below_style = self.get_component_rich_style("score-chart--below")
        note_style = self.get_component_rich_style("score-chart--note")
        text = Text(self.chart_title, style=title_style, no_wrap=True, overflow="ellipsis")
        label_width = max((len(label) for _, label, _ in self.counts), default=1)
        most = max((n for _, _, n in self.counts), default=0)
        count_width = max(len(str(most)), 1)
        room = max(width - label_width - count_width - 3, 1)
        for value, label, n in self.counts:
            below = self.pass_mark is not None and value < self.pass_mark
            text.append("\n")
            text.append(f"{label:>{label_width}} ▕", style=note_style)
            text.append(bar(n, most, room).ljust(room), style=below_style if below else bar_style)
            text.append(f" {n:>{count_width}}", style="" if n else note_style)
        if self.note:
            text.append("\n")
            text.append(self.note, style=note_style)
        return text
