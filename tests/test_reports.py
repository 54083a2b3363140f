"""Reports: assessment record (Markdown, PDF), merit list CSV, feedback, and the `results` commands."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from db.campaigns import campaign_items
from db.consolidation import record_consensus
from db.demo import DEMO_KEY, ensure_demo
from db.engine import open_database, sqlite_url
from db.errors import NotFound
from db.models import AuditEvent, Campaign, Candidate, Outcome
from db.outcomes import appoint, order_tie
from db.candidates import get_candidate as candidate_by_ref
from db.feedback import feedback_draft, feedback_text, save_feedback
from db.record import assessment_record_markdown, assessment_record_pdf, latin1
from db.reports import merit_list_csv, merit_list_text
from panel_tui.cli import main

ITEMS = [
    "Leading and Communicating", "Collaborating and Partnering", "Seeing the Big Picture",
    "Changing and Improving", "Delivering at Pace", "Managing a Quality Service",
]
AGREED_1 = [5, 5, 4, 5, 5, 5]
RATIONALE = "Gave a clear example of briefing 40 staff – tailored to each audience"


def agree_first(session, campaign) -> int:
    """Consensus on every item for HRBP-001; returns its id."""
    one = candidate_by_ref(session, campaign.id, "HRBP-001")
    for item, score in zip(campaign_items(session, campaign.id), AGREED_1):
        record_consensus(session, one.id, item.id, score, f"{RATIONALE} ({item.name})", "Sam Whitfield")
    return one.id  # type: ignore[return-value]


# --- assessment record ------------------------------------------------------------------


def test_assessment_record_markdown(session, demo):
    one = agree_first(session, demo)
    appoint(session, one, "Sam Whitfield")
    md = assessment_record_markdown(session, one)
    assert md.startswith("**OFFICIAL-SENSITIVE**\n\n# Assessment record: Amira Okafor (HRBP-001)")
    assert md.endswith("\n\n**OFFICIAL-SENSITIVE**\n")
    for text in ("**Role:** HR Business Partner", "**Grade:** Grade 7", "**Level:** 4 (Grade 7/Grade 6)",
                 "Civil Service Competency Framework", "Sam Whitfield (Chair)", "Joe Lambert (Independent)"):
        assert text in md
    for name in ITEMS:
        assert f"## {name}" in md
    assert "## Leading and Communicating (lead item)" in md
    # Each member's evidence, STAR, tags and score.
    assert "### Joe Lambert (Independent) - score 6, submitted" in md
    assert "STAR: Situation, Task, Action, Result" in md
    assert "> S: Restructure of regional HR team, 40 staff affected." in md
    assert "- seen (effective): " in md
    # Consensus and rationale, outcome, audit history.
    assert f"**Consensus:** 5 - {RATIONALE} (Leading and Communicating)" in md
    assert "- **Total:** 29" in md and "- **Result:** pass" in md and "- **Merit list rank:** 1" in md
    assert "- **Status:** appointed" in md
    history = md.split("## Audit history", 1)[1]
    assert history.count("| record | consensus |") == 6
    assert "| submit | assessment |" in history and "| appoint | outcome |  | pending | appointed |" in history


def test_record_of_an_unfinished_candidate(session, demo):
    three = candidate_by_ref(session, demo.id, "HRBP-003")
    md = assessment_record_markdown(session, three.id)
    assert "### Priya Raman (Member) - score 5, not submitted" in md
    assert "### Sam Whitfield (Chair) - score not scored, not submitted" in md
    assert "STAR: none of Situation, Task, Action, Result" in md
    assert "**Consensus:** not yet agreed (provisional value 5)" in md
    assert "- **Result:** incomplete (not every item is scored) - provisional" in md
    assert "_No changes recorded._" in md


def test_record_and_feedback_give_every_fail_reason_and_star_in_words(session, demo):
    # HRBP-002 is below the pass mark on three items AND below the demo's minimum total of 26.
    two = candidate_by_ref(session, demo.id, "HRBP-002").id
    md = assessment_record_markdown(session, two)
    assert ("- **Result:** fail (below the pass mark: Leading and Communicating, Seeing the Big Picture, "
            "Managing a Quality Service; below the minimum total: 23.33, needs 26) - provisional") in md
    assert "STAR: Situation, Action; missing Task, Result" in md
    assert "STAR SA" not in md and "STAR STAR" not in md
    draft = feedback_draft(session, two)
    assert ("did not meet the standard required for Leading and Communicating, Seeing the Big Picture "
            "and Managing a Quality Service, and your overall score did not meet the standard required") in draft


def test_anonymised_record_shows_only_the_ref(session, demo):
    campaign = session.get(Campaign, demo.id)
    campaign.anonymised = True
    session.add(campaign)
    session.commit()
    one = candidate_by_ref(session, demo.id, "HRBP-001")
    assert "\n# Assessment record: HRBP-001\n" in assessment_record_markdown(session, one.id)
    assert "Amira" not in merit_list_csv(session, demo.id)
    assert feedback_draft(session, one.id).startswith("Dear candidate,")


def test_assessment_record_pdf(session, demo, tmp_path):
    one = agree_first(session, demo)
    record_consensus(session, one, campaign_items(session, demo.id)[0].id, 5,
                     "Excellent ✓ — “quoted” … and 漢字", "Sam Whitfield")
    path = assessment_record_pdf(session, one, tmp_path / "record.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(data) > 2000


def test_latin1_replacement():
    assert latin1("a – b — “c” ‘d’ … ✓") == "a - b - \"c\" 'd' ... ?"
    assert latin1("café £5") == "café £5"


def test_candidate_by_ref(session, demo):
    assert candidate_by_ref(session, demo.id, " HRBP-002 ").name == "Ben Castell"
    with pytest.raises(NotFound, match="HRBP-999"):
        candidate_by_ref(session, demo.id, "HRBP-999")


# --- merit list CSV ---------------------------------------------------------------------


def test_merit_list_csv(session, demo):
    agree_first(session, demo)
    text = merit_list_csv(session, demo.id)
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == ["rank", "candidate_ref", "name", "total", *ITEMS, "passed", "provisional", "status",
                      "reserve_expiry", "tie_reason"]
    *data, marking = list(reader)
    assert marking == ["OFFICIAL-SENSITIVE"]  # the last row; the header stays in row 1
    rows = {r[1]: dict(zip(header, r)) for r in data}
    assert list(rows) == [f"HRBP-00{n}" for n in range(1, 7)]
    one = rows["HRBP-001"]
    assert (one["rank"], one["name"], one["total"], one["passed"], one["provisional"], one["status"]) == (
        "1", "Amira Okafor", "29", "yes", "no", "pending")
    assert [one[i] for i in ITEMS] == ["5", "5", "4", "5", "5", "5"]
    two = rows["HRBP-002"]
    assert (two["rank"], two["total"], two["passed"], two["provisional"]) == ("", "23.33", "no", "yes")
    assert two["Leading and Communicating"] == "3.33"
    three = rows["HRBP-003"]
    assert (three["total"], three["passed"], three["Collaborating and Partnering"]) == ("", "", "6")


def _tied_campaign(session):
    """Items A (lead), B, C; one panellist scoring in the 'mean' method, so values are final on submit."""
    from db.campaigns import create_campaign, find_member
    from db.interview import EvidenceState, save_evidence, submit

    rows = {"P1": [6, 5, 5], "P3": [5, 5, 5], "P4": [5, 4, 6], "P5": [4, 5, 5], "P6": [4, 4, 6],
            "P7": [4, 6, 4], "P9": None}
    campaign = create_campaign(session, {
        "key": "csv-ties", "title": "Policy Adviser", "grade": "SEO", "framework": "competencies-2012",
        "items": [{"name": n, "kind": "technical"} for n in ("A", "B", "C")], "lead": "A",
        "scoring_method": "mean", "decision_date": "2026-01-31", "panel": [{"name": "Chair", "role": "chair"}],
        "candidates": [{"ref": ref, "name": f"Candidate {ref}"} for ref in rows],
    })
    cands = {c.ref: c.id for c in session.exec(select(Candidate).where(Candidate.campaign_id == campaign.id)).all()}
    items = [i.id for i in campaign_items(session, campaign.id)]
    chair = find_member(session, campaign.id, "Chair").id
    for ref, scores in rows.items():
        if scores:
            for item, value in zip(items, scores):
                save_evidence(session, cands[ref], chair, item, EvidenceState(score=value))
            submit(session, cands[ref], chair)
    return campaign, cands


def test_merit_list_csv_with_ties_and_reserve(session):
    from db.outcomes import add_to_reserve

    campaign, cands = _tied_campaign(session)
    order_tie(session, campaign.id, [cands["P4"], cands["P3"]], "P4 stronger on C", "Chair")
    add_to_reserve(session, cands["P3"], "Chair")
    c = session.get(Candidate, cands["P9"])
    c.name = "=HYPERLINK(\"x\")"
    session.add(c)
    session.commit()
    rows = {r["candidate_ref"]: r for r in csv.DictReader(io.StringIO(merit_list_csv(session, campaign.id)))
            if r["rank"] != "OFFICIAL-SENSITIVE"}
    assert list(rows) == ["P1", "P4", "P3", "P5", "P6", "P7", "P9"]
    assert (rows["P4"]["rank"], rows["P4"]["tie_reason"]) == ("2", "P4 stronger on C")
    assert (rows["P3"]["rank"], rows["P3"]["status"], rows["P3"]["reserve_expiry"]) == ("3", "reserve", "2027-01-31")
    assert rows["P5"]["rank"] == rows["P6"]["rank"] == rows["P7"]["rank"] == "4"
    assert rows["P9"]["rank"] == "" and rows["P9"]["passed"] == ""
    assert rows["P9"]["name"].startswith("'=")  # a spreadsheet will not run it


def test_merit_list_text(session, demo):
    text = merit_list_text(session, demo.id)
    assert "Amira Okafor (HRBP-001)" in text and "LC" in text and "pass (prov.)" in text


# --- feedback ---------------------------------------------------------------------------


def test_feedback_draft(session, demo):
    one = agree_first(session, demo)
    draft = feedback_draft(session, one)
    assert draft.startswith("Dear Amira Okafor,")
    assert "You were assessed against the following competencies: Leading and Communicating, " in draft
    assert "Delivering at Pace and Managing a Quality Service" in draft
    assert f"For Leading and Communicating, the panel noted: {RATIONALE} (Leading and Communicating)." in draft
    assert "The panel's score was 5 (Good demonstration)." in draft
    assert "You met the standard required for the role." in draft

    two = candidate_by_ref(session, demo.id, "HRBP-002").id
    draft2 = feedback_draft(session, two)
    assert "For Leading and Communicating, your score was 3.33." in draft2
    assert "did not meet the standard required for Leading and Communicating, Seeing the Big Picture " \
           "and Managing a Quality Service" in draft2


def test_saved_feedback_is_exported(session, demo):
    one = agree_first(session, demo)
    assert feedback_text(session, one) == feedback_draft(session, one)
    save_feedback(session, one, "Dear Amira,\n\nEdited by the chair.", "Sam Whitfield")
    assert feedback_text(session, one) == "Dear Amira,\n\nEdited by the chair.\n"
    assert session.exec(select(Outcome.feedback).where(Outcome.candidate_id == one)).one().startswith("Dear Amira,")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "feedback")).one()
    assert event.old_value == "" and "Edited by the chair." in event.new_value
    save_feedback(session, one, "  ", "Sam Whitfield")
    assert feedback_text(session, one) == feedback_draft(session, one)


# --- the results commands -----------------------------------------------------------------


@pytest.fixture
def demo_file(tmp_path):
    path = tmp_path / "panel.db"
    database = open_database(sqlite_url(path))
    with database.session() as s:
        campaign = ensure_demo(s)
        agree_first(s, campaign)
    database.dispose()
    return path


def test_cli_merit(demo_file, tmp_path, capsys):
    assert main(["--db", str(demo_file), "results", "merit", DEMO_KEY]) == 0
    out = capsys.readouterr().out
    assert "Amira Okafor (HRBP-001)" in out and "Ben Castell (HRBP-002)" in out
    target = tmp_path / "merit.csv"
    assert main(["--db", str(demo_file), "results", "merit", DEMO_KEY, "--csv", str(target)]) == 0
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["candidate_ref"] for r in rows][:2] == ["HRBP-001", "HRBP-002"] and rows[0]["rank"] == "1"


def test_cli_record(demo_file, tmp_path, capsys):
    md = tmp_path / "r.md"
    assert main(["--db", str(demo_file), "results", "record", DEMO_KEY, "HRBP-001", "--md", str(md)]) == 0
    assert md.read_text(encoding="utf-8").startswith("**OFFICIAL-SENSITIVE**\n\n# Assessment record: Amira Okafor (HRBP-001)")
    pdf = tmp_path / "r.pdf"
    assert main(["--db", str(demo_file), "results", "record", DEMO_KEY, "HRBP-001", "--pdf", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    with pytest.raises(SystemExit):  # one of --md / --pdf is required
        main(["--db", str(demo_file), "results", "record", DEMO_KEY, "HRBP-001"])


def test_cli_feedback(demo_file, tmp_path, capsys):
    assert main(["--db", str(demo_file), "results", "feedback", DEMO_KEY, "HRBP-001"]) == 0
    assert capsys.readouterr().out.startswith("OFFICIAL-SENSITIVE\n\nDear Amira Okafor,")
    out = tmp_path / "fb.txt"
    assert main(["--db", str(demo_file), "results", "feedback", DEMO_KEY, "HRBP-001", "--out", str(out)]) == 0
    assert "For Leading and Communicating, the panel noted:" in out.read_text(encoding="utf-8")


def test_cli_errors_are_one_line(demo_file, tmp_path, capsys):
    assert main(["--db", str(demo_file), "results", "feedback", DEMO_KEY, "HRBP-999"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("panel-tui: no candidate 'HRBP-999'") and err.count("\n") == 1
    assert main(["--db", str(demo_file), "results", "merit", "no-such-campaign"]) == 1
    assert "unknown campaign" in capsys.readouterr().err
    bad = tmp_path / "missing-folder" / "x.csv"
    assert main(["--db", str(demo_file), "results", "merit", DEMO_KEY, "--csv", str(bad)]) == 1
    assert capsys.readouterr().err.startswith("panel-tui: cannot write")
