"""The interview's evidence editor."""

from __future__ import annotations

from textual.widgets import TextArea


class NotesEditor(TextArea):
    """The evidence editor. Per key it tells the screen directly (no messages up the tree): that a
    key is coming, so held updates share its frame, and that the text changed."""

    def on_key(self) -> None:
        # Runs before TextArea's own key handler (subclass first), in the same turn: one frame.
        key_typed = getattr(self.screen, "key_typed", None)
        if key_typed is not None:
            key_typed()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()  # the screen is the only listener: told here, without four more dispatches a key
        notes_changed = getattr(self.screen, "notes_changed", None)
        if notes_changed is not None:
            notes_changed()

    def on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        event.stop()  # nobody above listens for the cursor moving
