"""The spec for a department's own framework file (TOML or JSON) for `panel-tui frameworks import`.

The documented shape (docs/framework-example.toml)::

    key = "example-agency-values"        # optional; lower-case letters, digits, hyphens
    name = "Example Agency Values"
    kind = "competencies"                # or "behaviours"
    [levels]                             # optional level names, by level 1-6
    3 = "Officer"
    [[elements]]
    name = "Putting the Public First"
    cluster = "..."                      # optional
    definition = "..."                   # optional
    [elements.levels.3]
    effective = ["..."]                  # competencies: effective / ineffective
    ineffective = ["..."]                # behaviours: examples

Text is cleaned (``db.text``) and capped; a file is measured (size, nesting)
before it is parsed.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator

from db.errors import ValidationError
from db.specs.base import Block, Key, Line, Name, Spec, check_shape, unique, validate

MAX_BYTES = 4 * 1024 * 1024
LIST_NAMES = {"competencies": ("effective", "ineffective"), "behaviours": ("examples",)}
LevelKey = Annotated[str, Field(pattern=r"^[1-6]$")]
Indicators = Annotated[list[Block(5000, required=True)], Field(max_length=200)]  # type: ignore[misc]


class ElementFile(Spec):
    name: Name  # type: ignore[valid-type]
    cluster: Optional[Line(200)] = None  # type: ignore[valid-type]
    definition: Optional[Block(10_000)] = None  # type: ignore[valid-type]
    levels: Annotated[dict[LevelKey, dict[Literal["effective", "ineffective", "examples"], Indicators]], Field(min_length=1)]


class FrameworkFile(Spec):
    key: Optional[Key] = None
    name: Line(200, required=True)  # type: ignore[valid-type]
    kind: Literal["competencies", "behaviours"]
    levels: Optional[dict[LevelKey, Line(200)]] = None  # type: ignore[valid-type]
    elements: Annotated[list[ElementFile], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _consistent(self) -> FrameworkFile:
        unique([e.name for e in self.elements], "element")
        for e in self.elements:
            for level, body in e.levels.items():
                for list_name in body:
                    if list_name not in LIST_NAMES[self.kind]:
                        raise ValueError(
                            f"element {e.name!r} level {level}: {list_name!r} is not one of "
                            f"{', '.join(LIST_NAMES[self.kind])} (the lists of {self.kind})"
                        )
        return self


def check_framework(data: object, source: str = "framework file") -> dict:
    """The framework document, validated and cleaned, in the file shape; ValidationError with one line."""
    return validate(FrameworkFile, data, source=source, what="framework", error=ValidationError).model_dump()


def check_file_shape(raw: bytes, filename: str) -> None:
    """Refuse a framework file that is too large or nested too deeply, before parsing it."""
    check_shape(raw, filename, max_bytes=MAX_BYTES, error=ValidationError, toml=filename.lower().endswith(".toml"))
