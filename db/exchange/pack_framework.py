"""The framework a panel pack carries: matched against what this database holds, by content.

Trust rule: a pack never changes a bundled framework, nor a framework this
database got any other way than from a pack (``frameworks import``, or one
shared by the chair's own campaigns). Such a framework is *matched by
content*: every element and indicator the pack carries must already be held
with the same text, else the pack is refused. A framework copy that an earlier
pack created may gain the indicators a later pack carries (another campaign
at another level), but no held text is ever changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from db.errors import ImportRefused
from db.exchange.common import bulk_insert
from db.exchange.origin import framework_from_pack, mark_from_pack
from db.frameworks import BUNDLED_KEYS, ensure_bundled
from db.models import Element, Framework, Indicator
from db.specs.exchange import FrameworkSpec, IndicatorSpec


@dataclass
class FrameworkPlan:
    spec: FrameworkSpec
    framework: Framework | None  # None: create it (a copy for this pack)
    held_elements: dict[str, int]  # name -> id, for elements already held
    new_elements: list[str] = field(default_factory=list)
    new_indicators: list[tuple[str, IndicatorSpec]] = field(default_factory=list)  # (element name, indicator)


def plan_framework(session: Session, fw: FrameworkSpec, source: str) -> FrameworkPlan:
    """What to add to (or whether to refuse) the framework, without writing."""
    framework = session.exec(select(Framework).where(Framework.key == fw.key)).first()
    if framework is None and fw.key in BUNDLED_KEYS:
        ensure_bundled(session)  # a pack never stands in for a bundled framework
        framework = session.exec(select(Framework).where(Framework.key == fw.key)).first()
    if framework is None:
        return FrameworkPlan(
            fw, None, {}, [e.name for e in fw.elements], [(e.name, i) for e in fw.elements for i in e.indicators]
        )
    if framework.kind != fw.kind:
        raise ImportRefused(f"{source}: framework {fw.key} here holds {framework.kind}, but the pack's holds {fw.kind}")
    names = sorted(e.name for e in fw.elements)
    held = dict(
        session.exec(
            select(Element.name, Element.id).where(Element.framework_id == framework.id, col(Element.name).in_(names))
        ).all()
    )
    held_texts: dict[tuple[str, int, str, int], str] = {}
    if held:
        for name, level, kind, position, text in session.exec(
            select(Element.name, Indicator.level, Indicator.kind, Indicator.position, Indicator.text)
            .join(Element, col(Element.id) == Indicator.element_id)
            .where(col(Indicator.element_id).in_(list(held.values())))
        ).all():
            held_texts[(name, level, kind, position)] = text
    plan = FrameworkPlan(fw, framework, held)  # type: ignore[arg-type]
    for e in fw.elements:
        if e.name not in held:
            plan.new_elements.append(e.name)
        for ind in e.indicators:
            text = held_texts.get((e.name, ind.level, ind.kind, ind.position))
            if text is None:
                plan.new_indicators.append((e.name, ind))
            elif text.strip() != ind.text.strip():
                raise ImportRefused(
                    f"{source}: framework {fw.key} here differs from the pack's "
                    f"({e.name}, level {ind.level} {ind.kind} indicator {ind.position + 1}); nothing imported"
                )
    extends = plan.new_elements or plan.new_indicators
    if extends and (framework.bundled or not framework_from_pack(session, framework.id)):  # type: ignore[arg-type]
        what = (
            f"element {plan.new_elements[0]!r}" if plan.new_elements
            else f"an indicator ({plan.new_indicators[0][0]}, level {plan.new_indicators[0][1].level})"
        )
        whose = "bundled with panel-tui" if framework.bundled else "held on this database"
        raise ImportRefused(
            f"{source}: the pack's framework {fw.key} adds {what} to the one {whose}; "
            "a pack cannot change a bundled or shared framework; nothing imported"
        )
    return plan


def apply_framework(session: Session, plan: FrameworkPlan, source: str) -> tuple[int, dict[str, int], int]:
    """Write the plan; (framework id, element ids by name, indicators added)."""
    fw = plan.spec
    framework = plan.framework
    if framework is None:
        framework = Framework(key=fw.key, name=fw.name, kind=fw.kind, bundled=False, level_names=dict(fw.level_names))
        session.add(framework)
        session.flush()
        mark_from_pack(session, "framework", framework.id, source)  # type: ignore[arg-type]
    element_ids = dict(plan.held_elements)
    for e in fw.elements:
        if e.name in element_ids:
            continue
        element = Element(
            framework_id=framework.id,  # type: ignore[arg-type]
            position=e.position,
            name=e.name,
            cluster=e.cluster,
            definition=e.definition,
        )
        session.add(element)
        session.flush()
        element_ids[e.name] = element.id  # type: ignore[assignment]
    bulk_insert(
        session,
        Indicator,
        [
            {"element_id": element_ids[name], "level": i.level, "kind": i.kind, "position": i.position, "text": i.text}
            for name, i in plan.new_indicators
        ],
    )
    return framework.id, element_ids, len(plan.new_indicators)  # type: ignore[return-value]
