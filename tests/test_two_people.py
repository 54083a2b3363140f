"""Two people on one database, each with their own engine: the department-server tests of issue 12.

Not under tests/ui/ on purpose: these run in CI's PostgreSQL pass (``-m "not ui"``) as well as on a
SQLite file. On PostgreSQL, when the test role may create roles, each person is their own login
(identity is the login, row-level security applies); otherwise each person has their own config
folder (identity is the laptop choice), as two people sharing one file on a shared host.
"""

from __future__ import annotations

import os
import secrets
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from db import server
from db.campaigns import find_member, set_current_member
from db.candidates import add_candidate
from db.changes import ChangeWatch
from db.consolidation import record_consensus
from db.demo import DEMO_KEY
from db.engine import open_database
from db.interview import EvidenceState, save_evidence, submit
from db.models import Assessment, CampaignItem, Candidate, Consensus
from panel_tui.app import make_app
from tests.ui.settle import settle


@pytest.fixture
def second(database):
    other = open_database(database.url, load_frameworks=False)
    yield other
    other.dispose()


def _wait_for_change(watch: ChangeWatch, seconds: float = 2.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if watch.changed():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"the watch did not see the commit within {seconds} s")


def test_live_check_sees_another_engines_commit_within_2s(database, demo, second):
    """ChangeWatch (PostgreSQL: one autocommit statement; SQLite file: PRAGMA data_version)."""
    watch = ChangeWatch(database.engine)
    try:
        assert watch.changed() is False  # the baseline
        assert watch.changed() is False  # nothing committed meanwhile
        with second.session() as s:
            cand = s.exec(select(Candidate).where(Candidate.ref == "HRBP-001")).one()
            item = s.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == demo.id)).first()
            record_consensus(s, cand.id, item, 5, "Agreed elsewhere.", "Sam Whitfield")
        _wait_for_change(watch)
        assert watch.changed() is False
        with second.session() as s:
            add_candidate(s, demo.id, ref="LATE-1", name="Late Arrival")  # type: ignore[arg-type]
        _wait_for_change(watch)
        with second.session() as s:  # a panellist scores every item (as autosave would)...
            open_one = s.exec(select(Assessment).where(Assessment.submitted_at.is_(None))).first()  # type: ignore[union-attr]
            assert open_one is not None
            who = (open_one.candidate_id, open_one.member_id)
            for item_id in s.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == demo.id)).all():
                save_evidence(s, *who, item_id, EvidenceState(notes="Seen.", score=4))
        _wait_for_change(watch)
        with second.session() as s:  # ...then submits (the chair's grid waits for this)
            submit(s, *who)
        _wait_for_change(watch)
    finally:
        watch.close()


def test_an_idle_live_check_is_one_small_statement(database, demo):
    """When nothing changes, a live screen costs one statement a check (one a second), and no transaction on PostgreSQL."""
    watch = ChangeWatch(database.engine)
    seen = {"statements": 0, "begins": 0}

    def statement(*_args) -> None:
        seen["statements"] += 1

    def begin(conn) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            seen["begins"] += 1

    watch.changed()
    event.listen(database.engine, "before_cursor_execute", statement)
    event.listen(database.engine, "begin", begin)
    try:
        for _ in range(5):
            assert watch.changed() is False
    finally:
        event.remove(database.engine, "before_cursor_execute", statement)
        event.remove(database.engine, "begin", begin)
        watch.close()
    assert seen["statements"] == 5
    if database.engine.dialect.name == "postgresql":
        assert seen["begins"] == 0  # autocommit: no BEGIN / ROLLBACK round trips


# --- two app instances --------------------------------------------------------------------


@pytest.fixture
def people(database, demo, tmp_path, monkeypatch):
    """Sam (the chair) and Priya, each with their own engine. On PostgreSQL with CREATEROLE: their own logins."""
    made: list[str] = []
    urls = {"sam": database.url, "priya": database.url}
    logins = False
    with database.session() as s:
        if database.engine.dialect.name == "postgresql":
            logins = bool(s.execute(text("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())
        if logins:
            tag = secrets.token_hex(3)
            for who, member in (("sam", "Sam"), ("priya", "Priya")):
                login = f"two_{who}_{tag}"
                password = server.add_user(s, login, demo.id, member)
                made.append(login)
                urls[who] = make_url(database.url).set(username=login, password=password).render_as_string(hide_password=False)
    folders = {who: tmp_path / f"config-{who}" for who in urls}
    opened = {who: open_database(url, load_frameworks=False) for who, url in urls.items()}
    if not logins:  # laptop identity: each person's choice in their own config folder
        for who, member in (("sam", "Sam"), ("priya", "Priya")):
            monkeypatch.setenv("PANEL_TUI_CONFIG", str(folders[who]))
            with opened[who].session() as s:
                set_current_member(s, demo.id, find_member(s, demo.id, member).id)  # type: ignore[arg-type]

    class People:
        databases = opened
        by_login = logins

        def as_(self, who: str) -> None:
            monkeypatch.setenv("PANEL_TUI_CONFIG", str(folders[who]))

    yield People()
    for db in opened.values():
        db.dispose()
    with database.session() as s:
        for login in made:
            server.drop_user(s, login)


async def _within(pilot, seconds: float, check) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if check():
            return time.monotonic() - start
        await pilot.pause(0.05)
    raise AssertionError(f"not shown within {seconds} s")


async def test_two_app_instances_as_two_people(people, demo):
    """Identity independent; the chair's grid shows the other terminal's consensus within 2 s without a
    key; the chair's consensus based on what they saw before is refused, and nothing is lost."""
    from panel_tui.widgets.score_grid import ScoreGrid

    people.as_("sam")
    chair_app = make_app(people.databases["sam"], open_campaign=DEMO_KEY)
    async with chair_app.run_test(size=(160, 45)) as chair:
        await settle(chair)
        people.as_("priya")
        other_app = make_app(people.databases["priya"], open_campaign=DEMO_KEY)
        async with other_app.run_test(size=(120, 36)) as other:
            await settle(other)
            assert "You are Sam Whitfield" in chair_app.screen.sub_title
            assert "You are Priya Raman" in other_app.screen.sub_title
            if people.by_login:  # on the server each app is its person's login
                assert other_app.database.engine.url.username.startswith("two_priya_")
                assert chair_app.database.engine.url.username.startswith("two_sam_")
        people.as_("sam")
        assert "You are Sam Whitfield" in chair_app.screen.sub_title  # Priya's start changed nothing here

        await chair.press("c")
        grid = chair_app.screen.query_one(ScoreGrid)
        await _within(chair, 5, lambda: grid.grid is not None and grid.grid.complete and grid.row_count)
        await settle(chair)
        assert "=" not in str(grid.get_cell_at((0, 1)))
        priya_db = people.databases["priya"]
        with priya_db.session() as s:
            cand = s.exec(select(Candidate).where(Candidate.ref == "HRBP-001")).one()
            items = s.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == demo.id)
                           .order_by(CampaignItem.position)).all()
            record_consensus(s, cand.id, items[0], 5, "Agreed in the other room.", "Priya Raman")
        await _within(chair, 2.0, lambda: "=5" in str(grid.get_cell_at((0, 1))))

        # Both open the next cell; Priya records first; the chair's save is refused, not lost.
        await settle(chair)
        grid.move_cursor(row=0, column=2)
        await chair.press("enter")
        await settle(chair)
        assert type(chair_app.screen).__name__ == "ConsensusDialog"
        with priya_db.session() as s:
            record_consensus(s, cand.id, items[1], 6, "Priya's wording", "Priya Raman")
        await chair.press("4", "tab", *"Sam's wording", "ctrl+s")
        await settle(chair)
        assert type(chair_app.screen).__name__ == "ConsensusDialog"  # stays open to reload
        assert "changed by Priya Raman" in str(chair_app.screen.query_one("#consensus-error").render())
    with people.databases["sam"].session() as s:
        kept = s.exec(select(Consensus.score, Consensus.rationale).where(
            Consensus.candidate_id == cand.id, Consensus.item_id == items[1])).all()
    assert [tuple(r) for r in kept] == [(6.0, "Priya's wording")]
    assert os.environ.get("PANEL_TUI_CONFIG", "").endswith("config-sam")


def test_the_chairs_live_check_sees_a_panellists_submission(people, demo):
    """On a server the chair's login cannot read Priya's unsubmitted work (row-level security), yet
    the chair's live check still sees her submission arrive, within 2 s."""
    watch = ChangeWatch(people.databases["sam"].engine)
    try:
        watch.changed()
        with people.databases["priya"].session() as s:
            priya = find_member(s, demo.id, "Priya").id
            done = set(s.exec(select(Assessment.candidate_id).where(
                Assessment.member_id == priya, Assessment.submitted_at.is_not(None))).all())  # type: ignore[union-attr]
            candidate = next(c for c in s.exec(select(Candidate.id).where(Candidate.campaign_id == demo.id)).all()
                             if c not in done)
            for item_id in s.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == demo.id)).all():
                save_evidence(s, candidate, priya, item_id, EvidenceState(notes="Seen.", score=5))  # type: ignore[arg-type]
        watch.changed()  # her typing may or may not show (the chair cannot read it on a server)
        with people.databases["priya"].session() as s:
            submit(s, candidate, priya)  # type: ignore[arg-type]
        _wait_for_change(watch)
    finally:
        watch.close()
