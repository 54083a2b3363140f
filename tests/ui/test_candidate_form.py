"""Adding and editing a candidate from the campaign screen, by keys, checked against the database."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session, create_engine, select
from textual.widgets import Input

from db.engine import sqlite_url
from db.models import AuditEvent, Candidate
from panel_tui.screens.campaign import CampaignScreen
from panel_tui.screens.candidate_form import CandidateForm
from tests.ui.settle import settle, steady


@pytest.fixture
def candidates(demo_db_file):
    engine = create_engine(sqlite_url(demo_db_file))

    def read(ref: str) -> Candidate | None:
        with Session(engine) as s:
            return s.exec(select(Candidate).where(Candidate.ref == ref)).first()

    read.engine = engine
    yield read
    engine.dispose()


def shown(screen, selector: str) -> str:
    widget = screen.query_one(selector)
    return str(widget.render()) if widget.display else ""


async def open_form(pilot, key: str = "a") -> CandidateForm:
    await settle(pilot)
    assert isinstance(pilot.app.screen, CampaignScreen)
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, CandidateForm)
    return pilot.app.screen


async def test_add_a_candidate_bad_email_refused(make_demo_app, candidates):
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        assert app.focused.id == "ref"
        assert shown(form, "#ref-error") == ""  # nothing shown before anything is typed
        await pilot.press(*"HRBP-007", "tab", *"Grace Ito", "tab", *"grace.example.org")
        await settle(pilot)
        assert shown(form, "#email-error") == "email 'grace.example.org' is not an email address"
        await pilot.press("ctrl+s")  # refused: the form stays, on the bad field
        await settle(pilot)
        assert app.screen is form and app.focused.id == "email"
        assert candidates("HRBP-007") is None

        await pilot.press("ctrl+u", *"grace@example.org")
        await settle(pilot)
        assert shown(form, "#email-error") == ""
        await pilot.press("tab", *"Extra time: 20 minutes; a break half way")
        await pilot.press("tab", "tab", *"13 Jan 10am")
        await settle(pilot)
        assert shown(form, "#slot-error") == "slot '13 Jan 10am' is not YYYY-MM-DD HH:MM"
        await pilot.press("ctrl+u", *"2026-01-13 10:00", "tab", "space")  # Disability Confident
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CampaignScreen)
        assert "HRBP-007" in str(app.screen.query_one("DataTable").get_row_at(6))

    c = candidates("HRBP-007")
    assert c.name == "Grace Ito" and c.email == "grace@example.org"
    assert c.adjustments == "Extra time: 20 minutes; a break half way"
    assert c.extra_minutes == 20  # read from the adjustments
    assert c.disability_confident is True
    assert c.slot.astimezone().replace(tzinfo=None) == datetime(2026, 1, 13, 10, 0)
    with Session(candidates.engine) as s:
        audit = s.exec(select(AuditEvent).where(AuditEvent.entity == "candidate", AuditEvent.new_value == "HRBP-007")).one()
    assert audit.action == "create" and audit.actor == "Sam Whitfield"


async def test_duplicate_ref_refused_beside_the_ref(make_demo_app, candidates):
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pilot.press(*"HRBP-001", "enter")  # Enter saves
        await settle(pilot)
        assert app.screen is form
        assert shown(form, "#ref-error").startswith("ref 'HRBP-001' is already in campaign")
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert shown(form, "#ref-error") == "ref is missing"


async def test_edit_a_candidate(make_demo_app, candidates):
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down")  # HRBP-002, Ben Castell
        form = await open_form(pilot, "e")
        assert form.query_one("#ref", Input).value == "HRBP-002"
        assert form.query_one("#name", Input).value == "Ben Castell"
        assert form.query_one("#slot", Input).value == "2026-01-12 10:45"
        await pilot.press("tab", "tab", "tab")
        assert app.focused.id == "adjustments"
        await pilot.press(*"Questions in advance")
        await pilot.press("tab", *"x")
        await settle(pilot)
        assert shown(form, "#extra_minutes-error") == "extra_minutes 'x' is not a whole number of minutes"
        await pilot.press("backspace", *"10")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CampaignScreen)
        assert "Questions in advance" in str(app.screen.query_one("DataTable").get_row_at(1))

    c = candidates("HRBP-002")
    assert c.adjustments == "Questions in advance" and c.extra_minutes == 10 and c.name == "Ben Castell"
    with Session(candidates.engine) as s:
        changed = s.exec(select(AuditEvent.entity).where(AuditEvent.entity_id == c.id, AuditEvent.action == "update")).all()
    assert sorted(changed) == ["candidate.adjustments", "candidate.extra_minutes"]


async def test_escape_cancels(make_demo_app, candidates):
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        await pilot.press(*"HRBP-099", "escape")
        await settle(pilot)
        assert isinstance(app.screen, CampaignScreen)
    assert candidates("HRBP-099") is None


def test_snapshot_candidate_form_80x24(snap_compare, make_demo_app):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("e")  # the first candidate
        await settle(pilot)
        await pilot.press("tab", "tab", "ctrl+u", *"amira.okafor")
        await steady(pilot)

    assert snap_compare(make_demo_app(), run_before=run_before, terminal_size=(80, 24))
