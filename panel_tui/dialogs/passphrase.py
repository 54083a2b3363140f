"""The pack passphrase, typed masked: for whom a pack is made (export) and its passphrase, twice; or once to open one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from db.text import clean_line

MIN_PASSPHRASE = 8  # as db.exchange.pack.MIN_PASSPHRASE; checked there too


@dataclass(frozen=True)
class PackSecret:
    member: str | None  # whom the pack is for (export only)
    passphrase: str


class PassphraseDialog(ModalScreen[PackSecret | None]):
    """Export (``members`` given): choose the member, type the passphrase twice. Import: type it once.

    The passphrase is never shown and never stored; the chair gives it to the
    panellist by another route (in person, by phone), not with the file.
    """

    CSS_PATH = "../styles/exchange.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="passphrase.cancel")]

    def __init__(self, title: str, *, members: list[str] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.members = members

    @property
    def confirm(self) -> bool:
        return self.members is not None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(clean_line(self.title_text)), classes="dialog-title")
            if self.members is not None:
                yield Label("For which panel member?")
                yield OptionList(*(Option(clean_line(m), id=str(n)) for n, m in enumerate(self.members)),
                                 id="pack-member", markup=False)
            yield Input(placeholder="Passphrase, then Enter", password=True, id="passphrase")
            if self.confirm:
                yield Input(placeholder="The same passphrase again, then Enter", password=True, id="passphrase-again")
            yield Label("", id="passphrase-error", classes="error")

    def on_mount(self) -> None:
        if self.members:
            members = self.query_one("#pack-member", OptionList)
            members.highlighted = 0
            members.focus()
        else:
            self.query_one("#passphrase", Input).focus()

    @on(OptionList.OptionSelected, "#pack-member")
    def _member_chosen(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    def _first(self, event: Input.Submitted) -> None:
        if self.confirm:
            self.query_one("#passphrase-again", Input).focus()
        else:
            self._finish()

    @on(Input.Submitted, "#passphrase-again")
    def _second(self) -> None:
        self._finish()

    def _finish(self) -> None:
        secret = self.query_one("#passphrase", Input).value
        error = self.query_one("#passphrase-error", Label)
        if not secret:
            error.update("Type the passphrase")
            self.query_one("#passphrase", Input).focus()
            return
        member = None
        if self.members is not None:
            if len(secret) < MIN_PASSPHRASE:
                error.update(f"Use at least {MIN_PASSPHRASE} characters")
                self.query_one("#passphrase", Input).focus()
                return
            if self.query_one("#passphrase-again", Input).value != secret:
                error.update("The two passphrases differ")
                self.query_one("#passphrase-again", Input).value = ""
                self.query_one("#passphrase-again", Input).focus()
                return
            highlighted = self.query_one("#pack-member", OptionList).highlighted
            member = self.members[highlighted or 0] if self.members else None
        self.dismiss(PackSecret(member, secret))
