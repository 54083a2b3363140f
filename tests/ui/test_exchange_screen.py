"""Panel packs and returns from the TUI: a member's pack locked with a masked passphrase, opened on a
second database through the same screen; refusals shown in one line."""

from __future__ import annotations

from sqlmodel import select

from db.campaigns import create_campaign, current_member, get_campaign
from db.engine import open_database, sqlite_url
from db.exchange import keys as exchange_keys
from db.models import Candidate
from panel_tui.app import make_app
from panel_tui.dialogs import PassphraseDialog, ReturnPreviewDialog
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
        await pilot.press("end", *pack.name, "enter", "enter")  # choose the file, then done
        await settle(pilot)
        assert isinstance(app.screen, PassphraseDialog)
        await pilot.press(*"wrong passphrase", "enter")
        log = await _wait_for_log(pilot, "NOT IMPORTED")
        assert f"{pack.name}: wrong passphrase, or the file was changed" in log
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("end", *pack.name, "enter", "enter")
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
        await pilot.press("end", *bad.name, "enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReturnPreviewDialog)  # refused in the preview: only Close
        assert "return.json: REFUSED: not a sealed return" in str(app.screen.query_one(".preview-file").render())
        await pilot.press("y")  # nothing to confirm
        assert isinstance(app.screen, ReturnPreviewDialog)
        await pilot.press("escape")
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


def _chair_with_returns(tmp_path, template_db_file):
    """The chair's database (the campaign created there) and two members' returns written as files."""
    from tests.test_exchange import member_return, score_all

    chair_file = tmp_path / "chair.db"
    chair_file.write_bytes(template_db_file.read_bytes())
    chair = open_database(sqlite_url(chair_file))
    with chair.session() as s:
        create_campaign(s, SPEC)
        priya = member_return(s, "Priya Raman", lambda w: score_all(w, "Priya Raman", "C-001", 0))
        joe = member_return(s, "Joe Lambert", lambda w: score_all(w, "Joe Lambert", "C-002", 1, submit_it=False))
    (tmp_path / "priya.age").write_bytes(priya)
    (tmp_path / "joe.age").write_bytes(joe)
    return chair


def _held(chair) -> set[tuple[str, str]]:
    from db.models import Assessment, PanelMember

    with chair.session() as s:
        return set(s.exec(
            select(PanelMember.name, Candidate.ref).join(Assessment, Assessment.member_id == PanelMember.id)
            .join(Candidate, Candidate.id == Assessment.candidate_id)
        ).all())


async def _pick_returns(pilot, *names: str) -> ReturnPreviewDialog:
    await pilot.press("x", "i")
    await settle(pilot)
    for name in names:
        await pilot.press("home", "ctrl+k", *name, "enter")  # each Enter adds a file to the list
    assert "Chosen (2): " in str(pilot.app.screen.query_one("#chosen").render())
    await pilot.press("enter")  # Enter on the folder: done
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReturnPreviewDialog)
    return pilot.app.screen


async def test_two_returns_are_previewed_then_imported_together(tmp_path, monkeypatch, template_db_file):
    monkeypatch.chdir(tmp_path)
    chair = _chair_with_returns(tmp_path, template_db_file)
    app = make_app(chair, open_campaign=KEY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        if type(app.screen).__name__ == "MemberPicker":
            await pilot.press("enter")
            await settle(pilot)
        dialog = await _pick_returns(pilot, "priya.age", "joe.age")
        files = [" ".join(str(w.render()).split()) for w in dialog.query(".preview-file")]
        assert files[0].startswith("priya.age: Priya Raman: 1 candidate, 4 items changed, 0 amended")
        assert "C-001: Seeing the Big Picture, Working Together, Motivation, Written exercise; submitted" in files[0]
        assert files[1].startswith("joe.age: Joe Lambert: 1 candidate, 4 items changed")
        assert "C-002: " in files[1] and "submitted" not in files[1]
        assert "All 2 files can be imported together" in str(dialog.query_one("#preview-verdict").render())
        assert _held(chair) == set()  # the preview wrote nothing
        await pilot.press("y")
        log = await _wait_for_log(pilot, "joe.age: imported")
        assert "priya.age: imported 1 assessments for Priya Raman" in log
    assert _held(chair) == {("Priya Raman", "C-001"), ("Joe Lambert", "C-002")}
    chair.dispose()


async def test_a_tampered_return_is_named_in_the_preview_and_nothing_is_imported(tmp_path, monkeypatch,
                                                                                 template_db_file):
    monkeypatch.chdir(tmp_path)
    chair = _chair_with_returns(tmp_path, template_db_file)
    joe = (tmp_path / "joe.age").read_bytes()
    (tmp_path / "joe.age").write_bytes(joe[:-40] + bytes([joe[-40] ^ 1]) + joe[-39:])
    app = make_app(chair, open_campaign=KEY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        if type(app.screen).__name__ == "MemberPicker":
            await pilot.press("enter")
            await settle(pilot)
        dialog = await _pick_returns(pilot, "priya.age", "joe.age")
        files = [" ".join(str(w.render()).split()) for w in dialog.query(".preview-file")]
        assert files[0].startswith("priya.age: Priya Raman: 1 candidate")
        assert files[1] == "joe.age: REFUSED: not sealed for this database, or the file was changed"
        assert "Nothing will be imported: 1 of 2 files refused" in str(dialog.query_one("#preview-verdict").render())
        assert not dialog.query("#yes")  # nothing to confirm
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is dialog
        await pilot.press("escape")
        log = await _wait_for_log(pilot, "NOT IMPORTED")
        assert "joe.age: REFUSED: not sealed for this database" in log
    assert _held(chair) == set()
    chair.dispose()
