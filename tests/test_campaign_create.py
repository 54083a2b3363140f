"""Campaign set-up: create_campaign from the TOML-shaped spec, and `panel-tui campaign create|list|show`."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from db.campaigns import campaign_items, campaign_warnings, create_campaign, find_member, get_campaign, panel_members
from db.errors import NotFound, ValidationError
from db.models import AuditEvent, Campaign, CampaignItem, Candidate, PanelMember, Question
from panel_tui.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLE = DOCS / "campaign-example.toml"


def spec(**over):
    base = {
        "title": "Policy Adviser",
        "grade": "HEO",
        "framework": "success-profiles-behaviours",
        "items": ["Seeing the Big Picture", "Working Together"],
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def nothing_created(session) -> bool:
    return all(count(session, m) == 0 for m in (Campaign, CampaignItem, Candidate, PanelMember, Question))


# --- service ----------------------------------------------------------------


def test_minimal_spec(session):
    c = create_campaign(session, spec())
    assert c.key == "policy-adviser"
    assert c.level == 3 and c.grade == "HEO"
    assert c.scale[0]["label"] == "1" and len(c.scale) == 7
    items = campaign_items(session, c.id)
    assert [i.name for i in items] == ["Seeing the Big Picture", "Working Together"]
    assert all(i.kind == "behaviour" and i.element_id and i.pass_mark == 4 and not i.is_lead for i in items)
    assert items[0].description.startswith("Understand how your role fits")
    assert c.retention_months == 24 and c.interview_minutes == 60 and c.scoring_method == "consensus"
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity == "campaign")).one()
    assert audit.action == "create" and audit.new_value == c.key


def test_example_file_creates_everything(session):
    c = create_campaign(session, tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert c.key == "policy-adviser"
    assert c.decision_date == date(2025, 7, 14) and c.min_total == 20 and c.interview_minutes == 45
    items = campaign_items(session, c.id)
    assert [(i.name, i.kind, i.pass_mark, i.is_lead) for i in items] == [
        ("Seeing the Big Picture", "behaviour", 4, False),
        ("Communicating and Influencing", "behaviour", 4, True),
        ("Working Together", "behaviour", 4, False),
        ("Resilience", "strength", 3, False),
        ("Policy briefing", "presentation", 4, False),
    ]
    assert items[3].element_id is None and items[3].description.startswith("You bounce back")
    qs = session.exec(select(Question).where(Question.item_id == items[0].id).order_by(Question.kind, Question.position)).all()
    assert [(q.kind, q.text[:20]) for q in qs] == [
        ("probe", "How did you find out"), ("probe", "What changed as a re"), ("question", "Tell us about a time"),
    ]
    assert [(m.name, m.role) for m in panel_members(session, c.id)] == [
        ("Morag Campbell", "chair"), ("Tom Ashworth", "member"), ("Hannah Iqbal", "independent"),
    ]
    cands = {x.ref: x for x in session.exec(select(Candidate).where(Candidate.campaign_id == c.id)).all()}
    assert set(cands) == {"PA-001", "PA-002"}
    assert cands["PA-002"].extra_minutes == 15 and cands["PA-002"].disability_confident is True
    assert cands["PA-001"].disability_confident is False
    assert cands["PA-001"].slot.astimezone().strftime("%Y-%m-%d %H:%M") == "2025-07-01 09:30"


def test_pass_mark_forms(session):
    c = create_campaign(session, spec(scale="csc-a-e", pass_mark="B/C"))
    assert {i.pass_mark for i in campaign_items(session, c.id)} == {4}
    c = create_campaign(session, spec(pass_mark={"default": 5, "working together": 3}))
    assert [i.pass_mark for i in campaign_items(session, c.id)] == [5, 3]
    c = create_campaign(session, spec(scale="csc-a-e"))  # default pass mark for the CSC scale is C
    assert {i.pass_mark for i in campaign_items(session, c.id)} == {3}


def test_custom_scale_and_item_scale(session):
    points = [{"value": 0, "label": "Fail"}, {"value": 1, "label": "Pass"}, {"value": 2, "label": "Merit"}]
    c = create_campaign(session, spec(scale=points, pass_mark=1, items=[
        "Working Together", {"name": "Maths test", "kind": "ability", "scale": [{"value": 0}, {"value": 10}]}]))
    items = campaign_items(session, c.id)
    assert [p["label"] for p in c.scale] == ["Fail", "Pass", "Merit"]
    assert items[1].scale[1]["value"] == 10 and items[1].pass_mark == 1


def test_level_override_needs_reason(session):
    with pytest.raises(ValidationError, match="give a level_reason"):
        create_campaign(session, spec(level=4))
    c = create_campaign(session, spec(level=4, level_reason="Team leader role"))
    assert c.level == 4 and c.level_reason == "Team leader role"
    c = create_campaign(session, spec(grade="Senior Officer B2", level=3))  # a department's own grade
    assert c.level == 3 and c.grade == "Senior Officer B2"
    c = create_campaign(session, spec(grade=None, level=2))
    assert c.level == 2


def test_keys_are_unique(session):
    a = create_campaign(session, spec())
    b = create_campaign(session, spec())
    c = create_campaign(session, spec(key="pa-2025"))
    assert (a.key, b.key, c.key) == ("policy-adviser", "policy-adviser-2", "pa-2025")


def test_copfs_warning(session):
    c = create_campaign(session, spec(framework="competencies-2012", grade="Band C",
                                      items=["Changing and Improving", "Delivering at Pace"]))
    assert campaign_warnings(session, c) == [
        "COPFS does not use Changing and Improving at level 2 (used at levels 3, 4, 5, 6)"
    ]
    # The behaviour of the same name in Success Profiles is not a COPFS competency.
    c = create_campaign(session, spec(grade="EO", items=["Changing and Improving"]))
    assert campaign_warnings(session, c) == []


BAD_SPECS = [
    (spec(title=""), "campaign needs a title"),
    (spec(grade=None), "campaign needs a grade"),
    (spec(grade="Grade 99"), "unknown grade 'Grade 99'"),
    (spec(framework="nope"), "unknown framework 'nope'"),
    (spec(level=9, level_reason="x"), "level 9 is not 1-6"),
    (spec(level="three"), "level must be a whole number"),
    (spec(items=[]), "at least one item"),
    (spec(items=["Seeing the Big Picture", "seeing the big picture"]), "listed twice"),
    (spec(items=["Leading and Communicating"]), "'Leading and Communicating' is not an element of framework success-profiles-behaviours"),
    (spec(items=[{"name": "Grit", "kind": "talent"}]), "kind 'talent' is not one of"),
    (spec(items=[{"name": "Grit", "kind": "strength", "colour": "red"}]), "item 1: unknown field 'colour'"),
    (spec(items=[3]), "item 1 must be a name or a table"),
    (spec(lead="Leadership"), "lead item 'Leadership' is not one of the items"),
    (spec(scale="1-10"), "unknown scale '1-10'"),
    (spec(scale=[{"value": 1}]), "at least two points"),
    (spec(pass_mark=9), "pass mark 9 for 'Seeing the Big Picture' is outside the scale"),
    (spec(pass_mark="Z"), "pass mark 'Z' for 'Seeing the Big Picture' is not on the scale (1, 2, 3, 4, 5, 6, 7)"),
    (spec(pass_mark={"Seeing the Big Picture": 4}), "no pass mark for item 'Working Together'"),
    (spec(pass_mark={"default": 4, "Leadership": 5}), "pass_mark for 'leadership', which is not one of the items"),
    (spec(pass_mark=True), "pass_mark must be a number"),
    (spec(scoring_method="median"), "scoring_method must be 'consensus' or 'mean'"),
    (spec(divergence_threshold=0), "divergence_threshold must be more than 0"),
    (spec(retention_months=-1), "retention_months -1 is not 0-1200"),
    (spec(retention_months=1.5), "retention_months must be a whole number"),
    (spec(interview_minutes=0), "interview_minutes 0 is not 1-600"),
    (spec(min_total="lots"), "min_total must be a number"),
    (spec(min_total=float("inf")), "min_total must be a number, not inf"),
    (spec(min_total="nan"), "min_total must be a number, not 'nan'"),
    (spec(divergence_threshold=float("inf")), "divergence_threshold must be a number, not inf"),
    (spec(pass_mark=float("nan")), "pass mark for 'Seeing the Big Picture' must be a number, not nan"),
    (spec(scale=[{"value": 1}, {"value": float("inf")}]), "scale: value inf is not a number"),
    (spec(decision_date="14/07/2025"), "decision_date '14/07/2025' is not a date as YYYY-MM-DD"),
    (spec(anonymised="maybe"), "anonymised must be true or false"),
    (spec(key="Policy Adviser"), "campaign key 'Policy Adviser' must be lower-case"),
    (spec(pass_mrk=4), "campaign: unknown field 'pass_mrk'"),
    (spec(questions="Tell me"), "questions must be tables by item name"),
    (spec(questions={"Leadership": ["Why?"]}), "questions for 'leadership', which is not one of the items"),
    (spec(questions={"Working Together": {"question": "Why?"}}), "unknown field 'question'"),
    (spec(questions={"Working Together": [1, 2]}), "questions for 'Working Together' must be a text or a list"),
    (spec(panel=[{"name": "A", "role": "chair"}, {"name": "a"}]), "panel member 'a' is listed twice"),
    (spec(panel=[{"name": "A", "role": "boss"}]), "role 'boss' is not one of chair, member, independent"),
    (spec(panel=[{"role": "chair"}]), "panel member 1 has no name"),
    (spec(panel=["Sam"]), "panel member 1 must be a table"),
    (spec(panel={"name": "Sam"}), "panel must be a list"),
    (spec(candidates=[{"ref": "A"}, {"ref": "A"}]), "candidate ref 'A' is listed twice"),
    (spec(candidates=[{"name": "No Ref"}]), "candidate 1: ref is missing"),
    (spec(candidates=[{"ref": "A", "email": "not-an-email"}]), "candidate 1 'A': email 'not-an-email' is not an email address"),
    (spec(candidates=[{"ref": "A", "slot": "tomorrow"}]), "slot 'tomorrow' is not YYYY-MM-DD HH:MM"),
    (spec(candidates=[{"ref": "A", "disability_confident": "perhaps"}]), "disability_confident 'perhaps'"),
    (spec(candidates=[{"ref": "A", "extra_minutes": "ten"}]), "extra_minutes 'ten' is not a whole number"),
    (spec(candidates=[{"ref": "A", "age": 40}]), "unknown field 'age'"),
    (spec(candidates=["A"]), "candidate 1 must be a table"),
]


@pytest.mark.parametrize("bad,message", BAD_SPECS, ids=[m for _, m in BAD_SPECS])
def test_bad_spec_creates_nothing(session, bad, message):
    with pytest.raises((ValidationError, NotFound)) as exc:
        create_campaign(session, bad)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)
    assert nothing_created(session)
    # The session is still usable afterwards.
    assert create_campaign(session, spec()).key == "policy-adviser"


def test_late_failure_rolls_back_flushed_rows(session):
    """Items and panel are flushed before the candidates are checked: all of it must go."""
    with pytest.raises(ValidationError):
        create_campaign(session, spec(panel=[{"name": "Sam", "role": "chair"}], candidates=[{"ref": ""}]))
    session.commit()  # a caller committing afterwards must not save half a campaign
    assert nothing_created(session)


def test_toml_candidate_values(session):
    c = create_campaign(session, spec(candidates=[
        {"ref": "A", "disability_confident": "no", "adjustments": "Extra time: 20 minutes"},
        {"ref": "B", "disability_confident": "yes", "extra_minutes": 5, "adjustments": "Extra time: 20 minutes"},
    ]))
    a, b = session.exec(select(Candidate).where(Candidate.campaign_id == c.id).order_by(Candidate.ref)).all()
    assert (a.disability_confident, a.extra_minutes) == (False, 20)
    assert (b.disability_confident, b.extra_minutes) == (True, 5)


def test_demo_still_builds(demo, session):
    assert demo.key == "demo-hr-business-partner"
    assert len(campaign_items(session, demo.id)) == 6
    assert count(session, Candidate) == 6


# --- CLI --------------------------------------------------------------------


def run(capsys, db, *args):
    code = main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path):
    return tmp_path / "p.db"


def write(tmp_path, text, name="c.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_create_list_show(capsys, db):
    code, out, err = run(capsys, db, "campaign", "create", str(EXAMPLE))
    # The example's decision date has passed: a warning, and the campaign is still made.
    assert (code, out) == (0, "policy-adviser\n")
    assert err == "warning: decision_date 2025-07-14 is in the past: retention runs from it\n"
    code, out, _ = run(capsys, db, "campaign", "list")
    assert code == 0 and out == "policy-adviser\tPolicy Adviser\n"
    code, out, _ = run(capsys, db, "campaign", "show", "policy-adviser")
    assert code == 0
    assert "Policy Adviser (policy-adviser)" in out
    assert "Grade:      HEO, level 3" in out
    assert "(success-profiles-behaviours)" in out
    assert "2. Communicating and Influencing  pass 4  (lead)" in out
    assert "4. Resilience [strength]  pass 3" in out
    assert "Morag Campbell (chair)" in out
    assert "Candidates: 2" in out


def test_cli_list_empty_and_show_unknown(capsys, db):
    assert run(capsys, db, "campaign", "list") == (0, "", "")
    code, out, err = run(capsys, db, "campaign", "show", "nope")
    assert code == 1 and out == ""
    assert err == "panel-tui: unknown campaign 'nope' (see 'panel-tui campaign list')\n"


def test_cli_show_csc_labels(capsys, db, tmp_path):
    f = write(tmp_path, 'title = "Director of Policy"\ngrade = "Director"\nscale = "csc-a-e"\n'
                        'items = ["Leadership"]\npass_mark = "B/C"\n')
    assert run(capsys, db, "campaign", "create", str(f))[0] == 0
    out = run(capsys, db, "campaign", "show", "director-of-policy")[1]
    assert "1. Leadership  pass B/C" in out and "Scale:      E, D, C, B/C, B, A" in out


@pytest.mark.parametrize(
    "text,message",
    [
        ('title = "X"\ngrade = HEO\n', "c.toml: not valid TOML (Invalid value (at line 2, column 9))"),
        ('title = "X"\ngrade = "HEO"\nitems = ["Leadership"]\nfoo = 1\n', "c.toml: campaign: unknown field 'foo'"),
        ('title = "X"\ngrade = "HEO"\nitems = ["Leadership"]\nlead = "Working Together"\n',
         "c.toml: lead item 'Working Together' is not one of the items"),
        ('title = "X"\ngrade = "HEO"\nitems = ["Leadership"]\nframework = "mine"\n', "c.toml: unknown framework 'mine'"),
        ('title = "X"\ngrade = "HEO"\nitems = ["Leadership"]\n[[candidates]]\nref = "A"\nslot = "1 July"\n',
         "c.toml: candidate 1 'A': slot '1 July' is not YYYY-MM-DD HH:MM"),
    ],
)
def test_cli_create_bad_file(capsys, db, tmp_path, text, message):
    code, out, err = run(capsys, db, "campaign", "create", str(write(tmp_path, text)))
    assert code == 1 and out == ""
    assert err.startswith(f"panel-tui: {message}")
    assert err.count("\n") == 1
    assert run(capsys, db, "campaign", "list") == (0, "", "")


def test_cli_create_missing_file(capsys, db, tmp_path):
    code, out, err = run(capsys, db, "campaign", "create", str(tmp_path / "none.toml"))
    assert code == 1 and err.startswith("panel-tui: cannot read ") and err.count("\n") == 1


def test_cli_copfs_warning_still_creates(capsys, db, tmp_path):
    f = write(tmp_path, 'title = "Case Preparer"\ngrade = "Band C"\nframework = "competencies-2012"\n'
                        'items = ["Delivering at Pace", "Seeing the Big Picture"]\n')
    code, out, err = run(capsys, db, "campaign", "create", str(f))
    assert code == 0 and out == "case-preparer\n"
    assert err == "warning: COPFS does not use Seeing the Big Picture at level 2 (used at levels 5, 6)\n"
    assert run(capsys, db, "campaign", "list")[1] == "case-preparer\tCase Preparer\n"


def test_copfs_warnings_only_for_copfs_campaigns(session):
    # A Home Office panel on the 2012 competencies (Annex templates) is not told about COPFS's table.
    home_office = create_campaign(session, spec(framework="competencies-2012", grade="HEO", department="Home Office",
                                                items=["Seeing the Big Picture"]))
    assert campaign_warnings(session, home_office, today=date(2020, 1, 1)) == []
    # Named as COPFS by its department, at a Civil Service grade: told.
    copfs = create_campaign(session, spec(framework="competencies-2012", grade="HEO", items=["Seeing the Big Picture"],
                                          department="Crown Office and Procurator Fiscal Service"))
    assert campaign_warnings(session, copfs, today=date(2020, 1, 1)) == [
        "COPFS does not use Seeing the Big Picture at level 3 (used at levels 5, 6)"
    ]


def test_decision_date_warnings(session):
    c = create_campaign(session, spec(decision_date="2026-03-01", candidates=[
        {"ref": "A", "slot": "2026-02-20 09:30"}, {"ref": "B", "slot": "2026-03-04 10:00"}]))
    assert campaign_warnings(session, c, today=date(2026, 1, 1)) == [
        "decision_date 2026-03-01 is before the interviews (the last on 2026-03-04)"
    ]
    assert campaign_warnings(session, c, today=date(2026, 3, 2)) == [
        "decision_date 2026-03-01 is in the past: retention runs from it",
        "decision_date 2026-03-01 is before the interviews (the last on 2026-03-04)",
    ]
    later = create_campaign(session, spec(decision_date="2026-03-10"))
    assert campaign_warnings(session, later, today=date(2026, 1, 1)) == []


def test_cli_warns_on_a_past_decision_date(capsys, db, tmp_path):
    f = write(tmp_path, 'title = "Analyst"\ngrade = "HEO"\nitems = ["Working Together"]\ndecision_date = 2020-01-31\n')
    code, out, err = run(capsys, db, "campaign", "create", str(f))
    assert (code, out) == (0, "analyst\n")
    assert err == "warning: decision_date 2020-01-31 is in the past: retention runs from it\n"


def test_find_member_by_any_case_or_a_unique_start(session):
    c = create_campaign(session, spec(panel=[{"name": "Morag Campbell", "role": "chair"}, {"name": "Tom Ashworth"},
                                             {"name": "Tomasz Nowak"}]))
    assert find_member(session, c.id, "morag campbell").name == "Morag Campbell"
    assert find_member(session, c.id, "Morag").name == "Morag Campbell"
    assert find_member(session, c.id, "tomasz").name == "Tomasz Nowak"
    with pytest.raises(NotFound) as exc:
        find_member(session, c.id, "Tom")
    assert str(exc.value) == "'Tom' could be any of: Tom Ashworth, Tomasz Nowak; give more of the name"
    with pytest.raises(NotFound) as exc:
        find_member(session, c.id, "Hannah")
    assert str(exc.value) == (
        "no panel member 'Hannah' in this campaign (the panel: Morag Campbell, Tom Ashworth, Tomasz Nowak)"
    )


def test_cli_two_creates_get_two_keys(capsys, db):
    assert run(capsys, db, "campaign", "create", str(EXAMPLE))[1] == "policy-adviser\n"
    assert run(capsys, db, "campaign", "create", str(EXAMPLE))[1] == "policy-adviser-2\n"


def test_get_campaign(session):
    c = create_campaign(session, spec())
    assert get_campaign(session, "policy-adviser").id == c.id
    with pytest.raises(NotFound):
        get_campaign(session, "other")
