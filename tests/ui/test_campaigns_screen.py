"""The campaigns list: a new panellist with an empty database imports the chair's pack from here."""

from __future__ import annotations

from db import exchange
from db.demo import DEMO_KEY
from db.engine import open_database, sqlite_url
from db.files import write_private
from panel_tui.app import make_app
from panel_tui.dialogs import PassphraseDialog
from panel_tui.screens.campaigns import CampaignsScreen
from panel_tui.screens.exchange import ExchangeScreen
from tests.ui.settle import settle


async def _wait_for_rows(pilot, table, n: int, tries: int = 50) -> None:
    for _ in range(tries):
        await pilot.pause(0.1)
        if table.row_count == n:
            return
    raise AssertionError(f"the campaigns list has {table.row_count} rows, not {n}")


PASSPHRASE = "correct horse battery staple"


async def test_empty_campaigns_screen_offers_import_first_and_imports_a_pack(demo_db_file, template_db_file, tmp_path,
                                                                             monkeypatch):
    demo = open_database(sqlite_url(demo_db_file))
    with demo.session() as session:
        pack = tmp_path / "pack.age"
        write_private(pack, exchange.export_pack(session, DEMO_KEY, "Priya Raman", PASSPHRASE))
    demo.dispose()
    monkeypatch.chdir(tmp_path)
    fresh = tmp_path / "panellist.db"
    fresh.write_bytes(template_db_file.read_bytes())
    db = open_database(sqlite_url(fresh))
    app = make_app(db)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
        hint = str(app.screen.query_one("#empty-hint").render())
        assert hint.startswith("No campaigns yet: press i to import")
        titles = [title for title, _, _ in app.screen.palette_commands()]
        assert titles[0] == "Import a pack"
        await pilot.press("i")
        await settle(pilot)
        assert type(app.screen).__name__ == "MultiFilePicker"  # straight to choosing the file
        await pilot.press("end", *pack.name, "enter", "enter")  # choose it, then done
        await settle(pilot)
        assert isinstance(app.screen, PassphraseDialog)  # the pack is sealed: its passphrase, masked
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        for _ in range(50):
            await pilot.pause(0.1)
            log = " ".join(line.text for line in app.screen.query_one("#exchange-log").lines)
            if log:
                break
        assert isinstance(app.screen, ExchangeScreen) and "NOT" not in log, log
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
        await _wait_for_rows(pilot, app.screen.query_one("#campaigns"), 1)
    db.dispose()
