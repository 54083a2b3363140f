"""The panellist's interview screen: indicators for the level, evidence notes, tags, STAR and score.

Everything typed is saved as it is typed: a thread worker writes the latest
state of an item within about a second of the last keystroke (and at least
once a second while typing goes on), and again on leaving the item, the
screen or the app. A failed save is shown at once and retried; the text on
screen is never discarded.
"""

from __future__ import annotations

import threading
from copy import deepcopy
from datetime import datetime
from time import monotonic

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, OptionList, Static, TextArea

from db import interview as service
from db.interview import EvidenceState, InterviewView, ItemView
from panel_tui.screens.dialogs import ConfirmDialog, ReasonDialog
from panel_tui.widgets.indicator_panel import IndicatorPanel
from panel_tui.widgets.interview_timer import InterviewTimer
from panel_tui.widgets.item_list import ItemList
from panel_tui.widgets.score_picker import ScorePicker
from panel_tui.widgets.star_bar import StarBar

# Save when typing pauses this long, or when the oldest unsaved change is this old.
IDLE_SAVE_SECONDS = 0.5
MAX_UNSAVED_SECONDS = 1.0
RETRY_SECONDS = 2.0


class InterviewScreen(Screen[None]):
    CSS_PATH = "../styles/interview.tcss"

    BINDINGS = [
        Binding("escape", "done_typing", "Done typing", tooltip="Leave the notes and use the one-key commands", id="interview.done_typing"),
        Binding("e", "edit_notes", "Notes", tooltip="Type evidence notes for this item", id="interview.edit_notes"),
        Binding("i", "focus_indicators", "Indicators", tooltip="Move to the indicators to tag them", id="interview.focus_indicators"),
        Binding("1", "score(1)", "Score", key_display="1-7", id="interview.score_1"),
        *(Binding(str(n), f"score({n})", show=False, id=f"interview.score_{n}") for n in range(2, 10)),
        Binding("0", "clear_score", "Clear score", show=False, id="interview.clear_score"),
        Binding("s", "star('S')", "STAR", key_display="s/t/a/r", tooltip="Mark situation, task, action, result covered", id="interview.star_s"),
        Binding("t", "star('T')", show=False, id="interview.star_t"),
        Binding("a", "star('A')", show=False, id="interview.star_a"),
        Binding("r", "star('R')", show=False, id="interview.star_r"),
        Binding("left_square_bracket", "level(-1)", "Level ±1", key_display="[ ]", tooltip="Indicators for the level below / above", id="interview.level_down"),
        Binding("right_square_bracket", "level(1)", show=False, id="interview.level_up"),
        Binding("ctrl+n,ctrl+down", "next_item", "Next item", key_display="^n", id="interview.next_item"),
        Binding("ctrl+b,ctrl+up", "previous_item", "Prev item", key_display="^b", show=False, id="interview.previous_item"),
        Binding("ctrl+t", "toggle_timer", "Timer", key_display="^t", id="interview.toggle_timer"),
        Binding("ctrl+r", "reset_timer", "Reset timer", show=False, id="interview.reset_timer"),
        Binding("u", "submit", "Submit", id="interview.submit"),
        Binding("m", "amend", "Amend", id="interview.amend"),
        Binding("q", "close", "Candidates", tooltip="Back to the candidate list (everything is saved)", id="interview.close"),
    ]

    def __init__(self, database, candidate_id: int, member_id: int) -> None:
        super().__init__()
        self.database = database
        self.candidate_id = candidate_id
        self.member_id = member_id
        with database.session() as session:
            self.view: InterviewView = service.load_interview(session, candidate_id, member_id)
        self.evidence: dict[int, EvidenceState] = {i.id: deepcopy(self.view.evidence.get(i.id, EvidenceState())) for i in self.view.items}
        self.current: ItemView = self.view.items[0]
        self.shown_level = self.view.level
        self.submitted_at: datetime | None = self.view.submitted_at
        self.amend_reason = ""
        self._indicator_cache: dict[tuple[int, int], list] = {}
        self._loading = False
        self._dirty_since: float | None = None
        self._last_change = 0.0
        self._pending: dict[int, EvidenceState] = {}
        self._pending_lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._retry_at: float | None = None
        self._item_lines: dict[int, tuple] = {}

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="top-bar"):
            yield Label(self._adjustments_text(), id="adjustments")
            yield InterviewTimer(id="timer")
        with Horizontal(id="body"):
            yield ItemList(id="items")
            with Vertical(id="main"):
                yield IndicatorPanel(id="indicators")
                yield Static("", id="question")
                yield TextArea("", id="evidence", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
                yield StarBar(id="star")
                yield ScorePicker(id="score")
        yield Label("Notes, tags and scores are saved as you type", id="save-status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.view.campaign_title
        self.sub_title = f"{self.view.candidate_label} · level {self.view.level} · {self.view.member_name}"
        timer = self.query_one(InterviewTimer)
        timer.planned_minutes = self.view.interview_minutes + self.view.extra_minutes
        self.query_one(ItemList).set_items(self.view.items, self._states(), self._score_labels(), self._tags())
        self._show_item(self.current)
        self._apply_read_only()
        self.set_interval(0.2, self._autosave_tick)
        self.query_one("#evidence", TextArea).focus()

    def _adjustments_text(self) -> str:
        if self.view.adjustments:
            return f"Adjustments: {self.view.adjustments}"
        return "No adjustments"

    # --- showing an item -------------------------------------------------------------

    def _states(self) -> dict[int, str]:
        if self.submitted_at is not None:
            return {i.id: "submitted" for i in self.view.items}
        return {i.id: self.evidence[i.id].state for i in self.view.items}

    def _tags(self) -> dict[int, dict[int, str]]:
        return {i.id: self.evidence[i.id].tags for i in self.view.items}

    def _score_labels(self) -> dict[int, str]:
        from db.scales import label_for

        return {i.id: label_for(i.scale, self.evidence[i.id].score) for i in self.view.items if self.evidence[i.id].score is not None}

    def _indicators(self, element_id: int, level: int) -> list:
        key = (element_id, level)
        if key not in self._indicator_cache:
            with self.database.session() as session:
                self._indicator_cache[key] = service.indicators(session, element_id, level)
        return self._indicator_cache[key]

    def _show_item(self, item: ItemView) -> None:
        self._loading = True
        try:
            self.current = item
            state = self.evidence[item.id]
            self._show_indicators()
            question = self.query_one("#question", Static)
            lines = [f"Q: {q}" for q in item.questions] + [f"  • {p}" for p in item.probes]
            question.update("\n".join(lines) if lines else "No planned question for this item")
            editor = self.query_one("#evidence", TextArea)
            editor.border_title = f"Evidence: {item.name}" + (" ★ lead" if item.is_lead else "")
            editor.load_text(state.notes)
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
            panel.show(f"{item.name}: {item.description or 'no framework indicators'}", [], taggable=False)
            return
        where = "the role's level" if level == self.view.level else ("below" if level < self.view.level else "above") + " the role's level"
        title = f"{item.name} · level {level} ({where})"
        panel.show(
            title,
            self._indicators(item.element_id, level),
            self.evidence[item.id].tags,
            taggable=level == self.view.level and self._editable,
        )

    # --- editing state ---------------------------------------------------------------

    @property
    def _editable(self) -> bool:
        return self.submitted_at is None or bool(self.amend_reason)

    def _apply_read_only(self) -> None:
        editor = self.query_one("#evidence", TextArea)
        editor.read_only = not self._editable
        self.query_one(ScorePicker).read_only = not self._editable
        self.query_one(IndicatorPanel).taggable = self._editable and self.shown_level == self.view.level
        status = self.query_one("#save-status", Label)
        if self.submitted_at is not None and not self.amend_reason:
            status.update(f"Submitted {self.submitted_at.astimezone():%d %b %H:%M}: read-only (m to amend with a reason)")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = isinstance(self.focused, TextArea)
        if action in ("score", "clear_score", "star", "level", "submit", "amend", "close", "edit_notes", "focus_indicators"):
            if typing:
                return False
        if action in ("score", "clear_score", "star") and not self._editable:
            return None
        if action == "submit":
            return None if self.submitted_at is not None else True
        if action == "amend":
            return True if self.submitted_at is not None and not self.amend_reason else False
        if action == "done_typing":
            return typing
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    def _changed(self) -> None:
        now = monotonic()
        self._last_change = now
        if self._dirty_since is None:
            self._dirty_since = now
        self._refresh_item_state()

    def _refresh_item_state(self) -> None:
        from db.scales import label_for

        item = self.current
        state = "submitted" if self.submitted_at is not None else self.evidence[item.id].state
        evidence = self.evidence[item.id]
        score = label_for(item.scale, evidence.score) if evidence.score is not None else ""
        shown = (state, score, tuple(sorted(evidence.tags.items())))
        # Redraw the item's line only when it changes: a redraw costs a frame while typing.
        if self._item_lines.get(item.id) != shown:
            self._item_lines[item.id] = shown
            self.query_one(ItemList).update_item(item, state, score, evidence.tags)

    @on(TextArea.Changed, "#evidence")
    def _notes_changed(self) -> None:
        # Kept cheap: the text is read only when it is saved.
        if self._loading:
            return
        if self._dirty_since is None:
            # The first change after an item loads may be the load itself (it arrives as a message).
            if self.query_one("#evidence", TextArea).text == self.evidence[self.current.id].notes:
                return
            self._changed()
        else:
            self._last_change = monotonic()

    @on(ScorePicker.ScoreChosen)
    def _score_chosen(self, event: ScorePicker.ScoreChosen) -> None:
        self.evidence[self.current.id].score = event.value
        self.query_one(ScorePicker).score = event.value
        self._changed()
        self._save_now_async()

    @on(StarBar.StarToggled)
    def _star_toggled(self, event: StarBar.StarToggled) -> None:
        if not self._editable:
            return
        state = self.evidence[self.current.id]
        state.star = state.star.replace(event.letter, "") if event.letter in state.star else state.star + event.letter
        self.query_one(StarBar).covered = state.star
        self._changed()
        self._save_now_async()

    @on(IndicatorPanel.IndicatorTagged)
    def _indicator_tagged(self, event: IndicatorPanel.IndicatorTagged) -> None:
        tags = self.evidence[self.current.id].tags
        if event.tag is None:
            tags.pop(event.indicator_id, None)
        else:
            tags[event.indicator_id] = event.tag
        self._changed()
        self._save_now_async()

    @on(OptionList.OptionHighlighted, "#items")
    def _item_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        item = next(i for i in self.view.items if str(i.id) == event.option.id)
        if item is not self.current:
            self._snapshot_current()
            self._save_now_async()
            self.shown_level = self.view.level
            self._show_item(item)

    @on(OptionList.OptionSelected, "#items")
    def _item_selected(self) -> None:
        self.query_one("#evidence", TextArea).focus()

    # --- saving ----------------------------------------------------------------------

    def _snapshot_current(self) -> None:
        """Copy the editor's text into the item's state and queue it for saving if anything changed."""
        if self._dirty_since is None or not self._editable:
            return
        state = self.evidence[self.current.id]
        state.notes = self.query_one("#evidence", TextArea).text
        with self._pending_lock:
            self._pending[self.current.id] = deepcopy(state)
        self._dirty_since = None

    def _autosave_tick(self) -> None:
        now = monotonic()
        if self._dirty_since is not None and (
            now - self._last_change >= IDLE_SAVE_SECONDS or now - self._dirty_since >= MAX_UNSAVED_SECONDS
        ):
            self._snapshot_current()
            self._refresh_item_state()
            self._save_worker()
        elif self._retry_at is not None and now >= self._retry_at:
            self._retry_at = None
            self._save_worker()

    def _save_now_async(self) -> None:
        self._snapshot_current()
        self._save_worker()

    @work(thread=True, group="save", exit_on_error=False)
    def _save_worker(self) -> None:
        self._save_pending(from_thread=True)

    def _save_pending(self, *, from_thread: bool) -> bool:
        """Write every pending item, oldest first; on failure keep it pending for a retry."""
        with self._save_lock:
            with self._pending_lock:
                batch, self._pending = self._pending, {}
            if not batch:
                return True
            saved_at = None
            for item_id, state in batch.items():
                try:
                    with self.database.session() as session:
                        saved_at = service.save_evidence(
                            session, self.candidate_id, self.member_id, item_id, state, amend_reason=self.amend_reason
                        )
                except Exception as exc:  # disk full, database locked, ...: keep the text, retry
                    with self._pending_lock:
                        for pending_id, pending_state in batch.items():
                            self._pending.setdefault(pending_id, pending_state)
                    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    self._report(self._save_failed, message, from_thread=from_thread)
                    return False
            self._report(self._saved, saved_at, from_thread=from_thread)
            return True

    def _report(self, callback, value, *, from_thread: bool) -> None:
        if from_thread:
            self.app.call_from_thread(callback, value)
        else:
            callback(value)

    def _saved(self, when: datetime | None) -> None:
        if when is not None and self.is_mounted:
            status = self.query_one("#save-status", Label)
            status.remove_class("-error")
            # Fixed-size label: no layout pass, so the next keystroke is not held up.
            status.update(f"Saved {when.astimezone():%H:%M:%S}", layout=False)

    def _save_failed(self, message: str) -> None:
        self._retry_at = monotonic() + RETRY_SECONDS
        if self.is_mounted:
            status = self.query_one("#save-status", Label)
            status.add_class("-error")
            status.update(f"NOT SAVED: {message}. Retrying; your text is kept on screen.")

    def flush(self) -> bool:
        """Save everything now, on this thread (leaving the screen or the app)."""
        self._snapshot_current()
        return self._save_pending(from_thread=False)

    # --- actions ---------------------------------------------------------------------

    def action_done_typing(self) -> None:
        self._save_now_async()
        self.query_one(ItemList).focus()

    def action_edit_notes(self) -> None:
        self.query_one("#evidence", TextArea).focus()

    def action_focus_indicators(self) -> None:
        self.query_one(IndicatorPanel).focus_first()

    def action_score(self, position: int) -> None:
        self.query_one(ScorePicker).choose_position(position)

    def action_clear_score(self) -> None:
        self.query_one(ScorePicker).clear()

    def action_star(self, letter: str) -> None:
        self.query_one(StarBar).toggle(letter)

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
        self.query_one(ItemList).highlighted = index

    def action_toggle_timer(self) -> None:
        self.query_one(InterviewTimer).toggle()

    def action_reset_timer(self) -> None:
        self.query_one(InterviewTimer).reset()

    def action_close(self) -> None:
        self.flush()
        self.dismiss(None)

    def action_submit(self) -> None:
        missing = [i.name for i in self.view.items if self.evidence[i.id].score is None]
        if missing:
            self.notify(f"Score every item before submitting: {', '.join(missing)}", severity="warning")
            return

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            if not self.flush():
                self.notify("Cannot submit until your notes are saved", severity="error")
                return
            from db.errors import PanelError

            try:
                with self.database.session() as session:
                    self.submitted_at = service.submit(session, self.candidate_id, self.member_id)
            except PanelError as exc:
                self.notify(str(exc), severity="error")
                return
            self.query_one(ItemList).set_items(self.view.items, self._states(), self._score_labels(), self._tags())
            self._apply_read_only()
            self._show_indicators()
            self.notify("Assessment submitted")

        self.app.push_screen(
            ConfirmDialog(f"Submit your assessment of {self.view.candidate_label}? It becomes read-only."), confirmed
        )

    def action_amend(self) -> None:
        def reasoned(reason: str | None) -> None:
            if reason:
                self.amend_reason = reason
                self._apply_read_only()
                self._show_indicators()
                self.query_one("#save-status", Label).update(f"Amending (reason: {reason}); every change is audited")

        self.app.push_screen(ReasonDialog("Why are you amending a submitted assessment?"), reasoned)

    # --- command palette ------------------------------------------------------------

    def palette_commands(self):
        """(title, help, callback) for the command palette while this screen is active."""
        yield ("Start / pause the interview timer", "Interview timer", self.action_toggle_timer)
        yield ("Reset the interview timer", "Interview timer", self.action_reset_timer)
        yield ("Submit this assessment", "Every item must be scored", self.action_submit)
        for n, item in enumerate(self.view.items):
            yield (f"Go to item: {item.name}", "Interview item", lambda n=n: setattr(self.query_one(ItemList), "highlighted", n))
