"""Independence enforced by the server: PostgreSQL row-level security, tried with two real logins.

Needs PANEL_TUI_TEST_DB_URL (PostgreSQL) and a connecting role with CREATEROLE (.ci/run grants it).
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlmodel import select

from db import server
from db.campaigns import campaign_items, current_member, find_member
from db.engine import open_database
from db.interview import EvidenceState, save_evidence, submit
from db.models import Candidate
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PANEL_TUI_TEST_DB_URL (PostgreSQL)")

EVIDENCE_OF = """
SELECT count(*) FROM itemevidence e JOIN assessment a ON a.id = e.assessment_id
WHERE a.member_id = :member AND a.candidate_id = :candidate
"""


@pytest.fixture
def logins(session, demo):
    can = session.execute(text("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    if not can:
        pytest.skip("the test role needs CREATEROLE (alter user panel createrole)")
    tag = secrets.token_hex(3)
    made: dict[str, str] = {}
    urls: dict[str, str] = {}
    for who, member, owner in (("sam", "Sam", False), ("priya", "Priya", False), ("boss", None, True)):
        login = f"rls_{who}_{tag}"
        if member is None:  # an administrator who is not on the panel: link then unlink
            password = server.add_user(session, login, demo.id, "Joe", owner=True)
            from db.identity import link_member

            link_member(session, demo.id, "Joe", "")
        else:
            password = server.add_user(session, login, demo.id, member, owner=owner)
        made[who] = login
        urls[who] = make_url(PG_URL).set(username=login, password=password).render_as_string(hide_password=False)
    yield urls
    for login in made.values():
        server.drop_user(session, login)


def _count(url: str, sql: str, **params) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _ids(session, demo):
    cands = {c.ref: c.id for c in session.exec(select(Candidate).where(Candidate.campaign_id == demo.id)).all()}
    return cands, find_member(session, demo.id, "Sam").id, find_member(session, demo.id, "Priya").id


def test_unsubmitted_work_is_sealed_until_you_submit_your_own(session, demo, logins):
    cands, sam, priya = _ids(session, demo)
    three = cands["HRBP-003"]  # Priya has scored some items, not submitted; Sam has done nothing
    assert _count(PG_URL, EVIDENCE_OF, member=priya, candidate=three) > 0  # the table owner sees all
    assert _count(logins["sam"], EVIDENCE_OF, member=priya, candidate=three) == 0
    assert _count(logins["sam"], "SELECT count(*) FROM assessment WHERE candidate_id = :c", c=three) == 0
    assert _count(logins["sam"], "SELECT count(*) FROM indicatortag") <= _count(PG_URL, "SELECT count(*) FROM indicatortag")
    # HRBP-001: Sam has submitted, so the panel's work on it is open to him.
    assert _count(logins["sam"], EVIDENCE_OF, member=priya, candidate=cands["HRBP-001"]) > 0
    assert _count(logins["boss"], EVIDENCE_OF, member=priya, candidate=three) > 0  # panel_owner administers

    # Sam does his assessment of HRBP-003 through the app, connected as himself.
    db = open_database(logins["sam"], load_frameworks=False)
    try:
        with db.session() as s:
            assert current_member(s, demo.id).name == "Sam Whitfield"  # the login is the person
            for item in campaign_items(s, demo.id):
                save_evidence(s, three, sam, item.id, EvidenceState(notes="clear example", score=4))
            assert _count(logins["sam"], EVIDENCE_OF, member=priya, candidate=three) == 0  # saved, not submitted
            submit(s, three, sam)
    finally:
        db.dispose()
    assert _count(logins["sam"], EVIDENCE_OF, member=priya, candidate=three) > 0
    # ... but Priya, who has not submitted HRBP-003, still cannot read Sam's.
    assert _count(logins["priya"], EVIDENCE_OF, member=sam, candidate=three) == 0
    assert _count(logins["priya"], EVIDENCE_OF, member=priya, candidate=three) > 0  # her own, always
    # What Sam's login sealed at submission is what the owner finds: the audit chain verifies.
    from db.audit_verify import verify

    session.expire_all()
    result = verify(session, demo.id)
    assert result.ok, result.problems


def test_a_login_cannot_write_or_relink_someone_else(session, demo, logins):
    cands, sam, priya = _ids(session, demo)
    engine = create_engine(logins["sam"])
    try:
        with engine.begin() as conn:
            changed = conn.execute(text(
                "UPDATE itemevidence SET score = 1 WHERE assessment_id IN "
                "(SELECT id FROM assessment WHERE member_id = :m)"), {"m": priya}).rowcount
            assert changed == 0  # others' rows are not his to write, even once visible
        with pytest.raises(ProgrammingError, match="permission denied"), engine.begin() as conn:
            conn.execute(text("UPDATE panelmember SET db_role = current_user WHERE id = :m"), {"m": priya})
        with pytest.raises(ProgrammingError, match="permission denied"), engine.begin() as conn:
            conn.execute(text("DELETE FROM auditevent"))
    finally:
        engine.dispose()
