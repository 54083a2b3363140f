"""An encrypted database in the TUI: the masked prompt at start-up, the offer to protect a new
database, and the idle lock (everything hidden; the interview's typing saved underneath)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import Input

from db.demo import DEMO_KEY, ensure_demo
from db.engine import file_state, open_database, sqlite_url
from db.models import Assessment, Candidate, ItemEvidence
from panel_tui.app import make_app
from panel_tui.screens.campaign import CampaignScreen
from panel_tui.screens.campaigns import CampaignsScreen
from panel_tui.screens.interview import InterviewScreen
from tests.ui.settle import settle
from panel_tui.screens.loading import LoadingScreen
from panel_tui.screens.lock import LockScreen
from tests.ui.conftest import DEMO_DAY
from tests.ui.test_interview import settle_saves

SECRET = "correct horse battery"


@pytest.fixture
def encrypted_demo(tmp_path):
    path = tmp_path / "secret.db"
    db = open_database(sqlite_url(path), passphrase=SECRET)
    with db.session() as s:
        ensure_demo(s, today=DEMO_DAY)
    db.dispose()
    return path


async def _until(pilot, condition, tries: int = 300) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never got there")


def _asking(app) -> bool:
    """The prompt is shown and focused (the focus lands a moment after it is shown)."""
    return (isinstance(app.screen, LoadingScreen) and app.screen.asking is not None
            and app.screen.query_one("#passphrase", Input).has_focus)


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_prompt_then_a_wrong_passphrase_then_the_right_one_opens_the_campaign(encrypted_demo):
    before = encrypted_demo.read_bytes()
    app = make_app(db_path=str(encrypted_demo), open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _asking(app))
        await pilot.pause()
        field = app.screen.query_one("#passphrase", Input)
        assert field.password and field.has_focus
        assert "is encrypted" in _text(app, "#passphrase-label")
        await pilot.press(*"not the passphrase", "enter")
        await _until(pilot, lambda: _asking(app) and "wrong passphrase" in _text(app, "#passphrase-error"))
        assert _text(app, "#passphrase-error") == f"wrong passphrase for {encrypted_demo} (or it is not a panel-tui database)"
        assert encrypted_demo.read_bytes() == before
        assert app.screen.query_one("#passphrase", Input).value == ""
        await pilot.press(*SECRET, "enter")
        await _until(pilot, lambda: isinstance(app.screen, CampaignScreen))
        await pilot.pause()
        assert app.screen.query_one("#candidates").row_count == 6
        assert app.database.encrypted


async def test_escape_at_the_prompt_quits_and_leaves_the_file_alone(encrypted_demo):
    before = encrypted_demo.read_bytes()
    app = make_app(db_path=str(encrypted_demo), open_campaign=DEMO_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _asking(app))
        await pilot.pause()
        await pilot.press("escape")
        await _until(pilot, lambda: not app.is_running)
    assert app.database is None and app.startup_error is None
    assert encrypted_demo.read_bytes() == before


async def test_a_new_database_is_offered_a_passphrase_typed_twice(tmp_path):
    path = tmp_path / "new.db"
    app = make_app(db_path=str(path), offer_protection=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _asking(app))
        await pilot.pause()
        await pilot.press(*"short", "enter")
        assert "at least 8 characters" in _text(app, "#passphrase-error")
        await pilot.press(*SECRET, "enter")
        await pilot.press(*"different passphrase", "enter")
        assert "differ" in _text(app, "#passphrase-error")
        await pilot.press(*SECRET, "enter", *SECRET, "enter")
        await _until(pilot, lambda: isinstance(app.screen, CampaignsScreen))
        await settle(pilot)  # the list's own load finishes before the app closes (its header is still composing)
        assert app.database.encrypted
    assert file_state(sqlite_url(path)) == "encrypted"
    open_database(sqlite_url(path), passphrase=SECRET).dispose()


async def test_a_new_database_can_stay_unprotected(tmp_path):
    path = tmp_path / "new.db"
    app = make_app(db_path=str(path), offer_protection=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _asking(app))
        await pilot.pause()
        await pilot.press("escape")
        await _until(pilot, lambda: isinstance(app.screen, CampaignsScreen))
        await settle(pilot)
        assert not app.database.encrypted
    assert file_state(sqlite_url(path)) == "plain"


async def test_idle_lock_hides_everything_keeps_saving_and_unlocks_with_the_passphrase(encrypted_demo):
    # 0.1 minutes = 6 s without a key: long enough to open an interview and type on a busy machine.
    app = make_app(db_path=str(encrypted_demo), open_campaign=DEMO_KEY, passphrase=SECRET, lock_minutes=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, CampaignScreen))
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await _until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        interview = app.screen
        await pilot.press(*"Led a restructure of 40 staff")
        assert not app.locked
        await _until(pilot, lambda: isinstance(app.screen, LockScreen), tries=800)
        shown = app.export_screenshot()
        for private in ("restructure", "Whitfield", "HRBP"):
            assert private not in shown  # the lock is opaque: nothing of the app shows through
        await pilot.press("ctrl+p", "f1")  # neither the palette nor help opens over the lock
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"not the passphrase", "enter")
        await _until(pilot, lambda: "Wrong passphrase" in _text(app, "#lock-error"))
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*SECRET, "enter")
        await _until(pilot, lambda: app.screen is interview)
        assert not app.locked
        assert "Led a restructure of 40 staff" in interview.query_one("#evidence").text
    settle_saves()
    db = open_database(sqlite_url(encrypted_demo), passphrase=SECRET)
    try:
        with db.session() as s:
            notes = s.exec(
                select(ItemEvidence.notes)
                .join(Assessment, Assessment.id == ItemEvidence.assessment_id)
                .join(Candidate, Candidate.id == Assessment.candidate_id)
                .where(Candidate.ref == "HRBP-003", ItemEvidence.notes.contains("restructure"))
            ).all()
        assert notes == ["Led a restructure of 40 staff"]
    finally:
        db.dispose()


async def test_a_plain_database_never_locks(make_demo_app):
    app = make_demo_app(lock_minutes=0.001)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.4)
        assert not app.locked and isinstance(app.screen, CampaignScreen)
