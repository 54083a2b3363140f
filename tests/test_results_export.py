"""`panel-tui results export`: the documented shape, compact JSON, totals rounded to two decimals."""

from __future__ import annotations

import json

from db.demo import DEMO_KEY, ensure_demo
from db.engine import open_database, sqlite_url
from db.outcomes import merit_list
from panel_tui.cli import main


def _demo(db_file):
    database = open_database(sqlite_url(db_file))
    with database.session() as session:
        campaign = ensure_demo(session)
        merit = {r.ref: r for r in merit_list(session, campaign.id).rows}  # type: ignore[arg-type]
    database.dispose()
    return merit


def test_json_export_has_the_documented_shape_and_rounded_totals(db_file, capsys):
    merit = _demo(db_file)
    assert main(["--db", str(db_file), "results", "export", DEMO_KEY, "--format", "json"]) == 0
    text = capsys.readouterr().out
    doc = json.loads(text)
    assert set(doc) == {"campaign", "candidates"} and doc["campaign"] == DEMO_KEY
    assert len(text.splitlines()) == len(doc["candidates"]) + 2  # one candidate per line
    fractional = 0
    for c in doc["candidates"]:
        assert set(c) == {"ref", "items", "total", "provisional", "passed", "rank", "reserve_until"}
        row = merit[c["ref"]]
        assert c["rank"] == row.rank and c["passed"] == row.passed and c["provisional"] == row.provisional
        if c["total"] is not None:
            # Two decimals at most: no float noise such as 19.333333333333336.
            assert c["total"] == round(row.total, 2) and len(repr(c["total"]).split(".")[1]) <= 2
            fractional += c["total"] != int(c["total"])
        for body in c["items"].values():
            assert set(body) == {"scores", "consensus"}
    assert fractional, "the demo has provisional (mean) totals"


def test_csv_export_rounds_too(db_file, capsys):
    _demo(db_file)
    assert main(["--db", str(db_file), "results", "export", DEMO_KEY, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "candidate_ref,item,member,score,total,provisional,passed,rank,reserve_until"
    assert all(len(cell.split(".")[1]) <= 2 for line in lines[1:] for cell in line.split(",")[3:5] if "." in cell)


# --- the JSON text is results_document as the json module writes it ----------------------------

BAD = ("\x1b", "\x07", "\x9b", "\x9d", "\u202e")


def _reference(doc: dict) -> str:
    """The layout results_json promises: json.JSONEncoder(ensure_ascii=False) per candidate, one per line."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    head = encode({"campaign": doc["campaign"]})[:-1]
    if not doc["candidates"]:
        return f'{head}, "candidates": []}}\n'
    return f'{head}, "candidates": [\n  ' + ",\n  ".join(map(encode, doc["candidates"])) + "\n]}\n"


def _json(session, campaign_id) -> str:
    from db.results_export import results_json

    return "".join(results_json(session, campaign_id))


def _reserve_the_top_candidate(session, campaign_id):
    from datetime import date

    from db.models import Campaign
    from db.outcomes import add_to_reserve

    campaign = session.get(Campaign, campaign_id)
    if campaign.decision_date is None:
        campaign.decision_date = date.today()
        session.add(campaign)
        session.commit()
    from sqlmodel import select

    from db.consolidation import record_consensus
    from db.models import CampaignItem

    top = next(r for r in merit_list(session, campaign_id).rows if r.rank == 1)
    for item_id in session.exec(select(CampaignItem.id).where(CampaignItem.campaign_id == campaign_id)).all():
        record_consensus(session, top.candidate_id, item_id, 5.0, "Agreed.", "chair")  # a final result
    return top.ref, add_to_reserve(session, top.candidate_id, "chair", allow_expired=True)


def test_json_text_is_exactly_the_document_as_json_writes_it(session, demo):
    from sqlalchemy import text

    from db.results_export import results_document

    ref, expiry = _reserve_the_top_candidate(session, demo.id)
    # A name json must escape and one it must not, a score that is not whole.
    session.exec(text("update panelmember set name = :n where campaign_id = :c and role = 'member'"),
                 params={"n": 'Zoë "Priya" Ó Raman', "c": demo.id})
    session.exec(text("update itemevidence set score = 4.5 where id = (select min(id) from itemevidence)"))
    session.commit()
    doc = results_document(session, demo.id)
    out = _json(session, demo.id)
    assert out == _reference(doc)
    assert json.loads(out) == doc
    assert 'Zoë \\"Priya\\" Ó Raman' in out and 4.5 in [s for c in doc["candidates"] for b in c["items"].values()
                                                       for s in b["scores"].values()]
    reserved = next(c for c in doc["candidates"] if c["ref"] == ref)
    assert reserved["reserve_until"] == expiry.isoformat()
    assert any(not b["scores"] and b["consensus"] is None for c in doc["candidates"] for b in c["items"].values())


def test_json_export_holds_no_control_text_even_from_a_tampered_database(session, demo):
    from sqlalchemy import text

    from db.results_export import results_document

    session.exec(text("update candidate set ref = :r where campaign_id = :c and ref = 'HRBP-003'"),
                 params={"r": "HRBP-\x9d0;x\x07003\u202e", "c": demo.id})
    session.exec(text("update panelmember set name = :n where campaign_id = :c and role = 'chair'"),
                 params={"n": "Sam\x1b]52;c;cm0=\x07 Whitfield\x9b31m", "c": demo.id})
    session.commit()
    out = _json(session, demo.id)
    assert not any(b in out for b in BAD), repr(out)
    doc = json.loads(out)
    assert doc == results_document(session, demo.id) and out == _reference(doc)
    assert "HRBP-003" in out and "Sam Whitfield" in out
    assert len(doc["candidates"]) == 6  # nothing swallowed by a half escape sequence


def test_names_alike_once_cleaned_are_one_key_as_in_the_document(session, demo):
    from sqlalchemy import text

    from db.results_export import results_document

    session.exec(text("update panelmember set name = 'Joe Lambert\x07' where campaign_id = :c and name = 'Sam Whitfield'"),
                 params={"c": demo.id})
    session.commit()
    out = _json(session, demo.id)
    doc = results_document(session, demo.id)
    assert out == _reference(doc) and json.loads(out) == doc
    assert all(set(b["scores"]) <= {"Joe Lambert", "Priya Raman"} for c in doc["candidates"] for b in c["items"].values())


def test_a_campaign_without_candidates_is_an_empty_list(session):
    from db.campaigns import create_campaign

    campaign = create_campaign(session, {
        "key": "empty", "title": "Empty", "grade": "Grade 7", "framework": "competencies-2012",
        "items": [{"name": "Item 1", "kind": "technical"}], "scale": "csj-1-7", "pass_mark": 4,
        "panel": [{"name": "Chair", "role": "chair"}],
    }, actor="t")
    assert _json(session, campaign.id) == '{"campaign": "empty", "candidates": []}\n'
