"""The interview timer: elapsed time against the planned length, with a gentle warning."""

from __future__ import annotations

from time import monotonic
from typing import Callable

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class InterviewTimer(Widget, can_focus=False):
    DEFAULT_CSS = """
    InterviewTimer { width: auto; height: 1; padding: 0 1; }
    InterviewTimer.-warning { color: $warning; }
    InterviewTimer.-over { color: $error; text-style: bold; }
    """

    elapsed: reactive[float] = reactive(0.0)
    running: reactive[bool] = reactive(False)
    planned_minutes: reactive[int] = reactive(60)
    # Warn this many minutes before the planned end.
    WARN_MINUTES = 5

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._started_at: float | None = None
        self._base = 0.0
        self.paint_later: Callable[[Callable[[], None]], None] | None = None

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1, self._second, pause=True)

    def _second(self) -> None:
        # The screen may hold the redraw for the next key typed (its frame then carries both).
        if self.paint_later is not None:
            self.paint_later(self._tick)
        else:
            self._tick()

    def toggle(self) -> None:
        if self.running:
            self._base += monotonic() - (self._started_at or monotonic())
            self._started_at = None
            self.running = False
            self._ticker.pause()
        else:
            self._started_at = monotonic()
            self.running = True
            self._ticker.resume()
        self._tick()

    def reset(self) -> None:
        self._base = 0.0
        self._started_at = monotonic() if self.running else None
        self._tick()

    def _tick(self) -> None:
        self.elapsed = self._base + (monotonic() - self._started_at if self._started_at is not None else 0.0)

    def watch_elapsed(self, elapsed: float) -> None:
        planned = self.planned_minutes * 60
        self.set_class(planned - self.WARN_MINUTES * 60 <= elapsed < planned, "-warning")
        self.set_class(elapsed >= planned, "-over")

    def render(self) -> Text:
        minutes, seconds = divmod(int(self.elapsed), 60)
        state = "▶" if self.running else "II"
        return Text(f"{state} {minutes:02d}:{seconds:02d} / {self.planned_minutes} min")
