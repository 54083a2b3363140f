"""The first screen painted at start-up, while the database layer loads in a worker thread.

It is the app's default screen (the bottom of the stack), so keys typed before the data is
there land here: they are kept and replayed on the screen that replaces it, in order.

For an encrypted database it also asks for the passphrase (masked), and for a new database
it offers to protect it with one (typed twice, or skipped).
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

MIN_PASSPHRASE = 8  # db.cipher.MIN_PASSPHRASE (not imported: the first frame loads no db code)


class _LoadingFooter(Footer):
    """A footer that does not rebuild its keys while covered: the first real screen is pushed right
    after a bindings change here, and a plain Footer would recompose (~50 ms) just as that screen is
    drawn. Back on top, the screen's resume refreshes its bindings, and so this footer."""

    async def recompose(self) -> None:
        if self.app.screen is self.screen:  # (is_current also counts it as a background screen)
            await super().recompose()


class LoadingScreen(Screen[None]):
    """Header, footer and a still "Loading" line (no animation: it would take CPU from the load)."""

    CSS_PATH = "../styles/loading.tcss"
    AUTO_FOCUS = None  # keys typed while loading are the screen's, to replay (the prompt is focused when shown)
    HELP_TITLE = "Start-up"
    BINDINGS = [
        Binding("escape", "cancel", "Quit", tooltip="Quit (or, for a new database, skip the passphrase)",
                id="loading.cancel"),
    ]

    class Passphrase(Message):
        """The panellist gave a passphrase (None: a new database left unprotected)."""

        def __init__(self, passphrase: str | None) -> None:
            super().__init__()
            self.passphrase = passphrase

    def __init__(self) -> None:
        super().__init__(id="loading")
        self.pending_keys: list[events.Key] = []
        self.asking: str | None = None  # None, "open" (encrypted file) or "new" (offer to protect)
        self._first: str | None = None  # a new passphrase typed once, waiting for the second time

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the panel's data…", id="loading-message")
        with Vertical(id="passphrase-box"):
            yield Static("", id="passphrase-label")
            yield Input(password=True, id="passphrase", placeholder="passphrase", disabled=True)
            yield Static("", id="passphrase-error")
        yield _LoadingFooter()

    def ask(self, label: str, error: str = "", *, new: bool = False) -> None:
        """Show the masked prompt (``new``: set a passphrase for a new database, twice, or skip)."""
        self.asking, self._first = ("new" if new else "open"), None
        self.query_one("#loading-message", Static).display = False
        self.query_one("#passphrase-label", Static).update(label)
        self.query_one("#passphrase-error", Static).update(error)
        box = self.query_one("#passphrase-box")
        box.display = True
        field = self.query_one("#passphrase", Input)
        field.value, field.disabled = "", False
        field.focus()
        self.refresh_bindings()

    def _done(self, passphrase: str | None, message: str) -> None:
        self.asking = None
        self.query_one("#passphrase-box").display = False
        field = self.query_one("#passphrase", Input)
        field.value, field.disabled = "", True
        loading = self.query_one("#loading-message", Static)
        loading.update(message)
        loading.display = True
        self.post_message(self.Passphrase(passphrase))

    @on(Input.Submitted, "#passphrase")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value, field = event.value, event.input
        error = self.query_one("#passphrase-error", Static)
        if self.asking == "open":
            if value:
                self._done(value, "Checking the passphrase…")
            return
        if self._first is None:
            if len(value) < MIN_PASSPHRASE:
                error.update(f"A passphrase needs at least {MIN_PASSPHRASE} characters (Esc: no passphrase).")
                return
            self._first, field.value = value, ""
            self.query_one("#passphrase-label", Static).update("Type the same passphrase again:")
            error.update("")
            return
        if value != self._first:
            self._first, field.value = None, ""
            self.query_one("#passphrase-label", Static).update("Choose a passphrase for the new database:")
            error.update("The two passphrases differ; choose one again.")
            return
        self._done(value, "Creating the encrypted database…")

    def action_cancel(self) -> None:
        if self.asking == "new":
            self._done(None, "Creating the database…")
        else:
            self.app.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.asking is not None
        return True

    def on_key(self, event: events.Key) -> None:
        # App keys (help, quit) act now; everything else waits for the data (unless it is the passphrase).
        if self.asking is not None or event.key in self.app.active_bindings:
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
