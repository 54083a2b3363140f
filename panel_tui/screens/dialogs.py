"""Kept so older imports work: the dialogs live in panel_tui.dialogs."""

from panel_tui.dialogs import ConfirmDialog, MemberPicker, PanelMemberDialog, ReasonDialog

__all__ = ["ConfirmDialog", "MemberPicker", "PanelMemberDialog", "ReasonDialog"]
