"""A three-member round trip through the CLI with sealed files: a passphrase-locked pack per
member out, three laptops score, three signed and encrypted returns in, consensus, results
exported. SQLite files throughout (each laptop has its own database)."""

from __future__ import annotations

import json

import pytest

from db.campaigns import find_member, get_campaign
from db.consolidation import record_consensus
from db.engine import open_database, sqlite_url
from db.interview import EvidenceState, candidate_rows, load_interview, save_evidence, submit
from panel_tui.cli import main
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="laptops are SQLite files")

CAMPAIGN = """
title = "Casework Manager"
grade = "HEO"
framework = "success-profiles-behaviours"
items = ["Making Effective Decisions", "Working Together"]
lead = "Making Effective Decisions"
pass_mark = 4
decision_date = 2026-06-30

[[panel]]
name = "Ann Chair"
role = "chair"
[[panel]]
name = "Bo Member"
[[panel]]
name = "Cy Independent"
role = "independent"

[[candidates]]
ref = "C1"
name = "First Candidate"
[[candidates]]
ref = "C2"
name = "Second Candidate"
"""

# member -> candidate -> scores for (Making Effective Decisions, Working Together)
SCORES = {
    "Ann Chair": {"C1": (5, 4), "C2": (6, 6)},
    "Bo Member": {"C1": (5, 5), "C2": (6, 5)},
    "Cy Independent": {"C1": (3, 4), "C2": (6, 6)},
}


def _db(path, template):
    path.write_bytes(template.read_bytes())
    return ["--db", str(path)]


def test_three_member_round_trip(tmp_path, template_db_file, capsys):
    chair = _db(tmp_path / "chair.db", template_db_file)
    (tmp_path / "c.toml").write_text(CAMPAIGN)
    assert main([*chair, "campaign", "create", str(tmp_path / "c.toml")]) == 0
    key = capsys.readouterr().out.strip()
    secret = tmp_path / "passphrase.txt"
    secret.write_text("correct horse battery staple\n")

    for n, (member, by_candidate) in enumerate(SCORES.items()):
        pack = str(tmp_path / f"pack{n}.age")
        assert main([*chair, "pack", "export", key, pack, "--member", member, "--passphrase-file", str(secret)]) == 0
        raw = (tmp_path / f"pack{n}.age").read_bytes()
        assert member.encode() not in raw and b"Candidate" not in raw and key.encode() not in raw
        laptop = _db(tmp_path / f"laptop{n}.db", template_db_file)
        assert main([*laptop, "pack", "import", pack, "--passphrase-file", str(secret)]) == 0
        assert f"this laptop is {member}'s" in capsys.readouterr().out
        db = open_database(sqlite_url(tmp_path / f"laptop{n}.db"))
        with db.session() as s:
            campaign = get_campaign(s, key)
            me = find_member(s, campaign.id, member)
            for row in candidate_rows(s, campaign.id, me.id):
                view = load_interview(s, row.id, me.id)
                for item, score in zip(view.items, by_candidate[row.ref]):
                    save_evidence(s, row.id, me.id, item.id, EvidenceState(notes=f"{member} on {row.ref}", score=score))
                submit(s, row.id, me.id)
        db.dispose()
        assert main([*laptop, "return", "export", key, str(tmp_path / f"return{n}.age")]) == 0
        raw = (tmp_path / f"return{n}.age").read_bytes()
        assert member.encode() not in raw and f"{member} on".encode() not in raw

    returns = [str(tmp_path / f"return{n}.age") for n in range(3)]
    assert main([*chair, "return", "import", *returns]) == 0
    assert main([*chair, "return", "import", *returns]) == 0  # idempotent
    out = capsys.readouterr().out
    assert out.count("already up to date") == 3

    db = open_database(sqlite_url(tmp_path / "chair.db"))
    with db.session() as s:
        campaign = get_campaign(s, key)
        rows = {r.ref: r.id for r in candidate_rows(s, campaign.id, None)}
        items = {i.name: i.id for i in load_interview(s, rows["C1"], find_member(s, campaign.id, "Ann Chair").id).items}
        # C1's decision scores diverge (5, 5, 3): the panel agrees 4.
        record_consensus(s, rows["C1"], items["Making Effective Decisions"], 4, "Sound but partial evidence.", "Ann Chair")
    db.dispose()

    assert main([*chair, "results", "export", key, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["campaign"] == key
    by_ref = {c["ref"]: c for c in doc["candidates"]}
    c1, c2 = by_ref["C1"], by_ref["C2"]
    assert c1["items"]["Making Effective Decisions"] == {
        "scores": {"Ann Chair": 5.0, "Bo Member": 5.0, "Cy Independent": 3.0}, "consensus": 4.0,
    }
    assert c1["items"]["Working Together"]["consensus"] is None
    # C1: 4 (consensus) + mean(4, 5, 4) = 8.33..., provisional until Working Together is agreed.
    assert c1["total"] == round(4 + 13 / 3, 2)  # exported totals are rounded to two decimals
    assert c1["provisional"] is True and c1["passed"] is True
    assert c2["total"] == round(6 + 17 / 3, 2)  # people read two decimals (README: results export)
    assert (c2["rank"], c1["rank"]) == (1, 2)
    assert c1["reserve_until"] is None

    assert main([*chair, "results", "export", key, "--format", "csv"]) == 0
    csv_lines = capsys.readouterr().out.splitlines()
    assert csv_lines[0] == "candidate_ref,item,member,score,total,provisional,passed,rank,reserve_until"
    assert "C1,Making Effective Decisions,consensus,4,8.33,true,true,2," in csv_lines
