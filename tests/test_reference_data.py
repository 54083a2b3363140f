"""Checks for db/frameworks/data/reference.json.

Reads only the JSON (plain json + pathlib). Tests that compare with the seed
documents skip when the seeds directory is absent.
"""

import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "db/frameworks/data"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

FRAMEWORK_2012 = {
    "Seeing the Big Picture",
    "Changing and Improving",
    "Making Effective Decisions",
    "Leading and Communicating",
    "Collaborating and Partnering",
    "Building Capability for All",
    "Achieving Commercial Outcomes",
    "Delivering Value for Money",
    "Managing a Quality Service",
    "Delivering at Pace",
}

CIVIL_SERVICE = [
    ("AA", 1), ("AO", 1), ("EO", 2), ("HEO", 3), ("SEO", 3), ("Grade 7", 4), ("Grade 6", 4),
    ("Deputy Director", 5), ("SCS1", 5), ("Director", 6), ("Director General", 6),
]

COPFS = [
    ("Band B", 1), ("Band C", 2), ("Band D", 3), ("Band E", 3), ("Band F", 4), ("Band G", 4),
    ("Band H", 4), ("SCS 1", 5), ("SCS 1A", 5), ("SCS 2", 6), ("SCS 3", 6),
]

COPFS_TABLE = {
    "Leading and Communicating": [1, 2, 3, 4, 5, 6],
    "Collaborating and Partnering": [1, 2, 3, 4, 5, 6],
    "Managing a Quality Service": [1, 2, 3, 4, 5, 6],
    "Delivering at Pace": [1, 2, 3, 4, 5, 6],
    "Making Effective Decisions": [2, 3, 4, 5, 6],
    "Building Capability for All": [3, 4, 5, 6],
    "Changing and Improving": [3, 4, 5, 6],
    "Delivering Value for Money": [5, 6],
    "Achieving Commercial Outcomes": [5, 6],
    "Seeing the Big Picture": [5, 6],
}

OTHER_ELEMENTS = [
    ("Strengths", "the things we do regularly, do well and that motivate us."),
    ("Ability", "the aptitude or potential to perform to the required standard."),
    ("Experience", "the knowledge or mastery of an activity or subject gained through involvement in or "
                   "exposure to it."),
    ("Technical", "the demonstration of specific professional skills, knowledge or qualifications."),
]

L, C, B, P = ("Leading and Communicating", "Collaborating and Partnering", "Seeing the Big Picture",
              "Changing and Improving")
PACE, MQS, VFM, MED, BCA = ("Delivering at Pace", "Managing a Quality Service",
                            "Delivering Value for Money", "Making Effective Decisions",
                            "Building Capability for All")
LSE = "London and the South East"

# annex, title, grade, level, location, competencies (interview order)
ROLES = [
    ("A", "Senior HR Business Partner", "Grade 6", 4, LSE, [L, C, B, P, PACE, MQS]),
    ("B", "Organisation Design and Development Consultant", "Grade 6", 4, LSE, [L, C, B, P, VFM, MED]),
    ("C", "Head of Talent", "Grade 6", 4, LSE, [L, C, B, PACE, BCA]),
    ("D", "HR Business Partner", "Grade 7", 4, LSE, [L, C, B, P, PACE, MQS]),
    ("E", "Workforce Planning Consultancy Team Leader", "Grade 7", 4, LSE, [L, C, B, P, VFM, MED]),
    ("F", "Learning & Skills Business Partner", "Grade 7", 4,
     "Flexible: Liverpool/Sheffield/London \u2013 appropriate pay scale applied", [L, C, B, P, PACE, BCA]),
    ("G", "Deputy Head of Learning and Development", "Grade 7", 4,
     "Flexible: Liverpool/Croydon - appropriate pay scale applied. Please note; the team are predominantly "
     "based in Liverpool, if Croydon based a reasonable amount of travelling will be required",
     [L, C, B, P, PACE, MQS]),
    ("H", "Deputy Head of Capability", "Grade 7", 4, "London/Croydon", [L, C, B, P, PACE, BCA]),
    ("I", "HR Project Management", "SEO", 3, LSE, [L, C, B, PACE, MQS]),
]


@pytest.fixture(scope="module")
def ref():
    return json.loads((DATA / "reference.json").read_text(encoding="utf-8"))


def test_top_level_keys(ref):
    assert list(ref) == ["level_names", "grade_levels", "copfs_competency_levels", "other_elements",
                         "role_templates", "campaign_rules"]


def test_level_names_match_behaviours_file(ref):
    beh = json.loads((DATA / "success-profiles-behaviours.json").read_text(encoding="utf-8"))
    assert ref["level_names"] == beh["levels"]
    assert ref["level_names"]["4"] == "Grade 7 and 6 or equivalent"


def test_civil_service_grade_map(ref):
    assert [(g["grade"], g["level"]) for g in ref["grade_levels"]["civil-service"]] == CIVIL_SERVICE


def test_copfs_grade_map(ref):
    assert [(g["grade"], g["level"]) for g in ref["grade_levels"]["copfs"]] == COPFS


def test_copfs_table_exact(ref):
    table = ref["copfs_competency_levels"]
    assert list(table) == list(COPFS_TABLE)
    assert table == COPFS_TABLE
    assert set(table) == FRAMEWORK_2012


def test_other_elements(ref):
    assert [(e["name"], e["description"]) for e in ref["other_elements"]] == OTHER_ELEMENTS


def test_nine_roles(ref):
    roles = ref["role_templates"]
    got = [(r["annex"], r["title"], r["grade"], r["level"], r["location"], r["competencies"]) for r in roles]
    assert got == ROLES
    for r in roles:
        assert list(r) == ["annex", "title", "grade", "level", "location", "competencies", "lead", "summary"]
        assert r["lead"] is None  # no annex names a lead competency
        assert r["summary"] and not r["summary"].startswith(" ")


def test_annex_d(ref):
    (d,) = [r for r in ref["role_templates"] if r["annex"] == "D"]
    assert d["title"] == "HR Business Partner"
    assert d["grade"] == "Grade 7"
    assert d["level"] == 4
    assert len(d["competencies"]) == 6


def test_role_competencies_valid_and_levels_consistent(ref):
    grade_map = {g["grade"]: g["level"] for g in ref["grade_levels"]["civil-service"]}
    for r in ref["role_templates"]:
        assert r["competencies"], r["annex"]
        assert len(set(r["competencies"])) == len(r["competencies"]), r["annex"]
        assert set(r["competencies"]) <= FRAMEWORK_2012, r["annex"]
        assert grade_map[r["grade"]] == r["level"], r["annex"]
        if r["lead"] is not None:
            assert r["lead"] in r["competencies"]


def test_campaign_rules(ref):
    rules = ref["campaign_rules"]
    assert rules["reserve_list_months"] == 12
    assert rules["retention_months"] == 24
    q = rules["quotes"]
    for key in ("reserve_list", "retention", "ranking", "feedback"):
        assert q[key], key
    assert "12 months" in q["reserve_list"]
    assert "24 months" in q["retention"]


# ---------------------------------------------------------------- seed-based

def _seed(prefix):
    if not SEEDS.is_dir():
        pytest.skip("seeds directory absent")
    files = sorted(SEEDS.glob(f"{prefix}_*"))
    if not files:
        pytest.skip(f"seed {prefix} absent")
    return files[0].read_text(encoding="utf-8")


def _norm(s):
    return " ".join(s.split())


def test_quotes_and_summaries_are_exact_seed_text(ref):
    text = _norm(_seed("000"))
    for key, quote in ref["campaign_rules"]["quotes"].items():
        assert quote in text, key
    for r in ref["role_templates"]:
        assert r["summary"] in text, r["annex"]


def test_roles_against_seed_headlines(ref):
    text = _seed("000")
    for r in ref["role_templates"]:
        block = text.split(f"\nANNEX {r['annex']}\n", 1)[1]
        headline = next(l for l in block.split("\n") if l.strip())
        assert headline.startswith(r["title"]), r["annex"]
        assert f"({r['location']})" in headline, r["annex"]
        assert r["grade"] in headline, r["annex"]
        listing = block.split("assessed against the following competencies", 1)[1]
        names = re.findall(r"^\d+\. (.+?)\s*$", listing.split("\nANNEX ", 1)[0], re.M)
        assert names == r["competencies"], r["annex"]


def test_copfs_table_against_seed(ref):
    text = _seed("001")
    section = text.split("COPFS Core Competency Levels\n", 1)[1]
    rows = {}
    for line in section.split("\n")[2:]:
        if not line.strip():
            break
        cells = line.split("\t")
        rows[cells[0].strip()] = [int(c) for c in cells[1:] if c.strip().isdigit()]
    assert rows == ref["copfs_competency_levels"]
    header = section.split("\n")[1]
    assert "Level 3 Band D & E" in header and "Level 4 Band F, G & H" in header
    assert "Level 5 SCS 1 & 1A" in header and "Level 6 SCS 2 & 3" in header


def test_other_elements_against_seed(ref):
    text = _seed("003")
    for e in ref["other_elements"]:
        assert f"- **{e['name']}** - {e['description']}" in text, e["name"]
