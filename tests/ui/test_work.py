"""panel_tui.work: service calls off the UI thread, answered by messages; no failure is silent."""

from __future__ import annotations

from contextlib import contextmanager

from textual.app import App
from textual.screen import Screen
from textual.widgets import Label

from db.errors import NotFound
from panel_tui.screens.consolidation import ConsolidationScreen
from panel_tui.work import ServiceWork
from tests.ui.settle import settle


class FakeDatabase:
    def __init__(self) -> None:
        self.opened = 0

    @contextmanager
    def session(self):
        self.opened += 1
        yield "session"


class Probe(ServiceWork, Screen[None]):
    def compose(self):
        yield Label("Loading…", id="status")


class ProbeApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.database = FakeDatabase()

    def on_mount(self) -> None:
        self.push_screen(Probe())


def notifications(app):
    return [(n.title, n.message, n.severity) for n in app._notifications]


async def test_done_gets_the_result_and_settled_runs_once():
    app = ProbeApp()
    seen = []
    async with app.run_test() as pilot:
        await pilot.pause()
        app.screen.run_service(lambda session, a, b: (session, a + b), 2, 3, tag="add",
                               done=seen.append, settled=lambda: seen.append("settled"))
        await settle(pilot)
    assert seen == [("session", 5), "settled"]
    assert app.database.opened == 1


async def test_a_failure_is_one_error_line_unless_the_caller_handles_it():
    def broken(session):
        raise NotFound("campaign 99 not found\nsecond line")

    app = ProbeApp()
    handled = []
    async with app.run_test() as pilot:
        await pilot.pause()
        app.screen.run_service(broken, tag="load", title="Not loaded")
        await settle(pilot)
        assert notifications(app) == [("Not loaded", "campaign 99 not found", "error")]
        app.screen.run_service(broken, failed=handled.append, settled=lambda: handled.append("settled"))
        await settle(pilot)
        assert handled == ["campaign 99 not found", "settled"]
        assert len(notifications(app)) == 1
        # An unexpected error is named, still in one line.
        app.screen.run_service(lambda session: {}["x"])
        await settle(pilot)
        assert notifications(app)[-1][1:] == ("KeyError: 'x'", "error")


async def test_an_older_exclusive_load_is_dropped():
    import threading

    release = threading.Event()

    def slow(session):
        release.wait(5)
        return "old"

    app = ProbeApp()
    seen = []
    async with app.run_test() as pilot:
        await pilot.pause()
        app.screen.run_service(slow, done=seen.append, group="load", exclusive=True)
        app.screen.run_service(lambda session: "new", done=seen.append, group="load", exclusive=True)
        release.set()
        await settle(pilot)
    assert seen == ["new"]


async def test_consolidation_that_cannot_load_says_so_instead_of_loading_forever(make_demo_app):
    app = make_demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.push_screen(ConsolidationScreen(app.database, 999_999, None))
        await settle(pilot)
        summary = str(app.screen.query_one("#grid-summary").render())
        assert "Loading" not in summary and summary.startswith("Not loaded:")
        assert any(severity == "error" for _, _, severity in notifications(app))
