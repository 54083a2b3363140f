"""A return's lines: each checked against ``db.specs.exchange`` (CHUNK at a time, parsed and
validated in one pass by pydantic-core), then every name in it resolved to this database's ids
(``db.exchange.return_merge`` compares and writes them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic
from pydantic import TypeAdapter
from sqlmodel import Session, col, select

from db import scales
from db.errors import ImportRefused, ValidationError
from db.exchange.common import CHUNK
from db.models import Campaign, CampaignItem, Candidate, Element, Indicator
from db.specs.base import place, problem
from db.specs.exchange import ASSESSMENT_SPECS, MAX_CANDIDATES

_ASSESSMENTS = {version: TypeAdapter(list[spec]) for version, spec in ASSESSMENT_SPECS.items()}  # type: ignore[valid-type]


@dataclass(slots=True)
class FileEvidence:
    item_id: int
    item_name: str
    notes: str
    star: str
    score: float | None
    tags: tuple[tuple[int, str], ...]  # (indicator id, tag) by indicator: a tuple, not a dict (120,000 of them)
    updated_at: datetime


@dataclass(slots=True)
class FileAssessment:
    candidate_id: int
    ref: str
    submitted_at: datetime | None
    updated_at: datetime
    items: list[FileEvidence]


class Resolver:
    """Every name in a return as this database's ids; refuses on the first unknown."""

    def __init__(self, session: Session, campaign: Campaign, source: str) -> None:
        self.campaign, self.source = campaign, source
        self.candidates = dict(
            session.exec(select(Candidate.ref, Candidate.id).where(Candidate.campaign_id == campaign.id)).all()
        )
        self.items = {
            i.name.lower(): i
            for i in session.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign.id)).all()
        }
        self.indicators: dict[tuple[str, int, str, int], int] = {
            (name, level, kind, position): iid
            for iid, name, level, kind, position in session.exec(
                select(Indicator.id, Element.name, Indicator.level, Indicator.kind, Indicator.position)
                .join(Element, col(Element.id) == Indicator.element_id)
                .where(Element.framework_id == campaign.framework_id)
            ).all()
        }
        # name -> (id, name, scores on its scale (each its own float), the item): plain tuples, read 120,000 times
        self.by_name = {
            key: (i.id, i.name, {float(v): float(v) for v in scales.values(i.scale or campaign.scale)}, i)
            for key, i in self.items.items()
        }
        self.stars: dict[str, str] = {}  # one string per STAR value (120,000 items share a handful)
        self.tag_sets: dict[tuple, tuple] = {}  # one tuple per set of tags: items often share them (memory)
        self.resolved: dict[tuple, tuple] = {}  # the file's wording of a list of tags -> its tuple in tag_sets

    def resolve(self, n: int, a: dict[str, Any]) -> FileAssessment:
        ref = a["ref"]
        candidate_id = self.candidates.get(ref)
        if candidate_id is None:
            raise ImportRefused(f"{self.source}: assessments[{n}].ref: unknown candidate {ref!r} in campaign {self.campaign.key}")
        by_name, indicators, stars, tag_sets, resolved = self.by_name, self.indicators, self.stars, self.tag_sets, self.resolved
        evidence: list[FileEvidence] = []
        for m, ev in enumerate(a["items"]):
            found = by_name.get(ev["item"].lower())
            if found is None:
                raise ImportRefused(f"{self._where(n, m)}.item: unknown item {ev['item']!r} in campaign {self.campaign.key}")
            item_id, item_name, allowed, item = found
            score = ev.get("score")
            if score is not None:
                on_scale = allowed.get(score)  # the scale's own float: 120,000 scores share a few objects
                if on_scale is None:
                    try:
                        scales.check_score(item.scale or self.campaign.scale, score)
                    except ValidationError as exc:
                        raise ImportRefused(f"{self._where(n, m)}.score: candidate {ref}, {item_name}: {exc}") from None
                    on_scale = float(score)
                score = on_scale
            tags: tuple[tuple[int, str], ...] = ()
            raw = ev.get("tags")
            if raw:
                # The same tags (as the file words them) resolve the same: once per distinct list.
                # Format 2 gives each tag as a tuple (element, level, kind, position, tag); format 1 as an object.
                key = tuple(raw) if type(raw[0]) is tuple else tuple(
                    [(t["element"], t["level"], t["kind"], t["position"], t["tag"]) for t in raw]
                )
                tags = resolved.get(key)  # type: ignore[assignment]
                if tags is None:
                    held: dict[int, str] = {}
                    for k, (element, level, kind, position, tag) in enumerate(key):
                        iid = indicators.get((element, level, kind, position))
                        if iid is None:
                            raise ImportRefused(
                                f"{self._where(n, m)}.tags[{k}]: candidate {ref}, {item_name}: unknown indicator "
                                f"({element}, level {level} {kind} {position + 1})"
                            )
                        held[iid] = tag
                    tags = tuple(sorted(held.items()))
                    tags = tag_sets.setdefault(tags, tags)
                    if len(resolved) < 5_000:  # (bounded: memory)
                        resolved[key] = tags
            star = ev.get("star", "")
            evidence.append(FileEvidence(
                item_id, item_name, ev.get("notes", ""), stars.setdefault(star, star), score, tags, ev["updated_at"]
            ))
        return FileAssessment(candidate_id, ref, a.get("submitted_at"), a["updated_at"], evidence)

    def _where(self, n: int, m: int) -> str:
        return f"{self.source}: assessments[{n}].items[{m}]"


def checked_entries(entries: Iterable[bytes], source: str, version: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, assessment) checked against the spec of the return's format ``version``, CHUNK at a
    time; refs once each, at most MAX_CANDIDATES. Each entry is its JSON text: parsed and checked in
    one pass by pydantic-core."""
    adapter = _ASSESSMENTS[version]
    seen: set[str] = set()
    batch: list[Any] = []
    n = 0

    def check(batch: list[Any], start: int) -> list[dict[str, Any]]:
        try:
            return adapter.validate_json(b"[" + b",".join(batch) + b"]")
        except pydantic.ValidationError as exc:
            errors = exc.errors(include_url=False)
            first = errors[0]
            if first["type"] == "json_invalid" or not first["loc"]:
                raise ImportRefused(f"{source}: not a panel-tui file (truncated or not JSON)") from None
            loc = ("assessments", start + int(first["loc"][0]), *first["loc"][1:])
            more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
            raise ImportRefused(f"{source}: not a valid return: {place(loc)}: {problem(first)}{more}") from None

    def flush(start: int) -> Iterator[tuple[int, dict[str, Any]]]:
        for k, a in enumerate(check(batch, start)):
            if a["ref"] in seen:
                raise ImportRefused(f"{source}: not a valid return: assessments: candidate {a['ref']!r} appears twice")
            seen.add(a["ref"])
            yield start + k, a

    for entry in entries:
        if n >= MAX_CANDIDATES:
            raise ImportRefused(f"{source}: not a valid return: assessments: must have at most {MAX_CANDIDATES} entries")
        batch.append(entry)
        n += 1
        if len(batch) == CHUNK:
            yield from flush(n - len(batch))
            batch = []
    yield from flush(n - len(batch))
