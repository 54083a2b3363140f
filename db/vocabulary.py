"""The panel's words: every status, kind, role and STAR part, with one display text each.

Enums are ``StrEnum`` so they compare equal to the strings stored in the
database and in exchange files (``OutcomeStatus.RESERVE == "reserve"``); the
``label`` is the one text people read, wherever they read it (TUI, CLI, records).
"""

from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    """A stored value with the one text people read for it."""

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value  # type: ignore[attr-defined]
        return member

    label: str

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)

    @classmethod
    def label_of(cls, value: str) -> str:
        """The display text for a stored value (the value itself if it is not one of ours)."""
        try:
            return cls(value).label
        except ValueError:
            return value


class OutcomeStatus(_Labelled):
    PENDING = "pending", "pending"
    APPOINTED = "appointed", "appointed"
    RESERVE = "reserve", "reserve list"
    NOT_APPOINTED = "not_appointed", "not appointed"
    DECLINED = "declined", "declined"


class InterviewState(_Labelled):
    """A panellist's progress with one candidate."""

    NOT_STARTED = "not started", "not started"
    IN_PROGRESS = "in progress", "in progress"
    SUBMITTED = "submitted", "submitted"


class ItemKind(_Labelled):
    COMPETENCY = "competency", "Competency"
    BEHAVIOUR = "behaviour", "Behaviour"
    STRENGTH = "strength", "Strength"
    EXPERIENCE = "experience", "Experience"
    TECHNICAL = "technical", "Technical"
    ABILITY = "ability", "Ability"
    PRESENTATION = "presentation", "Presentation"


class PanelRole(_Labelled):
    CHAIR = "chair", "Chair"
    MEMBER = "member", "Member"
    INDEPENDENT = "independent", "Independent"


class Result(_Labelled):
    PASS = "pass", "pass"
    FAIL = "fail", "fail"
    INCOMPLETE = "incomplete", "incomplete"


class Tag(_Labelled):
    """How a panellist tagged an indicator for this candidate."""

    SEEN = "seen", "seen"
    CONTRARY = "contrary", "saw the opposite"


class StarPart(_Labelled):
    SITUATION = "S", "Situation"
    TASK = "T", "Task"
    ACTION = "A", "Action"
    RESULT = "R", "Result"


STAR = "".join(StarPart.values())  # "STAR": the order parts are stored and shown in

# Small words left out of an item's short name.
_SHORT_NAME_SKIP = frozenset({"and", "a", "the", "of", "at", "to", "for"})


def short_name(name: str) -> str:
    """'Leading and Communicating' -> 'LC': the one column heading for an item everywhere."""
    words = [w for w in name.replace("-", " ").split() if w.lower() not in _SHORT_NAME_SKIP]
    return "".join(w[0].upper() for w in words)[:4] or name[:4]


def score_text(value: float | None, empty: str = "") -> str:
    """A score or total for people to read: 29 -> '29', 23.3333 -> '23.33', None -> ``empty``.

    Rounded (not cut) to two decimals; machine formats (JSON) keep full precision.
    """
    if value is None:
        return empty
    return f"{value:.2f}".rstrip("0").rstrip(".")


def star_text(star: str) -> str:
    """'STA' -> 'Situation, Task, Action; missing Result' (words, not letters, on the record)."""
    covered = [p.label for p in StarPart if p.value in star]
    missing = [p.label for p in StarPart if p.value not in star]
    if not covered:
        return "none of Situation, Task, Action, Result"
    return ", ".join(covered) + (f"; missing {', '.join(missing)}" if missing else "")
