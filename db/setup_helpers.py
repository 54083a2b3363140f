"""Read-only helpers for the campaign set-up screen: plain values, no live rows.

Grades and the levels they map to, role templates, a framework's elements, the
question bank of an earlier campaign, COPFS advice for a set of items, and a
custom scale typed as "value,label,name,descriptor" lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from db import scales
from db.errors import ValidationError
from db.models import Campaign, CampaignItem, Element, GradeLevel, Question, RoleTemplate

SCHEME_NAMES = {"civil-service": "Civil Service", "copfs": "COPFS"}


@dataclass(frozen=True)
class GradeChoice:
    grade: str
    scheme: str  # "civil-service" | "copfs"
    level: int

    @property
    def label(self) -> str:
        return f"{self.grade} ({SCHEME_NAMES.get(self.scheme, self.scheme)}) → level {self.level}"


@dataclass(frozen=True)
class TemplateChoice:
    annex: str
    title: str
    grade: str
    level: int
    location: str
    summary: str
    items: tuple[str, ...]
    lead: str | None


@dataclass(frozen=True)
class ElementChoice:
    name: str
    cluster: str | None


@dataclass(frozen=True)
class BankEntry:
    """The planned questions and probes of one item of an earlier campaign."""

    name: str
    questions: tuple[str, ...]
    probes: tuple[str, ...]


def grade_choices(session: Session) -> list[GradeChoice]:
    """Civil Service grades, then COPFS bands, each in the reference order (lowest level first)."""
    rows = session.exec(select(GradeLevel).order_by(GradeLevel.id)).all()
    order = {scheme: n for n, scheme in enumerate(SCHEME_NAMES)}
    rows = sorted(rows, key=lambda g: (order.get(g.scheme, len(order)), g.level, g.id))
    return [GradeChoice(grade=g.grade, scheme=g.scheme, level=g.level) for g in rows]


def level_names(session: Session) -> dict[int, str]:
    """Each level 1-6 with the Civil Service grades at it, e.g. {4: "Grade 7 / Grade 6"}."""
    out: dict[int, list[str]] = {}
    for g in grade_choices(session):
        if g.scheme == "civil-service":
            out.setdefault(g.level, []).append(g.grade)
    return {level: " / ".join(out.get(level, [])) for level in range(1, 7)}


def template_choices(session: Session) -> list[TemplateChoice]:
    rows = session.exec(select(RoleTemplate).order_by(RoleTemplate.annex)).all()
    return [
        TemplateChoice(
            annex=r.annex, title=r.title, grade=r.grade, level=r.level, location=r.location,
            summary=r.summary, items=tuple(r.items), lead=r.lead,
        )
        for r in rows
    ]


def question_bank(session: Session, campaign: str | int) -> list[BankEntry]:
    """Each item of a campaign (by key or id) with its planned questions and probes, in item order."""
    from db.campaigns import get_campaign

    c: Campaign = get_campaign(session, campaign)
    items = session.exec(
        select(CampaignItem).where(CampaignItem.campaign_id == c.id).order_by(CampaignItem.position)
    ).all()
    ids = [i.id for i in items]
    questions = session.exec(
        select(Question).where(col(Question.item_id).in_(ids)).order_by(Question.item_id, Question.kind, Question.position)
    ).all() if ids else []
    by_item: dict[int, tuple[list[str], list[str]]] = {i: ([], []) for i in ids}  # type: ignore[misc]
    for q in questions:
        by_item[q.item_id][0 if q.kind == "question" else 1].append(q.text)
    return [BankEntry(name=i.name, questions=tuple(by_item[i.id][0]), probes=tuple(by_item[i.id][1])) for i in items]  # type: ignore[index]


def copfs_warnings(
    session: Session, framework_key: str, names: list[str], level: int, *, grade: str = "", department: str = ""
) -> dict[str, str]:
    """COPFS advice by item name (see db.campaigns.CopfsTable)."""
    from db.campaigns import CopfsTable

    return CopfsTable.read(session).warnings(framework_key, names, level, grade=grade, department=department)


def all_framework_elements(session: Session) -> dict[str, list[ElementChoice]]:
    """Every framework's elements by framework key, in the framework's order (the wizard reads them once)."""
    from db.models import Framework

    out: dict[str, list[ElementChoice]] = {}
    for key, name, cluster in session.exec(
        select(Framework.key, Element.name, Element.cluster)
        .join(Framework, col(Framework.id) == Element.framework_id)
        .order_by(Framework.key, Element.position)
    ).all():
        out.setdefault(key, []).append(ElementChoice(name=name, cluster=cluster))
    return out


def parse_scale_lines(text: str) -> scales.Scale:
    """A custom scale typed one point a line as "value,label,name,descriptor".

    Only the value is required; the descriptor may itself contain commas.
    Blank lines are skipped. Raises ValidationError naming the line.
    """
    points = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",", 3)]
        try:
            value = float(parts[0])
        except ValueError:
            raise ValidationError(f"line {n}: value {parts[0]!r} is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationError(f"line {n}: value {parts[0]!r} is not a number")
        if value.is_integer():
            value = int(value)
        point = {"value": value, "label": parts[1] if len(parts) > 1 and parts[1] else f"{value:g}"}
        if len(parts) > 2:
            point["name"] = parts[2]
        if len(parts) > 3:
            point["descriptor"] = parts[3]
        points.append(point)
    if len(points) < 2:
        raise ValidationError("a custom scale needs at least two points, one a line")
    labels = [str(p["label"]).lower() for p in points]
    for label in labels:
        if labels.count(label) > 1:
            raise ValidationError(f"label {label!r} is used twice")
    return scales.validate_scale(points)


def check_pass_mark(scale: scales.Scale, text: str) -> float:
    """A pass mark typed as a number within the scale or as one of its labels; its value."""
    text = text.strip()
    if not text:
        raise ValidationError("give a pass mark")
    for p in scale:
        if str(p["label"]).lower() == text.lower():
            return float(p["value"])
    try:
        value = float(text)
    except ValueError:
        labels = ", ".join(str(p["label"]) for p in scale)
        raise ValidationError(f"{text!r} is not a number or a label on the scale ({labels})") from None
    low, high = min(scales.values(scale)), max(scales.values(scale))
    if not low <= value <= high:
        raise ValidationError(f"{value:g} is outside the scale ({low:g}-{high:g})")
    return value
