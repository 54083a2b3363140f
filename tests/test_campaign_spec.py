"""The campaign spec on its own: parts checked one by one, joined, and the one line each problem gives."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from db.errors import ValidationError
from db.specs import (
    CampaignSpec, DatesPart, FrameworkPart, GradePart, OtherPart, PanelPart, Problem, QuestionsPart, RolePart,
    ScoringPart, read_spec,
)


def test_parts_join_into_the_toml_shape():
    spec = CampaignSpec.from_parts(
        RolePart(title="Analyst"), DatesPart(decision_date="2027-01-31", interview_minutes="45"),
        GradePart(grade="HEO"),
        FrameworkPart(items=["Working Together"], lead="Working Together"),
        OtherPart(items=[{"name": "Grit", "kind": "strength", "scale": [{"value": 1}, {"value": 4}]}]),
        QuestionsPart(questions={"Grit": "Why?"}),
        ScoringPart(pass_mark={"default": "4", "Grit": 2}, min_total="6"),
        PanelPart(panel=[{"name": "Sam", "role": "chair"}]),
    )
    assert [(i.name, i.kind) for i in spec.items] == [("Working Together", None), ("Grit", "strength")]
    assert spec.interview_minutes == 45 and spec.decision_date == date(2027, 1, 31) and spec.min_total == 6
    assert [spec.pass_mark_for(i.name, i.scale) for i in spec.items] == [4, 2]
    assert spec.item_questions(spec.items[1]) == (["Why?"], [])
    assert read_spec(spec.fields()) == spec  # the joined spec is a valid campaign file


def test_every_problem_of_a_part_names_its_field():
    part, problems = ScoringPart.check({"min_total": "inf", "divergence_threshold": "nan", "scoring_method": "vote"})
    assert part is None
    assert problems == [
        Problem("min_total", "min_total must be a number, not 'inf'"),
        Problem("divergence_threshold", "divergence_threshold must be a number, not 'nan'"),
        Problem("scoring_method", "scoring_method must be 'consensus' or 'mean', not 'vote'"),
    ]
    assert RolePart.check({"title": "X", "titel": "Y"})[1][0].message.startswith("campaign: unknown field 'titel'")
    assert GradePart.parse({"grade": "HEO", "level": 4}).level_problem(3) == (
        "level 4 overrides grade HEO (level 3): give a level_reason")


def test_names_are_cleaned_and_kinds_kept_apart():
    role = RolePart.parse({"title": "Analyst\x1b]52;c;bad\x07 \u202e"})
    assert role.title == "Analyst"
    with pytest.raises(ValidationError, match="item 'Grit' is a strength: add it as another element"):
        FrameworkPart.parse({"items": [{"name": "Grit", "kind": "strength"}]})
    with pytest.raises(ValidationError, match="item 'Leadership': kind must be one of"):
        OtherPart.parse({"items": ["Leadership"]})


def test_decision_date_warnings():
    dates = DatesPart(decision_date="2026-03-01")
    assert dates.warnings(date(2026, 1, 1)) == []
    assert dates.warnings(date(2026, 3, 2)) == ["decision_date 2026-03-01 is in the past: retention runs from it"]
    assert dates.warnings(date(2026, 1, 1), [datetime(2026, 3, 5, 9, 30)]) == [
        "decision_date 2026-03-01 is before the interviews (the last on 2026-03-05)"]
    assert DatesPart().warnings(date(2030, 1, 1)) == []
