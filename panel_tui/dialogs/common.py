"""Small modal dialogs that return through dismiss(value)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from db.text import clean_block, clean_line

# Questions and names shown here come from stored text: drawn as Text, never as markup.


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel", id="confirm.cancel"),
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(clean_block(self.question)), classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", variant="primary", id="yes")
                yield Button("Cancel (esc)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ReasonDialog(ModalScreen[str | None]):
    """Ask for a reason (recorded in the audit trail); empty is refused."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="reason.cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(clean_block(self.question)), classes="dialog-title")
            yield Input(placeholder="Reason (required), then Enter", id="reason")
            yield Label("", id="reason-error", classes="error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if not reason:
            self.query_one("#reason-error", Label).update("A reason is required")
            return
        self.dismiss(reason)


class MemberPicker(ModalScreen[int | None]):
    """Which panel member is using this laptop."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="member_picker.cancel")]

    def __init__(self, members: list[tuple[int, str, str]], current: int | None) -> None:
        super().__init__()
        self.members = members
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Who are you? Your notes and scores are recorded under this name.", classes="dialog-title")
            yield OptionList(
                *(Option(clean_line(f"{name} ({role})"), id=str(mid)) for mid, name, role in self.members),
                id="members", markup=False,
            )

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        ids = [m[0] for m in self.members]
        if self.current in ids:
            option_list.highlighted = ids.index(self.current)
        option_list.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))


class PanelMemberDialog(ModalScreen[tuple[str, str] | None]):
    """Name and role of a new panel member; the caller saves it and may refuse with a reason."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="panel_member.cancel")]
    ROLES = ("member", "chair", "independent")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Add a panel member", classes="dialog-title")
            yield Input(placeholder="Name, then Enter", id="member-name")
            yield OptionList(*(Option(role, id=role) for role in self.ROLES), id="member-role")
            yield Label("", id="member-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#member-role", OptionList).highlighted = 0
        self.query_one("#member-name", Input).focus()

    @on(Input.Submitted, "#member-name")
    def _name_done(self) -> None:
        self.query_one("#member-role", OptionList).focus()

    @on(OptionList.OptionSelected, "#member-role")
    def _role_chosen(self, event: OptionList.OptionSelected) -> None:
        name = self.query_one("#member-name", Input).value.strip()
        if not name:
            self.query_one("#member-error", Label).update("A name is required")
            self.query_one("#member-name", Input).focus()
            return
        self.dismiss((name, event.option.id or "member"))

    def show_error(self, message: str) -> None:
        self.query_one("#member-error", Label).update(Text(message))
