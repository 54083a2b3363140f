"""The spec for one row of a paper score sheet (CSV): what a row must hold before it is looked up."""

from __future__ import annotations

import pydantic

from db.specs.base import Block, Line, Spec, place, problem
from db.text import clean_block, clean_line

COLUMNS = ("candidate_ref", "item", "member", "score", "evidence")
MAX_BYTES = 16 * 1024 * 1024
MAX_ROWS = 100_000


class PaperRow(Spec):
    candidate_ref: Line(80, required=True)  # type: ignore[valid-type]
    item: Line(200, required=True)  # type: ignore[valid-type]
    member: Line(200, required=True)  # type: ignore[valid-type]
    score: Line(20, required=True)  # type: ignore[valid-type]  # a value or label, read on the item's scale
    evidence: Block(5000)  # type: ignore[valid-type]


def check_row(values: dict[str, str | None]) -> tuple[dict[str, str], dict[str, str]]:
    """The row's clean values, and the problem with each bad column (``missing column``, ``no score``, …).

    Columns that are good are returned even when others are bad, so a row's
    every problem (unknown candidate *and* no score) can be reported at once.
    """
    present = {k: v for k, v in values.items() if k in COLUMNS and v is not None}
    try:
        return PaperRow.model_validate(present).model_dump(), {}
    except pydantic.ValidationError as exc:
        problems: dict[str, str] = {}
        for err in exc.errors(include_url=False):
            column = place(err["loc"])
            said = problem(err)
            if err["type"] == "missing":
                problems[column] = f"missing column {column!r}"
            elif said == "must not be empty":
                problems[column] = f"no {column}"
            else:
                problems.setdefault(column, f"{column}: {said}")
        good = {
            k: clean_block(v) if k == "evidence" else clean_line(v).strip()
            for k, v in present.items() if k not in problems
        }
        return good, problems
