"""Indicators for one element at one level: effective and ineffective side by side, or example behaviours.

The panellist can tag the highlighted indicator as seen (+) or contrary (-).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

# Distinct signs (not only colours): + seen, - contrary, as the keys that set them.
TAG_MARK = {"seen": ("+ ", "bold green"), "contrary": ("− ", "bold red")}
COLUMN_TITLES = {"effective": "Effective", "ineffective": "Ineffective", "example": "Example behaviours"}


class IndicatorList(OptionList):
    """One column of indicators."""

    def watch_show_vertical_scrollbar(self) -> None:
        # OptionList wraps its options once, at the width it has then; a scrollbar appearing later
        # narrows them without a resize, and the last words of long indicators went under it.
        self._clear_caches()


class IndicatorPanel(Vertical):
    DEFAULT_CSS = """
    IndicatorPanel { height: 1fr; }
    IndicatorPanel > #indicator-title { height: 1; text-style: bold; padding: 0 1; }
    IndicatorPanel Horizontal { height: 1fr; }
    IndicatorPanel IndicatorList { width: 1fr; height: 1fr; }
    IndicatorPanel .column { width: 1fr; }
    IndicatorPanel .column-title { padding: 0 1; color: $text-muted; }
    """

    # Not in the footer (it keeps the screen's essential keys): the title says how to tag while here.
    BINDINGS = [
        Binding("plus,equals_sign", "tag('seen')", "Seen", show=False, tooltip="Tag the highlighted indicator as positive evidence"),
        Binding("minus", "tag('contrary')", "Contrary", show=False, tooltip="Tag the highlighted indicator as negative evidence"),
    ]
    TAG_HINT = "+ seen  − contrary  Enter seen · "

    @dataclass
    class IndicatorTagged(Message):
        """An indicator's tag changed (tag None = untagged)."""

        panel: "IndicatorPanel"
        indicator_id: int
        tag: str | None

        @property
        def control(self) -> "IndicatorPanel":
            return self.panel

    def __init__(self, *, taggable: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.taggable = taggable
        self.tags: dict[int, str] = {}
        self._texts: dict[int, str] = {}
        self._kinds: tuple[str, ...] = ()
        self._shows = 0  # each show() counts: a fill scheduled by an older one is dropped
        self._title = ""

    def compose(self) -> ComposeResult:
        yield Label("", id="indicator-title")
        yield Horizontal(id="indicator-columns")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "tag":
            return self.taggable
        return True

    def show(self, title: str, indicators: Sequence, tags: dict[int, str] | None = None, *, taggable: bool = True) -> None:
        """Show ``indicators`` (objects with id, kind, text) under ``title``."""
        self._shows += 1
        self.taggable = taggable
        self.tags = dict(tags or {})
        self._texts = {i.id: i.text for i in indicators}
        self._title = title
        self._show_title()
        kinds = tuple(k for k in ("effective", "ineffective", "example") if any(i.kind == k for i in indicators))
        columns = self.query_one("#indicator-columns", Horizontal)
        if kinds != self._kinds:
            columns.remove_children()
            columns.mount_all(
                Vertical(Label(COLUMN_TITLES[k], classes="column-title"), IndicatorList(id=f"ind-{k}"), classes="column")
                for k in kinds
            )
            self._kinds = kinds
            self.call_after_refresh(self._fill, indicators, self._shows)
        elif not all(lst.is_mounted for lst in columns.query(IndicatorList)):
            # Columns of an earlier show still mounting: fill once they are (measured at their width).
            self.call_after_refresh(self._fill, indicators, self._shows)
        else:
            self._fill(indicators, self._shows)
        if not kinds:
            self._title = f"{title}: no indicators"
            self._show_title()
        self.refresh_bindings()

    def _show_title(self) -> None:
        tagging = self.taggable and isinstance(self.screen.focused, IndicatorList) if self.is_mounted else False
        self.query_one("#indicator-title", Label).update((self.TAG_HINT if tagging else "") + self._title)

    def on_descendant_focus(self) -> None:
        self._show_title()

    def on_descendant_blur(self) -> None:
        self._show_title()

    def _fill(self, indicators: Sequence, show: int) -> None:
        if show != self._shows:
            return  # shown again before the new columns were mounted: that later show fills them
        for kind in self._kinds:
            option_list = self.query_one(f"#ind-{kind}", IndicatorList)
            option_list.clear_options()
            option_list.add_options(Option(self._prompt(i.id), id=str(i.id)) for i in indicators if i.kind == kind)
            if option_list.option_count:
                option_list.highlighted = 0

    def _prompt(self, indicator_id: int) -> Text:
        tag = self.tags.get(indicator_id)
        text = Text()
        if tag:
            mark, style = TAG_MARK[tag]
            text.append(mark, style=style)
        else:
            text.append("• ", style="dim")  # separates wrapped indicators from each other
        text.append(self._texts[indicator_id])
        return text

    def focus_first(self) -> None:
        lists = list(self.query(IndicatorList))
        if lists:
            lists[0].focus()

    def action_tag(self, tag: str) -> None:
        focused = self.screen.focused
        if not isinstance(focused, IndicatorList) or focused.highlighted is None:
            return
        option = focused.get_option_at_index(focused.highlighted)
        indicator_id = int(option.id or 0)
        new = None if self.tags.get(indicator_id) == tag else tag
        if new is None:
            self.tags.pop(indicator_id, None)
        else:
            self.tags[indicator_id] = new
        focused.replace_option_prompt(option.id, self._prompt(indicator_id))  # type: ignore[arg-type]
        self.post_message(self.IndicatorTagged(self, indicator_id, new))

    @on(OptionList.OptionSelected)
    def _select_tags_seen(self, event: OptionList.OptionSelected) -> None:
        # Enter on an indicator tags it as seen (a second Enter untags it).
        event.stop()
        if self.taggable:
            self.action_tag("seen")
