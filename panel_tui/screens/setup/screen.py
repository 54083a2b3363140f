"""Set up a new campaign, step by step, from a Home Office role template or from blank.

The screen holds the navigation (step list, Back/Next, the status line), tells
each step what the others chose (method calls down), and on Create joins the
steps' parts into one ``CampaignSpec`` for ``db.campaigns.create_campaign``.
Each step is its own widget and module and validates its part through the
spec, so its messages are the ones `panel-tui campaign create` prints. The
screen dismisses with the new campaign's id (None when cancelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Header, Label, Static

from db import setup_helpers as helpers
from db.campaigns import CopfsTable
from db.errors import PanelError
from db.specs import CampaignSpec, RolePart
from panel_tui.screens.setup.base import Step, StepChanged, StepDone
from panel_tui.screens.setup.framework import FrameworkStep
from panel_tui.screens.setup.grade import GradeStep
from panel_tui.screens.setup.other import OtherStep
from panel_tui.screens.setup.panel import PanelStep
from panel_tui.screens.setup.questions import QuestionsStep
from panel_tui.screens.setup.review import ReviewStep, summary
from panel_tui.screens.setup.role import RoleStep
from panel_tui.screens.setup.scoring import ScoringStep
from panel_tui.screens.setup.start import StartStep
from panel_tui.widgets.footer import PanelFooter
from panel_tui.work import ServiceWork


@dataclass(frozen=True)
class SetupChoices:
    """What the steps offer, read from the reference data."""

    templates: list
    grades: list
    level_names: dict[int, str]
    frameworks: list
    campaigns: list
    elements: dict  # framework key -> its elements
    copfs: CopfsTable


def _choices(session) -> SetupChoices:
    from db.campaigns import list_campaigns
    from db.frameworks import list_frameworks

    return SetupChoices(
        helpers.template_choices(session), helpers.grade_choices(session), helpers.level_names(session),
        list_frameworks(session), list_campaigns(session),
        helpers.all_framework_elements(session), CopfsTable.read(session),
    )


def _create(session, spec: CampaignSpec) -> tuple[int, str]:
    """The unit of work behind Create (run off the UI thread by panel_tui.work)."""
    from db import campaigns

    campaign = campaigns.create_campaign(session, spec)
    return campaign.id, campaign.key  # type: ignore[return-value]


class SetupScreen(ServiceWork, Screen[int | None]):
    CSS_PATH = "../../styles/setup.tcss"

    BINDINGS = [
        Binding("ctrl+right", "next", "Next", key_display="^→", priority=True, tooltip="Check this step and go on"),
        Binding("ctrl+left", "back", "Back", key_display="^←", priority=True, tooltip="The step before (nothing is lost)"),
        Binding("escape", "cancel", "Cancel", tooltip="Leave without creating a campaign"),
    ]

    def __init__(self, database, *, today: date | None = None) -> None:
        super().__init__()
        self.database = database
        self.today = today
        self.frameworks: list = []
        self.steps: list[Step] = []  # built when the choices have loaded (_loaded)
        self.step = 0
        self.applied_start: str | None = None  # the start option whose values are filled in

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="steps")
        yield Label("Loading templates, grades and frameworks…", id="setup-loading", classes="hint")
        yield ContentSwitcher(id="wizard")
        with Horizontal(id="nav"):
            yield Button("← Back", id="back", compact=True, disabled=True)
            yield Label("", id="nav-status")
            yield Button("Next →", id="next", variant="primary", compact=True, disabled=True)
        yield PanelFooter()

    def on_mount(self) -> None:
        self.title = "New campaign"
        self.sub_title = "Loading…"
        # The reference data comes off the UI thread; the steps are built when it arrives.
        self.run_service(_choices, tag="load", done=self._loaded, title="Set-up not loaded")

    def _loaded(self, choices: SetupChoices) -> None:
        self.run_worker(self._build(choices), group="setup-build")

    async def _build(self, choices: SetupChoices) -> None:
        self.frameworks = choices.frameworks
        self.start = StartStep(choices.templates)
        self.role = RoleStep(today=self.today)
        self.grade = GradeStep(choices.grades, choices.level_names)
        self.framework = FrameworkStep(choices.frameworks, choices.elements, choices.copfs)
        self.other = OtherStep()
        self.questions = QuestionsStep(choices.campaigns)
        self.scoring = ScoringStep()
        self.panel = PanelStep()
        self.review = ReviewStep()
        steps: list[Step] = [self.start, self.role, self.grade, self.framework, self.other, self.questions,
                             self.scoring, self.panel, self.review]
        for step in steps:
            step.display = step is self.start  # the switcher shows one step at a time
        await self.query_one(ContentSwitcher).mount_all(steps)
        self.steps = steps
        self.query_one("#setup-loading").display = False
        self.query_one("#next", Button).disabled = False
        self._show_step()

    # --- moving between steps ----------------------------------------------------------------

    def _show_step(self, *, focus_first: bool = True) -> None:
        current = self.steps[self.step]
        self.query_one(ContentSwitcher).current = current.id
        self.sub_title = f"Step {self.step + 1} of {len(self.steps)}: {current.TITLE}"
        parts = []
        for n, step in enumerate(self.steps):
            if n == self.step:
                parts.append(f"[b $text on $accent] {step.TITLE} [/]")
            else:
                parts.append(f" {step.TITLE} " if n < self.step else f"[dim] {step.TITLE} [/]")
        self.query_one("#steps", Static).update("".join(parts))
        self.query_one("#back", Button).disabled = self.step == 0
        self.query_one("#next", Button).label = "Create" if current is self.review else "Next →"
        self._status("")
        self.run_worker(self._sync(), group="sync")  # not exclusive: a cancelled sync could leave rows half-built
        self.refresh_bindings()
        if focus_first:
            self.call_after_refresh(self._focus_first)

    async def _sync(self) -> None:
        """Tell each step what the steps before it chose."""
        role = next((p for p in self.role.parts if isinstance(p, RolePart)), None)
        grade = self.grade.grade
        self.framework.set_context(self.grade.level, grade.grade if grade else "", role.department if role else "")
        self.other.set_framework_items(self.framework.items, self.framework.element_names)
        names = self.framework.items + [o.name for o in self.other.others]
        if self.steps[self.step] is self.questions or self.questions.names != names:
            self.questions.set_items(names)
        await self.scoring.set_items([(n, None) for n in self.framework.items] + [(o.name, o.scale) for o in self.other.others])
        if self.steps[self.step] is self.review:
            self._show_review()

    def _focus_first(self) -> None:
        current = self.steps[self.step]
        if current is self.review:
            self.query_one("#create", Button).focus()
            return
        for widget in self.focus_chain:
            if current in widget.ancestors:
                widget.focus()
                return

    def _status(self, message: str, *, error: bool = False) -> None:
        label = self.query_one("#nav-status", Label)
        label.update(message)
        label.set_class(error, "-error")

    async def goto(self, step: int) -> None:
        """Go to a step; going forward checks each step on the way and stops at the first problem."""
        step = max(0, min(step, len(self.steps) - 1))
        start = self.step
        while self.step < step:
            if not await self._leave_step():
                if self.step != start:  # stopped on a later step: show it, then its problem
                    self._show_step(focus_first=False)
                    await self._leave_step()
                return
            self.step += 1
        self.step = step
        self._show_step()

    async def _leave_step(self) -> bool:
        """Check the current step before moving on; show its problems and refuse when there are any."""
        current = self.steps[self.step]
        if current is self.start:
            self._apply_start()
        await self._sync()
        problems = current.produce(show_all=True)
        if not problems:
            return True
        self._status(problems[0].message, error=True)
        if current is self.panel:
            self.panel.focus_problem()
        else:
            widgets = current.query(f"#{current.widget_for(problems[0])}")
            if widgets and widgets.first().focusable and widgets.first().display:
                widgets.first().focus()
        return False

    def _apply_start(self) -> None:
        template = self.start.template
        choice = template.annex if template else "blank"
        if choice == self.applied_start:
            return  # already filled in: keep what was typed since
        self.applied_start = choice
        if template is not None:
            self.role.apply_template(template)
            self.grade.apply_template(template)
            self.framework.apply_template(template.items, template.lead)

    async def action_next(self) -> None:
        if not self.steps:
            return  # still loading
        if self.steps[self.step] is self.review:
            await self.action_create()
        else:
            await self.goto(self.step + 1)

    def action_back(self) -> None:
        if self.step > 0:
            self.step -= 1
            self._show_step()

    @on(Button.Pressed, "#next")
    async def _next_pressed(self) -> None:
        await self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(StartStep.Chosen)
    async def _start_chosen(self) -> None:
        await self.goto(1)

    @on(StepDone)
    async def _step_done(self) -> None:
        await self.action_next()

    @on(StepChanged)
    def _step_changed(self, event: StepChanged) -> None:
        if event.step is self.steps[self.step]:
            self._status("")

    def action_cancel(self) -> None:
        from panel_tui.dialogs import ConfirmDialog

        if self.step == 0 and self.applied_start is None:
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog("Leave without creating this campaign? What you entered is lost."), answered)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next", "back") and not self.steps:
            return False
        if action == "back":
            return self.step > 0
        return True

    def palette_commands(self):
        yield ("Next step", "Check this step and go on (ctrl+right)", self.action_next)
        yield ("Previous step", "Back one step (ctrl+left)", self.action_back)
        for n, step in enumerate(self.steps):
            yield (f"Set-up step {n + 1}: {step.TITLE}", "Go to this step (steps before it are checked)",
                   lambda n=n: self.goto(n))
        yield ("Remove the highlighted row", "An other element or a panel member (delete)", self._remove_row)
        yield ("Create the campaign", "Check every step and create the campaign", self.action_create)
        yield ("Cancel set-up", "Leave without creating a campaign", self.action_cancel)

    async def _remove_row(self) -> None:
        if not self.steps:
            return
        current = self.steps[self.step]
        if current in (self.other, self.panel) and current.check_action("remove", ()):
            await current.run_action("remove")

    # --- review and create ---------------------------------------------------------------------

    def spec(self) -> CampaignSpec:
        """The campaign from every step's part; ValidationError names the first problem."""
        return CampaignSpec.from_parts(*(p for step in self.steps for p in step.parts))

    def warnings(self) -> list[str]:
        n = len(self.framework.items)
        out = self.framework.copfs_warnings + self.role.warnings
        if not 4 <= n <= 6:
            out.append(f"{n} behaviours/competencies chosen: panels typically assess 4-6")
        return out

    def _show_review(self) -> None:
        try:
            spec = self.spec()
        except PanelError as exc:
            self.review.show(f"Not ready: {exc}")
            return
        framework = next((f.name for f in self.frameworks if f.key == spec.framework), spec.framework)
        self.review.show(summary(spec, level=self.grade.level, framework=framework, warnings=self.warnings()))

    @on(Button.Pressed, "#create")
    async def action_create(self) -> None:
        if not self.steps:
            return
        await self._sync()
        # Every step must pass its checks; the first with a problem is shown.
        for n, step in enumerate(self.steps[:-1]):
            if step.produce(show_all=True):
                self.step = n
                self._show_step(focus_first=False)
                await self._leave_step()
                return
        if self.steps[self.step] is not self.review:
            self.step = len(self.steps) - 1
            self._show_step()
        try:
            spec = self.spec()
        except PanelError as exc:
            self._refused(str(exc))
            return
        self.run_service(_create, spec, tag="create", done=self._created, failed=self._refused)

    def _created(self, created: tuple[int, str]) -> None:
        campaign_id, key = created
        self.notify(f"Campaign {key} created", markup=False)
        self.dismiss(campaign_id)

    def _refused(self, message: str) -> None:
        self.review.show_refusal(message)
        self._status("Not created: see the reason above", error=True)
