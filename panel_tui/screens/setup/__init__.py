"""The campaign set-up wizard: one screen, one widget per step (each in its own module)."""

from panel_tui.screens.setup.screen import SetupScreen

__all__ = ["SetupScreen"]
