"""Checks of single values in a campaign spec, and the Part base every spec model shares.

Each check raises ValueError with the one line people read (naming the field);
``Part.check`` turns pydantic's errors into those lines, so the TOML command
and the set-up screen show the same words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar, NamedTuple, Self

import pydantic
from pydantic import BaseModel, ConfigDict

from db import scales
from db.errors import ValidationError
from db.text import clean_line

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Problem(NamedTuple):
    """One problem with a part: the TOML field it is about and the line to show."""

    field: str
    message: str


# --- values: each check raises ValueError with the line people read ------------------------


def line(v: Any, what: str) -> str:
    if v is None:
        return ""
    if not isinstance(v, (str, int, float)) or isinstance(v, bool):
        raise ValueError(f"{what} must be text, not {v!r}")
    return clean_line(str(v)).strip()


def whole(v: Any, what: str, low: int, high: int) -> int:
    try:
        if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
            raise ValueError
        n = int(v.strip()) if isinstance(v, str) else int(v)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be a whole number, not {v!r}") from None
    if not low <= n <= high:
        raise ValueError(f"{what} {n} is not {low}-{high}")
    return n


def number(v: Any, what: str) -> float:
    """A finite number: inf and nan are refused (no total or distance can be compared with them)."""
    try:
        if isinstance(v, bool):
            raise ValueError
        f = float(v.strip()) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, not {v!r}") from None
    if not math.isfinite(f):
        raise ValueError(f"{what} must be a number, not {v!r}")
    return f


def flag(v: Any, what: str) -> bool:
    if isinstance(v, bool):
        return v
    text = str(v).strip().lower()
    if text in ("yes", "true", "1"):
        return True
    if text in ("no", "false", "0", ""):
        return False
    raise ValueError(f"{what} must be true or false, not {v!r}")


def day(v: Any, what: str) -> date | None:
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    text = str(v).strip()
    if not DATE_RE.fullmatch(text):
        raise ValueError(f"{what} {text!r} is not a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {text} is not a real date") from None


def texts(v: Any, what: str) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v.strip()] if v.strip() else []
    if isinstance(v, (list, tuple)) and all(isinstance(t, str) for t in v):
        return [t.strip() for t in v if t.strip()]
    raise ValueError(f"{what} must be a text or a list of texts")


def scale_points(v: Any, what: str = "scale") -> scales.Scale:
    try:
        points = scales.validate_scale(v)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    for p in points:
        if not math.isfinite(p["value"]):
            raise ValueError(f"{what}: value {p['value']!r} is not a number")
    return points


def pass_mark_value(scale: scales.Scale, mark: Any, name: str) -> float:
    """A pass mark given as a number or a scale label, checked against the item's scale."""
    if isinstance(mark, bool) or not isinstance(mark, (int, float, str)):
        raise ValueError(f"pass mark for {name!r} must be a number or a scale label, not {mark!r}")
    if isinstance(mark, str):
        if not mark.strip():
            raise ValueError(f"give a pass mark for {name!r}")
        label = next((p["value"] for p in scale if str(p["label"]).lower() == mark.strip().lower()), None)
        if label is None:
            try:
                number(mark, "")
            except ValueError:
                labels = ", ".join(str(p["label"]) for p in scale)
                raise ValueError(f"pass mark {mark.strip()!r} for {name!r} is not on the scale ({labels})") from None
        mark = label if label is not None else mark
    value = number(mark, f"pass mark for {name!r}")
    low, high = min(scales.values(scale)), max(scales.values(scale))
    if not low <= value <= high:
        raise ValueError(f"pass mark {value:g} for {name!r} is outside the scale ({low:g}-{high:g})")
    return value


def decision_date_warnings(decision: date | None, today: date, slots: Sequence[datetime] = ()) -> list[str]:
    if decision is None:
        return []
    out = []
    if decision < today:
        out.append(f"decision_date {decision.isoformat()} is in the past: retention runs from it")
    last = max((s.date() for s in slots if s is not None), default=None)
    if last is not None and decision < last:
        out.append(f"decision_date {decision.isoformat()} is before the interviews (the last on {last.isoformat()})")
    return out


# --- the base of every part --------------------------------------------------------------


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)
    WHERE: ClassVar[str] = "campaign"

    @classmethod
    def check(cls, data: Any, where: str | None = None) -> tuple[Self | None, list[Problem]]:
        """The part, or None and every problem (in field order)."""
        where = where or cls.WHERE
        if not isinstance(data, dict):
            return None, [Problem("", f"{where} must be a table of fields")]
        try:
            return cls.model_validate(data), []
        except pydantic.ValidationError as exc:
            return None, [_problem(cls, e, where) for e in exc.errors()]

    @classmethod
    def parse(cls, data: Any, where: str | None = None) -> Self:
        """The part; raises ValidationError with the first problem's line."""
        part, problems = cls.check(data, where)
        if part is None:
            raise ValidationError(problems[0].message)
        return part

    def fields(self) -> dict[str, Any]:
        """This part in the TOML shape (unset optional fields left out)."""
        return self.model_dump(mode="python", exclude_none=True)


def _problem(model: type[Part], error: Any, where: str) -> Problem:
    loc = error["loc"]
    field = str(loc[0]) if loc else ""
    if error["type"] == "extra_forbidden":
        known = ", ".join(model.model_fields)
        return Problem(field, f"{where}: unknown field {loc[-1]!r} (known: {known})")
    if error["type"] == "value_error":
        return Problem(field, str(error["ctx"]["error"]))
    if error["type"] == "missing":
        return Problem(field, f"{where}: {field} is missing")
    return Problem(field, f"{where}: {field}: {error['msg']}")
