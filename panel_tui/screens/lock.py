"""The idle lock: after some minutes without a key or a click, an encrypted database's app hides
everything behind this screen until its passphrase is typed again.

It covers the whole app (an opaque modal); the screens beneath keep running, so an interview's
save queue goes on saving what was typed before the lock.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class LockScreen(ModalScreen[None]):
    """Masked passphrase prompt; checked against the open file's key off the UI thread."""

    CSS_PATH = "../styles/lock.tcss"
    HELP_TITLE = "Locked"

    def __init__(self, key) -> None:
        super().__init__(id="lock")
        self._key = key  # db.cipher.FileKey of the open database

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static("panel-tui is locked", id="lock-title")
            yield Static("Type the database passphrase to go on (Ctrl+Q saves everything and quits).", id="lock-label")
            yield Input(password=True, id="lock-passphrase", placeholder="passphrase")
            yield Static("", id="lock-error")

    def on_mount(self) -> None:
        self.query_one("#lock-passphrase", Input).focus()

    @on(Input.Submitted, "#lock-passphrase")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value:
            event.input.disabled = True
            self.query_one("#lock-error", Static).update("Checking…")
            self._check(event.value)

    @work(thread=True, exclusive=True, group="unlock")
    def _check(self, passphrase: str) -> None:
        # The key derivation takes 0.2-0.4 s: never on the UI thread.
        ok = self._key.matches(passphrase)
        self.call_later(self._checked, ok)  # posted (thread-safe): the worker never waits for the UI loop

    def _checked(self, ok: bool) -> None:
        if ok:
            self.dismiss()
            return
        field = self.query_one("#lock-passphrase", Input)
        field.value, field.disabled = "", False
        field.focus()
        self.query_one("#lock-error", Static).update("Wrong passphrase; try again.")
