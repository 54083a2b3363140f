"""Field trial (issue 11, items 3 and 5) on the Outcomes screen: an amendment after the consensus is flagged
"needs review" until the chair re-confirms it, and a failed candidate shows every reason."""

from __future__ import annotations

from sqlmodel import select

from db.engine import open_database, sqlite_url
from db.interview import EvidenceState, save_evidence
from db.models import Assessment, CampaignItem, Candidate, ItemEvidence, PanelMember
from tests.ui.settle import settle
from tests.ui.test_consolidation_screen import open_grid
from tests.ui.test_outcomes_screen import CONSENSUS, open_outcomes, record, said


def _amend_after_consensus(db_file) -> str:
    """Joe amends his submitted score for HRBP-001's lead item, with a reason; the item's name."""
    db = open_database(sqlite_url(db_file))
    with db.session() as s:
        cand = s.exec(select(Candidate).where(Candidate.ref == "HRBP-001")).one()
        member_id, item_id, notes, star, name = s.exec(
            select(PanelMember.id, ItemEvidence.item_id, ItemEvidence.notes, ItemEvidence.star, CampaignItem.name)
            .join(Assessment, Assessment.member_id == PanelMember.id)
            .join(ItemEvidence, ItemEvidence.assessment_id == Assessment.id)
            .join(CampaignItem, CampaignItem.id == ItemEvidence.item_id)
            .where(Assessment.candidate_id == cand.id, Assessment.submitted_at.is_not(None),  # type: ignore[union-attr]
                   PanelMember.name != "Sam Whitfield")
            .order_by(CampaignItem.position)
        ).first()
        save_evidence(s, cand.id, member_id, item_id, EvidenceState(notes=notes, star=star, score=2),
                      amend_reason="scored against the wrong level")
    db.dispose()
    return name


async def test_an_amendment_after_the_consensus_is_flagged_until_reconfirmed(make_demo_app, demo_db_file):
    record(demo_db_file, CONSENSUS)
    item = _amend_after_consensus(demo_db_file)
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        detail = said(app.screen.query_one("#candidate-detail"))
        assert f"needs review: {item} (a panellist amended after the consensus)" in detail
        await pilot.press("q")
        grid = await open_grid(pilot)  # the chair's grid flags that cell, and only that one
        flagged = [(r, c) for r in range(grid.row_count) for c in range(1, 8)
                   if "!review" in str(grid.get_cell_at((r, c)))]
        assert len(flagged) == 1 and flagged[0][0] == 0
    record(demo_db_file, {"HRBP-001": CONSENSUS["HRBP-001"]})  # the chair re-confirms every item
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        assert "needs review" not in said(app.screen.query_one("#candidate-detail"))


async def test_a_failed_candidate_shows_every_reason(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        await pilot.press("down")  # HRBP-002: below the pass mark on three items and below the minimum total
        await settle(pilot)
        detail = said(app.screen.query_one("#candidate-detail"))
        assert "failed: below the pass mark: " in detail
        assert "; below the minimum total: 23.33, needs 26" in detail
