"""Small modal dialogs that return through dismiss(value); they read and write nothing themselves."""

from panel_tui.dialogs.common import ConfirmDialog, MemberPicker, PanelMemberDialog, ReasonDialog
from panel_tui.dialogs.extend_reserve import ExtendReserveDialog
from panel_tui.dialogs.file_picker import FilePicker, MultiFilePicker
from panel_tui.dialogs.passphrase import PackSecret, PassphraseDialog
from panel_tui.dialogs.return_preview import ReturnPreviewDialog

__all__ = ["ConfirmDialog", "ExtendReserveDialog", "FilePicker", "MemberPicker", "MultiFilePicker", "PackSecret",
           "PanelMemberDialog", "PassphraseDialog", "ReasonDialog", "ReturnPreviewDialog"]
