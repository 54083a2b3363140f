"""The campaign screen: adding a panellist, and today's interviews only."""

from __future__ import annotations

from sqlmodel import Session, select

from db.models import AuditEvent, PanelMember
from tests.ui.settle import settle


async def test_add_a_panel_member_by_keys(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press(*"Ruth Ogundipe", "enter", "down", "down", "enter")  # role: independent
        await settle(pilot)
        await pilot.press("w")  # the new member can now be chosen on this laptop
        await settle(pilot)
        assert "Ruth Ogundipe (independent)" in [str(o.prompt) for o in app.screen.query_one("#members").options]
    with Session(reader.engine) as s:
        added = s.exec(select(PanelMember).where(PanelMember.name == "Ruth Ogundipe")).one()
        audit = s.exec(select(AuditEvent).where(AuditEvent.entity == "panel")).one()
    assert added.role == "independent"
    assert audit.new_value == "Ruth Ogundipe (independent)" and audit.actor == "Sam Whitfield"


async def test_today_only_filters_the_candidates(make_demo_app):
    # The test demo's interviews are on 12 January 2026, not today.
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#candidates")
        assert table.row_count == 6
        await pilot.press("t")
        await settle(pilot)
        assert table.row_count == 0
        assert "showing today's only" in str(app.screen.query_one("#today").render())
        await pilot.press("t")
        await settle(pilot)
        assert table.row_count == 6
