"""Edit a candidate's feedback before it is sent: starts from the saved text, or the draft written
from the consensus rationales; saved with db.reports.save_feedback; exported as a text file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from db import reports
from db.campaigns import get_campaign
from db.candidates import list_candidates
from db.files import write_private
from db.text import clean_block, clean_line
from panel_tui.dialogs import ConfirmDialog, FilePicker
from panel_tui.widgets.footer import PanelFooter
from panel_tui.work import ServiceWork


@dataclass(frozen=True)
class FeedbackView:
    who: str
    ref: str
    text: str
    saved: bool  # True: the stored feedback; False: a draft from the rationales


def load_feedback(session, campaign_id: int, candidate_id: int) -> FeedbackView:
    campaign = get_campaign(session, campaign_id)
    candidate = next((c for c in list_candidates(session, campaign_id) if c.id == candidate_id), None)
    ref = candidate.ref if candidate else str(candidate_id)
    who = ref if campaign.anonymised or candidate is None or not candidate.name else f"{candidate.name} ({ref})"
    draft = reports.feedback_draft(session, candidate_id)
    text = reports.feedback_text(session, candidate_id)
    return FeedbackView(who, ref, text, saved=text.strip() != draft.strip())


def save_feedback(session, candidate_id: int, text: str, actor: str) -> str:
    """Save; returns the text as stored (what an export will write)."""
    reports.save_feedback(session, candidate_id, text, actor)
    return reports.feedback_text(session, candidate_id)


def export_feedback(session, candidate_id: int, path: Path) -> Path:
    return write_private(path, reports.feedback_document(session, candidate_id))


class FeedbackEditor(ServiceWork, ModalScreen[bool]):
    """Returns True if the feedback was saved while the editor was open."""

    CSS_PATH = "../styles/outcomes.tcss"
    HELP_TITLE = "Feedback editor"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the feedback (kept with the candidate's outcome)", id="feedback.save"),
        Binding("ctrl+o", "export", "Save & export", tooltip="Save, then write the feedback to a text file", id="feedback.export"),
        Binding("ctrl+r", "redraft", "Fresh draft", tooltip="Replace the text with a new draft from the consensus rationales",
                id="feedback.redraft"),
        Binding("escape", "close", "Close", tooltip="Close (asks before discarding unsaved changes)", id="feedback.close"),
    ]

    def __init__(self, campaign_id: int, candidate_id: int, actor: str, *, start: Path | None = None) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.candidate_id = candidate_id
        self.actor = actor
        self.start = start  # None: the file picker's own start (the last folder used)
        self.ref = str(candidate_id)
        self.saved_text = ""
        self.saved_any = False

    def compose(self) -> ComposeResult:
        with Vertical(id="feedback-dialog"):
            yield Label("Feedback", id="feedback-title", classes="dialog-title")
            yield TextArea("", id="feedback-text", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
            yield Label("Loading…", id="feedback-status", classes="hint")
        yield PanelFooter()

    def on_mount(self) -> None:
        self.query_one("#feedback-text", TextArea).focus()
        self.run_service(load_feedback, self.campaign_id, self.candidate_id, tag="load", done=self._loaded,
                         failed=lambda message: self._status(f"NOT LOADED: {message}", error=True))

    def _loaded(self, view: FeedbackView) -> None:
        self.ref = clean_line(view.ref)
        self.query_one("#feedback-title", Label).update(Text(clean_line(f"Feedback for {view.who}")))
        self.saved_text = clean_block(view.text)
        editor = self.query_one("#feedback-text", TextArea)
        editor.load_text(self.saved_text)
        editor.move_cursor(editor.document.end)  # carry on where the letter ends
        self._status("Saved feedback" if view.saved else "Draft from the consensus rationales: edit, then ctrl+s")

    @property
    def text(self) -> str:
        return self.query_one("#feedback-text", TextArea).text

    @property
    def changed(self) -> bool:
        return self.text.strip() != self.saved_text.strip()

    def _status(self, message: str, *, error: bool = False) -> None:
        status = self.query_one("#feedback-status", Label)
        status.set_class(error, "error")
        status.update(Text(message))

    def _save(self, then=None) -> None:
        def saved(stored: str) -> None:
            self.saved_text = clean_block(stored)
            self.saved_any = True
            self._status("Saved")
            if then is not None:
                then()

        self._status("Saving…")
        self.run_service(save_feedback, self.candidate_id, self.text, self.actor, tag="save", done=saved,
                         failed=lambda message: self._status(f"NOT SAVED: {message}", error=True))

    def action_save(self) -> None:
        self._save(lambda: self.notify(f"Feedback for {self.ref} saved", markup=False))

    def action_redraft(self) -> None:
        def drafted(draft: str) -> None:
            self.query_one("#feedback-text", TextArea).load_text(clean_block(draft))
            self._status("A fresh draft: ctrl+s to keep it")

        self.run_service(reports.feedback_draft, self.candidate_id, tag="redraft", done=drafted, title="No draft")

    def action_export(self) -> None:
        def pick() -> None:
            self.app.push_screen(
                FilePicker(f"Save the feedback for {self.ref} as", self.start, suggested=f"{self.ref}-feedback.txt",
                           must_exist=False),
                lambda path: path and self._export(path),
            )

        self._save(pick)

    def _export(self, path: Path) -> None:
        def exported(_: Path) -> None:
            self.notify(f"Wrote the feedback to {path}", title="Exported", markup=False)
            self._status(f"Exported to {path}")

        self.run_service(export_feedback, self.candidate_id, path, tag="export", done=exported,
                         title="Feedback not exported")

    def action_close(self) -> None:
        if not self.changed:
            self.dismiss(self.saved_any)
            return

        def discard(ok: bool | None) -> None:
            if ok:
                self.dismiss(self.saved_any)

        self.app.push_screen(ConfirmDialog("Discard your unsaved changes to the feedback?"), discard)
