"""Outcomes at once: a decision's row is redrawn before the merit list is re-read, and the re-read
that follows the save reconciles it (ranks, next offer, versions); a refused decision is put back.
The re-read is held back here (a gate in load_merit) so the test sees the screen in between."""

from __future__ import annotations

import asyncio
import threading

from panel_tui.screens import outcomes as outcomes_screen
from panel_tui.screens.outcomes import OutcomesScreen
from tests.ui.settle import settle
from tests.ui.test_outcomes_screen import CONSENSUS, column, merit, notifications, open_outcomes, outcome, record


class Gate:
    """Wraps load_merit: every re-read waits until ``open()``; counts the reads begun and finished."""

    def __init__(self, load) -> None:
        self.load, self.event = load, threading.Event()
        self.begun = self.finished = 0

    def __call__(self, *args):
        self.begun += 1
        self.event.wait(30)
        try:
            return self.load(*args)
        finally:
            self.finished += 1

    def open(self) -> None:
        self.event.set()


async def until(pilot, condition, what: str) -> None:
    for _ in range(200):
        await pilot.pause(0.02)
        if condition():
            return
    raise AssertionError(f"never: {what}")


def summary(app) -> str:
    return str(app.screen.query_one("#outcomes-summary").render())


async def test_decisions_show_before_the_reread_and_ranks_are_right_after(make_demo_app, demo_db_file, monkeypatch):
    record(demo_db_file, CONSENSUS)
    gate = Gate(outcomes_screen.load_merit)
    monkeypatch.setattr(outcomes_screen, "load_merit", gate)
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)  # the first load is load_outcomes: not held back
        screen = app.screen
        assert isinstance(screen, OutcomesScreen) and gate.begun == 0
        table = screen.query_one("#merit-table")
        assert "pending" in table.render_line(1).text  # drawn (and cached) before the decision
        await pilot.press("a", "y")  # appoint HRBP-001, in merit order
        await until(pilot, lambda: column(app, "status")[0] == "appointed", "the appointed row drawn")
        assert gate.finished == 0  # drawn from the decision itself, not from a re-read
        assert "next offer: HRBP-002" in summary(app)
        await pilot.pause()
        drawn = [table.render_line(y).text for y in range(1, 4)]  # what the terminal shows, not just the data
        assert "appointed" in drawn[0] and "HRBP-001" in drawn[0] and "pending" in drawn[1]
        await until(pilot, lambda: outcome(demo_db_file, "HRBP-001") is not None, "the appointment saved")
        assert outcome(demo_db_file, "HRBP-001").status == "appointed"
        # A second decision on the same row before the re-read arrives carries the version just
        # claimed: it is saved, not refused as "changed by someone".
        await pilot.press("d")
        await until(pilot, lambda: column(app, "status")[0] == "declined", "the declined row drawn")
        assert gate.finished == 0 and "next offer: HRBP-001" not in summary(app)
        await until(pilot, lambda: outcome(demo_db_file, "HRBP-001").status == "declined", "declined saved")
        assert not [m for m in notifications(app) if "changed by" in m]

        gate.open()
        await settle(pilot)
        await asyncio.sleep(0)
        expected = merit(demo_db_file)
        assert column(app, "ref") == [r.ref for r in expected.rows]
        assert column(app, "rank")[:2] == ["1", "2"]
        assert column(app, "status")[:2] == ["declined", "pending"]
        assert screen.merit.rows == expected.rows and screen.merit.next_offer == expected.next_offer
        assert "next offer: HRBP-002" in summary(app)
        assert screen.versions[expected.rows[0].candidate_id] == outcome(demo_db_file, "HRBP-001").version == 2


async def test_a_refused_decision_is_put_back(make_demo_app, demo_db_file, monkeypatch):
    record(demo_db_file, CONSENSUS)
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_outcomes(pilot)
        screen = app.screen
        # Another terminal marks HRBP-001 declined; this screen has not seen it (live refresh held off).
        monkeypatch.setattr(screen, "live_changed", lambda: None)
        gate = Gate(outcomes_screen.load_merit)
        monkeypatch.setattr(outcomes_screen, "load_merit", gate)
        from db.engine import open_database, sqlite_url
        from db.outcomes import set_status

        other = open_database(sqlite_url(demo_db_file))
        with other.session() as s:
            set_status(s, merit(demo_db_file).rows[0].candidate_id, "declined", "Priya Shah")
        other.dispose()
        await pilot.press("n")  # on the version this screen saw: refused as stale
        await until(pilot, lambda: any("changed by Priya Shah" in m for m in notifications(app)), "the refusal")
        assert column(app, "status")[0] == "pending" and gate.finished == 0  # put back as this screen had it
        assert "next offer: HRBP-001" in summary(app)
        gate.open()
        await settle(pilot)
        assert outcome(demo_db_file, "HRBP-001").status == "declined"  # the other terminal's decision stands
        assert column(app, "status")[0] == "declined"  # the re-read shows it


async def test_the_merit_list_is_frozen_while_open_and_thawed_on_close(make_demo_app):
    """As the consolidation grid (first_paint.freeze_while_open): full collections skip the merit
    list while Outcomes is open; closing it gives everything back to the collector."""
    import gc

    gc.unfreeze()
    app = make_demo_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await open_outcomes(pilot)
        await settle(pilot)
        await pilot.pause()
        assert isinstance(app.screen, OutcomesScreen) and gc.get_freeze_count() > 0
        await pilot.press("escape")
        await settle(pilot)
        await pilot.pause()
        assert not isinstance(app.screen, OutcomesScreen)
        assert gc.get_freeze_count() == 0  # start-up froze nothing here (no gc_pause in tests)
    gc.unfreeze()
