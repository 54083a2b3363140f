"""Every screen a user can reach reads and writes the database off the UI thread (issue 10)."""

from __future__ import annotations

from tests.ui.settle import settle

# Keys from the demo's campaign screen, and the screen each lands on.
TOUR = [
    (("c",), "ConsolidationScreen"),
    (("down", "right", "enter"), "ConsensusDialog"),
    (("escape",), "ConsolidationScreen"),
    (("escape",), "CampaignScreen"),
    (("o",), "OutcomesScreen"),
    (("escape",), "CampaignScreen"),
    (("x",), "ExchangeScreen"),
    (("escape",), "CampaignScreen"),
    (("f",), "FrameworksScreen"),
    (("escape",), "CampaignScreen"),
    (("E",), "CampaignEditForm"),
    (("escape",), "CampaignScreen"),
    (("a",), "CandidateForm"),
    (("escape",), "CampaignScreen"),
    (("w",), "MemberPicker"),
    (("escape",), "CampaignScreen"),
    (("enter",), "InterviewScreen"),
    (("escape", "q"), "CampaignScreen"),
    (("q",), "CampaignsScreen"),
    (("n",), "SetupScreen"),
    (("escape",), "CampaignsScreen"),
]


async def test_no_screen_opens_a_session_on_the_ui_thread(make_demo_app, ui_thread_sessions):
    app = make_demo_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        ui_thread_sessions.clear()  # this app was given its database open (start-up is test_startup's)
        for keys, screen in TOUR:
            await pilot.press(*keys)
            await settle(pilot)
            await pilot.pause()
            assert type(app.screen).__name__ == screen, keys
    assert ui_thread_sessions == []
