"""The App: screens, global bindings, command palette, theme."""

from __future__ import annotations

from typing import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from db.engine import Database


class PanelApp(App[None]):
    CSS_PATH = "styles/app.tcss"
    TITLE = "panel-tui"

    BINDINGS = [
        Binding("f1", "help", "Help", tooltip="Show every key"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Save everything and quit"),
    ]

    def __init__(self, database: Database, *, demo: bool = False, open_campaign: str | None = None) -> None:
        super().__init__()
        self.database = database
        self.demo = demo
        self.open_campaign = open_campaign

    def on_mount(self) -> None:
        from panel_tui.screens.campaigns import CampaignsScreen  # noqa: F401 (cheap; used below)

        key = self.open_campaign
        if self.demo:
            from db.demo import ensure_demo

            with self.database.session() as session:
                key = ensure_demo(session).key
        if key:
            # Open straight on the campaign; the campaigns list is built only when it is wanted.
            from db.campaigns import get_campaign
            from panel_tui.screens.campaign import CampaignScreen

            with self.database.session() as session:
                campaign_id = get_campaign(session, key).id
            self.push_screen(CampaignScreen(self.database, campaign_id))
        else:
            self.push_screen(CampaignsScreen(self.database))

    def action_campaigns(self) -> None:
        """Back to the campaigns list (built now if the app opened on a campaign)."""
        from panel_tui.screens.campaigns import CampaignsScreen

        if len(self.screen_stack) > 2:
            self.pop_screen()
        else:
            self.switch_screen(CampaignsScreen(self.database))

    def action_frameworks(self) -> None:
        from panel_tui.screens.frameworks import FrameworksScreen

        if not isinstance(self.screen, FrameworksScreen):
            self.push_screen(FrameworksScreen(self.database))

    def action_help(self) -> None:
        from panel_tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

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


def make_app(database: Database, *, demo: bool = False, open_campaign: str | None = None) -> PanelApp:
    """Build the app from its dependencies; tests use the same factory."""
    return PanelApp(database, demo=demo, open_campaign=open_campaign)
