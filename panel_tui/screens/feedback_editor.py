"""Edit a candidate's feedback before it is sent: starts from the saved text, or the draft written
from the consensus rationales; saved with db.reports.save_feedback; exported as a text file."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, TextArea

from db import reports
from db.errors import PanelError
from db.models import Campaign, Candidate, Outcome
from panel_tui.screens.dialogs import ConfirmDialog
from panel_tui.screens.file_picker import FilePicker


class FeedbackEditor(ModalScreen[bool]):
    """Returns True if the feedback was saved while the editor was open."""

    CSS_PATH = "../styles/outcomes.tcss"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the feedback (kept with the candidate's outcome)"),
        Binding("ctrl+o", "export", "Save & export", tooltip="Save, then write the feedback to a text file"),
        Binding("ctrl+r", "redraft", "Fresh draft", tooltip="Replace the text with a new draft from the consensus rationales"),
        Binding("escape", "close", "Close", tooltip="Close (asks before discarding unsaved changes)"),
    ]

    def __init__(self, database, candidate_id: int, actor: str, *, start: Path | None = None) -> None:
        super().__init__()
        self.database = database
        self.candidate_id = candidate_id
        self.actor = actor
        self.start = start or Path.cwd()
        self.saved_text = ""
        self.saved_any = False

    def compose(self) -> ComposeResult:
        with Vertical(id="feedback-dialog"):
            yield Label("", id="feedback-title", classes="dialog-title")
            yield TextArea("", id="feedback-text", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
            yield Label("", id="feedback-status", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        from sqlmodel import select

        with self.database.session() as session:
            candidate = session.get(Candidate, self.candidate_id)
            campaign = session.get(Campaign, candidate.campaign_id) if candidate is not None else None
            anonymised = campaign is not None and campaign.anonymised
            stored = session.exec(select(Outcome.feedback).where(Outcome.candidate_id == self.candidate_id)).first()
            text = reports.feedback_text(session, self.candidate_id)
        self.ref = candidate.ref if candidate else str(self.candidate_id)
        who = self.ref if anonymised or candidate is None or not candidate.name else f"{candidate.name} ({self.ref})"
        self.query_one("#feedback-title", Label).update(f"Feedback for {who}")
        self.saved_text = text
        editor = self.query_one("#feedback-text", TextArea)
        editor.load_text(text)
        editor.move_cursor(editor.document.end)  # carry on where the letter ends
        self._status("Saved feedback" if stored and stored.strip() else "Draft from the consensus rationales: edit, then ctrl+s")
        editor.focus()

    @property
    def text(self) -> str:
        return self.query_one("#feedback-text", TextArea).text

    @property
    def changed(self) -> bool:
        return self.text.strip() != self.saved_text.strip()

    def _status(self, message: str, *, error: bool = False) -> None:
        status = self.query_one("#feedback-status", Label)
        status.set_class(error, "error")
        status.update(message)

    def _save(self) -> bool:
        try:
            with self.database.session() as session:
                reports.save_feedback(session, self.candidate_id, self.text, self.actor)
                self.saved_text = reports.feedback_text(session, self.candidate_id)
        except PanelError as exc:
            self._status(f"NOT SAVED: {exc}", error=True)
            return False
        self.saved_any = True
        self._status("Saved")
        return True

    def action_save(self) -> None:
        if self._save():
            self.notify(f"Feedback for {self.ref} saved")

    def action_redraft(self) -> None:
        with self.database.session() as session:
            draft = reports.feedback_draft(session, self.candidate_id)
        self.query_one("#feedback-text", TextArea).load_text(draft)
        self._status("A fresh draft: ctrl+s to keep it")

    def action_export(self) -> None:
        if not self._save():
            return
        self.app.push_screen(
            FilePicker(f"Save the feedback for {self.ref} as", self.start, suggested=f"{self.ref}-feedback.txt", must_exist=False),
            lambda path: path and self._export(path),
        )

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, path: Path) -> None:
        from panel_tui.screens.outcomes import write_private

        try:
            with self.database.session() as session:
                write_private(path, reports.feedback_text(session, self.candidate_id))
        except (PanelError, OSError) as exc:
            self.app.call_from_thread(self.app.notify, str(exc), title="Feedback not exported", severity="error", markup=False)
            return
        self.app.call_from_thread(self.app.notify, f"Wrote the feedback to {path}", title="Exported", markup=False)
        self.app.call_from_thread(self._status, f"Exported to {path}")

    def action_close(self) -> None:
        if not self.changed:
            self.dismiss(self.saved_any)
            return

        def discard(ok: bool | None) -> None:
            if ok:
                self.dismiss(self.saved_any)

        self.app.push_screen(ConfirmDialog("Discard your unsaved changes to the feedback?"), discard)
