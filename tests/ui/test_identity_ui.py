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


async def test_stale_consensus_refused_in_the_dialog(make_demo_app, demo_db_file, reader):
    """Two chairs on one database: the second to record, from what they saw before, is told and nothing is lost."""
    from db.consolidation import record_consensus
    from db.engine import open_database, sqlite_url
    from db.models import Candidate, CampaignItem, Consensus
    from panel_tui.widgets.score_grid import ScoreGrid
    from tests.ui.test_consolidation_screen import open_evidence

    app = make_demo_app()
    async with app.run_test(size=(160, 45)) as pilot:
        grid = await open_evidence(pilot)
        assert type(app.screen).__name__ == "ConsensusDialog"
        other = open_database(sqlite_url(demo_db_file), load_frameworks=False)  # the other chair, meanwhile
        with other.session() as s:
            cand = s.exec(select(Candidate).where(Candidate.ref == "HRBP-001")).one()
            item = s.exec(select(CampaignItem).where(CampaignItem.campaign_id == cand.campaign_id)
                          .order_by(CampaignItem.position)).first()
            record_consensus(s, cand.id, item.id, 6, "Joe's agreed wording", "Joe Lambert")
        other.dispose()
        await pilot.press("5", "tab", *"Sam's wording", "ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConsensusDialog"  # stays open to reload
        assert "changed by Joe Lambert" in str(app.screen.query_one("#consensus-error").render())
        assert isinstance(grid, ScoreGrid)
    with Session(reader.engine) as s:
        assert [(c.score, c.rationale) for c in s.exec(select(Consensus)).all()] == [(6.0, "Joe's agreed wording")]
