"""Small modal dialogs that return through dismiss(value); they read and write nothing themselves.

The names below are imported from their module on first use (module ``__getattr__``): the campaign
screen, the first screen at start-up, needs only the common ones, and the return preview alone
would otherwise load the whole exchange package (~100 ms) before the data shows.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_MODULES = {
    "ConfirmDialog": "common", "MemberPicker": "common", "PanelMemberDialog": "common", "ReasonDialog": "common",
    "ExtendReserveDialog": "extend_reserve",
    "FilePicker": "file_picker", "MultiFilePicker": "file_picker",
    "PackSecret": "passphrase", "PassphraseDialog": "passphrase",
    "ReturnPreviewDialog": "return_preview",
}

__all__ = ["ConfirmDialog", "ExtendReserveDialog", "FilePicker", "MemberPicker", "MultiFilePicker", "PackSecret",
           "PanelMemberDialog", "PassphraseDialog", "ReasonDialog", "ReturnPreviewDialog"]  # = sorted(_MODULES)

if TYPE_CHECKING:
    from panel_tui.dialogs.common import ConfirmDialog, MemberPicker, PanelMemberDialog, ReasonDialog
    from panel_tui.dialogs.extend_reserve import ExtendReserveDialog
    from panel_tui.dialogs.file_picker import FilePicker, MultiFilePicker
    from panel_tui.dialogs.passphrase import PackSecret, PassphraseDialog
    from panel_tui.dialogs.return_preview import ReturnPreviewDialog


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


def __dir__() -> list[str]:
    return [*globals(), *__all__]
