"""A see-through screen shown while the next screen's data is read in a worker.

Keys typed in that moment must not reach the screen underneath (in the campaign, "d" or "x"
are commands; in the interview they are the first letters of a note): they are kept here and
replayed, in order, on the screen that follows. It shows nothing unless the read is slow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from panel_tui.warm_up import quiet

SHOW_AFTER = 0.15  # seconds: a quick read never flashes a message


class KeepsKeys:
    """For a screen waiting for data: keys typed meanwhile are kept, in order, for the screen that
    follows (``take_keys``); the app's own keys (help, quit) act at once."""

    pending_keys: list[events.Key] | None = None

    def keeping_keys(self) -> bool:
        return True

    def on_key(self, event: events.Key) -> None:
        if not self.keeping_keys() or event.key in self.app.active_bindings:  # type: ignore[attr-defined]
            return
        if self.pending_keys is None:
            self.pending_keys = []
        self.pending_keys.append(events.Key(event.key, event.character))
        event.stop()
        event.prevent_default()

    def take_keys(self) -> list[events.Key]:
        keys, self.pending_keys = self.pending_keys or [], None
        return keys


class KeyHoldScreen(KeepsKeys, ModalScreen[None]):
    CSS_PATH = "../styles/key_hold.tcss"
    AUTO_FOCUS = None  # the keys are this screen's, to keep

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(self.message, id="key-hold-message", markup=False)

    def on_mount(self) -> None:
        quiet.clear()  # the warm-up lets this screen's worker have the GIL
        self.set_timer(SHOW_AFTER, self._show_message)

    def on_unmount(self) -> None:
        quiet.set()

    def _show_message(self) -> None:
        self.query_one("#key-hold-message").display = True



def show_when_read(screen, read: Callable[..., Any], *args: Any, build: Callable[[Any], Screen], message: str,
                   title: str) -> None:
    """Read ``read(session, *args)`` in ``screen``'s service worker, then show ``build(result)``.

    Meanwhile a KeyHoldScreen keeps the keys typed, replayed on the new screen; a failure is one line
    and the screen underneath is as it was."""
    app = screen.app
    hold = KeyHoldScreen(message)
    app.push_screen(hold)

    def show(result: Any) -> None:
        if app.screen is not hold:  # gone meanwhile (the app is quitting)
            return
        new = build(result)
        keys = hold.take_keys()
        app.switch_screen(new)
        if keys:
            new.call_after_refresh(app.replay_keys, keys)

    def failed(text: str) -> None:
        if app.screen is hold:
            app.pop_screen()
        screen.notify(text, title=title, severity="error", markup=False)

    screen.run_service(read, *args, done=show, failed=failed, group="show-when-read", exclusive=True)


def show_when_imported(screen, module: str, build: Callable[[Any], Screen], message: str, title: str) -> None:
    """Show ``build(module)`` once ``module`` is imported, imported in a worker: right after start-up the
    warm-up may be importing it (and the models) in its thread, and on the UI thread the import
    would wait for that, with the screen frozen (panel_tui.warm_up)."""
    show_when_read(screen, _import, module, build=build, message=message, title=title)


def _import(_session: Any, module: str) -> Any:
    from importlib import import_module

    return import_module(module)
