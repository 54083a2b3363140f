"""Checks for db/frameworks/data/success-profiles-behaviours.json.

Reads only the JSON (plain json + pathlib). Tests that compare with the seed
documents skip when the seeds directory is absent.
"""

import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "db/frameworks/data"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

BEHAVIOURS = [
    "Seeing the Big Picture",
    "Changing and Improving",
    "Making Effective Decisions",
    "Leadership",
    "Communicating and Influencing",
    "Working Together",
    "Developing Self and Others",
    "Managing a Quality Service",
    "Delivering at Pace",
]

LEVEL_NAMES = {
    "1": "AA and AO or equivalent",
    "2": "EO or equivalent",
    "3": "HEO and SEO or equivalent",
    "4": "Grade 7 and 6 or equivalent",
    "5": "Deputy Director or equivalent",
    "6": "Director and Director General",
}

# Sentences per behaviour at levels 1..6, counted by reading seeds/003_*.
COUNTS = {
    "Seeing the Big Picture": [3, 4, 5, 4, 5, 7],
    "Changing and Improving": [4, 7, 6, 8, 9, 7],
    "Making Effective Decisions": [5, 5, 6, 7, 6, 7],
    "Leadership": [6, 4, 6, 5, 5, 5],
    "Communicating and Influencing": [6, 7, 6, 8, 6, 6],
    "Working Together": [6, 6, 7, 7, 6, 6],
    "Developing Self and Others": [4, 6, 5, 6, 7, 8],
    "Managing a Quality Service": [5, 6, 6, 8, 7, 6],
    "Delivering at Pace": [6, 7, 6, 6, 8, 6],
}

# (behaviour, level, index, exact text) copied from the seed.
SENTENCES = [
    ("Seeing the Big Picture", "1", 0,
     "Understand what your responsibilities are and how these contribute to the priorities of your team."),
    ("Seeing the Big Picture", "6", 6,
     "Fully engage with senior leaders from across government to support strategic decision making."),
    ("Changing and Improving", "1", 3,
     "Respond in an effective and appropriate manner when emergencies arise."),
    ("Changing and Improving", "5", 8,
     "Constructively challenge changes which are unhelpful."),
    ("Making Effective Decisions", "2", 4,
     "Demonstrate the consideration of all options, costs, risks and wider implications, including the "
     "diverse needs of end users and any accessibility requirements."),
    ("Making Effective Decisions", "6", 4,
     "When required, be able to make unpopular decisions and defend them at the highest level."),
    ("Leadership", "1", 3,
     "Be considerate and understanding of other people's points of view."),
    ("Leadership", "3", 3, "Role-model commitment and satisfaction with role."),
    ("Communicating and Influencing", "4", 2, "Take into account people's individual needs."),
    ("Communicating and Influencing", "2", 0,
     "Communicate clearly and concisely both orally and in writing."),
    ("Working Together", "3", 2, "Collaborate with these to share information, resources and support."),
    ("Working Together", "5", 3,
     "Set out clear expectations that bullying, harassment, and discrimination are unacceptable."),
    ("Developing Self and Others", "2", 2, "Seek learning opportunities."),
    ("Developing Self and Others", "6", 7, "Evaluate own effectiveness and plan ways to develop."),
    ("Managing a Quality Service", "4", 5, "Proactively manage risks and identify solutions."),
    ("Managing a Quality Service", "1", 0,
     "Gain a clear understanding of customers' needs and expectations."),
    ("Delivering at Pace", "3", 0,
     "Show a positive approach to keeping the whole team's efforts focused on the top priorities."),
    ("Delivering at Pace", "6", 5,
     "Drive a performance culture across the Department which gives teams the space and authority to "
     "deliver objectives, whilst holding them accountable for outcomes."),
]

DEFINITIONS = {
    "Seeing the Big Picture":
        "Understand how your role fits with and supports organisational objectives. Recognise the wider "
        "Civil Service priorities and ensure work is in the national interest.",
    "Developing Self and Others":
        "Focus on continuous learning and development for self, others and the organisation as a whole.",
    "Delivering at Pace":
        "Take responsibility for delivering timely and quality results with focus and drive.",
}

ARTEFACT = re.compile(r"[\u2022\u25cf\uf0b7<>]|\*\*|  |^\s|\s$|^- ")


@pytest.fixture(scope="module")
def data():
    return json.loads((DATA / "success-profiles-behaviours.json").read_text(encoding="utf-8"))


def by_name(data):
    return {e["name"]: e for e in data["elements"]}


def all_texts(data):
    for e in data["elements"]:
        yield e["name"], "definition", e["definition"]
        for lvl, block in e["levels"].items():
            for item in block["examples"]:
                yield e["name"], lvl, item


def test_header_and_key_order(data):
    assert list(data) == ["key", "name", "kind", "levels", "elements"]
    assert data["key"] == "success-profiles-behaviours"
    assert data["name"] == "Success Profiles: Civil Service Behaviours"
    assert data["kind"] == "behaviours"
    assert data["levels"] == LEVEL_NAMES
    assert list(data["levels"]) == ["1", "2", "3", "4", "5", "6"]


def test_nine_behaviours_in_order(data):
    assert [e["name"] for e in data["elements"]] == BEHAVIOURS
    for e in data["elements"]:
        assert list(e) == ["name", "cluster", "definition", "levels"]
        assert e["cluster"] is None
        assert list(e["levels"]) == ["1", "2", "3", "4", "5", "6"]
        for block in e["levels"].values():
            assert list(block) == ["examples"]


def test_definitions(data):
    elements = by_name(data)
    for e in data["elements"]:
        assert isinstance(e["definition"], str) and len(e["definition"]) > 20
        assert e["definition"].endswith(".")
    for name, text in DEFINITIONS.items():
        assert elements[name]["definition"] == text


def test_counts(data):
    elements = by_name(data)
    got = {n: [len(elements[n]["levels"][str(l)]["examples"]) for l in range(1, 7)] for n in BEHAVIOURS}
    assert got == COUNTS
    assert sum(map(sum, COUNTS.values())) == 326


@pytest.mark.parametrize("name,level,index,text", SENTENCES)
def test_exact_sentences(data, name, level, index, text):
    assert by_name(data)[name]["levels"][level]["examples"][index] == text


def test_no_artefacts(data):
    for name, where, text in all_texts(data):
        assert text, (name, where)
        assert not ARTEFACT.search(text), (name, where, text)


def test_one_sentence_per_item(data):
    for name, where, text in all_texts(data):
        if where == "definition":
            continue
        assert text[0].isupper(), (name, where, text)
        assert text.endswith("."), (name, where, text)
        # no further sentence boundary inside the item
        assert not re.search(r"[.!?] +[A-Z]", text), (name, where, text)


def test_unique_items(data):
    for e in data["elements"]:
        for lvl, block in e["levels"].items():
            assert len(set(block["examples"])) == len(block["examples"]), (e["name"], lvl)


# ---------------------------------------------------------------- seed-based

def _seed_text():
    if not SEEDS.is_dir():
        pytest.skip("seeds directory absent")
    files = sorted(SEEDS.glob("003_*"))
    if not files:
        pytest.skip("seed 003 absent")
    return files[0].read_text(encoding="utf-8")


def _locate(text, h1_prefix, behaviour):
    """Independent locator: chunks by '# ' then '## ' headings; the body of the
    '## behaviour' chunk inside a '# h1_prefix...' chunk, whitespace-normalised."""
    found = []
    for chunk in re.split(r"^# ", text, flags=re.M):
        if not chunk.startswith(h1_prefix):
            continue
        for sub in re.split(r"^## ", chunk, flags=re.M)[1:]:
            head, _, body = sub.partition("\n")
            if head.strip() == behaviour:
                found.append(" ".join(body.split()))
    assert len(found) == 1, (h1_prefix, behaviour, len(found))
    return found[0]


def test_join_back_equals_seed_paragraph(data):
    text = _seed_text()
    for e in data["elements"]:
        for lvl in map(str, range(1, 7)):
            para = _locate(text, f"Level {lvl} ", e["name"])
            assert " ".join(e["levels"][lvl]["examples"]) == para, (e["name"], lvl)


def test_definitions_equal_seed(data):
    text = _seed_text()
    for e in data["elements"]:
        assert e["definition"] == _locate(text, "Definitions of Behaviours", e["name"])


def test_level_names_in_seed(data):
    text = _seed_text()
    for lvl, name in data["levels"].items():
        assert re.search(rf"^# Level {lvl} [-\u2013] {re.escape(name)}\s*$", text, re.M), lvl
