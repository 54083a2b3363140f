"""Each set-up step on its own: mounted in a tiny app, driven by keys, checked by the part it produces.

The messages beside the fields are the spec's, so each test also checks that
`campaign create` (``read_spec``) says the same words for the same value.
"""

from __future__ import annotations

from datetime import date

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen

from db import setup_helpers as helpers
from db.campaigns import CopfsTable, list_campaigns
from db.errors import ValidationError
from db.frameworks import list_frameworks
from db.setup_helpers import all_framework_elements
from db.specs import DatesPart, FrameworkPart, GradePart, OtherPart, PanelPart, QuestionsPart, RolePart, ScoringPart, read_spec
from panel_tui.screens.setup.base import Step, StepChanged
from panel_tui.screens.setup.framework import FrameworkStep
from panel_tui.screens.setup.grade import GradeStep
from panel_tui.screens.setup.other import ONE_TO_FOUR, OtherStep
from panel_tui.screens.setup.panel import PanelStep
from panel_tui.screens.setup.questions import QuestionsStep
from panel_tui.screens.setup.role import RoleStep
from panel_tui.screens.setup.scoring import ScoringStep
from panel_tui.work import ServiceWork
from tests.ui.settle import settle

GOOD = {"title": "Analyst", "grade": "HEO", "items": ["Working Together"]}


class StepScreen(ServiceWork, Screen):
    """The wizard's screen in brief: it runs a step's database reads off the UI thread."""

    def __init__(self, step: Step) -> None:
        super().__init__()
        self.step = step

    def compose(self) -> ComposeResult:
        yield self.step

    def on_step_changed(self, event: StepChanged) -> None:
        # Here, as in the wizard: one posted while this screen handles a worker's answer stops here.
        event.stop()
        self.app.changes.append(event)


class StepApp(App):
    """One step and nothing else; keeps every StepChanged it posts."""

    def __init__(self, step: Step, database=None) -> None:
        super().__init__()
        self.step = step
        self.database = database
        self.changes: list[StepChanged] = []

    def get_default_screen(self) -> Screen:
        return StepScreen(self.step)

    @property
    def parts(self) -> list:
        return self.changes[-1].parts if self.changes else []


def cli_says(**fields) -> str:
    """What `campaign create` prints for a file with these fields."""
    with pytest.raises(ValidationError) as exc:
        read_spec(GOOD | fields)
    return str(exc.value)


async def test_role_step(db_file):
    app = StepApp(RoleStep(today=date(2026, 6, 1)))
    async with app.run_test() as pilot:
        step = app.step
        assert app.focused.id == "title"
        await pilot.press(*"PA", "tab", "tab", "tab", "tab", *"1 May")
        shown = step.shown_error("decision-date")
        assert shown == "decision_date '1 May' is not a date as YYYY-MM-DD" == cli_says(decision_date="1 May")
        assert app.changes[-1].problems and app.parts == []
        await pilot.press("ctrl+u", *"2026-01-31")
        await pilot.pause()
        assert step.shown_error("decision-date") == ""
        # A past decision date is advice, not a refusal: the part is produced.
        assert "decision_date 2026-01-31 is in the past" in str(step.query_one("#decision-date-warning").render())
        role, dates = app.parts
        assert role == RolePart(title="PA") and dates == DatesPart(decision_date=date(2026, 1, 31))
        await pilot.press("tab", "backspace", "backspace", "0")
        assert step.shown_error("minutes") == "interview_minutes 0 is not 1-600" == cli_says(interview_minutes="0")
        await pilot.press("backspace", *"45", "shift+tab", "shift+tab", "shift+tab", "shift+tab", "shift+tab")
        assert app.focused.id == "title"
        await pilot.press("ctrl+u")
        assert step.shown_error("title") == "campaign needs a title" == cli_says(title="")
        assert app.parts == []


async def test_grade_step_override_needs_a_reason(session):
    app = StepApp(GradeStep(helpers.grade_choices(session), helpers.level_names(session)))
    async with app.run_test() as pilot:
        step = app.step
        assert step.produce(show_all=True)[0].message == "campaign needs a grade (or a level)"
        assert step.shown_error("grade") == "campaign needs a grade (or a level)"
        await pilot.press("enter", "down", "down", "down", "down", "enter")  # AA, AO, EO, HEO
        await pilot.pause()
        assert step.shown_error("grade") == ""
        assert app.parts == [GradePart(grade="HEO")]
        await pilot.press("tab", "space")  # another level: starts one up, at 4
        await pilot.pause()
        assert "Assessed at level 4 instead" in str(step.query_one("#level-info").render())
        message = step.produce(show_all=True)[0].message
        assert message == "level 4 overrides grade HEO (level 3): give a level_reason"
        assert step.shown_error("level-reason") == message
        await pilot.press("tab", "tab", *"Leads 12")
        await pilot.pause()
        assert step.shown_error("level-reason") == ""
        assert app.parts == [GradePart(grade="HEO", level=4, level_reason="Leads 12")]


async def test_framework_step_items_lead_and_copfs_advice(database):
    with database.session() as s:
        frameworks = list_frameworks(s)
        elements, copfs = all_framework_elements(s), CopfsTable.read(s)
    app = StepApp(FrameworkStep(frameworks, elements, copfs))
    async with app.run_test() as pilot:
        step = app.step
        step.set_context(4, "Band F", "")  # a COPFS band at level 4
        assert step.framework_key == "competencies-2012"
        await pilot.press("tab", *["down"] * 7, "space")  # Delivering Value for Money
        await pilot.pause()
        assert step.items == ["Delivering Value for Money"]
        assert "COPFS does not use Delivering Value for Money at level 4 (used at levels 5, 6)" in str(
            step.query_one("#copfs").render())
        # A Home Office role at the same level: COPFS's table is not theirs.
        step.set_context(4, "Grade 7", "Home Office")
        assert not step.query_one("#copfs").display
        await pilot.press("up", "up", "up", "up", "up", "up", "up", "space")  # Seeing the Big Picture
        await pilot.press("tab", "enter", "down", "down", "enter")  # lead: the second chosen
        await pilot.pause()
        assert app.parts == [FrameworkPart(framework="competencies-2012", items=[
            {"name": "Delivering Value for Money"}, {"name": "Seeing the Big Picture"}], lead="Seeing the Big Picture")]
        assert "2. Seeing the Big Picture ★ lead" in str(step.query_one("#item-count").render())
        step.set_context(3, "HEO", "Home Office")
        assert step.copfs_warnings == []  # no "COPFS does not use Seeing the Big Picture at level 3"
        step.set_context(3, "Band D", "")
        assert "COPFS does not use Seeing the Big Picture at level 3 (used at levels 5, 6)" in step.copfs_warnings


async def test_other_step_add_refuse_remove():
    app = StepApp(OtherStep())
    async with app.run_test() as pilot:
        step = app.step
        step.set_framework_items([], ["Seeing the Big Picture"])
        assert step.produce(show_all=True)[0].message.startswith("choose at least one item to assess")
        await pilot.press("tab", *"Grit", "tab", *"Bounces back", "tab", "enter", "down", "down", "down", "enter")
        await pilot.press("tab", "enter")  # Add element
        await pilot.pause()
        assert app.focused.id == "other-name"  # ready for the next one
        [part] = app.parts
        assert isinstance(part, OtherPart)
        [grit] = part.items
        assert (grit.name, grit.kind, grit.description) == ("Grit", "strength", "Bounces back")
        assert [p["value"] for p in grit.scale] == [1, 2, 3, 4]
        await pilot.press(*"grit", "enter")
        assert step.shown_error("other-name") == "'grit' is already an item"
        await pilot.press("ctrl+u", *"seeing the big picture", "enter")
        assert "is an element of the framework" in step.shown_error("other-name")
        await pilot.press("ctrl+u", *"Maths")
        assert step.produce(show_all=True)[0].message == "press Add element to keep this one, or clear the name"
        await pilot.press("enter", "tab", "tab", "tab", "tab", "delete")  # Maths added; then removed from the list
        await pilot.pause()
        assert app.focused.id == "others"
        assert [i.name for i in app.parts[0].items] == ["Grit"]


async def test_questions_step_typed_and_copied(database):
    from db.demo import ensure_demo

    with database.session() as s:
        ensure_demo(s)
        campaigns = list_campaigns(s)
    app = StepApp(QuestionsStep(campaigns), database)
    async with app.run_test() as pilot:
        step = app.step
        step.set_items(["Seeing the Big Picture", "Grit"])
        await pilot.press("tab", *"Why?", "tab", *"How?", "shift+tab", "shift+tab", "down", "tab", *"Q2")
        await pilot.pause()
        assert app.parts == [QuestionsPart(questions={
            "Seeing the Big Picture": {"questions": ["Why?"], "probes": ["How?"]}, "Grit": {"questions": ["Q2"]}})]
        await pilot.press("tab", "tab", "enter", "down", "enter", "tab", "enter")  # the demo campaign; Copy
        await settle(pilot)  # the bank is read in the screen's worker
        await pilot.pause()  # and its StepChanged reaches the app
        copied = app.parts[0].questions["Seeing the Big Picture"]
        assert copied.questions[0].startswith("Give an example of when you aligned HR activity")
        assert app.parts[0].questions["Grit"].questions == ["Q2"]  # not in the demo: kept


async def test_scoring_step_scales_and_pass_marks():
    app = StepApp(ScoringStep())
    async with app.run_test() as pilot:
        step = app.step
        await step.set_items([("Working Together", None), ("Grit", ONE_TO_FOUR)])
        await pilot.pause()
        assert app.parts == [ScoringPart(pass_mark={"default": "4"})]
        step.query_one("#min-total").focus()
        await pilot.press(*"inf")
        assert step.shown_error("min-total") == "min_total must be a number, not 'inf'" == cli_says(min_total="inf")
        await pilot.press("ctrl+u", *"20", "tab", "ctrl+u", "0")
        assert step.shown_error("divergence") == "divergence_threshold must be more than 0, not 0" == cli_says(
            divergence_threshold="0")
        await pilot.press("backspace", "3")
        step.query_one("#scale").focus()
        await pilot.press("enter", "down", "down", "enter", "tab")  # custom points
        await pilot.press(*"x,Bad")
        assert step.shown_error("custom-scale") == "line 1: value 'x' is not a number"
        await pilot.press("ctrl+a", "shift+end", "backspace", *"0,Fail", "enter", *"1,Pass", "enter", *"2,Merit")
        await pilot.pause()
        assert step.shown_error("custom-scale") == ""
        assert step.value("pass-default") == "Pass"
        # Grit keeps its 1-4 scale: the campaign's "Pass" is not on it.
        assert step.shown_error("pass-item-1") == "pass mark 'Pass' for 'Grit' is not on the scale (1, 2, 3, 4)"
        step.query_one("#pass-item-1").focus()
        await pilot.press("3")
        await pilot.pause()
        [part] = app.parts
        assert [p["label"] for p in part.scale] == ["Fail", "Pass", "Merit"]
        assert part.pass_mark == {"default": "Pass", "Grit": "3"}
        assert (part.min_total, part.divergence_threshold) == (20, 3)


async def test_panel_step_rows_roles_and_duplicates():
    app = StepApp(PanelStep())
    async with app.run_test() as pilot:
        step = app.step
        assert step.produce(show_all=True)[0].message == "add at least one panel member: nobody can score without one"
        await pilot.press(*"Sam", "enter", *"Ann", "tab", "enter", "down", "enter")  # Ann: independent
        await pilot.pause()
        assert app.parts == [PanelPart(panel=[{"name": "Sam", "role": "chair"}, {"name": "Ann", "role": "independent"}])]
        await pilot.press("shift+tab", "enter", *"sam")
        await pilot.pause()
        assert step.shown_error("member-name-2") == "panel member 'sam' is listed twice"
        await pilot.press("tab", "delete")  # on the row's role: Delete removes the row
        await pilot.pause()
        assert len(step.row_ids()) == 2 and step.shown_error("member-name-0") == ""
        assert [m.name for m in app.parts[0].panel] == ["Sam", "Ann"]
