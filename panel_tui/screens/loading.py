"""The first screen painted at start-up, while the database layer loads in a worker thread.

It is the app's default screen (the bottom of the stack), so keys typed before the data is
there land here: they are kept and replayed on the screen that replaces it, in order.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class LoadingScreen(Screen[None]):
    """Header, footer and a still "Loading" line (no animation: it would take CPU from the load)."""

    CSS_PATH = "../styles/loading.tcss"

    def __init__(self) -> None:
        super().__init__(id="loading")
        self.pending_keys: list[events.Key] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the panel's data…", id="loading-message")
        yield Footer()

    def on_key(self, event: events.Key) -> None:
        # App keys (help, quit) act now; everything else waits for the data.
        if event.key in self.app.active_bindings:
            return
        self.pending_keys.append(events.Key(event.key, event.character))
        event.stop()
        event.prevent_default()

    def on_screen_resume(self) -> None:
        # Back here with the data ready (e.g. help was open when it arrived): show it now.
        show = getattr(self.app, "show_loaded", None)
        if show is not None:
            show()

    def take_keys(self) -> list[events.Key]:
        keys, self.pending_keys = self.pending_keys, []
        return keys
