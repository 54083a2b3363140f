"""The help screen: every key, screen by screen, built from the bindings themselves.

Nothing here is a copy of a key: each section lists its screen class's BINDINGS
(description, then the key as it is now, after the user's keymap.toml), so the
help cannot drift from what the keys do. It opens at the section of the screen
it was opened from.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from panel_tui.keymap import KEYMAP_FILE, Section, config_dir, sections

INTRO = (
    "Every key of each screen, with what it does. Every command is also in the command palette (ctrl+p), "
    "and the mouse works too. Keys can be changed in {file} (README: Keys)."
)

# A line or two that a key list cannot say.
NOTES = {
    "interview": "Typing goes into the evidence notes; esc leaves them so one-key commands work. "
    "Notes, tags, STAR marks and scores are saved as you type.",
    "consolidation": "Other members' scores for a candidate stay hidden until you have submitted your own.",
}


def key_text(app, binding: Binding, keymap: dict[str, str]) -> str:
    """The keys that run ``binding`` now: the keymap's if it moved them, else the binding's own."""
    if binding.id and binding.id in keymap:
        keys = keymap[binding.id].split(",")
        return " / ".join(app.get_key_display(binding.with_key(k, key_display=None)) for k in keys)
    if binding.key_display:
        return binding.key_display
    return " / ".join(app.get_key_display(binding.with_key(k, key_display=None)) for k in binding.key.split(","))


def section_text(app, section: Section, keymap: dict[str, str]) -> Text:
    rows = [(key_text(app, b, keymap), b.description, b.id) for b in section.bindings if b.description]
    width = max((len(key) for key, _, _ in rows), default=0)
    text = Text()
    for n, (key, description, binding_id) in enumerate(rows):
        text.append(("\n" if n else "") + key.ljust(width + 2), style="bold")
        text.append(description)
        if binding_id:
            text.append(f"  {binding_id}", style="dim")  # the name to use in keymap.toml
    if note := NOTES.get(section.key):
        text.append("\n" + note, style="italic")
    return text


class HelpScreen(ModalScreen[None]):
    """``HelpScreen(screen classes, top first)``: opens at the first one that has a section."""

    HELP_TITLE = "Help"
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, stack: list[type] | None = None) -> None:
        super().__init__()
        self.stack = stack or []
        self.sections = sections()

    def current_section(self) -> str:
        for screen_class in self.stack:
            for section in self.sections:
                if screen_class in section.classes:
                    return section.key
        return "app"

    def compose(self) -> ComposeResult:
        keymap = getattr(self.app, "user_keymap", {}) or {}
        current = self.current_section()
        with VerticalScroll(id="help"):
            yield Static(Text(INTRO.format(file=config_dir() / KEYMAP_FILE)), classes="help-intro")
            for section in self.sections:
                title = section.title + ("  (this screen)" if section.key == current else "")
                yield Label(Text(title), classes="help-title", id=f"help-title-{section.key}")
                yield Static(section_text(self.app, section, keymap), classes="help-keys", id=f"help-{section.key}")

    def on_mount(self) -> None:
        current = self.current_section()
        self.query_one(f"#help-title-{current}").add_class("-current")
        # Opened from a screen: start at its keys (the title line at the top).
        self.call_after_refresh(self._scroll_to, current)

    def _scroll_to(self, key: str) -> None:
        self.query_one("#help", VerticalScroll).scroll_to_widget(
            self.query_one(f"#help-title-{key}"), animate=False, top=True
        )
