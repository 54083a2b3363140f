"""Stored text is data on the interview screen too: brackets show as typed, escape sequences never
reach the terminal (the campaign, consolidation and outcomes screens: tests/ui/test_text_is_data.py).

The hostile values are written straight into the database, as a value stored before the cleaning
rule existed (or written behind the app's back) would be.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, create_engine, select
from textual.widgets import TextArea

from db.engine import sqlite_url
from db.interview import EvidenceState, save_evidence
from db.models import CampaignItem, Candidate, ItemEvidence, PanelMember, Question
from tests.ui.test_interview import open_third_candidate
from tests.ui.test_text_is_data import OSC2, OSC52, on_screen

NAME = f"Alex O'Neil [he/him]{OSC52}"
ADJUSTMENTS = f"[b]25% extra time[/b]{OSC2}"
NOTES = f"Said [red]not red[/red] and [/] as typed{OSC52}\x1b[31m in red?"
QUESTION = "Tell us about [bold]a time[/bold] you led [/] change"
ITEM = f"Leading [i]and[/i] Communicating [/]{OSC2}"


@pytest.fixture
def hostile(demo_db_file):
    engine = create_engine(sqlite_url(demo_db_file))
    with Session(engine) as s:
        candidate = s.exec(select(Candidate).where(Candidate.ref == "HRBP-003")).one()
        sam = s.exec(select(PanelMember).where(PanelMember.name == "Sam Whitfield")).one()
        item = s.exec(select(CampaignItem).where(CampaignItem.campaign_id == candidate.campaign_id)
                      .order_by(CampaignItem.position)).first()
        save_evidence(s, candidate.id, sam.id, item.id, EvidenceState(notes="placeholder"))
        evidence = s.exec(select(ItemEvidence).where(ItemEvidence.item_id == item.id, ItemEvidence.notes == "placeholder")).one()
        evidence.notes = NOTES
        candidate.name, candidate.adjustments = NAME, ADJUSTMENTS
        item.name = ITEM
        s.add_all([evidence, candidate, item, Question(item_id=item.id, position=99, text=QUESTION)])
        s.commit()
    engine.dispose()
    return demo_db_file


async def test_interview_screen_shows_stored_text_as_typed(make_demo_app, hostile):
    app = make_demo_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.pause(0.3)
        drawn = on_screen(app)  # no escape sequence or BEL reached the screen
        assert "Alex O'Neil [he/him]" in drawn and "pwned" not in drawn
        assert "[b]25% extra time[/b]" in drawn
        assert "[bold]a time[/bold] you led [/] change" in drawn
        assert "Evidence: Leading [i]and[/i] Communicating [/]" in drawn  # the editor's title
        assert drawn.count("Leading [i]and[/i] Communicating [/]") >= 2  # and the item list
        title = str(app.screen.query_one("#indicator-title").render())
        assert "Leading [i]and[/i] Communicating [/]" in title and "pwned" not in title
        notes = app.screen.query_one("#evidence", TextArea).text
        assert notes.startswith("Said [red]not red[/red] and [/] as typed")
        assert "\x1b" not in notes and "\x07" not in notes and "52;c;" not in notes
