"""The whole campaign spec: the flat TOML shape of docs/SETUP.md, built from the parts.

`panel-tui campaign create FILE.toml` and the set-up screen both validate
through these models, so both show the same message: one line naming the
field. Each wizard step produces one part; ``CampaignSpec.from_parts`` joins
them and checks what spans parts (lead, pass marks and questions name items).
What needs the database (the grade's level, the framework's elements, a free
key) is checked by ``db.campaigns.create_campaign``.
"""

from __future__ import annotations

from typing import Any, Self

import pydantic
from pydantic import field_validator, model_validator

from db.specs.parts import (
    DEFAULT_FRAMEWORK, DatesPart, GradePart, ItemQuestions, ItemSpec, PanelPart, QuestionsPart, RolePart,
    ScoringPart, framework_line, item_list,
)
from db.specs.values import Part

# --- the whole campaign ------------------------------------------------------------------------


class CampaignSpec(PanelPart, QuestionsPart, ScoringPart, DatesPart, GradePart, RolePart):  # fields in docs order: RolePart's first
    """A campaign file (docs/SETUP.md): every part, plus the items in interview order and candidates."""

    framework: str = DEFAULT_FRAMEWORK
    items: list[ItemSpec] = []
    lead: str | None = None
    candidates: list[dict[str, Any]] = []

    @field_validator("framework", "lead", mode="before")
    @classmethod
    def _campaign_framework_line(cls, v: Any, info: pydantic.ValidationInfo) -> str | None:
        return framework_line(v, info.field_name or "")

    @field_validator("items", mode="before")
    @classmethod
    def _all_items(cls, v: Any) -> list[ItemSpec]:
        items = item_list(v)
        if not items:
            raise ValueError("campaign needs at least one item to assess")
        return items

    @field_validator("candidates", mode="before")
    @classmethod
    def _candidates(cls, v: Any) -> list[dict[str, Any]]:
        from db.candidates import clean_candidate

        if v is None:
            return []
        if not isinstance(v, list):
            raise ValueError("candidates must be a list of [[candidates]] tables")
        out: list[dict[str, Any]] = []
        for n, c in enumerate(v, 1):
            if not isinstance(c, dict):
                raise ValueError(f"candidate {n} must be a table with ref, name, email, ...")
            values, problems = clean_candidate(c)
            if problems:
                raise ValueError(f"candidate {n}{' ' + repr(values['ref']) if values.get('ref') else ''}: {problems[0]}")
            if any(o["ref"] == values["ref"] for o in out):
                raise ValueError(f"candidate ref {values['ref']!r} is listed twice")
            out.append(values)
        return out

    @model_validator(mode="after")
    def _names_are_items(self) -> Self:
        names = {i.name.lower() for i in self.items}
        if self.lead and self.lead.lower() not in names:
            raise ValueError(f"lead item {self.lead!r} is not one of the items")
        if isinstance(self.pass_mark, dict):
            for k in self.pass_mark:
                if k.lower() != "default" and k.lower() not in names:
                    raise ValueError(f"pass_mark for {k.lower()!r}, which is not one of the items")
        for k in self.questions:
            if k.lower() not in names:
                raise ValueError(f"questions for {k.lower()!r}, which is not one of the items")
        for item in self.items:
            self.pass_mark_for(item.name, item.scale)
        return self

    @classmethod
    def from_parts(cls, *parts: Part) -> CampaignSpec:
        """The spec from the wizard's parts; framework items come before the other elements."""
        data: dict[str, Any] = {}
        items: list[dict[str, Any]] = []
        for part in parts:
            fields = part.fields()
            items += fields.pop("items", [])
            data.update(fields)
        data["items"] = items
        return cls.parse(data)

    def item_questions(self, item: ItemSpec) -> tuple[list[str], list[str]]:
        """(questions, probes) for an item: its [questions."Name"] table, then its own fields."""
        q = next((q for k, q in self.questions.items() if k.lower() == item.name.lower()), ItemQuestions())
        return q.questions + item.questions, q.probes + item.probes


def read_spec(data: Any) -> CampaignSpec:
    """A campaign spec from the TOML shape; ValidationError names the first problem."""
    if isinstance(data, CampaignSpec):
        return data
    return CampaignSpec.parse(data)
