"""Data tests for db/frameworks/data/competencies-2012.json.

The JSON is read with plain ``json`` + ``pathlib``.  Expected counts and
texts were verified by reading seed 001 (COPFS), the reference source.
The seed-comparison test is skipped when the seeds directory is absent.
"""
import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "db/frameworks/data/competencies-2012.json"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

CLUSTER_ORDER = [
    ("Seeing the Big Picture", "Setting Direction"),
    ("Changing and Improving", "Setting Direction"),
    ("Making Effective Decisions", "Setting Direction"),
    ("Leading and Communicating", "Engaging People"),
    ("Collaborating and Partnering", "Engaging People"),
    ("Building Capability for All", "Engaging People"),
    ("Achieving Commercial Outcomes", "Delivering Results"),
    ("Delivering Value for Money", "Delivering Results"),
    ("Managing a Quality Service", "Delivering Results"),
    ("Delivering at Pace", "Delivering Results"),
]

# (effective, ineffective) per level, counted from seed 001.
COUNTS = {
    "Seeing the Big Picture": {"1": (3, 3), "2": (4, 4), "3": (5, 5), "4": (6, 6), "5": (5, 5), "6": (6, 6)},
    "Changing and Improving": {"1": (5, 5), "2": (6, 6), "3": (6, 6), "4": (6, 6), "5": (6, 6), "6": (6, 6)},
    "Making Effective Decisions": {"1": (6, 6), "2": (6, 6), "3": (6, 6), "4": (6, 6), "5": (6, 6), "6": (6, 6)},
    "Leading and Communicating": {"1": (4, 4), "2": (5, 5), "3": (6, 6), "4": (6, 6), "5": (6, 6), "6": (6, 6)},
    "Collaborating and Partnering": {"1": (6, 6), "2": (6, 6), "3": (6, 6), "4": (6, 6), "5": (6, 6), "6": (5, 5)},
    "Building Capability for All": {"1": (6, 6), "2": (5, 5), "3": (5, 5), "4": (6, 6), "5": (6, 6), "6": (6, 6)},
    "Achieving Commercial Outcomes": {"1": (4, 4), "2": (3, 4), "3": (4, 4), "4": (6, 6), "5": (6, 6), "6": (6, 6)},
    "Delivering Value for Money": {"1": (5, 5), "2": (6, 6), "3": (5, 5), "4": (5, 5), "5": (6, 6), "6": (5, 5)},
    "Managing a Quality Service": {"1": (6, 6), "2": (6, 6), "3": (6, 6), "4": (6, 6), "5": (6, 6), "6": (5, 5)},
    "Delivering at Pace": {"1": (6, 6), "2": (6, 6), "3": (6, 6), "4": (6, 6), "5": (6, 6), "6": (6, 6)},
}

# (competency, level, column, index, exact text) - copied from seed 001.
TEXTS = [
    ("Seeing the Big Picture", "1", "effective", 0,
     "Gather information from a range of relevant sources inside and outside their Department to inform own work"),
    ("Seeing the Big Picture", "1", "ineffective", 1,
     "Show little interest in the work of the Department, not appreciating they have a role in meeting priorities"),
    ("Seeing the Big Picture", "1", "ineffective", -1,
     "Work on own tasks in isolation showing little interest in the wider context and relevant developments outside their immediate area"),
    ("Seeing the Big Picture", "4", "effective", 4,
     "Adopt a government-wide perspective to ensure alignment of activity and policy"),
    ("Seeing the Big Picture", "5", "ineffective", 2,
     "Lack insight into the wider context for own area – take a simplistic perspective on the issues and concerns of stakeholders"),
    ("Seeing the Big Picture", "6", "effective", -1,
     "Fully engage with and utilise Non Executive Directors wider experience and knowledge to support strategic decision making"),
    ("Seeing the Big Picture", "6", "ineffective", 0,
     "Focus on short term concerns, neglect long-term thinking about evolving and future issues and considerations for the Civil Service and Department"),
    ("Changing and Improving", "3", "effective", 0,
     "Find ways to improve systems and structures to deliver with more streamlined resources"),
    ("Changing and Improving", "3", "ineffective", -1,
     "Take little responsibility for suggesting or progressing changes due to perceived lack of control of processes"),
    ("Changing and Improving", "6", "effective", 0,
     "Challenge bureaucratic decision making, resourcing structures and processes across the Department and Civil Service to create a lean, flat and effective organisation."),
    ("Changing and Improving", "6", "ineffective", -1,
     "Adopt a piecemeal approach to change management, focusing on tasks at the expense of culture and morale"),
    ("Making Effective Decisions", "6", "ineffective", -1,
     "Opt to give advice which the Minister/stakeholder wants to hear and ignore contrary evidence"),
    ("Leading and Communicating", "1", "effective", 0,
     "Put forward their own views in a clear and constructive manner, choosing an appropriate communication method, e.g. email/ telephone/ face to face"),
    ("Leading and Communicating", "2", "ineffective", -1,
     "Avoid challenging inappropriate language or behaviours"),
    ("Collaborating and Partnering", "1", "ineffective", 1,
     "Is overly critical and blaming of people who have different working styles or development needs"),
    ("Collaborating and Partnering", "5", "effective", 1,
     "Promote team working with peers, shares knowledge and resources with peers across functions"),
    ("Collaborating and Partnering", "6", "ineffective", -1,
     "Fail to utilise the experience and input offered by Non Executive Directors"),
    ("Building Capability for All", "2", "effective", 0,
     "Take ownership of team and individual development by identifying capability needs and consistently achieving development objectives"),
    ("Building Capability for All", "5", "effective", 4,
     "Identify capability requirements to deliver Departmental 3–5-year strategy and grow sustainable capability across all groups including those identified as having high potential"),
    ("Achieving Commercial Outcomes", "1", "effective", -1,
     "Learn about customers and suppliers needs"),
    ("Achieving Commercial Outcomes", "2", "effective", -1,
     "Recognise when deliverables and/or services derived from a commercial arrangement are not being delivered to the required level of quality or standard and take appropriate action"),
    ("Achieving Commercial Outcomes", "6", "ineffective", -1,
     "Show little evidence of commercial understanding when shaping policies with senior stakeholders"),
    ("Delivering Value for Money", "3", "ineffective", 0,
     "Ignore financial experts – not ask for advice or seek advice at the right time"),
    ("Delivering Value for Money", "6", "ineffective", -1,
     "Fail to demonstrate a full consideration of the financial aspects of a business decision and ignore the need for transparency and audit"),
    ("Managing a Quality Service", "1", "effective", 0,
     "Communicate in a way that meets and anticipates the customer's requirements and gives a favourable impression of the Civil Service"),
    ("Managing a Quality Service", "3", "ineffective", 4,
     "Not give sufficient priority and attention to ensuring that fraud and deception is being tackled."),
    ("Managing a Quality Service", "6", "effective", -1,
     "Define and integrate clear structures, systems and resources required across the Department to promote efficient service delivery"),
    ("Delivering at Pace", "2", "effective", -1,
     "Set and achieve challenging goals and monitor quality"),
    ("Delivering at Pace", "6", "ineffective", -1,
     "Readily allow problems or external challenges to distract the Department from its core priorities"),
]

ARTEFACT = re.compile(
    r"[•·▪<>\t\u00a0\r\n]"      # bullets, html, odd whitespace
    r"|  "                       # double space
    r"|^\s|\s$"                  # leading / trailing space
    r"|^[a-z]"                   # lowercase start (broken split)
    r"|^[-–] "                   # dash-list marker
    r"|ly to\.\.\.|likely to"   # table header leftovers
    r"|Behaviour\b"              # "Effective Behaviour" header
    r"|[A-Za-z]- [a-z]"          # hyphen-break ("organ- isation")
)


@pytest.fixture(scope="module")
def data():
    return json.loads(DATA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def by_name(data):
    return {e["name"]: e for e in data["elements"]}


def all_indicators(data):
    for e in data["elements"]:
        for lvl, cols in e["levels"].items():
            for col in ("effective", "ineffective"):
                for text in cols[col]:
                    yield e["name"], lvl, col, text


def test_top_level_shape(data):
    assert list(data) == ["key", "name", "kind", "levels", "elements"]
    assert data["key"] == "competencies-2012"
    assert data["name"] == "Civil Service Competency Framework"
    assert data["kind"] == "competencies"
    assert data["levels"] == {
        "1": "AA/AO",
        "2": "EO",
        "3": "HEO/SEO",
        "4": "Grade 7/Grade 6",
        "5": "Deputy Director (SCS1)",
        "6": "Director / Director General",
    }
    assert list(data["levels"]) == ["1", "2", "3", "4", "5", "6"]


def test_names_clusters_and_order(data):
    assert [(e["name"], e["cluster"]) for e in data["elements"]] == CLUSTER_ORDER
    assert not any("Bigger" in e["name"] for e in data["elements"])


def test_element_shape(data):
    for e in data["elements"]:
        assert list(e) == ["name", "cluster", "definition", "levels"], e["name"]
        assert list(e["levels"]) == ["1", "2", "3", "4", "5", "6"], e["name"]
        for lvl, cols in e["levels"].items():
            assert list(cols) == ["effective", "ineffective"], (e["name"], lvl)
            for col in ("effective", "ineffective"):
                assert cols[col], (e["name"], lvl, col)
                assert all(isinstance(t, str) and t for t in cols[col])


@pytest.mark.parametrize("name", list(COUNTS))
def test_counts(by_name, name):
    got = {
        lvl: (len(c["effective"]), len(c["ineffective"]))
        for lvl, c in by_name[name]["levels"].items()
    }
    assert got == COUNTS[name]


def test_total_count(data):
    assert sum(1 for _ in all_indicators(data)) == 669


@pytest.mark.parametrize("name,lvl,col,idx,text", TEXTS)
def test_exact_texts(by_name, name, lvl, col, idx, text):
    assert by_name[name]["levels"][lvl][col][idx] == text


def test_definitions(by_name):
    assert by_name["Seeing the Big Picture"]["definition"] == (
        "Seeing the big picture is about having an in-depth understanding and "
        "knowledge of how your role fits with and supports organisational "
        "objectives and the wider public needs. For all staff, it is about "
        "focusing your contribution on the activities which will meet Civil "
        "Service goals and deliver the greatest value. At senior levels, it is "
        "about scanning the political context and taking account of wider "
        "impacts to develop long term implementation strategies that maximise "
        "opportunities to add value to the citizen and support economic, "
        "sustainable growth."
    )
    assert by_name["Delivering at Pace"]["definition"].startswith(
        "Effectiveness in this area means focusing on delivering timely performance")
    assert by_name["Delivering at Pace"]["definition"].endswith(
        "encourage staff to perform effectively during challenging and changing times.")
    for name, e in by_name.items():
        d = e["definition"]
        assert len(d) > 200, name
        for para in d.split("\n\n"):
            assert not re.search(r"[•<>\t]|  |^\s|\s$", para), name
        assert "Description" not in d and "Behaviour" not in d, name


def test_no_artefacts(data):
    bad = [(n, l, c, t) for n, l, c, t in all_indicators(data) if ARTEFACT.search(t)]
    assert bad == []


def test_no_duplicates_within_a_list(data):
    for e in data["elements"]:
        for lvl, cols in e["levels"].items():
            for col in ("effective", "ineffective"):
                assert len(set(cols[col])) == len(cols[col]), (e["name"], lvl, col)


def test_no_run_together_indicators(data):
    # A capitalised word inside an indicator must be a proper noun; anything
    # else suggests two bullets were left merged.
    proper = {"Department", "Department's", "Departmental", "Civil", "Service",
              "Government", "Minister", "Ministers", "Non", "Executive",
              "Directors", "Board", "UK", "EU"}
    for n, l, c, t in all_indicators(data):
        for w in re.findall(r"(?<=\s)[A-Z][\w'-]*", t):
            assert w in proper, (n, l, c, t)


def _normalise_seed(text):
    text = re.sub(r"<[^>]*>", " ", text).replace("•", " ")
    return re.sub(r"\s+", " ", text)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seeds directory not present")
def test_indicators_occur_in_seed_001(data):
    seed = next(SEEDS.glob("001_*.txt"))
    text = _normalise_seed(seed.read_text(encoding="utf-8"))
    missing = [(n, l, c, t) for n, l, c, t in all_indicators(data) if t not in text]
    assert missing == []
    for e in data["elements"]:
        for para in e["definition"].split("\n\n"):
            assert para in text, e["name"]
