"""A see-through screen shown while the next screen's data is read in a worker.

Keys typed in that moment must not reach the screen underneath (in the campaign, "d" or "x"
are commands; in the interview they are the first letters of a note): they are kept here and
replayed, in order, on the screen that follows. It shows nothing unless the read is slow.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

SHOW_AFTER = 0.15  # seconds: a quick read never flashes a message


class KeyHoldScreen(ModalScreen[None]):
    CSS_PATH = "../styles/key_hold.tcss"
    AUTO_FOCUS = None  # the keys are this screen's, to keep

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
        self.pending_keys: list[events.Key] = []

    def compose(self) -> ComposeResult:
        yield Static(self.message, id="key-hold-message", markup=False)

    def on_mount(self) -> None:
        self.set_timer(SHOW_AFTER, self._show_message)

    def _show_message(self) -> None:
        self.query_one("#key-hold-message").display = True

    def on_key(self, event: events.Key) -> None:
        if event.key in self.app.active_bindings:  # app keys (quit, help) act now
            return
        self.pending_keys.append(events.Key(event.key, event.character))
        event.stop()
        event.prevent_default()

    def take_keys(self) -> list[events.Key]:
        keys, self.pending_keys = self.pending_keys, []
        return keys
