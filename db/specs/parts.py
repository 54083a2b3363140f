"""The campaign spec's parts: one typed model per wizard step (docs/SETUP.md names the fields)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Self

import pydantic
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from db import scales
from db.specs.values import (
    Part, decision_date_warnings, day, flag, line, number, pass_mark_value, scale_points, texts, whole,
)
from db.text import clean_line
from db.vocabulary import ItemKind, PanelRole

DEFAULT_FRAMEWORK = "success-profiles-behaviours"
FRAMEWORK_KINDS = (None, ItemKind.BEHAVIOUR, ItemKind.COMPETENCY)
OTHER_KINDS = tuple(k for k in ItemKind if k not in FRAMEWORK_KINDS)
METHODS = ("consensus", "mean")
KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]*")


class RolePart(Part):
    """What the role is: the Role step."""

    title: str = ""
    department: str = ""
    reference: str = ""
    location: str = ""
    key: str | None = None
    anonymised: bool = False

    @field_validator("title", "department", "reference", "location", mode="before")
    @classmethod
    def _rolepart_line(cls, v: Any, info: pydantic.ValidationInfo) -> str:
        text = line(v, info.field_name or "")
        if info.field_name == "title" and not text:
            raise ValueError("campaign needs a title")
        return text

    @field_validator("key", mode="before")
    @classmethod
    def _key(cls, v: Any) -> str | None:
        if v in (None, ""):
            return None
        key = str(v)
        if not KEY_RE.fullmatch(key) or len(key) > 80:
            raise ValueError(f"campaign key {key!r} must be lower-case letters, digits and hyphens (at most 80)")
        return key

    @field_validator("anonymised", mode="before")
    @classmethod
    def _flag(cls, v: Any) -> bool:
        return flag(v, "anonymised")


class GradePart(Part):
    """The grade, and the framework level when it overrides the grade's: the Grade step."""

    grade: str = ""
    level: int | None = None
    level_reason: str = ""

    @field_validator("grade", "level_reason", mode="before")
    @classmethod
    def _gradepart_line(cls, v: Any, info: pydantic.ValidationInfo) -> str:
        return line(v, info.field_name or "")

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, v: Any) -> int | None:
        return None if v in (None, "") else whole(v, "level", 1, 6)

    @model_validator(mode="after")
    def _grade_or_level(self) -> Self:
        if not self.grade and self.level is None:
            raise ValueError("campaign needs a grade (or a level)")
        return self

    def level_problem(self, grade_level: int | None) -> str:
        """Why the level cannot be used with a grade at ``grade_level`` ("" when it can)."""
        if self.level is not None and grade_level is not None and self.level != grade_level and not self.level_reason:
            return f"level {self.level} overrides grade {self.grade} (level {grade_level}): give a level_reason"
        return ""


class DatesPart(Part):
    """When: the decision date, how long data is kept, how long an interview is."""

    decision_date: date | None = None
    retention_months: int = 24
    interview_minutes: int = 60

    @field_validator("decision_date", mode="before")
    @classmethod
    def _day(cls, v: Any) -> date | None:
        return day(v, "decision_date")

    @field_validator("retention_months", mode="before")
    @classmethod
    def _months(cls, v: Any) -> int:
        return whole(v, "retention_months", 0, 1200)

    @field_validator("interview_minutes", mode="before")
    @classmethod
    def _minutes(cls, v: Any) -> int:
        return whole(v, "interview_minutes", 1, 600)

    def warnings(self, today: date, slots: Sequence[datetime] = ()) -> list[str]:
        """Advice that does not stop the campaign: a decision date already past or before interviews."""
        return decision_date_warnings(self.decision_date, today, slots)


class ItemSpec(Part):
    """One thing the panel assesses: a framework element, or another Success Profiles element."""

    name: str = ""
    kind: ItemKind | None = None
    description: str = ""
    scale: list[dict[str, Any]] | None = None
    questions: list[str] = []
    probes: list[str] = []

    @field_validator("name", "description", mode="before")
    @classmethod
    def _itemspec_line(cls, v: Any, info: pydantic.ValidationInfo) -> str:
        return line(v, info.field_name or "")

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any, info: pydantic.ValidationInfo) -> ItemKind | None:
        if v in (None, ""):
            return None
        if v not in ItemKind.values():
            name = info.data.get("name", "")
            raise ValueError(f"item {name!r}: kind {v!r} is not one of {', '.join(ItemKind.values())}")
        return ItemKind(v)

    @field_validator("scale", mode="before")
    @classmethod
    def _scale(cls, v: Any) -> scales.Scale | None:
        return None if v is None else scale_points(v)

    @field_validator("questions", "probes", mode="before")
    @classmethod
    def _texts(cls, v: Any, info: pydantic.ValidationInfo) -> list[str]:
        return texts(v, f"{info.field_name} for {info.data.get('name', '')!r}")

    @property
    def from_framework(self) -> bool:
        return self.kind in FRAMEWORK_KINDS

    @classmethod
    def of(cls, raw: Any, n: int) -> ItemSpec:
        """An item from the TOML list: a plain name, or a table; ``n`` counts from 1."""
        if isinstance(raw, ItemSpec):
            return raw
        if isinstance(raw, str):
            raw = {"name": raw}
        elif not isinstance(raw, dict):
            raise ValueError(f"item {n} must be a name or a table {{name, kind, description, scale}}")
        item, problems = cls.check(raw, f"item {n}")
        if item is None:
            raise ValueError(problems[0].message)
        if not item.name:
            raise ValueError(f"item {n} has no name")
        return item


def item_list(v: Any) -> list[ItemSpec]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise ValueError("items must be a list of names or tables")
    items = [ItemSpec.of(raw, n) for n, raw in enumerate(v, 1)]
    seen: set[str] = set()
    for item in items:
        if item.name.lower() in seen:
            raise ValueError(f"item {item.name!r} is listed twice")
        seen.add(item.name.lower())
    return items


def framework_line(v: Any, field: str) -> str | None:
    if field == "lead" and v is not None and not isinstance(v, str):
        raise ValueError("lead must be the name of one of the items")
    text = line(v, field)
    return text or (DEFAULT_FRAMEWORK if field == "framework" else None)


class FrameworkPart(Part):
    """The framework, its elements chosen (in interview order) and the lead item: the Framework step."""

    framework: str = DEFAULT_FRAMEWORK
    items: list[ItemSpec] = []
    lead: str | None = None

    @field_validator("items", mode="before")
    @classmethod
    def _items(cls, v: Any) -> list[ItemSpec]:
        items = item_list(v)
        for item in items:
            if not item.from_framework:
                raise ValueError(f"item {item.name!r} is a {item.kind}: add it as another element")
        return items

    @field_validator("framework", "lead", mode="before")
    @classmethod
    def _frameworkpart_line(cls, v: Any, info: pydantic.ValidationInfo) -> str | None:
        return framework_line(v, info.field_name or "")


class OtherPart(Part):
    """Other Success Profiles elements (strengths, experience, ...), each with its own scale or the campaign's."""

    items: list[ItemSpec] = []

    @field_validator("items", mode="before")
    @classmethod
    def _items(cls, v: Any) -> list[ItemSpec]:
        items = item_list(v)
        for item in items:
            if item.from_framework:
                raise ValueError(f"item {item.name!r}: kind must be one of {', '.join(OTHER_KINDS)}")
        return items


class ItemQuestions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: list[str] = []
    probes: list[str] = []


class QuestionsPart(Part):
    """The question bank: planned questions and probes by item name."""

    questions: dict[str, ItemQuestions] = {}

    @field_validator("questions", mode="before")
    @classmethod
    def _questions(cls, v: Any) -> dict[str, ItemQuestions]:
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ValueError('questions must be tables by item name, e.g. [questions."Leadership"]')
        out = {}
        for name, q in v.items():
            name = clean_line(str(name)).strip()
            if isinstance(q, ItemQuestions):
                out[name] = q
            elif isinstance(q, dict):
                for k in q:
                    if k not in ("questions", "probes"):
                        raise ValueError(f"questions for {name!r}: unknown field {k!r} (known: questions, probes)")
                out[name] = ItemQuestions(questions=texts(q.get("questions"), f"questions for {name!r}"),
                                          probes=texts(q.get("probes"), f"probes for {name!r}"))
            else:
                out[name] = ItemQuestions(questions=texts(q, f"questions for {name!r}"))
        return out


class ScoringPart(Part):
    """The scale, pass marks, minimum total, divergence and how item scores are decided: the Scoring step."""

    scale: str | list[dict[str, Any]] = "csj-1-7"
    pass_mark: float | str | dict[str, float | str] | None = None
    min_total: float | None = None
    divergence_threshold: float = 2
    scoring_method: str = "consensus"

    @field_validator("scale", mode="before")
    @classmethod
    def _scale(cls, v: Any) -> str | scales.Scale:
        points = scale_points(v)
        return v if isinstance(v, str) else points

    @field_validator("pass_mark", mode="before")
    @classmethod
    def _pass_mark(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {clean_line(str(k)).strip(): m for k, m in v.items()}
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, str))):
            raise ValueError("pass_mark must be a number, a scale label, or a table of them by item name")
        return v

    @field_validator("min_total", mode="before")
    @classmethod
    def _min_total(cls, v: Any) -> float | None:
        if v in (None, ""):
            return None
        value = number(v, "min_total")
        if value < 0:
            raise ValueError(f"min_total must not be negative, not {value:g}")
        return value

    @field_validator("divergence_threshold", mode="before")
    @classmethod
    def _divergence(cls, v: Any) -> float:
        if v in (None, ""):
            raise ValueError("give a divergence_threshold (scores this far apart are flagged; default 2)")
        value = number(v, "divergence_threshold")
        if value <= 0:
            raise ValueError(f"divergence_threshold must be more than 0, not {value:g}")
        return value

    @field_validator("scoring_method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> str:
        if v not in METHODS:
            raise ValueError(f"scoring_method must be 'consensus' or 'mean', not {v!r}")
        return v

    @property
    def points(self) -> scales.Scale:
        return scale_points(self.scale)

    def default_pass_mark(self) -> float | str | None:
        """The mark for an item the pass_mark table does not name."""
        if isinstance(self.pass_mark, dict):
            return next((m for k, m in self.pass_mark.items() if k.lower() == "default"), None)
        if self.pass_mark is not None:
            return self.pass_mark
        if isinstance(self.scale, str):
            return scales.DEFAULT_PASS_MARK.get(self.scale)
        return self.points[len(self.points) // 2]["value"]

    def pass_mark_for(self, name: str, own_scale: scales.Scale | None = None) -> float:
        """The item's pass mark as a value on its scale; ValueError naming the item otherwise."""
        mark = self.default_pass_mark()
        if isinstance(self.pass_mark, dict):
            mark = next((m for k, m in self.pass_mark.items() if k.lower() == name.lower()), mark)
        if mark is None:
            raise ValueError(f"no pass mark for item {name!r} (give it one, or a \"default\", in [pass_mark])")
        return pass_mark_value(own_scale or self.points, mark, name)


class PanelMember(Part):
    name: str = ""
    role: PanelRole = PanelRole.MEMBER

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> str:
        return line(v, "name")

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, v: Any, info: pydantic.ValidationInfo) -> PanelRole:
        role = str(v or "member").strip().lower()
        if role not in PanelRole.values():
            name = info.data.get("name", "")
            raise ValueError(f"panel member {name!r}: role {role!r} is not one of {', '.join(PanelRole.values())}")
        return PanelRole(role)


class PanelPart(Part):
    """Who scores: the Panel step."""

    panel: list[PanelMember] = []

    @field_validator("panel", mode="before")
    @classmethod
    def _panel(cls, v: Any) -> list[PanelMember]:
        if v is None:
            return []
        if not isinstance(v, list):
            raise ValueError("panel must be a list of [[panel]] tables with name and role")
        out: list[PanelMember] = []
        for n, m in enumerate(v, 1):
            if isinstance(m, PanelMember):
                member = m
            elif not isinstance(m, dict):
                raise ValueError(f"panel member {n} must be a table with name and role")
            else:
                member, problems = PanelMember.check(m, f"panel member {n}")
                if member is None:
                    raise ValueError(problems[0].message)
            if not member.name:
                raise ValueError(f"panel member {n} has no name")
            if any(o.name.lower() == member.name.lower() for o in out):
                raise ValueError(f"panel member {member.name!r} is listed twice")
            out.append(member)
        return out
