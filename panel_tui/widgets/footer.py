"""The footer of every screen: Textual's Footer, without restyling each key twice as it appears.

Textual's FooterKey starts ``compact=True`` and is then bound to the footer's ``compact`` (False
unless asked): each key gains and loses the ``-compact`` class as it mounts, and each change
restyles it, 2 x 14 restyles on the campaign screen (~20-30 ms of every screen's first frame).
Here each key starts with the footer's value, so nothing changes when the binding applies.
And a footer whose screen is not on top is not composed again (Textual re-composes it when its
screen is suspended: ~15 ms of the next screen's opening); its screen's resume refreshes it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class PanelFooter(Footer):
    def compose(self) -> ComposeResult:
        compact = self.compact
        for widget in super().compose():
            # The palette key is not bound to the footer's compact: it keeps Textual's own start.
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        if screen is self.app.screen:
            super().bindings_changed(screen)
