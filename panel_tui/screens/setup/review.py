"""Step 9: the whole campaign as it will be created, its warnings, and the Create button."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Label, Static

from db import scales
from db.specs import CampaignSpec
from panel_tui.screens.setup.base import Step


def summary(spec: CampaignSpec, *, level: int, framework: str, warnings: list[str]) -> Text:
    """The review text: what will be created, then the advice that does not stop it."""
    out = Text()

    def line(label: str, value: str) -> None:
        out.append(f"{label:<14}", style="bold")
        out.append(value + "\n")

    line("Title", spec.title)
    where = " · ".join(v for v in (spec.department, spec.reference, spec.location) if v)
    if where:
        line("", where)
    level_text = f"{spec.grade} → level {level}"
    if spec.level is not None:
        level_text += f" (overridden: {spec.level_reason})"
    line("Grade", level_text)
    line("Framework", framework)
    line("Decision date", (spec.decision_date.isoformat() if spec.decision_date else "not set")
         + f" · interviews {spec.interview_minutes} min" + (" · anonymised" if spec.anonymised else ""))
    line("Scale", " ".join(str(p["label"]) for p in spec.points) + f" · divergence {spec.divergence_threshold:g} · "
         + spec.scoring_method + (f" · minimum total {spec.min_total:g}" if spec.min_total is not None else ""))
    out.append("Items (pass mark, questions):\n", style="bold")
    for item in spec.items:
        questions, probes = spec.item_questions(item)
        lead = " ★ lead" if spec.lead and item.name.lower() == spec.lead.lower() else ""
        mark = scales.label_for(item.scale or spec.points, spec.pass_mark_for(item.name, item.scale))
        nq, np_ = len(questions), len(probes)
        asked = f"{nq} question{'s' if nq != 1 else ''}, {np_} probe{'s' if np_ != 1 else ''}" if nq else "no question yet"
        out.append(f"• {item.name}{lead} · pass {mark} · {asked}\n")
    for w in warnings:
        out.append(f"⚠ {w}\n", style="italic")
    line("Panel", ", ".join(f"{m.name} ({m.role})" for m in spec.panel))
    out.append("Candidates are added on the campaign screen once it is created.", style="dim")
    return out


class ReviewStep(Step):
    STEP_ID = "review"
    TITLE = "Review"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="review-scroll"):
            yield Static("", id="summary")
        error = Label("", id="create-error", classes="error field-error")
        error.display = False
        yield error
        yield Button("Create campaign", id="create", variant="success", compact=True)

    def show(self, text: Text | str) -> None:
        self.query_one("#summary", Static).update(text)
        self.show_refusal("")

    def show_refusal(self, message: str) -> None:
        label = self.query_one("#create-error", Label)
        label.update(Text(f"Not created: {message}") if message else "")
        label.display = bool(message)
