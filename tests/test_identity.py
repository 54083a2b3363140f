"""Identity belongs to the person: two people on one database each keep their own "who am I"."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db import identity
from db.campaigns import current_member, find_member, set_current_member
from db.engine import open_database
from db.errors import NotFound, ValidationError
from db.models import AuditEvent, Setting
from tests.conftest import PG_URL


@pytest.fixture
def two_people(database, demo, tmp_path, monkeypatch):
    """Two sessions on one database (two engines), each person with their own config folder."""
    folders = {who: tmp_path / f"config-{who}" for who in ("ann", "bob")}
    second = open_database(database.url, load_frameworks=False)

    class People:
        campaign_id = demo.id

        def act(self, who: str):
            monkeypatch.setenv("PANEL_TUI_CONFIG", str(folders[who]))
            engine = database if who == "ann" else second
            return engine.session()

    yield People()
    second.dispose()


def _name(member) -> str | None:
    return member.name if member is not None else None


def test_each_person_keeps_their_own_choice(two_people, tmp_path):
    cid = two_people.campaign_id
    with two_people.act("ann") as s:
        set_current_member(s, cid, find_member(s, cid, "Priya").id)
    with two_people.act("bob") as s:
        # Ann choosing Priya does not make Bob Priya: his next start asks who he is.
        assert current_member(s, cid) is None
        set_current_member(s, cid, find_member(s, cid, "Joe").id)
    with two_people.act("ann") as s:
        assert _name(current_member(s, cid)) == "Priya Raman"
    with two_people.act("bob") as s:
        assert _name(current_member(s, cid)) == "Joe Lambert"
        # Nothing about who is who is left in the shared database.
        assert s.exec(select(Setting).where(Setting.key.startswith("member:"))).all() == []  # type: ignore[union-attr]
    assert (tmp_path / "config-ann" / "identity.json").stat().st_mode & 0o777 == 0o600


def test_switching_is_audited(session, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("PANEL_TUI_CONFIG", str(tmp_path / "cfg"))
    cid = demo.id
    set_current_member(session, cid, find_member(session, cid, "Sam").id)
    set_current_member(session, cid, find_member(session, cid, "Sam").id)  # no switch, no entry
    set_current_member(session, cid, find_member(session, cid, "Priya").id)
    entries = session.exec(select(AuditEvent).where(AuditEvent.action == "switch panellist")).all()
    assert [e.reason for e in entries] == ["switched panellist from Sam Whitfield to Priya Raman"]
    assert (entries[0].old_value, entries[0].new_value) == ("Sam Whitfield", "Priya Raman")


def test_choice_is_keyed_by_database(tmp_path, monkeypatch, template_db_file):
    import shutil

    from db.demo import ensure_demo

    monkeypatch.setenv("PANEL_TUI_CONFIG", str(tmp_path / "cfg"))
    names = []
    for n, who in enumerate(("Sam", "Joe")):
        path = tmp_path / f"db{n}.db"
        shutil.copyfile(template_db_file, path)
        db = open_database(f"sqlite:///{path}")
        with db.session() as s:
            c = ensure_demo(s)
            set_current_member(s, c.id, find_member(s, c.id, who).id)
        db.dispose()
    for n in range(2):
        db = open_database(f"sqlite:///{tmp_path / f'db{n}.db'}")
        with db.session() as s:
            c = ensure_demo(s)
            names.append(_name(current_member(s, c.id)))
        db.dispose()
    assert names == ["Sam Whitfield", "Joe Lambert"]


@pytest.mark.skipif(bool(PG_URL), reason="the old shared row is dropped by migration 0004 on PostgreSQL")
def test_old_shared_row_is_read_once_then_dropped(session, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("PANEL_TUI_CONFIG", str(tmp_path / "cfg"))
    cid = demo.id
    sam, joe = find_member(session, cid, "Sam").id, find_member(session, cid, "Joe").id
    # The demo itself chose Sam (stored per person now); an older file held the choice in the database.
    (tmp_path / "cfg" / "identity.json").unlink(missing_ok=True)
    session.merge(Setting(key=f"member:{cid}", value=str(joe)))
    session.commit()
    assert _name(current_member(session, cid)) == "Joe Lambert"
    set_current_member(session, cid, sam)
    assert session.get(Setting, f"member:{cid}") is None
    assert _name(current_member(session, cid)) == "Sam Whitfield"


def test_unknown_member_refused(session, demo):
    with pytest.raises(NotFound):
        set_current_member(session, demo.id, 10_000)


def test_link_member_validates(session, demo):
    with pytest.raises(ValidationError, match="not a login role name"):
        identity.link_member(session, demo.id, "Sam", "Robert'); drop table x;--")
    with pytest.raises(NotFound):
        identity.link_member(session, demo.id, "Nobody", "sam")


@pytest.mark.skipif(not PG_URL, reason="needs PANEL_TUI_TEST_DB_URL (PostgreSQL)")
def test_server_identity_is_the_login(session, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("PANEL_TUI_CONFIG", str(tmp_path / "cfg"))
    cid = demo.id
    me = identity.login_role(session)
    assert identity.switch_refusal(session, cid) == ""  # nobody linked yet: laptop rules
    with pytest.raises(NotFound, match="no PostgreSQL role"):
        identity.link_member(session, cid, "Joe", "no_such_role_here")
    identity.link_member(session, cid, "Priya", me, actor="test")
    assert _name(current_member(session, cid)) == "Priya Raman"
    with pytest.raises(identity.IdentityRefused, match="cannot act as Sam Whitfield"):
        set_current_member(session, cid, find_member(session, cid, "Sam").id)
    set_current_member(session, cid, find_member(session, cid, "Priya").id)  # being yourself is fine
    assert "sign in as them" in identity.switch_refusal(session, cid)
    with pytest.raises(ValidationError, match="already linked to Priya Raman"):
        identity.link_member(session, cid, "Joe", me)


def test_a_damaged_identity_file_means_not_chosen(session, demo, tmp_path, monkeypatch):
    folder = tmp_path / "cfg"
    folder.mkdir()
    monkeypatch.setenv("PANEL_TUI_CONFIG", str(folder))
    key = identity.database_key(session)
    (folder / "identity.json").write_text('{"%s": ["not", "a", "map"]}' % key)
    assert current_member(session, demo.id) is None
    set_current_member(session, demo.id, find_member(session, demo.id, "Joe").id)
    assert _name(current_member(session, demo.id)) == "Joe Lambert"
