"""The campaign owner's edit form: title, decision date, interview length and the panel, with a reason.

The checks and the audit are db.campaign_edit's (the same as `panel-tui campaign edit`); a refusal is
one line in the form and nothing changes. Clearing a member's name removes them from the panel.
On a department server (PostgreSQL) the form also links each member to their login role (the same
checks as `panel-tui campaign link-member`); on a laptop file it says that is for servers.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from db.campaign_edit import CampaignEdit, EditResult, edit_campaign, login_links
from db.models import Campaign
from db.specs.values import decision_date_warnings
from db.text import clean_line
from panel_tui.work import ServiceWork


class CampaignEditForm(ServiceWork, ModalScreen[EditResult | None]):
    """Returns the EditResult when saved, None when cancelled."""

    CSS_PATH = "../styles/campaign_edit.tcss"
    HELP_TITLE = "Edit campaign"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, tooltip="Check and save the changes (a reason is required)",
                id="campaign_edit.save"),
        Binding("escape", "dismiss(None)", "Cancel", id="campaign_edit.cancel"),
    ]

    def __init__(self, campaign: Campaign, members: list[tuple[int, str, str]], actor: str = "") -> None:
        super().__init__()
        self.campaign = campaign
        self.members = members
        self.actor = actor
        self.links: dict[int, str] | None = None  # member id -> login role; None: not a server

    def compose(self) -> ComposeResult:
        c = self.campaign
        with VerticalScroll(classes="dialog", id="campaign-edit"):
            yield Label(Text(clean_line(f"Edit campaign: {c.title} ({c.key})")), classes="dialog-title")
            yield Label("Title")
            yield Input(clean_line(c.title), id="title")
            yield Label("Decision date (YYYY-MM-DD)")
            yield Input(c.decision_date.isoformat() if c.decision_date else "", id="decision-date", placeholder="YYYY-MM-DD")
            yield Label("", id="decision-date-warning", classes="warning")
            yield Label("Interview length (minutes)")
            yield Input(str(c.interview_minutes), id="minutes", type="integer")
            yield Label("Panel (edit a name to rename; clear it to remove)")
            with Vertical(id="panel"):
                for mid, name, role in self.members:
                    yield Input(name, id=f"member-{mid}", tooltip=role)
            yield Input(placeholder="Add a panel member (name)", id="add-member")
            yield Vertical(id="logins")  # filled once known whether this is a department server
            yield Label("Reason (required; kept in the audit trail)")
            yield Input(placeholder="Why the campaign changes, then Ctrl+S", id="reason")
            yield Label("", id="edit-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        self.run_service(login_links, self.campaign.id, tag="logins", done=self._show_logins)

    def _show_logins(self, links: dict[int, str] | None) -> None:
        box = self.query_one("#logins", Vertical)
        if links is None:
            box.mount(Label("Linking panel members to database logins is for a department server (PostgreSQL); "
                            "on this file each person chooses who they are (w).", id="logins-note"))
            return
        self.links = links
        box.mount(Label("Login roles (department server: a panellist is their login; empty: not linked)"))
        for mid, name, _ in self.members:
            box.mount(Input(links.get(mid, ""), id=f"login-{mid}", placeholder=f"login role for {clean_line(name)}",
                            tooltip=f"The PostgreSQL login that is {clean_line(name)}"))

    @on(Input.Changed, "#decision-date")
    def _decision_date_typed(self, event: Input.Changed) -> None:
        # Advice as the date is typed (the same words as the wizard and the CLI); it does not stop a save.
        try:
            decision = date.fromisoformat(event.value.strip())
        except ValueError:
            decision = None
        shown = self.query_one("#decision-date-warning", Label)
        warnings = decision_date_warnings(decision, date.today()) if decision != self.campaign.decision_date else []
        shown.update(Text("\n".join(f"⚠ {w}" for w in warnings)))
        shown.display = bool(warnings)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "reason":
            self.action_save()
        else:
            self.focus_next()

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    def edit(self) -> CampaignEdit:
        """What the form asks for; values left as they were are not changes."""
        c = self.campaign
        renames, removals = [], []
        for mid, name, _ in self.members:
            new = self._value(f"member-{mid}")
            if not new:
                removals.append(name)
            elif new != name:
                renames.append((name, new))
        added = self._value("add-member")
        date_text = self._value("decision-date")
        return CampaignEdit(
            title=self._value("title"),
            decision_date=date_text if date_text != (c.decision_date.isoformat() if c.decision_date else "") else None,
            interview_minutes=self._value("minutes") or None,
            rename=tuple(renames), remove=tuple(removals), add=((added, "member"),) if added else (),
            reason=self._value("reason"),
            expected_version=c.version,
            links=self._changed_links(),
        )

    def _changed_links(self) -> tuple[tuple[str, str], ...]:
        if self.links is None:
            return ()
        wanted = ((name, self._value(f"login-{mid}"), self.links.get(mid, "")) for mid, name, _ in self.members)
        return tuple((name, role) for name, role, old in wanted if role != old)

    def action_save(self) -> None:
        error = self.query_one("#edit-error", Label)
        error.update("")
        save = partial(edit_campaign, actor=self.actor)
        self.run_service(save, self.campaign.id, self.edit(), tag="edit_campaign", done=self.dismiss,
                         failed=lambda message: error.update(Text(message)))
