"""The preview of a batch of returns: what each file would change (member, candidates, items, amendments and
their reasons, refusals), read by the same checks as the import, with nothing written."""

from __future__ import annotations

from sqlmodel import Session, select

from db import exchange
from db.exchange.preview import preview_returns
from db.models import AuditEvent
from tests.test_exchange import KEY, counts, enter, make_campaign, member_return, score_all, snapshot
from tests.test_exchange import laptop as laptop_db


def _audit(session: Session) -> int:
    return len(session.exec(select(AuditEvent)).all())


def test_preview_names_each_files_changes_and_writes_nothing(session):
    make_campaign(session)
    priya = member_return(session, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))
    joe = member_return(session, "Joe Lambert", lambda s: (score_all(s, "Joe Lambert", "C-002", 1),
                                                           score_all(s, "Joe Lambert", "C-003", 1, submit_it=False)))
    before, held, audit = counts(session), snapshot(session), _audit(session)
    preview = preview_returns(session, [("priya.age", priya), ("joe.age", joe)])
    assert preview.ok and preview.verdict == "All 2 files can be imported together (all or none)"
    assert counts(session) == before and snapshot(session) == held and _audit(session) == audit
    first, second = preview.files
    assert first.headline == "priya.age: Priya Raman: 1 candidate, 4 items changed, 0 amended"
    assert [(c.ref, c.submitted) for c in first.changes] == [("C-001", True)]
    # In the campaign's order:
    assert first.changes[0].items == ("Seeing the Big Picture", "Working Together", "Motivation", "Written exercise")
    assert [(c.ref, c.submitted) for c in second.changes] == [("C-002", True), ("C-003", False)]
    assert second.lines()[1].startswith("  C-002: Seeing the Big Picture, ") and second.lines()[1].endswith("; submitted")
    # The same bytes, imported, do what the preview said.
    batch = exchange.import_returns(session, [("priya.age", priya), ("joe.age", joe)])
    assert batch.applied and [r.member for r in batch.results] == ["Priya Raman", "Joe Lambert"]
    again = preview_returns(session, [("priya.age", priya)])
    assert again.files[0].headline == "priya.age: Priya Raman: already up to date"


def test_preview_shows_amendments_with_their_reasons(session):
    make_campaign(session)
    with laptop_db() as s:
        exchange.import_pack_text(s, exchange.pack_text(session, KEY, "Priya Raman"))
        score_all(s, "Priya Raman", "C-001", 0)
        exchange.import_return(session, exchange.export_return(s, KEY, "Priya Raman")[0])
        enter(s, "Priya Raman", "C-001", "Working Together", 6, notes="re-read", amend_reason="scored at the wrong level")
        amended = exchange.export_return(s, KEY, "Priya Raman")[0]
    audit = _audit(session)
    preview = preview_returns(session, [("amended.age", amended)])
    (file,) = preview.files
    assert file.changes[0].items == ("Working Together",)
    lines = [a.line for a in file.amendments]
    assert "amended C-001, Working Together: score 2 → 6; reason: scored at the wrong level" in lines
    assert "amended C-001, Working Together: notes changed; reason: scored at the wrong level" in lines
    assert _audit(session) == audit  # the amendments were not written


def test_a_tampered_file_is_named_in_the_preview_and_the_batch_would_apply_nothing(session):
    make_campaign(session)
    good = member_return(session, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))
    joe = member_return(session, "Joe Lambert", lambda s: score_all(s, "Joe Lambert", "C-002", 1))
    tampered = joe[:-40] + bytes([joe[-40] ^ 1]) + joe[-39:]
    before = counts(session)
    preview = preview_returns(session, [("good.age", good), ("tampered.age", tampered)])
    assert not preview.ok and preview.verdict == "Nothing will be imported: 1 of 2 files refused"
    assert [f.source for f in preview.refused] == ["tampered.age"]
    assert preview.files[1].headline == "tampered.age: REFUSED: not sealed for this database, or the file was changed"
    assert preview.files[0].changes  # the good file's effect is still shown
    assert counts(session) == before
