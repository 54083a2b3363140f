"""Panel packs and returns from the TUI: a member's pack locked with a masked passphrase, opened on a
second database through the same screen; refusals shown in one line."""

from __future__ import annotations

from sqlmodel import select

from db.campaigns import create_campaign, current_member, get_campaign
from db.engine import open_database, sqlite_url
from db.exchange import keys as exchange_keys
from db.models import Candidate
from panel_tui.app import make_app
from panel_tui.dialogs import PassphraseDialog
from tests.test_exchange import KEY, SPEC
from tests.ui.settle import settle

PASSPHRASE = "walrus tea kettle"


async def _wait_for_log(pilot, text: str, tries: int = 100) -> str:
    for _ in range(tries):
        await pilot.pause(0.1)
        # The log wraps long lines: join and normalise the spaces.
        lines = " ".join(" ".join(line.text.split()) for line in pilot.app.screen.query_one("#exchange-log").lines)
        if text in lines:
            return lines
    raise AssertionError(f"{text!r} never logged; log was: {lines!r}")


async def test_export_a_members_pack_and_open_it_on_a_second_database(make_demo_app, demo_db_file, tmp_path, monkeypatch,
                                                                      template_db_file):
    monkeypatch.chdir(tmp_path)
    chair_file = tmp_path / "chair.db"
    chair_file.write_bytes(template_db_file.read_bytes())
    chair = open_database(sqlite_url(chair_file))
    with chair.session() as s:
        create_campaign(s, SPEC)
    app = make_app(chair, open_campaign=KEY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        if type(app.screen).__name__ == "MemberPicker":
            await pilot.press("enter")
            await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PassphraseDialog)
        await pilot.press("down", "enter")  # Priya Raman, the second member
        await pilot.press(*"short", "enter", *"short", "enter")
        await pilot.pause()
        assert "at least 8" in str(dialog.query_one("#passphrase-error").render())
        dialog.query_one("#passphrase").value = ""
        await pilot.press(*PASSPHRASE, "enter", *"something else", "enter")
        await pilot.pause()
        assert "differ" in str(dialog.query_one("#passphrase-error").render())
        assert dialog.query_one("#passphrase").password  # typed masked
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        await pilot.press("enter")  # accept the suggested file name
        await _wait_for_log(pilot, "wrote Priya Raman's panel pack")
    chair.dispose()
    pack = tmp_path / f"{KEY}-pack-priya-raman.age"
    raw = pack.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1\n") and b"Priya" not in raw and KEY.encode() not in raw
    assert (pack.stat().st_mode & 0o777) == 0o600

    # A second database (a panellist's laptop that holds the demo campaign): open the pack from its exchange screen.
    app = make_demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x", "i")
        await settle(pilot)
        await pilot.press("end", *pack.name, "enter")
        await settle(pilot)
        assert isinstance(app.screen, PassphraseDialog)
        await pilot.press(*"wrong passphrase", "enter")
        log = await _wait_for_log(pilot, "NOT IMPORTED")
        assert f"{pack.name}: wrong passphrase, or the file was changed" in log
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("end", *pack.name, "enter")
        await settle(pilot)
        await pilot.press(*PASSPHRASE, "enter")
        log = await _wait_for_log(pilot, "imported campaign")
        assert f"imported campaign {KEY} (4 items, 4 candidates, 3 panel members)" in log
    laptop = open_database(sqlite_url(demo_db_file))
    with laptop.session() as s:
        campaign = get_campaign(s, KEY)
        assert current_member(s, campaign.id).name == "Priya Raman"  # type: ignore[union-attr]
        keys = exchange_keys.laptop_keys(s, campaign.id)  # type: ignore[arg-type]
        assert keys is not None and keys.recipient.startswith("age1")
        assert len(s.exec(select(Candidate).where(Candidate.campaign_id == campaign.id)).all()) == 4
    laptop.dispose()


async def test_a_plain_or_tampered_file_is_refused_with_one_line(make_demo_app, tmp_path, monkeypatch):
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
        assert "not a sealed return; unsealed files are refused" in log
        await settle(pilot)
        assert not app.screen.query_one("#progress").display  # the bar goes with the work
        assert any(n.severity == "error" and "NOT IMPORTED" in n.message for n in app._notifications)
        # The chair's database holds no member's key, so it cannot write a return in anyone's name.
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("enter")
        log = await _wait_for_log(pilot, "NOT EXPORTED")
        assert "holds no signing key for Sam Whitfield" in log
