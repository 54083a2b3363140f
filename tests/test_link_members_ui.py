"""The campaign owner links panel members to login roles in the edit form (issue 12), not only with
`panel-tui campaign link-member`. Not under tests/ui/: the PostgreSQL case runs in CI's database pass.

On PostgreSQL (a test role with CREATEROLE) the form moves a login from one member to another, audited;
on a SQLite file the form says linking is for a department server and offers no login fields.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import text
from sqlmodel import select

from db import server
from db.campaign_edit import CampaignEdit, edit_campaign
from db.campaigns import find_member
from db.demo import DEMO_KEY
from db.errors import NotFound, ValidationError
from db.models import AuditEvent, PanelMember
from panel_tui.app import make_app
from panel_tui.screens.campaign_edit import CampaignEditForm
from tests.ui.settle import settle


def _can_create_roles(session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return False
    return bool(session.execute(text("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())


@pytest.fixture
def login(session, demo):
    """A login role linked to Priya (PostgreSQL with CREATEROLE only)."""
    if not _can_create_roles(session):
        pytest.skip("needs PANEL_TUI_TEST_DB_URL (PostgreSQL) and a role with CREATEROLE")
    name = f"link_{secrets.token_hex(3)}"
    server.add_user(session, name, demo.id, "Priya")  # type: ignore[arg-type]
    yield name
    server.drop_user(session, name)


async def test_owner_moves_a_login_between_members_in_the_form(database, demo, login):
    app = make_app(database, open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CampaignEditForm)
        with database.session() as s:
            priya, joe = find_member(s, demo.id, "Priya").id, find_member(s, demo.id, "Joe").id
        assert form.query_one(f"#login-{priya}").value == login
        form.query_one(f"#login-{priya}").focus()
        await pilot.press("home", "ctrl+k")  # Priya leaves the panel's logins...
        form.query_one(f"#login-{joe}").focus()
        await pilot.press(*"nobody_such_role", "tab", "tab")  # ...a login that does not exist: refused
        form.query_one("#reason").focus()
        await pilot.press(*"Joe sits in for Priya", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CampaignEditForm)
        assert "no PostgreSQL role 'nobody_such_role'" in str(form.query_one("#edit-error").render())
        with database.session() as s:
            assert find_member(s, demo.id, "Priya").db_role == login  # nothing changed
        form.query_one(f"#login-{joe}").focus()
        await pilot.press("home", "ctrl+k", *login)
        form.query_one("#reason").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, CampaignEditForm), str(form.query_one("#edit-error").render())
    with database.session() as s:
        links = {m.name: m.db_role for m in s.exec(select(PanelMember).where(PanelMember.campaign_id == demo.id)).all()}
        events = s.exec(select(AuditEvent.action, AuditEvent.old_value, AuditEvent.new_value)
                        .where(AuditEvent.reason == "Joe sits in for Priya")).all()
    assert links["Joe Lambert"] == login and links["Priya Raman"] is None
    assert sorted(tuple(e) for e in events) == [("link login", "", login), ("unlink login", login, "")]


async def test_on_a_laptop_file_the_form_says_linking_is_for_servers(database, demo):
    if database.engine.dialect.name == "postgresql":
        pytest.skip("the laptop case: a SQLite file")
    app = make_app(database, open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CampaignEditForm)
        assert "for a department server (PostgreSQL)" in str(form.query_one("#logins-note").render())
        assert not [w for w in form.query("Input") if (w.id or "").startswith("login-")]
        # The rest of the form works as before.
        form.query_one("#minutes").focus()
        await pilot.press("home", "ctrl+k", *"50")
        form.query_one("#reason").focus()
        await pilot.press(*"Longer slots", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, CampaignEditForm)
    with database.session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.reason == "Longer slots")).first() is not None


def test_links_through_the_edit_service_are_refused_on_a_file(session, demo):
    if session.get_bind().dialect.name == "postgresql":
        pytest.skip("the laptop case: a SQLite file")
    with pytest.raises(ValidationError, match="department server"):
        edit_campaign(session, demo.id, CampaignEdit(links=(("Joe Lambert", "joe_l"),), reason="x"))


def test_edit_service_links_as_link_member_does(session, demo, login):
    with pytest.raises(NotFound, match="no PostgreSQL role"):
        edit_campaign(session, demo.id, CampaignEdit(links=(("Joe Lambert", "no_such_login_x"),), reason="r"))
    with pytest.raises(ValidationError, match="linked to both"):
        edit_campaign(session, demo.id, CampaignEdit(links=(("Joe Lambert", login),), reason="r"))
    result = edit_campaign(session, demo.id, CampaignEdit(links=(("Joe Lambert", login), ("Priya Raman", "")), reason="swap"))
    assert sorted(result.changes) == [f"login of Joe Lambert: (none) -> {login}", f"login of Priya Raman: {login} -> (none)"]
    session.expire_all()
    assert find_member(session, demo.id, "Joe").db_role == login
