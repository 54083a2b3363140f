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
