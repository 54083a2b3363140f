"""Panel packs and returns: round trip across laptops, refusals, idempotence, conflicts.

The chair's database is the ``database`` fixture (PostgreSQL when
PANEL_TUI_TEST_DB_URL is set); each panellist's laptop is its own SQLite database.
Packs go through the plain layer (``pack_text`` / ``import_pack_text``): the passphrase
layer costs a second of scrypt each way and is tested in test_exchange_seal.py. Returns
are sealed (signed and encrypted) throughout; ``resign`` plays an author who edits their
own return, so the content checks under the seal are still exercised.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from db import exchange
from db.exchange import keys as exchange_keys
from db.exchange.envelope import lock_return, open_return
from db.campaigns import create_campaign, get_campaign
from db.engine import open_database
from db.errors import Conflict, ImportRefused
from db.interview import EvidenceState, indicators, save_evidence, submit
from db.models import (
    Assessment,
    AuditEvent,
    Campaign,
    CampaignItem,
    Candidate,
    Element,
    Framework,
    Indicator,
    IndicatorTag,
    ItemEvidence,
    PanelMember,
    Question,
)

KEY = "hrbp-2026"
MEMBERS = ("Sam Whitfield", "Priya Raman", "Joe Lambert")
SPEC: dict[str, Any] = {
    "key": KEY,
    "title": "HR Business Partner",
    "department": "Home Office",
    "reference": "HO-1234",
    "location": "Croydon",
    "grade": "Grade 7",
    "framework": "success-profiles-behaviours",
    "items": [
        "Seeing the Big Picture",
        "Working Together",
        {"name": "Motivation", "kind": "strength"},
        {"name": "Written exercise", "kind": "technical", "scale": "csc-a-e"},
    ],
    "lead": "Working Together",
    "pass_mark": {"default": 4, "Written exercise": "C"},
    "min_total": 14,
    "decision_date": "2026-12-31",
    "questions": {"Working Together": {"questions": ["Tell us about a team you built."], "probes": ["What changed?"]}},
    "panel": [{"name": "Sam Whitfield", "role": "chair"}, {"name": "Priya Raman"}, {"name": "Joe Lambert", "role": "independent"}],
    "candidates": [
        {
            "ref": f"C-{n:03}",
            "name": f"Person {n}",
            "email": f"p{n}@example.org",
            "adjustments": "Extra time: 15 minutes" if n == 1 else "",
            "extra_minutes": 15 if n == 1 else 0,
            "slot": f"2026-12-0{n} 09:30",
        }
        for n in range(1, 5)
    ],
}


# --- helpers -------------------------------------------------------------------------


@contextmanager
def laptop() -> Iterator[Session]:
    db = open_database("sqlite://")
    try:
        with db.session() as s:
            yield s
    finally:
        db.dispose()


def make_campaign(session: Session, **changes: Any) -> Campaign:
    return create_campaign(session, {**SPEC, **changes})


def ids(session: Session, key: str = KEY) -> tuple[dict[str, int], dict[str, int], dict[str, CampaignItem], Campaign]:
    campaign = get_campaign(session, key)
    cands = dict(session.exec(select(Candidate.ref, Candidate.id).where(Candidate.campaign_id == campaign.id)).all())
    members = dict(session.exec(select(PanelMember.name, PanelMember.id).where(PanelMember.campaign_id == campaign.id)).all())
    items = {i.name: i for i in session.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign.id)).all()}
    return cands, members, items, campaign


def enter(session: Session, member: str, ref: str, item: str, score: float | None, notes: str = "", **kw: Any) -> None:
    """Save evidence the way the interview screen does, tagging the first two indicators shown."""
    cands, members, items, campaign = ids(session)
    ci = items[item]
    tags: dict[int, str] = {}
    if ci.element_id is not None:
        shown = indicators(session, ci.element_id, campaign.level)
        tags = {shown[0].id: "seen", shown[1].id: "contrary"}
    state = EvidenceState(notes=notes or f"{member} on {ref}: {item}", star=kw.pop("star", "STA"), score=score, tags=tags)
    save_evidence(session, cands[ref], members[member], ci.id, state, **kw)  # type: ignore[arg-type]


def score_all(session: Session, member: str, ref: str, base: int, *, submit_it: bool = True) -> None:
    for n, item in enumerate(("Seeing the Big Picture", "Working Together", "Motivation")):
        enter(session, member, ref, item, (base + n) % 7 + 1)
    enter(session, member, ref, "Written exercise", 4)  # "B/C"
    if submit_it:
        cands, members, _, _ = ids(session)
        submit(session, cands[ref], members[member])


def snapshot(session: Session, key: str = KEY, member: str | None = None) -> dict:
    """Everything assessed, by portable names (independent of db.exchange)."""
    campaign = get_campaign(session, key)
    stmt = (
        select(Assessment, PanelMember.name, Candidate.ref)
        .join(PanelMember, col(PanelMember.id) == Assessment.member_id)
        .join(Candidate, col(Candidate.id) == Assessment.candidate_id)
        .where(Candidate.campaign_id == campaign.id)
    )
    if member is not None:
        stmt = stmt.where(PanelMember.name == member)
    out: dict = {}
    for a, name, ref in session.exec(stmt).all():
        items = {}
        for ev, item in session.exec(
            select(ItemEvidence, CampaignItem.name)
            .join(CampaignItem, col(CampaignItem.id) == ItemEvidence.item_id)
            .where(ItemEvidence.assessment_id == a.id)
        ).all():
            tags = frozenset(
                session.exec(
                    select(IndicatorTag.tag, Element.name, Indicator.level, Indicator.kind, Indicator.position, Indicator.text)
                    .join(Indicator, col(Indicator.id) == IndicatorTag.indicator_id)
                    .join(Element, col(Element.id) == Indicator.element_id)
                    .where(IndicatorTag.evidence_id == ev.id)
                ).all()
            )
            items[item] = (ev.notes, ev.star, ev.score, ev.updated_at, tags)
        out[(name, ref)] = (a.submitted_at, items)
    return out


def counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.exec(select(func.count()).select_from(m)).one()
        for m in (Campaign, Candidate, PanelMember, Assessment, ItemEvidence, IndicatorTag, AuditEvent, Framework, Indicator)
    )


def reseal(text: str, mutate: Callable[[dict], None]) -> str:
    """Edit a file's content and recompute its checksum (a well-formed but different file)."""
    doc = json.loads(text)
    mutate(doc)
    doc["sha256"] = exchange.checksum(doc["content"])
    return json.dumps(doc)


@pytest.fixture
def chair(session: Session) -> Session:
    make_campaign(session)
    return session


@pytest.fixture
def pack(chair: Session) -> str:
    """Priya's pack, without the passphrase layer."""
    return exchange.pack_text(chair, KEY, "Priya Raman")


SIGNING: dict[str, str] = {}  # member -> the signing key of the laptop that made their latest return


def member_return(chair: Session, member: str, work: Callable[[Session], None]) -> bytes:
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, member))
        work(s)
        SIGNING[member] = exchange_keys.laptop_keys(s, get_campaign(s, KEY).id).signing.private
        return exchange.export_return(s, KEY, member)[0]


def resign(chair: Session, data: bytes, mutate: Callable[[dict], None]) -> bytes:
    """The return's author edits it and seals it again with their own key: well formed, signed, different."""
    signed = open_return(data, exchange_keys.campaign_identities(chair), "test")
    doc = json.loads(signed.body)
    mutate(doc)
    doc["sha256"] = exchange.checksum(doc["content"])
    recipient = exchange_keys.campaign_keys(chair, get_campaign(chair, KEY).id).recipient
    author = doc["content"].get("member") or signed.member
    return lock_return(json.dumps(doc), doc["campaign"], author, SIGNING[signed.member], recipient)


# --- the envelope ------------------------------------------------------------------


def test_files_are_versioned_json_with_a_checksum_of_canonical_content(pack):
    doc = json.loads(pack)
    assert doc["format"] == "panel-tui/pack"
    assert doc["version"] == 1
    assert doc["campaign"] == KEY
    assert doc["created_at"]
    canonical = json.dumps(doc["content"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    import hashlib

    assert doc["sha256"] == hashlib.sha256(canonical).hexdigest()
    assert doc["keys"]["member"] == "Priya Raman" and doc["keys"]["recipient"].startswith("age1")


def test_pack_holds_campaign_items_framework_candidates_and_panel(chair, pack):
    content = json.loads(pack)["content"]
    campaign = get_campaign(chair, KEY)
    assert content["campaign"]["key"] == KEY and content["campaign"]["level"] == 4 == campaign.level
    assert content["campaign"]["decision_date"] == "2026-12-31"
    assert [i["name"] for i in content["items"]] == [
        "Seeing the Big Picture", "Working Together", "Motivation", "Written exercise",
    ]
    wt = content["items"][1]
    assert wt["is_lead"] and wt["element"] == "Working Together"
    assert [(q["kind"], q["text"]) for q in wt["questions"]] == [
        ("probe", "What changed?"), ("question", "Tell us about a team you built."),
    ]
    assert content["items"][3]["scale"][3]["label"] == "B/C"
    fw = content["framework"]
    assert fw["key"] == "success-profiles-behaviours"
    assert [e["name"] for e in fw["elements"]] == ["Seeing the Big Picture", "Working Together"]
    assert {i["level"] for e in fw["elements"] for i in e["indicators"]} == {3, 4, 5}
    assert content["candidates"][0] == {
        "ref": "C-001", "name": "Person 1", "adjustments": "Extra time: 15 minutes", "extra_minutes": 15,
        "slot": content["candidates"][0]["slot"],
    }
    assert "email" not in content["candidates"][0]
    assert content["panel"] == [
        {"name": "Sam Whitfield", "role": "chair"}, {"name": "Priya Raman", "role": "member"},
        {"name": "Joe Lambert", "role": "independent"},
    ]


def test_anonymised_pack_leaves_out_names(session):
    make_campaign(session, anonymised=True)
    content = json.loads(exchange.pack_text(session, KEY, "Sam Whitfield"))["content"]
    assert content["campaign"]["anonymised"] is True
    assert {c["name"] for c in content["candidates"]} == {""}


# --- pack import ------------------------------------------------------------------------


def _campaign_view(session: Session) -> dict:
    cands, members, items, campaign = ids(session)
    fields = {f: getattr(campaign, f) for f in exchange.CAMPAIGN_FIELDS}
    return {
        "campaign": fields,
        "framework": session.get(Framework, campaign.framework_id).key,  # type: ignore[union-attr]
        "items": [
            (i.position, i.kind, i.name, i.description, i.pass_mark, i.is_lead, i.scale, i.element_id is not None,
             sorted((q.kind, q.position, q.text) for q in session.exec(select(Question).where(Question.item_id == i.id)).all()))
            for i in sorted(items.values(), key=lambda i: i.position)
        ],
        "candidates": sorted(
            (c.ref, c.name, c.adjustments, c.extra_minutes, c.slot)
            for c in session.exec(select(Candidate).where(Candidate.campaign_id == campaign.id)).all()
        ),
        "panel": sorted(
            (m.name, m.role) for m in session.exec(select(PanelMember).where(PanelMember.campaign_id == campaign.id)).all()
        ),
    }


def test_pack_import_into_a_fresh_database_recreates_the_campaign(database):
    with laptop() as origin:
        make_campaign(origin)
        pack = exchange.pack_text(origin, KEY, "Priya Raman")
        expected = _campaign_view(origin)
    with database.session() as s:
        result = exchange.import_pack_text(s, pack, source="pack.json")
        assert result.created and result.candidates_added == 4 and result.members_added == 3
        assert result.summary == "pack.json: imported campaign hrbp-2026 (4 items, 4 candidates, 3 panel members)"
        assert _campaign_view(s) == expected
        # The bundled framework is reused, not copied.
        assert s.exec(select(func.count()).select_from(Framework).where(Framework.key == "success-profiles-behaviours")).one() == 1
        assert result.indicators_added == 0
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "import")).all()
        assert [(a.entity, a.reason) for a in audit] == [("pack", "pack.json")]


def test_pack_import_twice_is_up_to_date_and_adds_late_candidates(session):
    with laptop() as origin:
        make_campaign(origin)
        pack1 = exchange.pack_text(origin, KEY, "Priya Raman")
        c = get_campaign(origin, KEY)
        origin.add(Candidate(campaign_id=c.id, ref="C-005", name="Late Entry"))  # type: ignore[arg-type]
        origin.commit()
        pack2 = exchange.pack_text(origin, KEY, "Priya Raman")
    exchange.import_pack_text(session, pack1)
    before = counts(session)
    again = exchange.import_pack_text(session, pack1, source="p")
    assert again.summary == "p: campaign hrbp-2026 already up to date"
    assert counts(session) == before
    more = exchange.import_pack_text(session, pack2, source="p2")
    assert (more.created, more.candidates_added, more.members_added) == (False, 1, 0)
    assert "C-005" in ids(session)[0]


def test_pack_import_refuses_a_held_campaign_with_different_items(session, pack):
    other = reseal(pack, lambda d: d["content"]["items"].pop())
    with laptop() as s:
        exchange.import_pack_text(s, pack)
        before = counts(s)
        with pytest.raises(ImportRefused, match="already here with different items"):
            exchange.import_pack_text(s, other, source="x")
        assert counts(s) == before


def test_pack_for_a_custom_framework_creates_a_non_bundled_framework_with_calibration_levels(database):
    from db.frameworks import import_framework

    levels = {str(lv): {"effective": [f"E{lv}a", f"E{lv}b"], "ineffective": [f"I{lv}"]} for lv in range(1, 7)}
    data = {
        "name": "Dept competencies", "kind": "competencies",
        "levels": {str(lv): f"Level {lv}" for lv in range(1, 7)},
        "elements": [{"name": n, "definition": f"{n} def", "levels": levels} for n in ("Alpha", "Beta", "Gamma")],
    }
    with laptop() as origin:
        import_framework(origin, data, key="dept-2026")
        make_campaign(origin, framework="dept-2026", items=["Beta", {"name": "Motivation", "kind": "strength"}], lead=None,
                      questions={}, level=2, grade="", pass_mark=4)
        pack = exchange.pack_text(origin, KEY, "Priya Raman")
    with database.session() as s:
        result = exchange.import_pack_text(s, pack)
        fw = s.exec(select(Framework).where(Framework.key == "dept-2026")).one()
        assert fw.bundled is False and fw.kind == "competencies" and fw.level_names["2"] == "Level 2"
        elements = s.exec(select(Element).where(Element.framework_id == fw.id)).all()
        assert [(e.name, e.definition) for e in elements] == [("Beta", "Beta def")]
        rows = s.exec(select(Indicator.level, Indicator.kind, Indicator.position, Indicator.text)
                      .where(Indicator.element_id == elements[0].id)).all()
        assert sorted(rows) == sorted(
            (lv, k, p, t) for lv in (1, 2, 3) for k, p, t in ((  "effective", 0, f"E{lv}a"), ("effective", 1, f"E{lv}b"), ("ineffective", 0, f"I{lv}"))
        )
        assert result.indicators_added == 9
        # A second campaign on the same framework, one level up, reuses it and adds only what is new.
        other = reseal(pack, lambda d: (d["content"]["campaign"].update(key="other", level=3), d.update(campaign="other"),
                                        d["content"]["framework"]["elements"][0]["indicators"].append(
                                            {"level": 4, "kind": "effective", "position": 0, "text": "E4a"})))
        assert exchange.import_pack_text(s, other).indicators_added == 1
        assert s.exec(select(func.count()).select_from(Framework).where(Framework.key == "dept-2026")).one() == 1
        # A framework here whose indicator text differs from the pack's is refused.
        clash = reseal(pack, lambda d: (d["content"]["campaign"].update(key="third"), d.update(campaign="third"),
                                        d["content"]["framework"]["elements"][0]["indicators"][0].update(text="Other")))
        before = counts(s)
        with pytest.raises(ImportRefused, match="framework dept-2026 here differs from the pack's"):
            exchange.import_pack_text(s, clash, source="clash")
        assert counts(s) == before


# --- the round trip -------------------------------------------------------------------


def test_round_trip_three_members_returns_merge_into_the_chairs_database(chair):
    laptops: dict[str, dict] = {}
    returns = []

    def work(member: str, base: int) -> Callable[[Session], None]:
        def go(s: Session) -> None:
            score_all(s, member, "C-001", base)
            score_all(s, member, "C-002", base + 2)
            enter(s, member, "C-003", "Working Together", 3, notes="in progress\nsecond line ✓")
            if member == "Priya Raman":  # amends a submitted assessment
                enter(s, member, "C-001", "Motivation", 7, notes="amended", amend_reason="misread my notes")
            laptops[member] = snapshot(s, member=member)

        return go

    for n, member in enumerate(MEMBERS):
        returns.append(member_return(chair, member, work(member, n)))

    before_audit = chair.exec(select(func.count()).select_from(AuditEvent)).one()
    results = [exchange.import_return(chair, r, source=f"{m}.json") for m, r in zip(MEMBERS, returns)]
    assert [r.summary for r in results] == [f"{m}.json: imported 3 assessments for {m}" for m in MEMBERS]
    for member in MEMBERS:
        held = snapshot(chair, member=member)
        assert held == laptops[member]
        assert held[(member, "C-001")][0] is not None and held[(member, "C-003")][0] is None
        tags = held[(member, "C-001")][1]["Working Together"][4]
        assert {(t[0], t[2]) for t in tags} == {("seen", 4), ("contrary", 4)}
    assert snapshot(chair)[("Priya Raman", "C-001")][1]["Motivation"][:3] == ("amended", "STA", 7.0)
    assert snapshot(chair)[("Joe Lambert", "C-002")][1]["Written exercise"][2] == 4.0
    audit = chair.exec(select(AuditEvent).where(AuditEvent.entity == "return", AuditEvent.action == "import")).all()
    assert len(audit) == 3 and chair.exec(select(func.count()).select_from(AuditEvent)).one() == before_audit + 3

    # Importing the same files again changes nothing at all.
    before = counts(chair)
    again = [exchange.import_return(chair, r, source="again") for r in returns]
    assert all(r.up_to_date and r.summary.startswith("again: already up to date") for r in again)
    assert counts(chair) == before
    assert all(snapshot(chair, member=m) == laptops[m] for m in MEMBERS)


def test_a_later_return_updates_evidence_and_submission(chair):
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        score_all(s, "Priya Raman", "C-001", 1, submit_it=False)
        first = exchange.export_return(s, KEY, "Priya Raman")[0]
        enter(s, "Priya Raman", "C-001", "Motivation", 2, notes="changed my mind")
        cands, members, _, _ = ids(s)
        submit(s, cands["C-001"], members["Priya Raman"])
        second = exchange.export_return(s, KEY, "Priya Raman")[0]
        final = snapshot(s, member="Priya Raman")
    exchange.import_return(chair, first)
    assert snapshot(chair)[("Priya Raman", "C-001")][0] is None
    result = exchange.import_return(chair, second, source="second")
    assert result.summary == "second: imported 1 assessments for Priya Raman" and result.evidence == 1
    assert snapshot(chair, member="Priya Raman") == final
    # The older file now conflicts: the chair holds a submitted assessment and newer evidence.
    before = counts(chair)
    with pytest.raises(Conflict, match=r"first: conflict: candidate C-001"):
        exchange.import_return(chair, first, source="first")
    assert counts(chair) == before and snapshot(chair, member="Priya Raman") == final


def test_conflict_with_newer_evidence_held_refuses_the_whole_file(chair):
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Joe Lambert"))
        score_all(s, "Joe Lambert", "C-001", 0, submit_it=False)
        score_all(s, "Joe Lambert", "C-002", 0, submit_it=False)
        ret = exchange.export_return(s, KEY, "Joe Lambert")[0]
    # Later, on the chair's laptop, Joe's evidence for C-002 is typed in again, differently.
    enter(chair, "Joe Lambert", "C-002", "Working Together", 6, notes="typed up on the chair's laptop")
    before, held = counts(chair), snapshot(chair)
    with pytest.raises(Conflict) as exc:
        exchange.import_return(chair, ret, source="joe.json")
    message = str(exc.value)
    assert "\n" not in message
    assert message == (
        "joe.json: conflict: candidate C-002, Working Together: this database holds newer evidence from Joe Lambert; "
        "nothing imported"
    )
    assert counts(chair) == before and snapshot(chair) == held


def test_same_evidence_held_is_not_a_conflict(chair):
    with laptop() as s:
        exchange.import_pack_text(s, exchange.pack_text(chair, KEY, "Priya Raman"))
        score_all(s, "Priya Raman", "C-001", 0)
        ret = exchange.export_return(s, KEY, "Priya Raman")[0]
        again = exchange.export_return(s, KEY, "Priya Raman")[0]  # new envelope time, same evidence
    exchange.import_return(chair, ret)
    assert exchange.import_return(chair, again).up_to_date


# --- refusals ----------------------------------------------------------------------------


@pytest.fixture
def priya(chair) -> bytes:
    return member_return(chair, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))


def _refused(chair: Session, data: str | bytes, match: str, **kw: Any) -> ImportRefused:
    before, held = counts(chair), snapshot(chair)
    with pytest.raises(ImportRefused, match=match) as exc:
        exchange.import_return(chair, data, source="r.json", **kw)
    assert "\n" not in str(exc.value)
    assert counts(chair) == before and snapshot(chair) == held
    return exc.value


def test_truncated_or_not_sealed_is_refused(chair, priya):
    changed = r"^r\.json: not sealed for this database, or the file was changed$"
    _refused(chair, priya[: len(priya) // 2], changed)
    plain = r"^r\.json: not a sealed return; unsealed files are refused \(anyone could have written one\)$"
    _refused(chair, b"\x89PNG\r\n\x1a\n\x00\x00", plain)
    _refused(chair, "", plain)
    _refused(chair, json.dumps({"hello": 1}), plain)


def test_return_for_another_campaign_is_refused(chair, priya):
    _refused(chair, priya, r"^r\.json is a return for campaign hrbp-2026, not other-2026$", campaign_key="other-2026")
    foreign = resign(chair, priya, lambda d: d.update(campaign="elsewhere"))
    _refused(chair, foreign, r"^r\.json is a return for campaign elsewhere, which this database does not hold$")


def test_newer_format_version_is_refused(chair, priya):
    _refused(chair, resign(chair, priya, lambda d: d.update(version=3)),
             r"^r\.json was written by a newer panel-tui \(format version 3; this one reads 2\)")


def test_a_pack_is_not_a_return(chair, pack):
    _refused(chair, pack, r"^r\.json: not a sealed return")
    with pytest.raises(ImportRefused, match=r"^p is a return, not a panel pack$"):
        exchange.import_pack(chair, member_return(chair, "Joe Lambert", lambda s: None), "any passphrase", source="p")


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d["content"].update(member="Nobody Known"), r"'Nobody Known' is not on the panel for campaign hrbp-2026"),
        (lambda d: d["content"]["assessments"][0].update(ref="C-999"), r"unknown candidate 'C-999'"),
        (lambda d: d["content"]["assessments"][0]["items"][0].update(item="Astrology"), r"unknown item 'Astrology'"),
        (lambda d: d["content"]["assessments"][0]["items"][0].update(score=9), r"score 9 is not on the scale"),
        (lambda d: d["content"]["assessments"][0]["items"][1]["tags"].__setitem__(0, [*d["content"]["assessments"][0]["items"][1]["tags"][0][:3], 99, "seen"]), r"unknown indicator"),
        (lambda d: d["content"]["assessments"][0]["items"][0].pop("updated_at"), r"^r\.json: not a valid return: assessments\[0\]\.items\[0\]\.updated_at: missing$"),
    ],
)
def test_return_with_unknown_names_is_refused(chair, priya, mutate, match):
    # One good file first, so the refusal must leave real data untouched.
    exchange.import_return(chair, member_return(chair, "Joe Lambert", lambda s: score_all(s, "Joe Lambert", "C-002", 3)))
    _refused(chair, resign(chair, priya, mutate), match)


def test_file_helpers_write_owner_only_and_read_back(tmp_path, pack):
    path = exchange.write_exchange_file(tmp_path / "pack.json", pack)
    assert path.stat().st_mode & 0o777 == 0o600
    assert exchange.read_exchange_file(path).decode() == pack
    with pytest.raises(ImportRefused, match="cannot read"):
        exchange.read_exchange_file(tmp_path / "missing.json")
