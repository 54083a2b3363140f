"""On a department server the audit table is append-only for panellists' logins (migration 0005).

Needs PANEL_TUI_TEST_DB_URL (PostgreSQL) and a connecting role with CREATEROLE (.ci/run grants it).
"""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlmodel import select

from db import server
from db.audit import record
from db.audit_verify import verify
from db.campaigns import campaign_items, find_member
from db.engine import open_database
from db.errors import ValidationError
from db.interview import EvidenceState, save_evidence, submit
from db.models import AuditEvent, Candidate
from db.retention import purge
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PANEL_TUI_TEST_DB_URL (PostgreSQL)")


@pytest.fixture
def logins(session, demo):
    """Sam's login (panel_app) and an administrator's (panel_owner), as URLs."""
    can = session.execute(text("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    if not can:
        pytest.skip("the test role needs CREATEROLE (alter user panel createrole)")
    tag = secrets.token_hex(3)
    urls, made = {}, []
    for who, member, owner in (("sam", "Sam", False), ("boss", "Priya", True)):
        login = f"trust_{who}_{tag}"
        password = server.add_user(session, login, demo.id, member, owner=owner)
        made.append(login)
        urls[who] = make_url(PG_URL).set(username=login, password=password).render_as_string(hide_password=False)
    yield urls
    for login in made:
        server.drop_user(session, login)


def _entries(session, campaign_id: int) -> list[tuple]:
    session.expire_all()
    return [tuple(r) for r in session.exec(
        select(AuditEvent.id, AuditEvent.seq, AuditEvent.chain_hash, AuditEvent.reason, AuditEvent.old_value)
        .where(AuditEvent.campaign_id == campaign_id).order_by(AuditEvent.id)
    ).all()]


def test_a_login_appends_but_cannot_change_or_delete_entries(session, demo, logins):
    three = session.exec(select(Candidate).where(Candidate.campaign_id == demo.id, Candidate.ref == "HRBP-003")).one()
    sam = find_member(session, demo.id, "Sam").id
    before = _entries(session, demo.id)
    # Through the app, as himself: his entries are written, sealed and chained (an update of his
    # own not-yet-chained rows, in the same transaction).
    db = open_database(logins["sam"], load_frameworks=False)
    try:
        with db.session() as s:
            for item in campaign_items(s, demo.id):
                save_evidence(s, three.id, sam, item.id, EvidenceState(notes="clear example", score=4))
            submit(s, three.id, sam)
    finally:
        db.dispose()
    after = _entries(session, demo.id)
    assert after[: len(before)] == before and len(after) > len(before)
    assert all(seq is not None for _, seq, *_ in after)
    assert verify(session, demo.id).ok

    # Behind the app's back, with his own login: no chained entry changes, none is deleted.
    engine = create_engine(logins["sam"])
    try:
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM auditevent")).scalar() >= len(after)  # he reads them all
            changed = conn.execute(text("UPDATE auditevent SET reason = 'nothing happened', old_value = ''")).rowcount
            assert changed == 0
        for sql in ("DELETE FROM auditevent", "TRUNCATE auditevent"):
            with pytest.raises(ProgrammingError, match="permission denied"), engine.begin() as conn:
                conn.execute(text(sql))
    finally:
        engine.dispose()
    assert _entries(session, demo.id) == after
    assert verify(session, demo.id).ok


def test_purge_needs_the_owner_and_blanks_as_before(session, demo, logins):
    later = date(2100, 1, 1)  # every non-appointed demo candidate is past retention by then
    for cand in session.exec(select(Candidate).where(Candidate.campaign_id == demo.id)).all():
        record(session, action="edit", entity="candidate.name", entity_id=cand.id, campaign_id=demo.id,
               actor="Sam Whitfield", old=cand.name, new=cand.name + " (corrected)")
    session.commit()  # chained entries that copy a name: purge must blank them
    admin = open_database(logins["boss"], load_frameworks=False)
    try:
        with admin.session() as s:
            with pytest.raises(ValidationError, match="only the database owner") as refused:
                purge(s, later, dry_run=False, actor="boss")
            assert "\n" not in str(refused.value)
    finally:
        admin.dispose()
    session.expire_all()
    assert all(c.purged_at is None for c in session.exec(select(Candidate).where(Candidate.campaign_id == demo.id)))
    # The owner (the login that ran the migrations) purges, blanking chained entries' personal values.
    done = purge(session, later, dry_run=False, actor="owner")
    assert done
    session.expire_all()
    names = session.exec(select(AuditEvent).where(AuditEvent.campaign_id == demo.id,
                                                  AuditEvent.entity == "candidate.name")).all()
    purged = {i.candidate_id for i in done}
    assert purged and {e.entity_id for e in names} >= purged
    assert all(e.old_value == e.new_value == e.salt == "" and e.seq for e in names if e.entity_id in purged)
    result = verify(session, demo.id)
    assert result.ok, result.problems
