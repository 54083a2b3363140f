"""Stored text is data: names with brackets show as typed, and escape sequences never reach the terminal.

The names are written straight into the database, as a value stored before the
cleaning rule existed (or written behind the app's back) would be.
"""

from __future__ import annotations

import html

import pytest
from sqlmodel import Session, create_engine, select

from db.engine import sqlite_url
from db.models import Campaign, Candidate
from tests.ui.settle import settle

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"
OSC2 = "\x1b]2;pwned\x07"
NAMES = {
    "HRBP-001": "[/]",
    "HRBP-002": "Alex O'Neil [he/him]",
    "HRBP-003": f"Eve{OSC52} Mallory{OSC2}",
}
SHOWN = {"HRBP-001": "[/]", "HRBP-002": "Alex O'Neil [he/him]", "HRBP-003": "Eve Mallory"}


@pytest.fixture
def hostile(demo_db_file):
    engine = create_engine(sqlite_url(demo_db_file))
    with Session(engine) as s:
        for ref, name in NAMES.items():
            candidate = s.exec(select(Candidate).where(Candidate.ref == ref)).one()
            candidate.name = name
            s.add(candidate)
        campaign = s.exec(select(Campaign)).first()
        campaign.title = f"HR Business Partner [b]{OSC2}"
        s.add(campaign)
        s.commit()
    engine.dispose()
    return demo_db_file


def on_screen(app) -> str:
    """What the app draws, as text (the SVG screenshot, unescaped)."""
    svg = app.export_screenshot()
    assert "\x1b" not in svg and "\x07" not in svg, "an escape sequence reached the screen"
    return html.unescape(svg).replace("\xa0", " ")


def cells(table, column: int) -> list[str]:
    return [str(table.get_row_at(n)[column]) for n in range(table.row_count)]


async def test_campaign_screen_shows_names_as_typed(make_demo_app, hostile):
    app = make_demo_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#candidates")
        assert cells(table, 2)[:3] == [SHOWN[r] for r in ("HRBP-001", "HRBP-002", "HRBP-003")]
        drawn = on_screen(app)
        assert "Alex O'Neil [he/him]" in drawn and "[/]" in drawn and "pwned" not in drawn
        assert "HR Business Partner [b]" in drawn
        # The command palette lists the candidates too.
        await pilot.press("ctrl+p", *"Interview")
        await pilot.pause(0.3)
        on_screen(app)


async def test_consolidation_grid_shows_names_as_typed(make_demo_app, hostile):
    from tests.ui.test_consolidation_screen import open_grid

    app = make_demo_app()
    async with app.run_test(size=(160, 30)) as pilot:
        grid = await open_grid(pilot)
        labels = [str(grid.get_cell_at((n, 0))) for n in range(3)]
        assert labels == [f"{SHOWN[r]} ({r})" for r in ("HRBP-001", "HRBP-002", "HRBP-003")]
        drawn = on_screen(app)
        assert "Alex O'Neil [he/him]" in drawn and "[/] (HRBP-001)" in drawn


async def test_outcomes_screen_shows_names_as_typed(make_demo_app, hostile):
    app = make_demo_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        table = app.screen.query_one("#merit-table")
        names = dict(zip(cells(table, 1), cells(table, 2)))
        assert {r: names[r] for r in SHOWN} == SHOWN
        drawn = on_screen(app)
        assert "Alex O'Neil [he/him]" in drawn and "pwned" not in drawn
        assert "[/] (HRBP-001)" in str(app.screen.query_one("#candidate-detail").render())
