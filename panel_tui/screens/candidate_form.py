"""Add or edit one candidate: a modal form that dismisses True when something was saved.

Each field is checked as it is typed (db.candidates.clean_candidate) and the
reason is shown under it; saving goes through add_candidate / update_candidate,
which check again and record the change in the audit trail.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label

from rich.text import Text

from db import candidates as candidate_service
from db.campaigns import current_member
from db.text import clean_line
from panel_tui.work import ServiceWork

# (field, label, placeholder)
FIELDS = (
    ("ref", "Ref", "Required, unique; no personal data (kept after purging)"),
    ("name", "Name", "Full name"),
    ("email", "Email", "name@example.org"),
    ("adjustments", "Adjustments", "What the panel should do (extra time, breaks) - never why"),
    ("extra_minutes", "Extra minutes", "0-600; blank reads 'extra time: N minutes'"),
    ("slot", "Slot", "YYYY-MM-DD HH:MM (local time), or blank"),
)


def load_candidate(session, campaign_id: int, candidate_id: int):
    """The candidate as stored (None if gone)."""
    return next((c for c in candidate_service.list_candidates(session, campaign_id) if c.id == candidate_id), None)


def save_candidate(session, campaign_id: int, candidate_id: int | None, values: dict[str, object]) -> None:
    """Add or update, recorded in the audit trail under the panellist using this laptop."""
    member = current_member(session, campaign_id)
    actor = member.name if member is not None else ""
    if candidate_id is None:
        candidate_service.add_candidate(session, campaign_id, actor=actor, **values)
    else:
        candidate_service.update_candidate(session, candidate_id, actor=actor, **values)


class CandidateForm(ServiceWork, ModalScreen[bool]):
    CSS_PATH = "../styles/setup.tcss"

    HELP_TITLE = "Candidate form"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without saving", id="candidate_form.cancel"),
        Binding("ctrl+s", "save", "Save", priority=True, tooltip="Check and save the candidate", id="candidate_form.save"),
    ]

    def __init__(self, database, campaign_id: int, candidate_id: int | None) -> None:
        super().__init__()
        self.database = database
        self.campaign_id = campaign_id
        self.candidate_id = candidate_id
        self.initial: dict[str, object] = {name: "" for name, _, _ in FIELDS}
        self.initial["disability_confident"] = False
        self.purged = False
        self.touched: set[str] = set()  # fields checked so far: typed into, or left

    def compose(self) -> ComposeResult:
        title = "Add a candidate" if self.candidate_id is None else "Edit candidate"
        with Vertical(classes="dialog", id="candidate-form"):
            yield Label(title, classes="dialog-title")
            for name, label, placeholder in FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(str(self.initial[name]), placeholder=placeholder, id=name, compact=True)
                yield Label("", id=f"{name}-error", classes="error field-error")
            with Horizontal(classes="form-row"):
                yield Label("", classes="form-label")
                yield Checkbox(
                    "Disability Confident applicant",
                    bool(self.initial["disability_confident"]), id="disability_confident", compact=True,
                )
            yield Label("", id="form-error", classes="error field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (^s)", variant="primary", id="save", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        for label in self.query(".field-error"):
            label.display = False
        if self.candidate_id is not None:
            self.run_service(load_candidate, self.campaign_id, self.candidate_id, tag="load", done=self._loaded,
                             title="Candidate not loaded")
        self.query_one("#ref", Input).focus()

    def _loaded(self, c) -> None:
        if c is None:
            self._show("form-error", "This candidate is no longer in the campaign")
            return
        self.initial = {
            "ref": clean_line(c.ref), "name": clean_line(c.name), "email": clean_line(c.email),
            "adjustments": clean_line(c.adjustments), "extra_minutes": str(c.extra_minutes or ""),
            "slot": candidate_service.format_slot(c.slot), "disability_confident": c.disability_confident,
        }
        self.purged = c.purged_at is not None
        self.query_one(".dialog-title", Label).update(Text(f"Edit candidate {self.initial['ref']}"))
        for name, _, _ in FIELDS:
            with self.query_one(f"#{name}", Input).prevent(Input.Changed):
                self.query_one(f"#{name}", Input).value = str(self.initial[name])
        self.query_one("#disability_confident", Checkbox).value = bool(self.initial["disability_confident"])
        if self.purged:
            self._show("form-error", "This candidate was purged under the retention policy and cannot be changed")

    # --- validation -----------------------------------------------------------------

    def _values(self) -> dict[str, object]:
        values: dict[str, object] = {name: self.query_one(f"#{name}", Input).value for name, _, _ in FIELDS}
        values["disability_confident"] = self.query_one("#disability_confident", Checkbox).value
        return values

    def _problem(self, name: str) -> str:
        values = self._values()
        fields = {name: values[name]}
        if name == "extra_minutes":
            fields["adjustments"] = values["adjustments"]
        _, problems = candidate_service.clean_candidate(fields, partial=True)
        return problems[0] if problems else ""

    def _show(self, name: str, message: str) -> None:
        label = self.query_one(f"#{name}", Label)
        label.update(Text(message))  # may quote what was typed: never markup
        label.display = bool(message)

    def _check(self, name: str) -> str:
        problem = self._problem(name)
        self._show(f"{name}-error", problem)
        self.query_one(f"#{name}", Input).set_class(bool(problem), "-invalid")
        return problem

    @on(Input.Changed)
    @on(Input.Blurred)
    def _field_changed(self, event: Input.Changed | Input.Blurred) -> None:
        name = event.input.id
        if not name:
            return
        if isinstance(event, Input.Blurred) or event.value != str(self.initial[name]):
            self.touched.add(name)
        if name in self.touched:
            self._check(name)
            self._show("form-error", "")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    # --- actions --------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        problems = [(name, p) for name, _, _ in FIELDS if (p := self._check(name))]
        if problems:
            self.query_one(f"#{problems[0][0]}", Input).focus()
            return
        self.run_service(save_candidate, self.campaign_id, self.candidate_id, self._values(), tag="save",
                         done=lambda _: self.dismiss(True), failed=self._not_saved)

    def _not_saved(self, message: str) -> None:
        if message.startswith("ref "):
            self._show("ref-error", message)
            self.query_one("#ref", Input).focus()
        else:
            self._show("form-error", message)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
