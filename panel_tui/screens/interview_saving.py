"""The interview screen's saving side: queueing snapshots, the save status, leaving, quitting, submitting.

A mixin of InterviewScreen (panel_tui/screens/interview.py), split out to keep each file short.
Everything here runs on the UI thread and only ever waits asynchronously: the save queue's
thread does the writing, submit runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from time import monotonic

from textual.widgets import Label

from db import interview as service
from db.errors import PanelError
from panel_tui.save_queue import SaveStatus, one_line
from panel_tui.dialogs import ConfirmDialog, ReasonDialog
from panel_tui.screens.first_paint import collect_and_refreeze

# Queue the notes when typing pauses this long, or when the oldest unqueued change is this old.
IDLE_SAVE_SECONDS = 0.5
MAX_UNSAVED_SECONDS = 1.0
# A write taking longer than this is shown as waiting for the database.
SLOW_SAVE_SECONDS = 0.5
LEAVE_WAIT_SECONDS = 0.5
# Keys this close together are typing: routine updates wait for the next key or a pause.
# Longer than the idle save (IDLE_SAVE_SECONDS and a tick), so the "Saved" after a short pause is
# drawn with the key that resumes typing, not in a frame of its own just before it: a key that
# lands right after such a frame waits for the next frame slot (measured: +25-35 ms, bench_interview).
TYPING_QUIET_SECONDS = 1.0
# The forced save while typing starts this long after a key: after its echo, before the next key.
SAVE_AFTER_KEY_SECONDS = 0.03
# Held redraws wait this long after the key's frame is drawn: in a real terminal the driver's writer
# thread then writes that frame out, and it needs the GIL, which the UI thread would otherwise keep
# (up to Python's 5 ms switch interval) while it redraws the status, the item and the timer.
ECHO_WRITE_SECONDS = 0.01


class InterviewSaving:
    """Needs the screen's queue, evidence, current item, editor and status label."""

    async def _in_thread(self, fn, *args):
        """``fn(session, *args)`` in a thread with its own session, awaited here (the UI loop runs on)."""

        def call():
            with self.database.session() as session:
                return fn(session, *args)

        return await asyncio.to_thread(call)

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
        # While keys keep coming, the forced save goes with a key (notes_changed); this is the fallback.
        if self._dirty_since is not None and (
            now - self._last_change >= IDLE_SAVE_SECONDS
            or now - self._dirty_since >= MAX_UNSAVED_SECONDS + TYPING_QUIET_SECONDS
        ):
            self._queue_and_mark()
        self._status = self.queue.status()
        self._show_status()
        if not self._typing_now():
            self._paint_held()
            if self._typed_since_collect:
                self._collect_in_pause()

    def _collect_in_pause(self) -> None:
        """Typing has paused: collect what typing made and freeze what survives, so no full
        collection comes due on a key (20-40 ms each while typing, in the bench's real terminal)."""
        self._typed_since_collect = False
        collect_and_refreeze(self)

    # --- painting around the keys -------------------------------------------------------
    # A frame drawn for anything else just before a key holds that key's echo back until the
    # next frame slot (Textual draws at most one frame per 1/60 s). So while the panellist
    # types, updates nobody asked for (the "Saved" time, an item's marker, the timer) are
    # held and drawn in the frame slot just after the next key's own frame (the gap before
    # the key after it), or once typing pauses. Not in the key's frame: Textual renders every
    # widget whose container overlaps the union of a frame's changes, so the timer (top row)
    # or the status (bottom row) beside the editor made that key's frame render 26 widgets
    # instead of 13 (+2.4 ms CPU for the key, headless). "After the key's frame" is taken from
    # the editor's own render (NotesEditor.after_next_render) plus ECHO_WRITE_SECONDS, so the
    # frame is written to the terminal before the UI thread redraws anything else.

    def _queue_and_mark(self) -> None:
        item = self.current
        self._queue_current()
        self._paint_later(f"item-{item.id}", lambda: self._refresh_item_state(item))

    def _save_after_frame(self) -> None:
        """Typing goes on and the oldest change is due: queue it once this key's frame is written, so
        the save (its thread wants the GIL too) runs in the gap before the next key, not beside one."""
        if not self._save_due_after_frame:
            self._save_due_after_frame = True
            self.set_timer(SAVE_AFTER_KEY_SECONDS, self._queue_after_frame)

    def _queue_after_frame(self) -> None:
        self._save_due_after_frame = False
        if self._dirty_since is not None:
            self._queue_and_mark()

    def _typing_now(self) -> bool:
        return monotonic() - self._last_key < TYPING_QUIET_SECONDS

    def _paint_later(self, name: str, paint) -> None:
        """Run ``paint`` now, or (while typing) with the next key; a newer one of the same name replaces it."""
        if self._typing_now():
            self._held_paints[name] = paint
        else:
            self._held_paints.pop(name, None)
            paint()

    def _paint_held(self) -> None:
        held, self._held_paints = self._held_paints, {}
        for paint in held.values():
            paint()

    def key_typed(self) -> None:
        """The notes editor is about to handle a key: what was held is drawn once its frame is out."""
        self._last_key = monotonic()
        self._typed_since_collect = True
        if self._held_paints and not self._paint_after_frame:
            self._paint_after_frame = True
            self._editor.after_next_render(self._paint_held_after_frame)

    def _paint_held_after_frame(self) -> None:
        """The frame showing the key is being drawn: paint what was held a moment after it is written."""
        self._paint_for_key = self._last_key
        self.set_timer(ECHO_WRITE_SECONDS, self._paint_held_once_written)

    def _paint_held_once_written(self) -> None:
        if self._last_key != self._paint_for_key:
            # Another key came meanwhile: after its frame, not in it.
            self._editor.after_next_render(self._paint_held_after_frame)
            return
        self._paint_after_frame = False
        self._paint_held()

    def _save_changed(self, status: SaveStatus) -> None:
        self._status = status
        for item_id, message in status.failed.items():
            if (item_id, message) not in self._shown_failures:  # each permanent failure is told once
                self._shown_failures.add((item_id, message))
                name = next((i.name for i in self.view.items if i.id == item_id), "an item")
                self.notify(f"Not saved ({name}): {message}. {self._way_forward(message)}", severity="error", timeout=10)
                if "submitted" in message and not self._refused_as_submitted:
                    self._refused_as_submitted = True
                    self.refresh_bindings()
        self._show_status()

    def _way_forward(self, message: str) -> str:
        if "submitted" in message:
            return "Your text is kept on screen: press m to amend with a reason and it is saved."
        return "Your text is kept on screen: change it to try again, or copy it before leaving."

    def _show_status(self) -> None:
        if not self.is_mounted:
            return
        status = self._status
        label = self._status_label = getattr(self, "_status_label", None) or self.query_one("#save-status", Label)
        kind, text, routine = "", "", False
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
            text, routine = f"Saved {status.saved_at.astimezone():%H:%M:%S}", True
        else:
            text = "Notes, tags and scores are saved as you type"
        if self._busy == "quitting":
            kind = kind or "-waiting"
            text = "QUITTING once saved (ctrl+q again to quit without saving) · " + text
        elif self._busy:
            text = f"{self._busy.capitalize()} once saved · " + text
        shown = (kind, text)
        if getattr(self, "_shown_status", None) == shown:
            self._held_paints.pop("status", None)
            return

        def paint() -> None:
            self._shown_status = shown
            for cls in ("-error", "-waiting"):
                label.set_class(cls == kind, cls)
            # Fixed-size label: no layout pass, so the next keystroke is not held up.
            label.update(text, layout=False)

        if routine and not self._busy:
            self._paint_later("status", paint)
        else:
            self._held_paints.pop("status", None)
            paint()  # a problem, or the panellist waiting on us: shown at once

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
        self._start_leaving()

    def open_candidate(self, candidate_id: int) -> None:
        """Leave for another candidate's interview (same panellist), once this one's work is saved."""
        if candidate_id != self.candidate_id:
            self._start_leaving(candidate_id)

    def _start_leaving(self, to_candidate: int | None = None) -> None:
        if self._busy in ("leaving", "quitting"):
            return
        if self._busy == "submitting":  # still waiting to save: leaving wins, nothing is submitted
            self.workers.cancel_group(self, "submit")
            self._busy = ""
        self.run_worker(self._leave(to_candidate), group="leave", exclusive=True)

    async def _leave(self, to_candidate: int | None = None) -> None:
        self._busy = "leaving"
        self._show_status()
        try:
            saved = await self.saved(LEAVE_WAIT_SECONDS)
            if not saved and self.queue.status().failed:
                question = f"Not saved: {self._unsaved_names()}. Leave and lose those changes?"
                if not await self.app.push_screen_wait(ConfirmDialog(question)):
                    return
                self.queue.discard_failed()
            elif not saved:
                # The queue outlives the screen: it keeps trying, and reopening shows its text.
                self.app.notify(
                    f"Still saving {self.view.candidate_label} (waiting for the database); it is saved as soon as it can be",
                    severity="warning",
                )
        finally:
            self._busy = ""
            self._show_status()
        if to_candidate is None:
            self.dismiss(None)
            return

        try:
            view = await self._in_thread(service.load_interview, to_candidate, self.member_id)
        except Exception as exc:  # noqa: BLE001 - this interview stays open, its work saved
            self.notify(f"Could not open that interview: {one_line(exc)}", severity="error")
            return
        # The same screen for the other candidate; this one goes (its queue keeps anything still waiting).
        self.app.switch_screen(type(self)(self.database, view))

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

            try:
                when = await self._in_thread(submit, self.candidate_id, self.member_id)  # the database may be locked
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
        self._set_items()
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
