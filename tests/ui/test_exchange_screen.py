"""Panel packs and returns from the TUI: export by keys, import with the file picker, refusals shown."""

from __future__ import annotations

import json

from db.engine import open_database, sqlite_url
from db.exchange import import_pack, read_exchange_file
from panel_tui.app import make_app
from tests.ui.settle import settle


async def _wait_for_log(pilot, text: str, tries: int = 50) -> str:
    for _ in range(tries):
        await pilot.pause(0.1)
        # The log wraps long lines: join and normalise the spaces.
        lines = " ".join(" ".join(line.text.split()) for line in pilot.app.screen.query_one("#exchange-log").lines)
        if text in lines:
            return lines
    raise AssertionError(f"{text!r} never logged; log was: {lines!r}")


async def test_export_pack_and_return_then_import_return_on_the_chairs_laptop(make_demo_app, tmp_path, monkeypatch, template_db_file):
    monkeypatch.chdir(tmp_path)
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("enter")  # accept the suggested file name
        await _wait_for_log(pilot, "wrote panel pack")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("enter")
        await _wait_for_log(pilot, "Sam Whitfield's return (2 assessments)")
    pack = tmp_path / "demo-hr-business-partner-pack.json"
    ret = tmp_path / "demo-hr-business-partner-return-sam-whitfield.json"
    assert json.loads(pack.read_text())["format"] == "panel-tui/pack"
    assert (pack.stat().st_mode & 0o777) == 0o600

    # The chair's laptop: a fresh database with the pack, then the return imported through the picker.
    chair_file = tmp_path / "chair.db"
    chair_file.write_bytes(template_db_file.read_bytes())
    chair = open_database(sqlite_url(chair_file))
    with chair.session() as session:
        key = import_pack(session, read_exchange_file(pack), source="pack").campaign_key
    app = make_app(chair, open_campaign=key)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "MemberPicker"  # a new laptop asks who you are
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x", "i")
        await settle(pilot)
        await pilot.press("end", *ret.name, "enter")
        log = await _wait_for_log(pilot, "imported")
        assert "imported 2 assessments for Sam Whitfield" in log
        # The same file again changes nothing.
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("end", *ret.name, "enter")
        await _wait_for_log(pilot, "already up to date")
    chair.dispose()


async def test_a_tampered_file_is_refused_with_one_line(make_demo_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "return.json"
    bad.write_text('{"format": "panel-tui/return", "version": 1, "campaign": "demo-hr-business-partner", '
                   '"content": {"x": 1}, "sha256": "0000"}')
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x", "i")
        await settle(pilot)
        await pilot.press("end", *bad.name, "enter")
        log = await _wait_for_log(pilot, "NOT IMPORTED")
        assert "checksum does not match" in log
        await settle(pilot)
        assert not app.screen.query_one("#progress").display  # the bar goes with the work
        assert any(n.severity == "error" and "NOT IMPORTED" in n.message for n in app._notifications)
