"""The first screen painted at start-up, while the database layer loads in a worker thread.

It is the app's default screen (the bottom of the stack), so keys typed before the data is
there land here: they are kept and replayed on the screen that replaces it, in order.

For an encrypted database it also asks for the passphrase (masked), and for a new database
it offers to protect it with one (typed twice, or skipped).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

from panel_tui.screens.key_hold import KeepsKeys

MIN_PASSPHRASE = 8  # db.cipher.MIN_PASSPHRASE (not imported: the first frame loads no db code)


class _KeysLine(Widget):
    """The loading screen's keys on one line, drawn in the first frame.

    A plain Footer composes no keys until its bindings are ready and then mounts a widget per key
    (restyled twice each): two more paints while the database layer loads in the worker, taking
    the CPU from it. This line renders the same keys (the user's keymap applied, the palette key
    on the right) from the screen's active bindings at each paint; a click on a key presses it.
    """

    COMPONENT_CLASSES = {"keys-line--key", "keys-line--description", "keys-line--separator"}
    DEFAULT_CSS = """
    _KeysLine {
        width: 1fr;
        height: 1;
        .keys-line--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keys-line--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .keys-line--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, str]] = []  # (start, end, key) of each key drawn, for clicks

    def render(self) -> Text:
        app = self.app
        key_style = self.get_component_rich_style("keys-line--key")
        description_style = self.get_component_rich_style("keys-line--description")
        palette = None
        line = Text(no_wrap=True, overflow="crop")
        spans = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if app.ENABLE_COMMAND_PALETTE and binding.action == "command_palette":
                palette = binding
            if not binding.show:
                continue
            start = line.cell_len
            dim = Style() if enabled else Style(dim=True)
            line.append(f" {app.get_key_display(binding)} ", key_style + dim)
            line.append(f"{binding.description} ", description_style + dim)
            spans.append((start, line.cell_len, binding.key))
        if palette is not None:
            right = Text.assemble(("▏", self.get_component_rich_style("keys-line--separator")),
                                  (app.get_key_display(palette), key_style),
                                  (f" {palette.description} ", description_style))
            gap = self.size.width - line.cell_len - right.cell_len
            if gap > 0:
                line.append(" " * gap)
                spans.append((line.cell_len, line.cell_len + right.cell_len, palette.key))
                line.append_text(right)
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key.split(",")[0])
                return


class _LoadingFooter(Footer):
    """A Footer (same place, colours and keys) whose keys are one line drawn in the first frame and
    redrawn, not rebuilt, when the bindings change (the passphrase prompt adds Esc)."""

    def compose(self) -> ComposeResult:
        yield _KeysLine()

    def bindings_changed(self, screen: Screen) -> None:
        self.query_one(_KeysLine).refresh()

    async def recompose(self) -> None:
        pass  # the line is never rebuilt (a Footer recomposes when the app regains focus)


class LoadingScreen(KeepsKeys, Screen[None]):
    """Header, footer and a still "Loading" line (no animation: it would take CPU from the load)."""

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
        self.asking: str | None = None  # None, "open" (encrypted file) or "new" (offer to protect)
        self._first: str | None = None  # a new passphrase typed once, waiting for the second time

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the panel's data…", id="loading-message")
        yield _LoadingFooter()

    async def ask(self, label: str, error: str = "", *, new: bool = False) -> None:
        """Show the masked prompt (``new``: set a passphrase for a new database, twice, or skip)."""
        from textual.widgets import Input  # built only when asked: the usual start paints no prompt

        if not self.query("#passphrase-box"):
            await self.mount(Vertical(Static("", id="passphrase-label"),
                                      Input(password=True, id="passphrase", placeholder="passphrase", disabled=True),
                                      Static("", id="passphrase-error"), id="passphrase-box"),
                             before=self.query_one(_LoadingFooter))
        self.query_one("#loading-message", Static).display = False
        self.query_one("#passphrase-label", Static).update(label)
        self.query_one("#passphrase-error", Static).update(error)
        box = self.query_one("#passphrase-box")
        box.display = True
        field = self.query_one("#passphrase", Input)
        field.value, field.disabled = "", False
        field.focus()
        self.asking, self._first = ("new" if new else "open"), None  # set once the prompt is there
        self.refresh_bindings()

    def _done(self, passphrase: str | None, message: str) -> None:
        from textual.widgets import Input

        self.asking = None
        self.query_one("#passphrase-box").display = False
        field = self.query_one("#passphrase", Input)
        field.value, field.disabled = "", True
        loading = self.query_one("#loading-message", Static)
        loading.update(message)
        loading.display = True
        self.post_message(self.Passphrase(passphrase))

    def on_input_submitted(self, event) -> None:  # the prompt's Input (imported only when asked)
        if event.input.id != "passphrase":
            return
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

    def keeping_keys(self) -> bool:
        return self.asking is None  # the passphrase prompt's keys are its own

    def on_screen_resume(self) -> None:
        # Back here with the data ready (e.g. help was open when it arrived): show it now.
        show = getattr(self.app, "show_loaded", None)
        if show is not None:
            show()

