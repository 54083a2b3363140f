"""The command palette inside an interview: another candidate, help at this screen, the framework at the campaign's level."""

from __future__ import annotations

from textual.widgets import TextArea

from panel_tui.screens.frameworks import FrameworksScreen
from panel_tui.screens.help import HelpScreen
from panel_tui.screens.interview import InterviewScreen
from tests.ui.settle import settle
from tests.ui.test_interview import LC, open_third_candidate


async def wait_for(pilot, condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition()


async def test_palette_jumps_to_another_candidate_after_saving(make_demo_app, reader):
    """Field trial item 15: the palette inside an interview could not open another candidate."""
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        first = app.screen
        assert first.view.candidate_ref == "HRBP-003"
        await pilot.press(*"Notes before the jump")
        await wait_for(pilot, lambda: first._candidates)  # read off the UI thread as the screen opened
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Interview: Dev Patel")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen) and app.screen is not first)
        screen = app.screen
        assert screen.view.candidate_ref == "HRBP-004"
        assert screen.member_id == first.member_id and screen.view.member_name == "Sam Whitfield"
        assert app.screen_stack[-2].__class__.__name__ == "CampaignScreen"  # q still goes back to the list
        # The notes typed just before the jump were saved before the other interview opened.
        assert reader.evidence("HRBP-003", "Sam Whitfield")[LC].notes == "Notes before the jump"
        await pilot.press(*"Second")
        assert screen.query_one("#evidence", TextArea).text == "Second"
        await pilot.press("escape", "q")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CampaignScreen")


async def test_palette_lists_other_candidates_not_this_one(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        screen = app.screen
        await wait_for(pilot, lambda: screen._candidates)
        titles = [title for title, _help, _callback in screen.palette_commands()]
        assert "Interview: Dev Patel (HRBP-004)" in titles
        assert not any("HRBP-003" in title for title in titles)


async def test_help_from_an_interview_opens_at_the_interview_keys(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        await pilot.press("f1")  # from the notes: F1 is not typed
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert app.screen.query_one("#help-title-interview").has_class("-current")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, InterviewScreen)


async def test_framework_browser_from_an_interview_opens_at_the_campaigns_level(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_third_candidate(pilot)
        view = app.screen.view
        assert view.level != 1  # else this test proves nothing
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Framework browser")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FrameworksScreen))
        await settle(pilot)
        screen = app.screen
        assert screen.level == view.level and screen.frameworks[screen.framework_index] == view.framework_key
