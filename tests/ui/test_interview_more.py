"""More of the interview screen: save failures, the command palette, anonymised and behaviour campaigns, help."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from textual.widgets import TextArea

from db import autosave as service
from db.campaigns import create_campaign, set_current_member
from db.engine import open_database, sqlite_url
from panel_tui.app import make_app
from panel_tui.screens.interview import InterviewScreen
from tests.ui.test_interview import LC, open_third_candidate, settle_saves


async def test_a_failed_save_is_shown_at_once_and_retried(make_demo_app, reader, monkeypatch):
    real_save = service.autosave
    disk = {"full": True}

    def flaky_save(*args, **kwargs):
        if disk["full"]:
            raise OperationalError("INSERT", {}, Exception("database or disk is full"))
        return real_save(*args, **kwargs)

    monkeypatch.setattr(service, "autosave", flaky_save)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press(*"Evidence typed while the disk was full")
        await pilot.pause(1.2)
        status = str(app.screen.query_one("#save-status").render())
        assert "WAITING TO SAVE" in status and "disk is full" in status
        # The text stays on screen, and the retry saves it once the disk has room again.
        assert app.screen.query_one("#evidence", TextArea).text == "Evidence typed while the disk was full"
        assert reader.evidence("HRBP-003", "Sam Whitfield") == {}
        disk["full"] = False
        await pilot.pause(2.8)
        assert "Saved" in str(app.screen.query_one("#save-status").render())
    settle_saves()  # the writer thread finishes what the app queued as it closed
    assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "Evidence typed while the disk was full"


async def test_command_palette_jumps_to_an_item(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to item: Delivering at Pace")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.current.name == "Delivering at Pace"


async def test_command_palette_opens_a_candidate(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Interview: Dev Patel")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, InterviewScreen)
        assert app.screen.view.candidate_ref == "HRBP-004"


async def test_help_screen_lists_the_keys(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        assert type(app.screen).__name__ == "CampaignScreen"


def _behaviours_campaign(db_file, *, anonymised: bool):
    db = open_database(sqlite_url(db_file))
    with db.session() as session:
        campaign = create_campaign(
            session,
            {
                "title": "Policy Adviser",
                "grade": "SEO",
                "framework": "success-profiles-behaviours",
                "items": ["Making Effective Decisions", "Working Together"],
                "lead": "Making Effective Decisions",
                "anonymised": anonymised,
                "panel": [{"name": "Alex Chair", "role": "chair"}],
                "candidates": [{"ref": "PA-17", "name": "Jo Bloggs"}],
            },
        )
        set_current_member(session, campaign.id, 1 if False else _member_id(session, campaign.id))
        key = campaign.key
    return db, key


def _member_id(session, campaign_id):
    from db.campaigns import panel_members

    return panel_members(session, campaign_id)[0].id


async def test_anonymised_behaviour_campaign_shows_refs_and_example_behaviours(db_file):
    db, key = _behaviours_campaign(db_file, anonymised=True)
    app = make_app(db, open_campaign=key)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        row = [str(c) for c in table.get_row_at(0)]
        assert "PA-17" in row and "Jo Bloggs" not in " ".join(row)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert "Jo Bloggs" not in screen.sub_title and "PA-17" in screen.sub_title
        columns = [str(label.render()) for label in screen.query(".column-title")]
        assert columns == ["Example behaviours"]
        # SEO is level 3: the level-3 examples for Making Effective Decisions are shown.
        from db.frameworks import read_data

        data = read_data("success-profiles-behaviours.json")
        med = next(e for e in data["elements"] if e["name"] == "Making Effective Decisions")
        option_list = screen.query_one("#ind-example")
        shown = [str(option_list.get_option_at_index(i).prompt).removeprefix("• ") for i in range(option_list.option_count)]
        assert shown == med["levels"]["3"]["examples"]
    db.dispose()
