"""Bundled and custom frameworks: load, list, export, import.

The bundled data files in ``data/`` are extracted from the source documents by
``tools/extract_*.py`` and load into the database on first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, delete, select

from db.core_tables import BUNDLED_KEYS  # noqa: F401  (re-exported)
from db.errors import NotFound, ValidationError
from db.models import Framework

LEVELS = tuple(range(1, 7))
KINDS = {"competencies": ("effective", "ineffective"), "behaviours": ("examples",)}
# "examples" in the file shape is stored as indicator kind "example".
STORED_KIND = {"effective": "effective", "ineffective": "ineffective", "examples": "example"}
FILE_FIELDS = ("key", "name", "kind", "levels", "elements")
ELEMENT_FIELDS = ("name", "cluster", "definition", "levels")
KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


DATA = Path(__file__).parent / "data"  # installed as package data: plain files next to this module


def read_data(name: str) -> Any:
    # A plain path, not importlib.resources (its reader machinery costs more than the read on a first start).
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def ensure_bundled(session: Session) -> None:
    """Load the bundled frameworks and reference tables if this database lacks them (one transaction)."""
    have = set(session.exec(select(Framework.key).where(col(Framework.key).in_(BUNDLED_KEYS))).all())
    missing = [key for key in BUNDLED_KEYS if key not in have]
    if not missing:
        return
    from db.models import GradeLevel  # built on first use: an open database that has them never needs it

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
    this runs on the first start, before the panellist sees anything. Through the tables (Core), not
    the ORM's bulk path with its per-row bookkeeping: nothing audits framework rows."""
    from db.models import Element, Indicator
    conn = session.connection()
    frameworks, elements = Framework.__table__, Element.__table__  # type: ignore[attr-defined]
    framework_id = conn.execute(
        insert(frameworks).returning(frameworks.c.id),
        [{"key": data["key"], "name": data["name"], "kind": data["kind"], "bundled": True,
          "level_names": {str(k): v for k, v in (data.get("levels") or {}).items()}}],
    ).scalar_one()
    element_ids = conn.execute(
        insert(elements).returning(elements.c.id, sort_by_parameter_order=True),
        [{"framework_id": framework_id, "position": pos, "name": el["name"], "cluster": el.get("cluster"),
          "definition": el.get("definition") or ""} for pos, el in enumerate(data["elements"])],
    ).scalars().all()
    conn.execute(
        insert(Indicator.__table__),  # type: ignore[attr-defined]
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
    from db.models import ElementLevelUse, GradeLevel, RoleTemplate
    conn = session.connection()
    conn.execute(
        insert(GradeLevel.__table__),  # type: ignore[attr-defined]
        [{"scheme": scheme, "grade": r["grade"], "level": r["level"]} for scheme, rows in ref["grade_levels"].items() for r in rows],
    )
    conn.execute(
        insert(ElementLevelUse.__table__),  # type: ignore[attr-defined]
        [{"scheme": "copfs", "element_name": name, "level": lv} for name, levels in ref["copfs_competency_levels"].items() for lv in levels],
    )
    conn.execute(
        insert(RoleTemplate.__table__),  # type: ignore[attr-defined]
        [
            {"annex": role["annex"], "title": role["title"], "grade": role["grade"], "level": role["level"],
             "location": role.get("location") or "", "summary": role.get("summary") or "",
             "items": list(role["competencies"]), "lead": role.get("lead")}
            for role in ref["role_templates"]
        ],
    )


def validate_framework(data: Any) -> None:
    """Raise ValidationError naming the first problem in a framework document (see ``db.frameworks.spec``)."""
    from db.frameworks.spec import check_framework

    check_framework(data)


def _store_framework(session: Session, data: dict[str, Any], *, bundled: bool) -> Framework:
    from db.models import Element, Indicator
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
    from db.models import Element
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
    from db.models import Element, Indicator
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
    from db.frameworks.spec import check_file_shape

    check_file_shape(text.encode("utf-8", "surrogatepass"), filename)
    if filename.lower().endswith(".toml"):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(f"{filename}: not valid TOML ({exc})") from None
        except RecursionError:  # nesting the shape check could not see (inside odd quoting)
            raise ValidationError(f"{filename}: nested too deeply") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{filename}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise ValidationError(f"{filename}: nested too deeply") from None


def import_framework(
    session: Session, data: dict[str, Any], key: str | None = None, *, source: str = "framework file"
) -> Framework:
    """Add a department's own framework; all-or-nothing. ``data`` is checked by ``db.frameworks.spec``."""
    from db.frameworks.spec import check_framework

    data = check_framework(data, source)
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
    from db.models import Element, Indicator
    element_ids = select(Element.id).where(Element.framework_id == framework_id)
    session.exec(delete(Indicator).where(col(Indicator.element_id).in_(element_ids)))  # type: ignore[call-overload]
    session.exec(delete(Element).where(Element.framework_id == framework_id))  # type: ignore[call-overload]


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "framework"
