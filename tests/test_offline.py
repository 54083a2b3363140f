"""panel-tui works offline: neither the TUI (the demo, driven by Pilot) nor a CLI command opens a
network connection. Every way out (connect, connect_ex, create_connection, getaddrinfo) is
recorded and refused; the test asserts none was tried."""

from __future__ import annotations

import socket

import pytest

from panel_tui.app import make_app
from panel_tui.cli import main
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="the PostgreSQL run connects to its server on purpose")


@pytest.fixture
def no_network(monkeypatch):
    tried: list[str] = []

    def refuse(name):
        def blocked(*args, **kwargs):
            tried.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            raise OSError("network use refused by the test")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return tried


async def test_the_demo_in_the_tui_opens_no_socket(no_network, tmp_path):
    from panel_tui.screens.campaign import CampaignScreen
    from panel_tui.screens.interview import InterviewScreen

    app = make_app(db_path=str(tmp_path / "panel.db"), demo=True)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(300):
            if isinstance(app.screen, CampaignScreen):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, CampaignScreen)
        await pilot.pause()
        await pilot.press("enter")  # an interview too: its save queue writes from a thread
        for _ in range(100):
            if isinstance(app.screen, InterviewScreen):
                break
            await pilot.pause(0.02)
        await pilot.press(*"offline notes")
        await pilot.pause(1.2)
    assert app.demo and app.database is not None
    assert no_network == []


def test_cli_commands_open_no_socket(no_network, tmp_path, capsys):
    db = str(tmp_path / "panel.db")
    assert main(["--db", db, "frameworks", "list"]) == 0
    assert main(["--db", db, "campaign", "list"]) == 0
    assert no_network == []


def test_the_guard_does_catch_a_connection(no_network):
    # The control: the fixture really sees an attempt.
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 443))
    assert no_network
