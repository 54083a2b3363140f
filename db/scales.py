"""Scoring scales. A scale is a list of points: value (used by the rules), label, name, descriptor."""

from __future__ import annotations

from typing import Any

from db.vocabulary import score_text

Scale = list[dict[str, Any]]

# The 1-7 scale Civil Service Jobs used (the default).
CSJ_1_7: Scale = [
    {"value": 1, "label": "1", "name": "Not demonstrated", "descriptor": "No positive evidence"},
    {"value": 2, "label": "2", "name": "Minimal demonstration", "descriptor": "Limited positive evidence"},
    {"value": 3, "label": "3", "name": "Moderate demonstration", "descriptor": "Moderate positive evidence"},
    {"value": 4, "label": "4", "name": "Acceptable demonstration", "descriptor": "Adequate evidence"},
    {"value": 5, "label": "5", "name": "Good demonstration", "descriptor": "Substantial evidence"},
    {"value": 6, "label": "6", "name": "Strong demonstration", "descriptor": "Substantial evidence, some exceeding expectations"},
    {"value": 7, "label": "7", "name": "Outstanding demonstration", "descriptor": "Wholly exceeds expectation at this level"},
]

# The Civil Service Commission's frame for senior competitions: A, B, B/C and C are appointable.
CSC_A_E: Scale = [
    {"value": 1, "label": "E", "name": "Not appointable", "descriptor": "Clearly does not meet the requirements"},
    {"value": 2, "label": "D", "name": "Not appointable", "descriptor": "Does not meet the requirements"},
    {"value": 3, "label": "C", "name": "Appointable", "descriptor": "Meets the requirements"},
    {"value": 4, "label": "B/C", "name": "Appointable", "descriptor": "Meets and in part exceeds the requirements"},
    {"value": 5, "label": "B", "name": "Appointable", "descriptor": "Exceeds the requirements"},
    {"value": 6, "label": "A", "name": "Appointable", "descriptor": "Outstanding; well exceeds the requirements"},
]

NAMED_SCALES = {"csj-1-7": CSJ_1_7, "csc-a-e": CSC_A_E}
DEFAULT_PASS_MARK = {"csj-1-7": 4, "csc-a-e": 3}


def values(scale: Scale) -> list[float]:
    return [float(p["value"]) for p in scale]


def label_for(scale: Scale, value: float | None) -> str:
    if value is None:
        return "–"
    for p in scale:
        if float(p["value"]) == float(value):
            return str(p["label"])
    return f"{value:.1f}".rstrip("0").rstrip(".")


def check_score(scale: Scale, value: float) -> float:
    """Return the value if it is a point on the scale, else raise ValidationError."""
    from db.errors import ValidationError

    allowed = values(scale)
    if float(value) not in allowed:
        labels = ", ".join(str(p["label"]) for p in scale)
        raise ValidationError(f"score {score_text(value)} is not on the scale ({labels})")
    return float(value)


def parse_score(scale: Scale, text: str) -> float:
    """A score typed as a label ("B/C") or a value ("4")."""
    from db.errors import ValidationError

    text = text.strip()
    for p in scale:
        if str(p["label"]).lower() == text.lower():
            return float(p["value"])
    try:
        return check_score(scale, float(text))
    except ValueError:
        labels = ", ".join(str(p["label"]) for p in scale)
        raise ValidationError(f"score {text!r} is not on the scale ({labels})") from None


def validate_scale(scale: Any) -> Scale:
    from db.errors import ValidationError

    if isinstance(scale, str):
        if scale not in NAMED_SCALES:
            raise ValidationError(f"unknown scale {scale!r} (known: {', '.join(NAMED_SCALES)}, or a list of points)")
        return [dict(p) for p in NAMED_SCALES[scale]]
    if not isinstance(scale, list) or len(scale) < 2:
        raise ValidationError("a custom scale needs at least two points")
    seen: set[float] = set()
    out: Scale = []
    for n, p in enumerate(scale, 1):
        if not isinstance(p, dict) or "value" not in p:
            raise ValidationError(f"scale point {n} has no value")
        try:
            v = float(p["value"])
        except (TypeError, ValueError):
            raise ValidationError(f"scale point {n}: value {p['value']!r} is not a number") from None
        if v in seen:
            raise ValidationError(f"scale point {n}: value {score_text(v)} appears twice")
        seen.add(v)
        out.append({"value": v, "label": str(p.get("label", score_text(v))), "name": str(p.get("name", "")),
                    "descriptor": str(p.get("descriptor", ""))})
    return sorted(out, key=lambda p: p["value"])
