"""The interview's evidence editor."""

from __future__ import annotations

from typing import Callable

from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import TextArea


class NotesEditor(TextArea):
    """The evidence editor. Per key it tells the screen directly (no messages up the tree): that a
    key is coming, so held updates share its frame, and that the text changed."""

    _after_render: Callable[[], None] | None = None

    def on_key(self) -> None:
        # Runs before TextArea's own key handler (subclass first), in the same turn: one frame.
        key_typed = getattr(self.screen, "key_typed", None)
        if key_typed is not None:
            key_typed()

    def after_next_render(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when this editor is next rendered: in the frame that shows the key being
        handled. (call_after_refresh is no such hook: its callback can run before the editor's update
        reaches the screen, so before that frame.)"""
        self._after_render = callback

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        callback, self._after_render = self._after_render, None
        if callback is not None:
            callback()
        return lines

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()  # the screen is the only listener: told here, without four more dispatches a key
        notes_changed = getattr(self.screen, "notes_changed", None)
        if notes_changed is not None:
            notes_changed()

    def on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        event.stop()  # nobody above listens for the cursor moving
