"""Read-only helpers behind the campaign set-up screen."""

from __future__ import annotations

import pytest

from db import setup_helpers as h
from db.errors import ValidationError
from db.scales import CSC_A_E, CSJ_1_7


def test_grade_choices_civil_service_then_copfs(session):
    grades = h.grade_choices(session)
    names = [g.grade for g in grades]
    assert names[0] == "AA" and "Grade 7" in names and "Band F" in names
    assert names.index("Director General") < names.index("Band B")
    g7 = next(g for g in grades if g.grade == "Grade 7")
    assert g7.level == 4 and g7.scheme == "civil-service"
    assert g7.label == "Grade 7 (Civil Service) → level 4"
    assert next(g for g in grades if g.grade == "Band F").label.endswith("(COPFS) → level 4")


def test_level_names(session):
    names = h.level_names(session)
    assert names[4] == "Grade 7 / Grade 6"
    assert names[1] == "AA / AO"
    assert set(names) == {1, 2, 3, 4, 5, 6}


def test_templates_are_the_nine_annexes(session):
    templates = h.template_choices(session)
    assert [t.annex for t in templates] == list("ABCDEFGHI")
    d = templates[3]
    assert d.title == "HR Business Partner" and d.grade == "Grade 7" and d.level == 4
    assert d.items[0] == "Leading and Communicating" and len(d.items) == 6


def test_framework_elements_in_order(session):
    elements = h.all_framework_elements(session)
    els = elements["competencies-2012"]
    assert len(els) == 10 and els[0].name == "Seeing the Big Picture" and els[0].cluster
    assert els[-1].name == "Delivering at Pace"
    assert len(elements["success-profiles-behaviours"]) == 9
    assert "nope" not in elements


def test_question_bank_of_demo(session, demo):
    bank = h.question_bank(session, demo.key)
    assert [b.name for b in bank][:2] == ["Leading and Communicating", "Collaborating and Partnering"]
    assert bank[0].questions[0].startswith("Tell us about a time you had to communicate")
    assert len(bank[0].probes) == 2
    assert h.question_bank(session, demo.id) == bank


def test_copfs_warnings_only_for_copfs_campaigns(session):
    names = ["Delivering Value for Money", "Leading and Communicating"]
    warnings = h.copfs_warnings(session, "competencies-2012", names, 4, grade="Band F")
    assert list(warnings) == ["Delivering Value for Money"]
    assert "level 4" in warnings["Delivering Value for Money"]
    assert h.copfs_warnings(session, "competencies-2012", names, 5, grade="band g") == {}
    assert h.copfs_warnings(session, "success-profiles-behaviours", ["Seeing the Big Picture"], 1, grade="Band B") == {}
    # A Home Office template (Civil Service grade) on the same competencies: not COPFS, no advice.
    assert h.copfs_warnings(session, "competencies-2012", ["Seeing the Big Picture"], 3, grade="HEO") == {}
    assert h.copfs_warnings(session, "competencies-2012", ["Seeing the Big Picture"], 3, grade="HEO",
                            department="COPFS") != {}


def test_parse_scale_lines():
    scale = h.parse_scale_lines("0,Fail,Not met\n\n1, Pass, Met, Meets the standard, fully\n2")
    assert [p["label"] for p in scale] == ["Fail", "Pass", "2"]
    assert scale[1]["descriptor"] == "Meets the standard, fully"
    assert scale[0]["name"] == "Not met"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "at least two points"),
        ("1,One", "at least two points"),
        ("x,One\n2,Two", "line 1: value 'x' is not a number"),
        ("1,A\n1,B", "appears twice"),
        ("1,A\n2,a", "used twice"),
        ("nan\n2", "not a number"),
    ],
)
def test_parse_scale_lines_refuses(text, message):
    with pytest.raises(ValidationError, match=message):
        h.parse_scale_lines(text)


def test_check_pass_mark():
    assert h.check_pass_mark(CSJ_1_7, "4") == 4
    assert h.check_pass_mark(CSJ_1_7, "4.5") == 4.5
    assert h.check_pass_mark(CSC_A_E, "b/c") == 4
    for bad, message in (("", "give a pass mark"), ("8", "outside the scale"), ("Z", "not a number or a label")):
        with pytest.raises(ValidationError, match=message):
            h.check_pass_mark(CSJ_1_7, bad)
