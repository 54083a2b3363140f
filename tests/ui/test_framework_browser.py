"""The framework browser, by keyboard alone: element, level, framework, search."""

from __future__ import annotations

from db.frameworks import read_data
from panel_tui.screens.frameworks import FrameworksScreen
from tests.ui.settle import settle

COMPETENCIES = read_data("competencies-2012.json")
BEHAVIOURS = read_data("success-profiles-behaviours.json")


def _shown(screen, kind: str) -> list[str]:
    option_list = screen.query_one(f"#ind-{kind}")
    return [str(option_list.get_option_at_index(i).prompt).removeprefix("• ") for i in range(option_list.option_count)]


def _campaign_level(db_file) -> tuple[int, str]:
    from sqlmodel import Session, create_engine, select

    from db.engine import sqlite_url
    from db.models import Campaign, Framework

    engine = create_engine(sqlite_url(db_file))
    with Session(engine) as s:
        campaign = s.exec(select(Campaign)).first()
        level, key = campaign.level, s.get(Framework, campaign.framework_id).key
    engine.dispose()
    return level, key


async def test_opened_from_a_campaign_the_browser_shows_its_level(make_demo_app, demo_db_file):
    """Field trial: the browser opened at level 1 whatever the campaign's level."""
    level, key = _campaign_level(demo_db_file)
    assert level != 1  # else this test proves nothing
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FrameworksScreen)
        assert screen.level == level and screen.frameworks[screen.framework_index] == key
        assert _shown(screen, "effective") == COMPETENCIES["elements"][0]["levels"][str(level)]["effective"]


async def test_browse_levels_side_by_side_and_switch_framework(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FrameworksScreen)
        await pilot.press("1")
        await settle(pilot)
        big_picture = COMPETENCIES["elements"][0]
        assert _shown(screen, "effective") == big_picture["levels"]["1"]["effective"]
        assert _shown(screen, "ineffective") == big_picture["levels"]["1"]["ineffective"]
        await pilot.press("down", "right_square_bracket", "right_square_bracket")
        await settle(pilot)
        changing = COMPETENCIES["elements"][1]
        assert _shown(screen, "effective") == changing["levels"]["3"]["effective"]
        await pilot.press("6")
        await settle(pilot)
        assert _shown(screen, "ineffective") == changing["levels"]["6"]["ineffective"]
        await pilot.press("f")  # Success Profiles behaviours
        await settle(pilot)
        assert _shown(screen, "example") == BEHAVIOURS["elements"][0]["levels"]["6"]["examples"]


async def test_search_jumps_to_the_indicator(make_demo_app):
    wanted = COMPETENCIES["elements"][8]["levels"]["2"]["effective"][0]  # Managing a Quality Service
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("slash", *wanted[:40])
        await settle(pilot)
        results = app.screen.query_one("#results")
        assert results.option_count >= 1
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert wanted in _shown(app.screen, "effective")
        assert "Managing a Quality Service · level 2" in str(app.screen.query_one("#indicator-title").render())
