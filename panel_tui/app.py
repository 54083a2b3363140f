"""The App: screens, global bindings, command palette, theme.

Start-up from the CLI is lazy: the app paints a loading screen first, and SQLAlchemy, the
models and the database file are loaded in a thread worker (see PanelApp.on_mount). An encrypted
file's passphrase is asked for on that screen and its key derived in the worker; once open, an
encrypted database locks after PANEL_TUI_LOCK_MINUTES (default 10) without a key or a click.
"""

from __future__ import annotations

import inspect
import os
from functools import partial
from pathlib import Path, PurePath
from time import monotonic
from typing import TYPE_CHECKING, Any, Callable, Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from panel_tui import gc_pause

WARM_UP_AFTER = 0.3  # seconds after the first screen's rows are drawn (see _when_first_screen_loaded)

if TYPE_CHECKING:
    from db.engine import Database


class PanelApp(App[None]):
    # loading.tcss here, not on LoadingScreen: the default screen's own CSS_PATH is never loaded by Textual.
    CSS_PATH = ["styles/app.tcss", "styles/loading.tcss"]
    TITLE = "panel-tui"

    HELP_TITLE = "Everywhere"
    BINDINGS = [
        Binding("f1", "help", "Help", tooltip="Show every key", id="app.help"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Save everything and quit", id="app.quit"),
        Binding("ctrl+p", "command_palette", "palette", show=False, priority=True, tooltip="Jump to a candidate or item, run any command",
                id="app.command_palette"),
    ]
    # The keymap applied from the user's keymap.toml (binding id -> keys); the help screen shows it.
    user_keymap: dict[str, str] = {}
    # Actions that would show data from under the idle lock.
    LOCKED_OUT = frozenset({"help", "command_palette", "campaigns", "frameworks"})

    def __init__(
        self,
        database: Database | None = None,
        *,
        db_url: str | None = None,
        db_path: str | None = None,
        demo: bool = False,
        open_campaign: str | None = None,
        passphrase: str | None = None,
        offer_protection: bool = False,
        lock_minutes: float | None = None,
    ) -> None:
        """The app from its dependencies; the CLI and tests build it through ``make_app``.

        With an opened ``database`` the first screen is built at mount. Without one (the CLI), the app
        paints a loading screen and opens the database given by ``db_url`` / ``db_path`` (else the
        environment, else the default file) in a thread worker; a file it cannot open ends the app
        with ``startup_error`` set and return code 1.

        An encrypted file is opened with ``passphrase``, else PANEL_TUI_PASSPHRASE, else the loading
        screen asks; ``offer_protection`` offers a passphrase when the file is new (the CLI, not the demo).
        ``lock_minutes`` overrides PANEL_TUI_LOCK_MINUTES (0: never lock).
        """
        super().__init__()
        self.database = database
        # Without a database: where to open one (resolved in the worker, as the CLI would).
        self.db_url, self.db_path = db_url, db_path
        self.demo = demo
        self.open_campaign = open_campaign
        self.passphrase = passphrase  # given up front (--db-passphrase-file); else the environment, else asked
        self.offer_protection = offer_protection  # a new database (not the demo's): offer a passphrase
        self.lock_minutes = lock_minutes
        self.locked = False
        self._last_input = monotonic()
        self.startup_error: str | None = None
        """One line for stderr when the database could not be opened (the CLI prints it after exit)."""
        self._first_campaign: int | None = None
        self._first_screen_due = False  # loaded, first screen not shown yet
        self._first_view: tuple | None = None  # the first campaign's view and rows, read by the start-up worker
        self._held_keys: list[events.Key] | None = None  # preloaded: keys held until the first screen has its rows
        self.warm_up_thread = None  # panel_tui.warm_up.start's, once the first screen is drawn

    def get_driver_class(self):
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver":  # not on Windows, nor a driver named in TEXTUAL_DRIVER
            from panel_tui.terminal import PanelDriver

            return PanelDriver
        return driver

    def get_default_screen(self) -> Screen:
        if self.database is not None:
            return super().get_default_screen()
        from panel_tui.screens.loading import LoadingScreen

        return LoadingScreen()

    def on_mount(self) -> None:
        if self.database is None:
            return  # the loading screen is the default screen; on_ready starts the load
        if not self._first_screen_due:  # a database given (tests); preload found the first screen itself
            self._first_campaign, self._first_screen_due = self._start_campaign(self.database)[0], True
        self.show_loaded()
        self._start_idle_lock()

    def preload(self, before_open: Callable[[], None] | None = None) -> None:
        """Open the database and read the first screen now, before ``run`` (the CLI, behind
        panel_tui.splash): Textual's first frame is then that screen with its rows, and keys typed
        meanwhile are held until they are drawn. A file that needs the passphrase prompt is left to
        the loading screen (the app then starts without a database); one that cannot be opened
        sets ``startup_error`` (the CLI prints it and does not run the app). ``before_open`` runs
        just before the file is opened, its modules imported (panel_tui.first_run waits there)."""

        def send(callback, *args) -> bool:
            if callback == self._failed:
                self.startup_error = args[0]
            elif callback == self._loaded:
                self.database, self._first_campaign, self._first_view = args
                self._first_screen_due, self._held_keys = True, []
            return True  # (_ask: the loading screen asks, once the app runs)

        self._load(send=send, before_open=before_open)

    def on_ready(self) -> None:
        # Ready = the first frame (header, footer, "loading") is on the terminal. Only now load the
        # database layer in a thread: started earlier, its imports would share the GIL with that paint.
        if self.database is None:
            self.run_worker(self._load, thread=True, group="startup")
            # The collector resumes once the first screen has its data; at the latest after 10 s (a
            # passphrase prompt, or help opened while loading, can keep the first screen waiting).
            self.set_timer(10.0, gc_pause.resume)

    def _start_campaign(self, database: Database, *, read_first: bool = False) -> tuple[int | None, Any]:
        """The campaign to open on and, with ``read_first``, what its screen shows first (open_first)."""
        from db.campaign_view import open_first

        return open_first(database, demo=self.demo, key=self.open_campaign, read_first=read_first)

    def _load(self, passphrase: str | None = None, typed: bool = False, send=None, before_open=None) -> None:
        """Thread worker: open the database and find the first campaign, off the UI thread.

        ``typed``: ``passphrase`` came from the prompt (None then means "a new database, unprotected").
        ``send(callback, *args)`` hands each outcome to the app (default: to the UI thread; preload's own).
        """
        send = send or self._from_thread
        from db.cipher import PASSPHRASE_ENV, PassphraseNeeded, WrongPassphrase
        from db.engine import file_state, open_database, resolve_url
        from db.errors import PanelError

        if before_open is not None:
            before_open()
        url = resolve_url(self.db_url, self.db_path)
        if not typed:
            state = file_state(url)
            passphrase = self.passphrase or (os.environ.get(PASSPHRASE_ENV) if state != "server" else None) or None
            if passphrase is None and state == "encrypted":
                send(self._ask, "", False)
                return
            if passphrase is None and state == "new" and self.offer_protection:
                send(self._ask, "", True)
                return
        on_create = _make_demo if self.demo else None  # a new file gets the demo in the transaction that creates it
        try:
            # The key derivation runs here, in the worker.
            database = open_database(url, passphrase=passphrase, on_create=on_create)
        except (WrongPassphrase, PassphraseNeeded) as exc:
            if typed:  # a mistyped passphrase: ask again
                send(self._ask, str(exc), False)
            else:  # the environment's or the file's passphrase is wrong: one line, as the CLI says it
                send(self._failed, str(exc))
            return
        except PanelError as exc:
            send(self._failed, str(exc))
            return
        try:
            # The first screen's module (and what it imports) is loaded here too, not on the UI thread,
            # and so are the campaign screen's rows: it shows them at mount, with no second round trip.
            campaign_id, first = self._start_campaign(database, read_first=True)
            if campaign_id is None:
                import panel_tui.screens.campaigns  # noqa: F401  (the list's rows are in first)
        except PanelError as exc:
            database.dispose()
            send(self._failed, str(exc))
            return
        if not send(self._loaded, database, campaign_id, first):
            database.dispose()

    async def _ask(self, error: str, new: bool) -> None:
        from panel_tui.screens.loading import LoadingScreen

        loading = self.screen_stack[0]
        if not isinstance(loading, LoadingScreen):  # pragma: no cover - the loading screen is always first
            return
        if new:
            label = ("A new database: choose a passphrase to protect it (a lost laptop then reveals nothing); "
                     "at least 8 characters, typed twice. Esc: no passphrase.")
        else:
            where = self.db_path or self.db_url or "the database"
            label = f"{where} is encrypted. Passphrase (Esc quits):"
        await loading.ask(label, error, new=new)

    def on_loading_screen_passphrase(self, message) -> None:
        self.run_worker(partial(self._load, message.passphrase, True), thread=True, group="startup")

    def _from_thread(self, callback, *args) -> bool:
        # Posted (thread-safe) and not waited for: a worker never waits for the UI loop.
        # False: the app has closed meanwhile.
        return self.call_later(callback, *args)

    def _failed(self, message: str) -> None:
        self.startup_error = message
        self.exit(return_code=1)

    def _loaded(self, database: Database, campaign_id: int | None, first: tuple | None = None) -> None:
        self.database = database
        self._first_campaign, self._first_screen_due = campaign_id, True
        self._first_view = first
        self.show_loaded()
        self._first_view = None  # shown later (help was open): the screen reads fresh rows itself then
        self._start_idle_lock()

    # --- the idle lock (encrypted databases only) -------------------------------------------

    def lock_seconds(self) -> float:
        """Idle seconds before the lock (0: never): make_app's lock_minutes, else PANEL_TUI_LOCK_MINUTES, else 10."""
        minutes = self.lock_minutes
        if minutes is None:
            raw = os.environ.get("PANEL_TUI_LOCK_MINUTES", "").strip()
            try:
                minutes = float(raw) if raw else 10.0
            except ValueError:
                self.notify(f"PANEL_TUI_LOCK_MINUTES={raw!r} is not a number: locking after 10 minutes",
                            title="Lock", severity="warning", markup=False)
                minutes = 10.0
        return max(minutes, 0.0) * 60

    def _start_idle_lock(self) -> None:
        if self.database is None or self.database.key is None:
            return
        seconds = self.lock_seconds()
        if seconds <= 0:
            return
        self._last_input = monotonic()
        self.set_interval(min(max(seconds / 4, 0.05), 5.0), partial(self._check_idle, seconds), name="idle-lock")

    def _check_idle(self, seconds: float) -> None:
        if not self.locked and monotonic() - self._last_input >= seconds:
            self.lock()

    def lock(self) -> None:
        """Hide everything behind the lock screen until the passphrase is typed again."""
        from panel_tui.screens.lock import LockScreen

        if self.locked or self.database is None or self.database.key is None:
            return
        self.locked = True
        self.push_screen(LockScreen(self.database.key), callback=self._unlocked)

    def _unlocked(self, _result: object = None) -> None:
        self.locked = False
        self._last_input = monotonic()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not isinstance(event, events.MouseMove):
            self._last_input = monotonic()  # any key or click keeps the app unlocked
        if self._held_keys is not None and isinstance(event, events.Key):
            # Typed before the first screen had its rows (e.g. behind the splash): replayed then, in order.
            self._held_keys.append(events.Key(event.key, event.character))
            return
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked and action in self.LOCKED_OUT:
            return False
        return True

    def show_loaded(self) -> None:
        """Show the first real screen once loaded, if the loading screen is on top (else when it is again),
        and replay the keys typed while loading on it."""
        if not self._first_screen_due or self.screen.id not in ("loading", "_default"):
            return
        self._first_screen_due = False
        campaign_id = self._first_campaign
        keys = getattr(self.screen, "take_keys", list)()
        if campaign_id is not None:
            # Open straight on the campaign; the campaigns list is built only when it is wanted.
            from panel_tui.screens.campaign import CampaignScreen

            first, self._first_view = self._first_view, None
            screen: Screen = CampaignScreen(self.database, campaign_id, first)
        else:
            from panel_tui.screens.campaigns import CampaignsScreen

            first, self._first_view = self._first_view, None
            screen = CampaignsScreen(self.database, first)
        self.push_screen(screen)
        screen.call_after_refresh(self._when_first_screen_loaded, screen, keys)

    def _when_first_screen_loaded(self, screen: Screen, keys: list[events.Key]) -> None:
        # The screen reads its rows in a worker: a "down" typed while loading needs them there.
        if any(w.node is screen and not w.is_finished for w in self.workers):
            self.set_timer(0.02, lambda: self._when_first_screen_loaded(screen, keys))
            return
        keys, self._held_keys = keys + (self._held_keys or []), None
        if keys:
            self.replay_keys(keys)
        # Once those rows are on the terminal, what the next keys need is loaded behind them
        # (panel_tui.warm_up); start-up is over then, and the garbage collector resumes. A moment
        # later, not at once: Textual's writer thread is still sending that frame, and would share
        # the GIL with the imports.
        screen.call_after_refresh(self.set_timer, WARM_UP_AFTER, self._warm_up)

    def _warm_up(self) -> None:
        from panel_tui.warm_up import start

        # Posted: the thread does not wait for the UI loop.
        self.warm_up_thread = start(then=lambda: self.call_later(self.load_screen_styles))

    def load_screen_styles(self) -> None:
        """Read the .tcss files of the screens the warm-up imported, now, while the panel reads the
        first screen: their first opening then has no stylesheet to read (parsed once, here)."""
        from panel_tui.warm_up import screen_classes

        self._add_screen_styles([path for cls in screen_classes() for path in _css_paths(cls)])

    def _load_screen_css(self, screen: Screen) -> None:
        # Textual's own way re-parses every source into a fresh stylesheet each time a screen brings a
        # CSS file: 30-40 ms of CPU on the first opening of each screen (consolidation, outcomes...).
        # The other sources have not changed, so only the new file is parsed (Stylesheet.parse keeps
        # each source's rules) and the styles are updated once. (textual is pinned: see pyproject.)
        if screen.CSS or self.css_monitor is not None:
            super()._load_screen_css(screen)
        else:
            self._add_screen_styles(screen.css_path)

    def _add_screen_styles(self, paths) -> None:
        new = [path for path in paths if not self.stylesheet.has_source(str(path), "")]
        if not new:
            return
        for path in new:
            self.stylesheet.read(path)
        self.stylesheet.parse()
        self.stylesheet.update(self)

    def replay_keys(self, keys: list[events.Key]) -> None:
        # One at a time, each after the screen has caught up with the previous one (a key may open a screen).
        self.post_message(keys[0])
        if keys[1:]:
            self.call_after_refresh(self.replay_keys, keys[1:])

    def action_campaigns(self) -> None:
        """Back to the campaigns list (built now if the app opened on a campaign)."""
        from panel_tui.screens.campaigns import CampaignsScreen

        if self.database is None:  # still loading (e.g. from the palette): the first screen is on its way
            return
        if len(self.screen_stack) > 2:
            self.pop_screen()
        else:
            self.switch_screen(CampaignsScreen(self.database))

    def action_frameworks(self) -> None:
        from panel_tui.screens.frameworks import FrameworksScreen

        if self.database is None:  # still loading
            return
        own = getattr(self.screen, "action_frameworks", None)
        if own is not None:  # a campaign's screen opens its own framework at its level
            own()
        elif not isinstance(self.screen, FrameworksScreen):
            self.push_screen(FrameworksScreen(self.database))

    def on_load(self) -> None:
        """Apply the user's keymap.toml before any screen is built (one warning line per problem)."""
        from panel_tui.keymap import read_keymap

        self.user_keymap, warnings = read_keymap()
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        for warning in warnings:
            self.call_later(self.notify, warning, title="Keymap", severity="warning", markup=False, timeout=10)

    def action_help(self) -> None:
        from panel_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen([type(screen) for screen in reversed(self.screen_stack)]))

    def flush_all(self) -> None:
        """Save any unsaved evidence on every open interview screen."""
        for screen in self.screen_stack:
            flush = getattr(screen, "flush", None)
            if flush is not None:
                flush()

    async def action_quit(self) -> None:
        # An interview quits the app itself once its notes are saved, showing that it waits.
        for screen in self.screen_stack:
            if getattr(screen, "quit_when_saved", None) is not None and screen.quit_when_saved():
                return
        self.flush_all()
        self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Framework browser", "Browse competencies and behaviours by level", self.action_frameworks)
        yield SystemCommand("Keys and help", "Every key, screen by screen", self.action_help)
        commands = getattr(screen, "palette_commands", None)
        if commands is not None:
            for title, help_text, callback in commands():
                yield SystemCommand(title, help_text, callback)


def _make_demo(session) -> None:
    # Imported only when a new file is made: opening one that has the demo reads it through Core.
    from db.demo import ensure_demo

    ensure_demo(session)


def _css_paths(cls: type[Screen]) -> list[Path]:
    """A screen class's CSS files, resolved as Textual resolves them (relative to its module)."""
    paths = [cls.CSS_PATH] if isinstance(cls.CSS_PATH, (str, PurePath)) else list(cls.CSS_PATH or ())
    here = Path(inspect.getfile(cls)).parent
    return [(here / path).resolve() for path in paths]


# The factory the CLI and tests use: the constructor itself (its docstring says what each argument does).
make_app = PanelApp
