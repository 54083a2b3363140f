"""Specs for the content of panel packs and returns (see docs/exchange-format.md).

Rules a file must meet to be read at all; rules that need the database
(does this candidate exist, is this score on the item's scale) are checked by
``db.exchange`` after these.
"""

from __future__ import annotations

from itertools import permutations
from typing import Annotated, Generic, Literal, Optional, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, model_validator
from typing_extensions import NotRequired, TypedDict

from db import scales
from db.errors import ValidationError as PanelValidationError
from db.specs.base import Block, Day, Key, Level, Line, Name, Number, Position, Spec, Stamp, When, block_text, unique
from db.vocabulary import ItemKind, PanelRole, StarPart, Tag

MAX_CANDIDATES = 50_000  # 20,000-candidate campaigns are benchmarked (bench/bench_import.py)
MAX_ITEMS = 50
MAX_PANEL = 20
MAX_ELEMENTS = 100
MAX_INDICATORS = 2_000  # per element
MAX_TAGS = 500  # per item of evidence

ItemKindValue = Literal[ItemKind.values()]  # type: ignore[valid-type]
RoleValue = Literal[PanelRole.values()]  # type: ignore[valid-type]
TagValue = Literal[Tag.values()]  # type: ignore[valid-type]
IndicatorKind = Literal["effective", "ineffective", "example"]
FrameworkKind = Literal["competencies", "behaviours"]
INDICATOR_KINDS = {"competencies": ("effective", "ineffective"), "behaviours": ("example",)}
Ref = Line(80, required=True)


_STAR_PARTS = frozenset(StarPart.values())
# Every STAR coverage there is (65): one set lookup per item of a 120,000-item return.
_STAR_TEXTS = frozenset("".join(p) for n in range(len(_STAR_PARTS) + 1) for p in permutations(sorted(_STAR_PARTS), n))


def _star(text: str) -> str:
    if text not in _STAR_TEXTS:
        raise ValueError(f"STAR coverage {text!r} is not some of S, T, A, R, each once")
    return text


# --- panel pack -----------------------------------------------------------------------


class ScalePoint(Spec):
    value: Number
    label: Line(20, required=True)  # type: ignore[valid-type]
    name: Line(200) = ""  # type: ignore[valid-type]
    descriptor: Block(2000) = ""  # type: ignore[valid-type]


Scale = Annotated[list[ScalePoint], Field(min_length=2, max_length=20)]


def scale_rows(points: list[ScalePoint]) -> list[dict]:
    """The stored form of a scale (sorted by value, values unique)."""
    try:
        return scales.validate_scale([p.model_dump() for p in points])
    except PanelValidationError as exc:
        raise ValueError(str(exc)) from None


class IndicatorSpec(Spec):
    level: Level
    kind: IndicatorKind
    position: Position
    text: Block(5000, required=True)  # type: ignore[valid-type]


class ElementSpec(Spec):
    name: Name  # type: ignore[valid-type]
    position: Position
    cluster: Optional[Line(200)] = None  # type: ignore[valid-type]
    definition: Block(10_000) = ""  # type: ignore[valid-type]
    indicators: Annotated[list[IndicatorSpec], Field(max_length=MAX_INDICATORS)]


class FrameworkSpec(Spec):
    key: Key
    name: Line(200, required=True)  # type: ignore[valid-type]
    kind: FrameworkKind
    level_names: dict[Annotated[str, Field(pattern=r"^[1-6]$")], Line(200)] = {}  # type: ignore[valid-type]
    elements: Annotated[list[ElementSpec], Field(max_length=MAX_ELEMENTS)]

    @model_validator(mode="after")
    def _consistent(self) -> FrameworkSpec:
        unique([e.name for e in self.elements], "element")
        for e in self.elements:
            seen: set[tuple[int, str, int]] = set()
            for i in e.indicators:
                if i.kind not in INDICATOR_KINDS[self.kind]:
                    raise ValueError(f"element {e.name!r}: {i.kind!r} indicators do not belong in {self.kind}")
                if (i.level, i.kind, i.position) in seen:
                    raise ValueError(f"element {e.name!r}: level {i.level} {i.kind} {i.position + 1} appears twice")
                seen.add((i.level, i.kind, i.position))
        return self


class CampaignSpec(Spec):
    key: Key
    title: Line(300, required=True)  # type: ignore[valid-type]
    department: Line(200) = ""  # type: ignore[valid-type]
    reference: Line(200) = ""  # type: ignore[valid-type]
    location: Line(200) = ""  # type: ignore[valid-type]
    grade: Line(100) = ""  # type: ignore[valid-type]
    level: Level
    level_reason: Block(2000) = ""  # type: ignore[valid-type]
    scale: Scale
    min_total: Optional[Annotated[float, Field(ge=0, le=10_000)]] = None
    divergence_threshold: Annotated[float, Field(ge=0, le=100)] = 2
    scoring_method: Literal["consensus", "mean"] = "consensus"
    decision_date: Optional[Day] = None
    retention_months: Annotated[int, Field(ge=0, le=1200)] = 24
    anonymised: bool = False
    interview_minutes: Annotated[int, Field(gt=0, le=600)] = 60
    created_at: Optional[Stamp] = None


class QuestionSpec(Spec):
    position: Position
    kind: Literal["question", "probe"] = "question"
    text: Block(2000, required=True)  # type: ignore[valid-type]


class ItemSpec(Spec):
    position: Position
    kind: ItemKindValue
    element: Optional[Name] = None  # type: ignore[valid-type]
    name: Name  # type: ignore[valid-type]
    description: Block(5000) = ""  # type: ignore[valid-type]
    pass_mark: Number
    is_lead: bool = False
    scale: Optional[Scale] = None
    questions: Annotated[list[QuestionSpec], Field(max_length=50)] = []


class CandidateSpec(Spec):
    ref: Ref  # type: ignore[valid-type]
    name: Line(200) = ""  # type: ignore[valid-type]
    adjustments: Block(2000) = ""  # type: ignore[valid-type]
    extra_minutes: Annotated[int, Field(ge=0, le=600)] = 0
    slot: Optional[When] = None


class MemberSpec(Spec):
    name: Name  # type: ignore[valid-type]
    role: RoleValue = "member"


class PackContent(Spec):
    framework: FrameworkSpec
    campaign: CampaignSpec
    items: Annotated[list[ItemSpec], Field(min_length=1, max_length=MAX_ITEMS)]
    candidates: Annotated[list[CandidateSpec], Field(max_length=MAX_CANDIDATES)]
    panel: Annotated[list[MemberSpec], Field(min_length=1, max_length=MAX_PANEL)]

    @model_validator(mode="after")
    def _consistent(self) -> PackContent:
        unique([i.name for i in self.items], "item")
        unique([c.ref for c in self.candidates], "candidate ref", fold=False)
        unique([m.name for m in self.panel], "panel member")
        if sum(i.is_lead for i in self.items) > 1:
            raise ValueError("more than one lead item")
        elements = {e.name for e in self.framework.elements}
        campaign_scale = scale_rows(self.campaign.scale)
        for i in self.items:
            if i.element is not None and i.element not in elements:
                raise ValueError(f"item {i.name!r} names element {i.element!r}, which the pack lacks")
            scale = scale_rows(i.scale) if i.scale is not None else campaign_scale
            if i.pass_mark not in scales.values(scale):
                raise ValueError(f"item {i.name!r}: pass mark {i.pass_mark:g} is not on its scale")
        return self


# --- return -------------------------------------------------------------------------------
# A return holds tens of thousands of these, so they are TypedDicts (validated in Rust, about
# three times faster than models); the checks across fields are single Python validators.

_RETURN = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


def _star_text(text: str) -> str:
    _star(text)
    return text


def _items_once(items: list) -> list:
    if len({e["item"].lower() for e in items}) != len(items):
        unique([e["item"] for e in items], "item")  # names the first one twice
    for e in items:  # Block(50_000)'s cleaning, here: one call per assessment, not one per item (it never refuses)
        if "notes" in e:
            e["notes"] = block_text(e["notes"])
    return items


class TagSpec(TypedDict):
    __pydantic_config__ = _RETURN  # type: ignore[misc]
    # Only looked up (by exact name), never stored or shown: no cleaning needed.
    element: Annotated[str, Field(min_length=1, max_length=200)]
    level: Level
    kind: IndicatorKind
    position: Position
    tag: TagValue


# Format version 2 (what panel-tui writes now; version 1 files are still read): a tag is an array
# [element, level, kind, position, tag] rather than an object. A 20,000-candidate return holds
# 240,000 tags: as objects they were a third of the time spent reading it, and of its size.
TagRow = tuple[Annotated[str, Field(min_length=1, max_length=200)], Level, IndicatorKind, Position, TagValue]
TagForm = TypeVar("TagForm", TagSpec, TagRow)  # a tag as version 1 or version 2 writes it


class EvidenceSpec(TypedDict, Generic[TagForm]):
    __pydantic_config__ = _RETURN  # type: ignore[misc]
    item: Name  # type: ignore[valid-type]
    notes: NotRequired[Annotated[str, Field(max_length=50_000)]]  # cleaned as a Block in _items_once
    star: NotRequired[Annotated[str, Field(max_length=4), AfterValidator(_star_text)]]
    score: NotRequired[Optional[Number]]
    tags: NotRequired[Annotated[list[TagForm], Field(max_length=MAX_TAGS)]]
    updated_at: Stamp


class AssessmentSpec(TypedDict, Generic[TagForm]):
    __pydantic_config__ = _RETURN  # type: ignore[misc]
    ref: Ref  # type: ignore[valid-type]
    submitted_at: NotRequired[Optional[Stamp]]
    updated_at: Stamp
    items: Annotated[list[EvidenceSpec[TagForm]], Field(max_length=MAX_ITEMS), AfterValidator(_items_once)]


ASSESSMENT_SPECS = {1: AssessmentSpec[TagSpec], 2: AssessmentSpec[TagRow]}  # by the return's format version


class ReturnContent(Spec):
    member: Name  # type: ignore[valid-type]
    assessments: Annotated[list[AssessmentSpec[TagSpec]], Field(max_length=MAX_CANDIDATES)]

    @model_validator(mode="after")
    def _once(self) -> ReturnContent:
        unique([a["ref"] for a in self.assessments], "candidate", fold=False)
        return self
