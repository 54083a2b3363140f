"""SVG snapshots of the main screens (pytest --snapshot-update after an intended change)."""

from __future__ import annotations

from tests.ui.settle import settle, steady


async def _open_third_candidate(pilot) -> None:
    await settle(pilot)
    await pilot.press("down", "down", "enter")
    await pilot.pause()
    await steady(pilot)


def test_campaign_candidates(snap_compare, make_demo_app):
    assert snap_compare(make_demo_app(), run_before=settle, terminal_size=(100, 24))


def test_campaigns_list(snap_compare, make_demo_app):
    async def back(pilot):
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)

    assert snap_compare(make_demo_app(), run_before=back, terminal_size=(100, 24))


def test_interview_80x24(snap_compare, make_demo_app):
    assert snap_compare(make_demo_app(), run_before=_open_third_candidate, terminal_size=(80, 24))


def test_interview_160x48(snap_compare, make_demo_app):
    assert snap_compare(make_demo_app(), run_before=_open_third_candidate, terminal_size=(160, 48))


def test_interview_submitted_with_scores(snap_compare, make_demo_app):
    async def open_first(pilot):
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)  # the interview is read in a worker, then shown
        await pilot.pause()
        await pilot.press("escape")
        await steady(pilot)

    assert snap_compare(make_demo_app(), run_before=open_first, terminal_size=(120, 36))


def test_framework_browser_80x24(snap_compare, make_demo_app):
    async def browse(pilot):
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("down", "right_square_bracket")

    assert snap_compare(make_demo_app(), run_before=browse, terminal_size=(80, 24))


def test_framework_browser_behaviours_160x48(snap_compare, make_demo_app):
    async def browse(pilot):
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("4")

    assert snap_compare(make_demo_app(), run_before=browse, terminal_size=(160, 48))


async def _open_grid(pilot) -> None:
    await settle(pilot)
    await pilot.press("c")
    for _ in range(30):
        await pilot.pause(0.05)
        if pilot.app.screen.query("ScoreGrid") and pilot.app.screen.query_one("ScoreGrid").row_count:
            break
    await pilot.press("d")


def test_consolidation_grid(snap_compare, make_demo_app):
    assert snap_compare(make_demo_app(), run_before=_open_grid, terminal_size=(140, 24))


def test_consensus_dialog(snap_compare, make_demo_app):
    async def open_dialog(pilot):
        await _open_grid(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await steady(pilot)

    assert snap_compare(make_demo_app(), run_before=open_dialog, terminal_size=(140, 40))
