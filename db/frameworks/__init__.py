"""Bundled and custom frameworks: load, list, export, import.

The bundled data files in ``data/`` are extracted from the source documents by
``tools/extract_*.py`` and load into the database on first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, delete, select

from db.errors import NotFound, ValidationError
from db.models import Element, ElementLevelUse, Framework, GradeLevel, Indicator, RoleTemplate

BUNDLED_KEYS = ("competencies-2012", "success-profiles-behaviours")
LEVELS = tuple(range(1, 7))
KINDS = {"competencies": ("effective", "ineffective"), "behaviours": ("examples",)}
# "examples" in the file shape is stored as indicator kind "example".
STORED_KIND = {"effective": "effective", "ineffective": "ineffective", "examples": "example"}
FILE_FIELDS = ("key", "name", "kind", "levels", "elements")
ELEMENT_FIELDS = ("name", "cluster", "definition", "levels")
KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


def read_data(name: str) -> Any:
    return json.loads(resources.files("db.frameworks").joinpath("data", name).read_text(encoding="utf-8"))


def ensure_bundled(session: Session) -> None:
    """Load the bundled frameworks and reference tables if this database lacks them (one transaction)."""
    have = set(session.exec(select(Framework.key).where(col(Framework.key).in_(BUNDLED_KEYS))).all())
    missing = [key for key in BUNDLED_KEYS if key not in have]
    if not missing:
        return
    try:
        for key in missing:
            _bulk_store_bundled(session, read_data(f"{key}.json"))
        if session.exec(select(func.count()).select_from(GradeLevel)).one() == 0:
            _store_reference(session, read_data("reference.json"))
        session.commit()
    except Exception:
        session.rollback()
        raise


def _bulk_store_bundled(session: Session, data: dict[str, Any]) -> None:
    """A bundled framework in three bulk INSERTs (executemany), not one ORM flush per element:
    this runs on the first start, before the panellist sees anything."""
    framework_id = session.scalars(
        insert(Framework).returning(Framework.id),
        [{"key": data["key"], "name": data["name"], "kind": data["kind"], "bundled": True,
          "level_names": {str(k): v for k, v in (data.get("levels") or {}).items()}}],
    ).one()
    element_ids = session.scalars(
        insert(Element).returning(Element.id, sort_by_parameter_order=True),
        [{"framework_id": framework_id, "position": pos, "name": el["name"], "cluster": el.get("cluster"),
          "definition": el.get("definition") or ""} for pos, el in enumerate(data["elements"])],
    ).all()
    session.execute(
        insert(Indicator),
        [
            {"element_id": element_id, "level": int(lv), "kind": STORED_KIND[list_name], "position": i,
             "text": text.strip()}
            for element_id, el in zip(element_ids, data["elements"])
            for lv, body in el["levels"].items()
            for list_name, items in body.items()
            for i, text in enumerate(items)
        ],
    )


def _store_reference(session: Session, ref: dict[str, Any]) -> None:
    session.execute(
        insert(GradeLevel),
        [{"scheme": scheme, "grade": r["grade"], "level": r["level"]} for scheme, rows in ref["grade_levels"].items() for r in rows],
    )
    session.execute(
        insert(ElementLevelUse),
        [{"scheme": "copfs", "element_name": name, "level": lv} for name, levels in ref["copfs_competency_levels"].items() for lv in levels],
    )
    session.execute(
        insert(RoleTemplate),
        [
            {"annex": role["annex"], "title": role["title"], "grade": role["grade"], "level": role["level"],
             "location": role.get("location") or "", "summary": role.get("summary") or "",
             "items": list(role["competencies"]), "lead": role.get("lead")}
            for role in ref["role_templates"]
        ],
    )


def validate_framework(data: Any) -> None:
    """Raise ValidationError naming the first problem in a framework document."""
    if not isinstance(data, dict):
        raise ValidationError("framework file must hold one object with name, kind, levels and elements")
    for field in ("name", "kind", "elements"):
        if field not in data:
            raise ValidationError(f"framework is missing '{field}'")
    unknown = [f for f in data if f not in FILE_FIELDS]
    if unknown:
        raise ValidationError(f"framework: unknown field {unknown[0]!r} (known: {', '.join(FILE_FIELDS)})")
    if not isinstance(data["name"], str) or not data["name"].strip():
        raise ValidationError("framework 'name' must be a non-empty text")
    if "key" in data and (not isinstance(data["key"], str) or not KEY_RE.fullmatch(data["key"])):
        raise ValidationError(f"framework key {data['key']!r} must be lower-case letters, digits and hyphens (at most 80)")
    kind = data["kind"]
    if kind not in KINDS:
        raise ValidationError(f"framework kind must be 'competencies' or 'behaviours', not {kind!r}")
    level_names = data.get("levels")
    if level_names is not None:
        if not isinstance(level_names, dict):
            raise ValidationError("framework 'levels' must be a table of level names by level number 1-6")
        for lv, text in level_names.items():
            if not str(lv).isdigit() or int(lv) not in LEVELS:
                raise ValidationError(f"framework levels: level {lv!r} is not 1-6")
            if not isinstance(text, str):
                raise ValidationError(f"framework levels: the name of level {lv} must be a text")
    if not isinstance(data["elements"], list) or not data["elements"]:
        raise ValidationError("framework has no elements")
    names: set[str] = set()
    for n, el in enumerate(data["elements"], 1):
        if not isinstance(el, dict) or not isinstance(el.get("name"), str) or not el["name"].strip():
            raise ValidationError(f"element {n} has no name")
        name = el["name"]
        unknown = [f for f in el if f not in ELEMENT_FIELDS]
        if unknown:
            raise ValidationError(f"element {name!r}: unknown field {unknown[0]!r} (known: {', '.join(ELEMENT_FIELDS)})")
        for field in ("cluster", "definition"):
            if el.get(field) is not None and not isinstance(el[field], str):
                raise ValidationError(f"element {name!r}: {field} must be a text")
        if name.strip().lower() in names:
            raise ValidationError(f"element {name!r} appears twice")
        names.add(name.strip().lower())
        levels = el.get("levels")
        if not isinstance(levels, dict) or not levels:
            raise ValidationError(f"element {name!r} has no levels")
        for lv, body in levels.items():
            if not str(lv).isdigit() or int(lv) not in LEVELS:
                raise ValidationError(f"element {name!r}: level {lv!r} is not 1-6")
            if not isinstance(body, dict):
                raise ValidationError(f"element {name!r} level {lv}: expected an object of indicator lists")
            for list_name, items in body.items():
                if list_name not in KINDS[kind]:
                    raise ValidationError(
                        f"element {name!r} level {lv}: {list_name!r} is not one of {', '.join(KINDS[kind])}"
                    )
                if not isinstance(items, list) or not all(isinstance(t, str) and t.strip() for t in items):
                    raise ValidationError(f"element {name!r} level {lv}: {list_name} must be a list of non-empty texts")


def _store_framework(session: Session, data: dict[str, Any], *, bundled: bool) -> Framework:
    fw = Framework(
        key=data["key"],
        name=data["name"],
        kind=data["kind"],
        bundled=bundled,
        level_names={str(k): v for k, v in (data.get("levels") or {}).items()},
    )
    session.add(fw)
    session.flush()
    for pos, el in enumerate(data["elements"]):
        element = Element(
            framework_id=fw.id,
            position=pos,
            name=el["name"],
            cluster=el.get("cluster"),
            definition=el.get("definition") or "",
        )
        session.add(element)
        session.flush()
        session.add_all(
            Indicator(element_id=element.id, level=int(lv), kind=STORED_KIND[list_name], position=i, text=text.strip())
            for lv, body in el["levels"].items()
            for list_name, items in body.items()
            for i, text in enumerate(items)
        )
    return fw


@dataclass(frozen=True)
class FrameworkSummary:
    key: str
    name: str
    kind: str
    elements: int
    bundled: bool


def list_frameworks(session: Session) -> list[FrameworkSummary]:
    rows = session.exec(
        select(Framework.key, Framework.name, Framework.kind, Framework.bundled, func.count(col(Element.id)))
        .join(Element, col(Element.framework_id) == Framework.id, isouter=True)
        .group_by(Framework.id, Framework.key, Framework.name, Framework.kind, Framework.bundled)
        .order_by(Framework.id)
    ).all()
    return [FrameworkSummary(key=k, name=n, kind=kd, elements=c, bundled=b) for k, n, kd, b, c in rows]


def get_framework(session: Session, key: str) -> Framework:
    fw = session.exec(select(Framework).where(Framework.key == key)).first()
    if fw is None:
        keys = ", ".join(session.exec(select(Framework.key).order_by(Framework.id)).all())
        raise NotFound(f"unknown framework {key!r} (known: {keys})")
    return fw


def export_framework(session: Session, key: str) -> dict[str, Any]:
    """The framework in the documented file shape (the shape import accepts)."""
    fw = get_framework(session, key)
    elements = session.exec(select(Element).where(Element.framework_id == fw.id).order_by(Element.position)).all()
    indicators = session.exec(
        select(Indicator.element_id, Indicator.level, Indicator.kind, Indicator.text)
        .join(Element, col(Element.id) == Indicator.element_id)
        .where(Element.framework_id == fw.id)
        .order_by(Indicator.element_id, Indicator.level, Indicator.kind, Indicator.position)
    ).all()
    lists = KINDS[fw.kind]
    by_element: dict[int, dict[str, dict[str, list[str]]]] = {
        e.id: {} for e in elements  # type: ignore[misc]
    }
    file_kind = {v: k for k, v in STORED_KIND.items()}
    for element_id, level, kind, text in indicators:
        levels = by_element[element_id]
        body = levels.setdefault(str(level), {name: [] for name in lists})
        body[file_kind[kind]].append(text)
    return {
        "name": fw.name,
        "kind": fw.kind,
        "levels": {str(k): v for k, v in sorted(fw.level_names.items(), key=lambda kv: int(kv[0]))},
        "elements": [
            {
                "name": e.name,
                "cluster": e.cluster,
                "definition": e.definition,
                "levels": dict(sorted(by_element[e.id].items(), key=lambda kv: int(kv[0]))),  # type: ignore[index]
            }
            for e in elements
        ],
    }


def parse_framework_file(text: str, filename: str) -> dict[str, Any]:
    if filename.lower().endswith(".toml"):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(f"{filename}: not valid TOML ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{filename}: not valid JSON (line {exc.lineno}: {exc.msg})") from None


def import_framework(session: Session, data: dict[str, Any], key: str | None = None) -> Framework:
    """Add a department's own framework; all-or-nothing."""
    validate_framework(data)
    key = key or data.get("key") or _slug(data["name"])
    if not KEY_RE.fullmatch(key):
        raise ValidationError(f"framework key {key!r} must be lower-case letters, digits and hyphens (at most 80)")
    if session.exec(select(Framework.id).where(Framework.key == key)).first() is not None:
        raise ValidationError(f"a framework with key {key!r} already exists")
    try:
        fw = _store_framework(session, {**data, "key": key}, bundled=False)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return fw


def delete_framework_rows(session: Session, framework_id: int) -> None:
    element_ids = select(Element.id).where(Element.framework_id == framework_id)
    session.exec(delete(Indicator).where(col(Indicator.element_id).in_(element_ids)))  # type: ignore[call-overload]
    session.exec(delete(Element).where(Element.framework_id == framework_id))  # type: ignore[call-overload]


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "framework"
