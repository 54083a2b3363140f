"""Kept so older imports work: the file picker lives in panel_tui.dialogs."""

from panel_tui.dialogs import FilePicker

__all__ = ["FilePicker"]
