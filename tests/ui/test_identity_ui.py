"""The `w` flow: switching panellist asks for confirmation and is audited; cancelling changes nothing."""

from __future__ import annotations

from sqlmodel import Session, select

from db.models import AuditEvent
from tests.ui.settle import settle


async def test_switch_panellist_confirmed_and_audited(make_demo_app, reader):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "Sam Whitfield" in app.screen.sub_title
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("down", "enter")  # Priya Raman
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("escape")  # changed my mind
        await settle(pilot)
        assert "Sam Whitfield" in app.screen.sub_title
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("down", "enter", "y")
        await settle(pilot)
        assert "Priya Raman" in app.screen.sub_title
    with Session(reader.engine) as s:
        switches = s.exec(select(AuditEvent).where(AuditEvent.action == "switch panellist")).all()
    assert [e.reason for e in switches] == ["switched panellist from Sam Whitfield to Priya Raman"]
