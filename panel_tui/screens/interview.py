"""The panellist's interview screen: indicators for the level, evidence notes, tags, STAR and score.

Two modes, always shown top left: NOTES (the editor has the keys) and COMMANDS (one-key
commands). The keys that change mode or item are priority bindings, run as the app reads
them, so a key typed straight after Esc, `e` or ^n goes where the panellist meant it to.

Saving: the UI thread only hands snapshots to the interview's SaveQueue (panel_tui/save_queue.py),
about a second after typing pauses (at least once a second while it goes on) and at once for
a score, a tag, STAR or a change of item. Leaving, submitting and quitting wait for the queue
asynchronously, showing that they wait; nothing on this thread waits on a lock, the database
or a worker.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from time import monotonic
from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Label, OptionList, Static, TextArea

from db import interview as service
from db.interview import CandidateRow, EvidenceState, InterviewView, ItemView
from db.scales import label_for
from db.text import clean_block, clean_line
from panel_tui.save_queue import SaveQueue, SaveStatus, install_exit_signals
from panel_tui.screens.first_paint import freeze_while_open, thaw
from panel_tui.screens.interview_saving import MAX_UNSAVED_SECONDS, InterviewSaving
from panel_tui.widgets.footer import PanelFooter
from panel_tui.widgets.indicator_panel import IndicatorPanel
from panel_tui.widgets.interview_timer import InterviewTimer
from panel_tui.widgets.item_list import ItemList
from panel_tui.widgets.notes_editor import NotesEditor
from panel_tui.widgets.score_picker import ScorePicker
from panel_tui.widgets.star_bar import StarBar
from panel_tui.work import one_line

COMMANDS = ("score", "clear_score", "star", "level", "submit", "resubmit", "amend", "close", "edit_notes", "focus_indicators")


class InterviewScreen(InterviewSaving, Screen[None]):
    CSS_PATH = "../styles/interview.tcss"

    # Footer order is priority order: at 80 columns the first ones stay visible; F1 and the
    # palette list the rest. Command keys are priority bindings, enabled only in COMMANDS mode.
    BINDINGS = [
        Binding("escape", "done_typing", "Commands", priority=True, tooltip="Leave the notes and use the one-key commands", id="interview.done_typing"),
        Binding("e", "edit_notes", "Notes", priority=True, tooltip="Type evidence notes for this item", id="interview.edit_notes"),
        Binding("u", "submit", "Submit", priority=True, id="interview.submit"),
        Binding("u", "resubmit", "Resubmit", priority=True, tooltip="Finish amending: submit the assessment again", id="interview.resubmit"),
        Binding("1", "score(1)", "Score", key_display="1-7", priority=True, id="interview.score_1"),
        *(Binding(str(n), f"score({n})", show=False, priority=True, id=f"interview.score_{n}") for n in range(2, 10)),
        Binding("0", "clear_score", "Clear score", show=False, priority=True, id="interview.clear_score"),
        Binding("s", "star('S')", "STAR", key_display="s/t/a/r", priority=True, tooltip="Situation, task, action, result covered", id="interview.star_s"),
        Binding("t", "star('T')", show=False, priority=True, id="interview.star_t"),
        Binding("a", "star('A')", show=False, priority=True, id="interview.star_a"),
        Binding("r", "star('R')", show=False, priority=True, id="interview.star_r"),
        Binding("q", "close", "Candidates", priority=True, tooltip="Back to the candidate list (everything is saved)", id="interview.close"),
        Binding("ctrl+n,ctrl+down", "next_item", "Next", key_display="^n", priority=True, id="interview.next_item"),
        Binding("ctrl+b,ctrl+up", "previous_item", "Prev item", key_display="^b", show=False, priority=True, id="interview.previous_item"),
        Binding("i", "focus_indicators", "Indicators", show=False, priority=True, tooltip="Move to the indicators to tag them", id="interview.focus_indicators"),
        Binding("m", "amend", "Amend", show=False, priority=True, id="interview.amend"),
        Binding("left_square_bracket", "level(-1)", "Level -1", show=False, priority=True, id="interview.level_down"),
        Binding("right_square_bracket", "level(1)", "Level +1", show=False, priority=True, id="interview.level_up"),
        Binding("ctrl+t", "toggle_timer", "Timer", key_display="^t", show=False, id="interview.toggle_timer"),
        Binding("ctrl+r", "reset_timer", "Reset timer", show=False, id="interview.reset_timer"),
    ]

    class SaveChanged(Message):
        """The save queue made progress or failed (posted from its thread)."""

        def __init__(self, status: SaveStatus) -> None:
            super().__init__()
            self.status = status

    def __init__(self, database, view: InterviewView) -> None:
        """``view`` is read off the UI thread first (panel_tui.screens.campaign): the screen itself reads
        only indicators of another level, and those in a thread too."""
        super().__init__()
        self.database = database
        self.view = view
        self.candidate_id = view.candidate_id
        self.member_id = view.member_id
        self.queue = SaveQueue.open(database, self.candidate_id, self.member_id)
        self.evidence: dict[int, EvidenceState] = {i.id: deepcopy(self.view.evidence.get(i.id, EvidenceState())) for i in self.view.items}
        # Left while a save was still waiting: what is on its way to disk is what is shown.
        self.evidence.update({k: v for k, v in self.queue.unsaved().items() if k in self.evidence})
        self.current: ItemView = self.view.items[0]
        self.shown_level = self.view.level
        self.submitted_at: datetime | None = self.view.submitted_at
        self.amend_reason = ""
        self._indicator_cache: dict[tuple[int, int], list] = dict(view.indicators)
        self._loading = False
        self._dirty_since: float | None = None
        self._last_change = 0.0
        self._last_key = 0.0
        self._held_paints: dict[str, Callable[[], None]] = {}
        self._save_due_after_frame = False
        self._paint_after_frame = False
        self._paint_for_key = 0.0  # the key whose frame the held redraws wait for
        self._typed_since_collect = False
        self._item_lines: dict[int, tuple] = {}
        self._candidates: list[CandidateRow] = []  # for the palette: jump to another candidate
        self._status = self.queue.status()
        self._shown_failures: set[tuple[int, str]] = set()
        self._busy = ""  # "leaving" | "quitting" | "submitting" while waiting for the queue
        self._refused_as_submitted = False  # submitted elsewhere (another laptop, the CLI) meanwhile

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="top-bar"):
            yield Label("", id="mode")
            yield Label(Content(clean_line(self._adjustments_text())), id="adjustments")
            yield InterviewTimer(id="timer")
        with Horizontal(id="body"):
            yield ItemList(id="items")
            with Vertical(id="main"):
                yield IndicatorPanel(id="indicators")
                yield Static("", id="question")
                yield NotesEditor("", id="evidence", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
                yield StarBar(id="star")
                yield ScorePicker(id="score")
        yield Label("Notes, tags and scores are saved as you type", id="save-status")
        yield PanelFooter(compact=True)

    def on_mount(self) -> None:
        self.title = clean_line(self.view.campaign_title)
        self.sub_title = clean_line(f"{self.view.candidate_label} · level {self.view.level} · {self.view.member_name}")
        timer = self.query_one(InterviewTimer)
        timer.planned_minutes = self.view.interview_minutes + self.view.extra_minutes
        timer.paint_later = lambda paint: self._paint_later("timer", paint)
        self._set_items()
        self._show_item(self.current)
        self._apply_read_only()
        self.queue.listener = lambda status: self.post_message(self.SaveChanged(status))
        self.set_interval(0.2, self._tick)
        self.set_focus(self._editor)
        self._show_mode()
        install_exit_signals(self.app)
        self.run_worker(self._load_candidates(), group="candidates", exclusive=True)
        # What is alive once the screen is drawn (it, Textual's and SQLAlchemy's objects) is not
        # rescanned while the panellist types: a full collection on a key took 60-160 ms (bench).
        freeze_while_open(self)

    def on_unmount(self) -> None:
        # However the screen goes (dismissed, the app ending), what is typed goes to the queue.
        self.save_for_exit()
        self.queue.release()
        thaw(self)

    @property
    def _editor(self) -> NotesEditor:
        # Kept once found: it is still readable while the screen is being taken down.
        editor = getattr(self, "_editor_widget", None)
        if editor is None:
            editor = self._editor_widget = self.query_one("#evidence", TextArea)
        return editor

    def _adjustments_text(self) -> str:
        if self.view.adjustments:
            return f"Adjustments: {self.view.adjustments}"
        return "No adjustments"

    # --- showing an item -------------------------------------------------------------

    def _set_items(self) -> None:
        self.query_one(ItemList).set_items(self.view.items, self._states(), self._score_labels(), self._tags())
        self._item_lines = {item.id: self._item_line(item) for item in self.view.items}

    def _states(self) -> dict[int, str]:
        if self.submitted_at is not None:
            return {i.id: "submitted" for i in self.view.items}
        return {i.id: self.evidence[i.id].state for i in self.view.items}

    def _tags(self) -> dict[int, dict[int, str]]:
        return {i.id: self.evidence[i.id].tags for i in self.view.items}

    def _score_labels(self) -> dict[int, str]:
        return {i.id: label_for(i.scale, self.evidence[i.id].score) for i in self.view.items if self.evidence[i.id].score is not None}

    def _indicators(self, element_id: int, level: int) -> list | None:
        """The indicators, or None while another level's are read in a thread (shown when they arrive)."""
        key = (element_id, level)
        if key not in self._indicator_cache:
            self.run_worker(self._read_indicators(element_id, level), group="indicators", exclusive=True)
            return None
        return self._indicator_cache[key]

    async def _read_indicators(self, element_id: int, level: int) -> None:
        try:
            self._indicator_cache[(element_id, level)] = await self._in_thread(service.indicators, element_id, level)
        except Exception as exc:  # noqa: BLE001 - the notes are unaffected; say so and keep the level
            self.notify(f"Could not read the level {level} indicators: {one_line(exc)}", severity="error")
            return
        if self.current.element_id == element_id and self.shown_level == level:
            self._show_indicators()

    def _show_item(self, item: ItemView) -> None:
        self._loading = True
        try:
            self.current = item
            state = self.evidence[item.id]
            self._show_indicators()
            question = self.query_one("#question", Static)
            lines = [f"Q: {q}" for q in item.questions] + [f"  • {p}" for p in item.probes]
            # Stored text: shown as typed (markup off), control characters removed.
            question.update(Text(clean_block("\n".join(lines))) if lines else "No planned question for this item")
            editor = self._editor
            editor.border_title = Text(clean_line(f"Evidence: {item.name}" + (" ★ lead" if item.is_lead else "")))
            editor.load_text(clean_block(state.notes))  # stored text: control characters removed
            editor.move_cursor(editor.document.end)  # carry on where the notes end
            self.query_one(StarBar).covered = state.star
            self.query_one(ScorePicker).set_scale(item.scale, item.pass_mark, state.score)
            items = self.query_one(ItemList)
            index = self.view.items.index(item)
            if items.highlighted != index:
                items.highlighted = index
        finally:
            self._loading = False

    def _show_indicators(self) -> None:
        item, level = self.current, self.shown_level
        panel = self.query_one(IndicatorPanel)
        if item.element_id is None:
            panel.show(escape(clean_line(f"{item.name}: {item.description or 'no framework indicators'}")), [], taggable=False)
            return
        where = "the role's level" if level == self.view.level else ("below" if level < self.view.level else "above") + " the role's level"
        indicators = self._indicators(item.element_id, level)
        title = escape(clean_line(f"{item.name} · level {level} ({where})"))
        if indicators is None:
            panel.show(f"{title} · reading…", [], taggable=False)
            return
        panel.show(
            title,
            indicators,
            self.evidence[item.id].tags,
            taggable=level == self.view.level and self._editable,
        )

    def _switch_to(self, item: ItemView) -> None:
        """Change item now (not on a later message), so the next key lands in the new item."""
        if item is self.current:
            return
        self._queue_current()
        self._refresh_item_state(self.current)
        self.shown_level = self.view.level
        self._show_item(item)

    # --- modes and editing state ----------------------------------------------------

    @property
    def _editable(self) -> bool:
        return self.submitted_at is None or bool(self.amend_reason)

    @property
    def typing(self) -> bool:
        return self.focused is self._editor if self.is_mounted else False

    def _show_mode(self) -> None:
        mode = self.query_one("#mode", Label)
        typing = self.typing
        mode.update(" NOTES · Esc for commands " if typing else " COMMANDS · e for notes ")
        mode.set_class(typing, "-notes")
        mode.set_class(not typing, "-commands")

    def _apply_read_only(self) -> None:
        self._editor.read_only = not self._editable
        self.query_one(ScorePicker).read_only = not self._editable
        self.query_one(IndicatorPanel).taggable = self._editable and self.shown_level == self.view.level
        self._show_status()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = self.typing
        if action in COMMANDS and typing:
            return False  # the key is typed into the notes
        if action in ("score", "clear_score", "star") and not self._editable:
            return None
        if action == "submit":
            return False if self.amend_reason else (None if self.submitted_at is not None else True)
        if action == "resubmit":
            return bool(self.amend_reason)
        if action == "amend":
            submitted = self.submitted_at is not None or self._refused_as_submitted
            return True if submitted and not self.amend_reason else None
        if action == "done_typing":
            return typing
        return True

    def on_descendant_focus(self) -> None:
        self._show_mode()
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self._show_mode()
        self.refresh_bindings()

    def _changed(self, *, save_now: bool = False) -> None:
        now = monotonic()
        self._last_change = now
        if self._dirty_since is None:
            self._dirty_since = now
        item = self.current
        self._paint_later(f"item-{item.id}", lambda: self._refresh_item_state(item))
        if save_now:
            self._queue_current()

    def _item_line(self, item: ItemView) -> tuple:
        evidence = self.evidence[item.id]
        if self.submitted_at is not None:
            state = "submitted"
        elif item is self.current and self._dirty_since is not None and evidence.score is None:
            # Typed but not queued yet: the editor holds the notes.
            state = EvidenceState(notes=self._editor.text, star=evidence.star, tags=evidence.tags).state
        else:
            state = evidence.state
        score = label_for(item.scale, evidence.score) if evidence.score is not None else ""
        return state, score, tuple(sorted(evidence.tags.items()))

    def _refresh_item_state(self, item: ItemView | None = None) -> None:
        item = item or self.current
        shown = self._item_line(item)
        # Redraw the item's line only when it changes: a redraw costs a frame while typing.
        if self._item_lines.get(item.id) != shown:
            self._item_lines[item.id] = shown
            state, score, _tags = shown
            self.query_one(ItemList).update_item(item, state, score, self.evidence[item.id].tags)

    def notes_changed(self) -> None:
        # Kept cheap: the text is read only when it is queued.
        if self._loading:
            return
        if self._dirty_since is None:
            # The first change after an item loads may be the load itself (it arrives as a message).
            if self._editor.text == self.evidence[self.current.id].notes:
                return
            self._changed()
        else:
            self._last_change = now = monotonic()
            if now - self._dirty_since >= MAX_UNSAVED_SECONDS:
                self._save_after_frame()

    def _set_score(self, value: float | None) -> None:
        if not self._editable:
            return
        self.evidence[self.current.id].score = value
        self.query_one(ScorePicker).score = value
        self._changed(save_now=True)

    @on(ScorePicker.ScoreChosen)
    def _score_chosen(self, event: ScorePicker.ScoreChosen) -> None:
        self._set_score(event.value)  # a click; keys set the score directly

    def _toggle_star(self, letter: str) -> None:
        if not self._editable:
            return
        state = self.evidence[self.current.id]
        state.star = state.star.replace(letter, "") if letter in state.star else state.star + letter
        self.query_one(StarBar).covered = state.star
        self._changed(save_now=True)

    @on(StarBar.StarToggled)
    def _star_toggled(self, event: StarBar.StarToggled) -> None:
        self._toggle_star(event.letter)

    @on(IndicatorPanel.IndicatorTagged)
    def _indicator_tagged(self, event: IndicatorPanel.IndicatorTagged) -> None:
        tags = self.evidence[self.current.id].tags
        if event.tag is None:
            tags.pop(event.indicator_id, None)
        else:
            tags[event.indicator_id] = event.tag
        self._changed(save_now=True)

    @on(OptionList.OptionHighlighted, "#items")
    def _item_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._switch_to(next(i for i in self.view.items if str(i.id) == event.option.id))

    @on(OptionList.OptionSelected, "#items")
    def _item_selected(self) -> None:
        self.set_focus(self._editor)

    @on(SaveChanged)
    def _on_save_changed(self, event: SaveChanged) -> None:
        self._save_changed(event.status)

    # --- actions ---------------------------------------------------------------------

    def action_done_typing(self) -> None:
        self._queue_current()
        self.set_focus(self.query_one(ItemList))  # now, not after the next key

    def action_edit_notes(self) -> None:
        self.set_focus(self._editor)

    def action_focus_indicators(self) -> None:
        self.query_one(IndicatorPanel).focus_first()

    def action_score(self, position: int) -> None:
        scale = self.current.scale
        if 1 <= position <= len(scale):
            self._set_score(float(scale[position - 1]["value"]))

    def action_clear_score(self) -> None:
        self._set_score(None)

    def action_star(self, letter: str) -> None:
        self._toggle_star(letter)

    def action_level(self, step: int) -> None:
        level = self.shown_level + step
        if abs(level - self.view.level) <= 1 and 1 <= level <= 6:
            self.shown_level = level
            self._show_indicators()

    def action_next_item(self) -> None:
        self._move_item(1)

    def action_previous_item(self) -> None:
        self._move_item(-1)

    def _move_item(self, step: int) -> None:
        index = (self.view.items.index(self.current) + step) % len(self.view.items)
        self._switch_to(self.view.items[index])

    def action_frameworks(self) -> None:
        """The framework browser at this campaign's framework and level (the palette's "Framework browser")."""
        from panel_tui.screens.frameworks import FrameworksScreen

        self.app.push_screen(FrameworksScreen(self.database, self.view.framework_key or None, self.view.level))

    def action_toggle_timer(self) -> None:
        self.query_one(InterviewTimer).toggle()

    def action_reset_timer(self) -> None:
        self.query_one(InterviewTimer).reset()

    # --- command palette ------------------------------------------------------------

    def palette_commands(self):
        """(title, help, callback) for the command palette while this screen is active."""
        yield ("Start / pause the interview timer", "Interview timer (ctrl+t)", self.action_toggle_timer)
        yield ("Reset the interview timer", "Interview timer (ctrl+r)", self.action_reset_timer)
        yield ("Indicators: tag what you saw", "Move to the indicators (i; + seen, - contrary)", self.action_focus_indicators)
        yield ("Indicators one level below", "Level -1 ([)", lambda: self.action_level(-1))
        yield ("Indicators one level above", "Level +1 (])", lambda: self.action_level(1))
        if self.amend_reason:
            yield ("Resubmit this assessment", "Finish amending (u)", self.action_resubmit)
        elif self.submitted_at is None:
            yield ("Submit this assessment", "Every item must be scored (u)", self.action_submit)
        else:
            yield ("Amend this assessment", "With a reason, audited (m)", self.action_amend)
        for item in self.view.items:
            yield (f"Go to item: {item.name}", "Interview item", lambda item=item: self._switch_to(item))
        # The campaign's other candidates, read when the screen opened (the palette reads no database).
        for row in self._candidates:
            if row.id == self.candidate_id:
                continue
            label = escape(clean_line(row.ref if self.view.anonymised or not row.name else f"{row.name} ({row.ref})"))
            yield (f"Interview: {label}", f"Saves this interview first, then opens this one ({row.state})",
                   lambda cid=row.id: self.open_candidate(cid))

    async def _load_candidates(self) -> None:
        try:
            self._candidates = await self._in_thread(service.candidate_rows, self.view.campaign_id, self.member_id)
        except Exception:  # noqa: BLE001 - the palette then offers no other candidate; nothing else depends on it
            self._candidates = []
