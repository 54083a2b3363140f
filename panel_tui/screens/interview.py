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

import asyncio
from copy import deepcopy
from datetime import datetime
from time import monotonic

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, OptionList, Static, TextArea

from db import interview as service
from db.errors import PanelError
from db.interview import EvidenceState, InterviewView, ItemView
from db.scales import label_for
from panel_tui.save_queue import SaveQueue, SaveStatus, install_exit_signals, one_line
from panel_tui.screens.dialogs import ConfirmDialog, ReasonDialog
from panel_tui.widgets.indicator_panel import IndicatorPanel
from panel_tui.widgets.interview_timer import InterviewTimer
from panel_tui.widgets.item_list import ItemList
from panel_tui.widgets.score_picker import ScorePicker
from panel_tui.widgets.star_bar import StarBar

# Queue the notes when typing pauses this long, or when the oldest unqueued change is this old.
IDLE_SAVE_SECONDS = 0.5
MAX_UNSAVED_SECONDS = 1.0
# A write taking longer than this is shown as waiting for the database.
SLOW_SAVE_SECONDS = 0.5
LEAVE_WAIT_SECONDS = 0.5

COMMANDS = ("score", "clear_score", "star", "level", "submit", "resubmit", "amend", "close", "edit_notes", "focus_indicators")


class InterviewScreen(Screen[None]):
    CSS_PATH = "../styles/interview.tcss"

    # Footer order is priority order: at 80 columns the first ones stay visible; F1 and the
    # palette list the rest. Command keys are priority bindings, enabled only in COMMANDS mode.
    BINDINGS = [
        Binding("escape", "done_typing", "Commands", priority=True, tooltip="Leave the notes and use the one-key commands"),
        Binding("e", "edit_notes", "Notes", priority=True, tooltip="Type evidence notes for this item"),
        Binding("u", "submit", "Submit", priority=True),
        Binding("u", "resubmit", "Resubmit", priority=True, tooltip="Finish amending: submit the assessment again"),
        Binding("1", "score(1)", "Score", key_display="1-7", priority=True),
        *(Binding(str(n), f"score({n})", show=False, priority=True) for n in range(2, 10)),
        Binding("0", "clear_score", "Clear score", show=False, priority=True),
        Binding("s", "star('S')", "STAR", key_display="s/t/a/r", priority=True, tooltip="Situation, task, action, result covered"),
        Binding("t", "star('T')", show=False, priority=True),
        Binding("a", "star('A')", show=False, priority=True),
        Binding("r", "star('R')", show=False, priority=True),
        Binding("q", "close", "Candidates", priority=True, tooltip="Back to the candidate list (everything is saved)"),
        Binding("ctrl+n,ctrl+down", "next_item", "Next", key_display="^n", priority=True),
        Binding("ctrl+b,ctrl+up", "previous_item", "Prev item", key_display="^b", show=False, priority=True),
        Binding("i", "focus_indicators", "Indicators", show=False, priority=True, tooltip="Move to the indicators to tag them"),
        Binding("m", "amend", "Amend", show=False, priority=True),
        Binding("left_square_bracket", "level(-1)", "Level -1", show=False, priority=True),
        Binding("right_square_bracket", "level(1)", "Level +1", show=False, priority=True),
        Binding("ctrl+t", "toggle_timer", "Timer", key_display="^t", show=False),
        Binding("ctrl+r", "reset_timer", "Reset timer", show=False),
    ]

    class SaveChanged(Message):
        """The save queue made progress or failed (posted from its thread)."""

        def __init__(self, status: SaveStatus) -> None:
            super().__init__()
            self.status = status

    def __init__(self, database, candidate_id: int, member_id: int) -> None:
        super().__init__()
        self.database = database
        self.candidate_id = candidate_id
        self.member_id = member_id
        with database.session() as session:
            self.view: InterviewView = service.load_interview(session, candidate_id, member_id)
        self.queue = SaveQueue.open(database, candidate_id, member_id)
        self.evidence: dict[int, EvidenceState] = {i.id: deepcopy(self.view.evidence.get(i.id, EvidenceState())) for i in self.view.items}
        # Left while a save was still waiting: what is on its way to disk is what is shown.
        self.evidence.update({k: v for k, v in self.queue.unsaved().items() if k in self.evidence})
        self.current: ItemView = self.view.items[0]
        self.shown_level = self.view.level
        self.submitted_at: datetime | None = self.view.submitted_at
        self.amend_reason = ""
        self._indicator_cache: dict[tuple[int, int], list] = {}
        self._loading = False
        self._dirty_since: float | None = None
        self._last_change = 0.0
        self._item_lines: dict[int, tuple] = {}
        self._status = self.queue.status()
        self._shown_failures: set[tuple[int, str]] = set()
        self._busy = ""  # "leaving" | "quitting" | "submitting" while waiting for the queue

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="top-bar"):
            yield Label("", id="mode")
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
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = self.view.campaign_title
        self.sub_title = f"{self.view.candidate_label} · level {self.view.level} · {self.view.member_name}"
        timer = self.query_one(InterviewTimer)
        timer.planned_minutes = self.view.interview_minutes + self.view.extra_minutes
        self.query_one(ItemList).set_items(self.view.items, self._states(), self._score_labels(), self._tags())
        self._show_item(self.current)
        self._apply_read_only()
        self.queue.listener = lambda status: self.post_message(self.SaveChanged(status))
        self.set_interval(0.2, self._tick)
        self.set_focus(self._editor)
        self._show_mode()
        install_exit_signals(self.app)

    def on_unmount(self) -> None:
        # However the screen goes (dismissed, the app ending), what is typed goes to the queue.
        self.save_for_exit()
        self.queue.release()

    @property
    def _editor(self) -> TextArea:
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

    def _states(self) -> dict[int, str]:
        if self.submitted_at is not None:
            return {i.id: "submitted" for i in self.view.items}
        return {i.id: self.evidence[i.id].state for i in self.view.items}

    def _tags(self) -> dict[int, dict[int, str]]:
        return {i.id: self.evidence[i.id].tags for i in self.view.items}

    def _score_labels(self) -> dict[int, str]:
        return {i.id: label_for(i.scale, self.evidence[i.id].score) for i in self.view.items if self.evidence[i.id].score is not None}

    def _indicators(self, element_id: int, level: int) -> list:
        key = (element_id, level)
        if key not in self._indicator_cache:
            # A read: WAL lets it through while another program holds the write lock.
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
            editor = self._editor
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
        panel.show(
            f"{item.name} · level {level} ({where})",
            self._indicators(item.element_id, level),
            self.evidence[item.id].tags,
            taggable=level == self.view.level and self._editable,
        )

    def _switch_to(self, item: ItemView) -> None:
        """Change item now (not on a later message), so the next key lands in the new item."""
        if item is self.current:
            return
        self._queue_current()
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
            return True if self.submitted_at is not None and not self.amend_reason else None
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
        self._refresh_item_state()
        if save_now:
            self._queue_current()

    def _refresh_item_state(self) -> None:
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
        # Kept cheap: the text is read only when it is queued.
        if self._loading:
            return
        if self._dirty_since is None:
            # The first change after an item loads may be the load itself (it arrives as a message).
            if self._editor.text == self.evidence[self.current.id].notes:
                return
            self._changed()
        else:
            self._last_change = monotonic()

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

    # --- saving ----------------------------------------------------------------------

    def _queue_current(self) -> None:
        """Hand the current item's state (with the editor's text) to the save queue, if it changed."""
        if self._dirty_since is None or not self._editable:
            return
        state = self.evidence[self.current.id]
        state.notes = self._editor.text
        self.queue.put(self.current.id, state, self.amend_reason)
        self._dirty_since = None

    def _tick(self) -> None:
        now = monotonic()
        if self._dirty_since is not None and (
            now - self._last_change >= IDLE_SAVE_SECONDS or now - self._dirty_since >= MAX_UNSAVED_SECONDS
        ):
            self._queue_current()
            self._refresh_item_state()
        self._status = self.queue.status()
        self._show_status()

    @on(SaveChanged)
    def _save_changed(self, event: SaveChanged) -> None:
        self._status = event.status
        for item_id, message in event.status.failed.items():
            if (item_id, message) not in self._shown_failures:  # each permanent failure is told once
                self._shown_failures.add((item_id, message))
                name = next((i.name for i in self.view.items if i.id == item_id), "an item")
                self.notify(f"Not saved ({name}): {message}. {self._way_forward(message)}", severity="error", timeout=10)
        self._show_status()

    def _way_forward(self, message: str) -> str:
        if "submitted" in message:
            return "Your text is kept on screen: press m to amend with a reason and it is saved."
        return "Your text is kept on screen: change it to try again, or copy it before leaving."

    def _show_status(self) -> None:
        if not self.is_mounted:
            return
        status, label = self._status, self.query_one("#save-status", Label)
        kind, text = "", ""
        if status.failed:
            names = ", ".join(i.name for i in self.view.items if i.id in status.failed)
            message = next(iter(status.failed.values()))
            kind, text = "-error", f"NOT SAVED ({names}): {message}. {self._way_forward(message)}"
        elif status.waiting or (status.unsaved and status.writing_for >= SLOW_SAVE_SECONDS):
            why = status.waiting or "the database is busy"
            kind, text = "-waiting", f"WAITING TO SAVE ({why}): retrying; your text is kept on screen"
        elif self.amend_reason:
            text = f"Amending (reason: {self.amend_reason}); every change is audited. Press u to resubmit when done"
        elif self.submitted_at is not None:
            text = f"Submitted {self.submitted_at.astimezone():%d %b %H:%M}: read-only (m to amend with a reason)"
        elif status.saved_at is not None:
            text = f"Saved {status.saved_at.astimezone():%H:%M:%S}"
        else:
            text = "Notes, tags and scores are saved as you type"
        if self._busy == "quitting":
            kind = kind or "-waiting"
            text = "QUITTING once saved (ctrl+q again to quit without saving) · " + text
        elif self._busy:
            text = f"{self._busy.capitalize()} once saved · " + text
        shown = (kind, text)
        if getattr(self, "_shown_status", None) != shown:
            self._shown_status = shown
            for cls in ("-error", "-waiting"):
                label.set_class(cls == kind, cls)
            # Fixed-size label: no layout pass, so the next keystroke is not held up.
            label.update(text, layout=False)

    def flush(self) -> bool:
        """Queue everything now (never waits); True if nothing is left unsaved."""
        self._queue_current()
        return self.queue.settled(self.queue.last_seq)

    def save_for_exit(self) -> None:
        """The process is ending (signal, app exit): queue the editor's text as it stands."""
        editor = getattr(self, "_editor_widget", None)
        if editor is not None and self._editable:
            if editor.text != self.evidence[self.current.id].notes:
                self._dirty_since = self._dirty_since or monotonic()
        self._queue_current()

    async def _editor_settled(self) -> None:
        """Wait until the editor has handled every key and paste already sent to it."""
        done = asyncio.Event()
        self._editor.call_later(done.set)
        await done.wait()

    async def saved(self, timeout: float | None = None) -> bool:
        """Queue everything typed so far and wait (without blocking) until it is written.

        True when it is all on disk; False on a timeout or a permanent failure.
        """
        if self.is_mounted:
            await self._editor_settled()
            self.save_for_exit()
        seq = self.queue.last_seq
        deadline = None if timeout is None else monotonic() + timeout
        while not self.queue.settled(seq):
            if deadline is not None and monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)
        self._status = self.queue.status()
        self._show_status()
        return not self._status.failed

    def _unsaved_names(self) -> str:
        unsaved = self.queue.unsaved()
        return ", ".join(i.name for i in self.view.items if i.id in unsaved) or "nothing"

    # --- leaving and quitting -----------------------------------------------------------

    def action_close(self) -> None:
        if not self._busy:
            self.run_worker(self._leave(), group="leave", exclusive=True)

    async def _leave(self) -> None:
        self._busy = "leaving"
        self._show_status()
        try:
            saved = await self.saved(LEAVE_WAIT_SECONDS)
            if not saved and self.queue.status().failed:
                question = f"Not saved: {self._unsaved_names()}. Leave and lose those changes?"
                if not await self.app.push_screen_wait(ConfirmDialog(question)):
                    return
            elif not saved:
                # The queue outlives the screen: it keeps trying, and reopening shows its text.
                self.app.notify(
                    f"Still saving {self.view.candidate_label} (waiting for the database); it is saved as soon as it can be",
                    severity="warning",
                )
        finally:
            self._busy = ""
            self._show_status()
        self.dismiss(None)

    def quit_when_saved(self) -> bool:
        """The app asked to quit: quit once everything is saved (shown), or ask. True: handled here."""
        if self._busy == "quitting":
            self.run_worker(self._quit_anyway(), group="quit-anyway", exclusive=True)
        else:
            self.run_worker(self._quit(), group="quit", exclusive=True)
        return True

    async def _quit(self) -> None:
        self._busy = "quitting"
        self._show_status()
        try:
            if await self.saved():
                self.app.exit()
                return
            question = f"Not saved: {self._unsaved_names()}. Quit and lose those changes?"
            if await self.app.push_screen_wait(ConfirmDialog(question)):
                self.app.exit()
        finally:
            self._busy = ""
            self._show_status()

    async def _quit_anyway(self) -> None:
        question = f"Still waiting to save {self._unsaved_names()}. Quit without saving?"
        if await self.app.push_screen_wait(ConfirmDialog(question)):
            self.app.exit()

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

    def action_toggle_timer(self) -> None:
        self.query_one(InterviewTimer).toggle()

    def action_reset_timer(self) -> None:
        self.query_one(InterviewTimer).reset()

    def action_submit(self) -> None:
        missing = [i.name for i in self.view.items if self.evidence[i.id].score is None]
        if missing:
            self.notify(f"Score every item before submitting: {', '.join(missing)}", severity="warning")
            return
        question = f"Submit your assessment of {self.view.candidate_label}? It becomes read-only."
        self.run_worker(self._submit(question, service.submit), group="submit", exclusive=True)

    def action_resubmit(self) -> None:
        question = f"Resubmit your amended assessment of {self.view.candidate_label}? It becomes read-only again."
        reason = self.amend_reason
        self.run_worker(
            self._submit(question, lambda s, c, m: service.resubmit(s, c, m, reason)), group="submit", exclusive=True
        )

    async def _submit(self, question: str, submit) -> None:
        if not await self.app.push_screen_wait(ConfirmDialog(question)):
            return
        self._busy = "submitting"
        self._show_status()
        try:
            if not await self.saved():
                self.notify("Cannot submit until your notes are saved", severity="error")
                return

            def write() -> datetime:
                with self.database.session() as session:
                    return submit(session, self.candidate_id, self.member_id)

            try:
                when = await asyncio.to_thread(write)  # the database may be locked: not on this thread
            except PanelError as exc:
                self.notify(str(exc), severity="error")
                return
            except Exception as exc:  # noqa: BLE001 - locked, disk full: say so, nothing changed
                self.notify(f"Not submitted: {one_line(exc)}. Try again in a moment.", severity="error")
                return
        finally:
            self._busy = ""
        resubmitted = bool(self.amend_reason)
        self.submitted_at, self.amend_reason = when, ""
        self.query_one(ItemList).set_items(self.view.items, self._states(), self._score_labels(), self._tags())
        self._item_lines.clear()
        self._apply_read_only()
        self._show_indicators()
        self.notify("Assessment resubmitted" if resubmitted else "Assessment submitted")

    def action_amend(self) -> None:
        def reasoned(reason: str | None) -> None:
            if reason:
                self.amend_reason = reason
                # Changes refused as "submitted" go again, now with the reason (and audited).
                for item_id in self.queue.status().failed:
                    self.queue.put(item_id, self.evidence[item_id], reason)
                self._apply_read_only()
                self._show_indicators()

        self.app.push_screen(ReasonDialog("Why are you amending a submitted assessment?"), reasoned)

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
