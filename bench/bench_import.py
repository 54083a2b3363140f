"""Benchmark: import three panel members' returns for 2,000 candidates x 6 items (target: under 5 s in all).

Builds the campaign in a temporary SQLite file, fills in every member's
evidence (bulk, not timed), writes the three returns, imports the panel pack
into a fresh database file, then times importing the three returns into it.

    .venv/bin/python bench/bench_import.py [--candidates 2000] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from db import exchange  # noqa: E402
from db.campaigns import create_campaign  # noqa: E402
from db.engine import open_database, sqlite_url  # noqa: E402
from db.models import (  # noqa: E402
    Assessment,
    CampaignItem,
    Candidate,
    Indicator,
    IndicatorTag,
    ItemEvidence,
    PanelMember,
    utcnow,
)

ITEMS = [
    "Seeing the Big Picture", "Changing and Improving", "Making Effective Decisions",
    "Leadership", "Communicating and Influencing", "Working Together",
]
MEMBERS = ["Sam Whitfield", "Priya Raman", "Joe Lambert"]
NOTES = (
    "S: Restructure of a regional team, 40 staff affected.\nT: Tell staff about role changes first.\n"
    "A: Face-to-face briefings, plain-English FAQs, met union reps.\nR: No grievances; 90% attendance. "
)


def build_chair(path: Path, candidates: int) -> None:
    db = open_database(sqlite_url(path))
    with db.session() as s:
        spec = {
            "key": "bench",
            "title": "Benchmark campaign",
            "grade": "Grade 7",
            "framework": "success-profiles-behaviours",
            "items": ITEMS,
            "pass_mark": 4,
            "panel": [{"name": n} for n in MEMBERS],
            "candidates": [{"ref": f"B-{n:05}", "name": f"Candidate {n}"} for n in range(1, candidates + 1)],
        }
        campaign = create_campaign(s, spec)
        items = s.exec(select(CampaignItem).where(CampaignItem.campaign_id == campaign.id).order_by(CampaignItem.position)).all()
        cands = s.exec(select(Candidate.id).where(Candidate.campaign_id == campaign.id).order_by(Candidate.id)).all()
        members = s.exec(select(PanelMember.id).where(PanelMember.campaign_id == campaign.id).order_by(PanelMember.id)).all()
        shown = {
            i.id: s.exec(
                select(Indicator.id).where(Indicator.element_id == i.element_id, Indicator.level == campaign.level)
                .order_by(Indicator.position)
            ).all()
            for i in items
        }
        now = utcnow()
        s.exec(insert(Assessment), params=[  # type: ignore[call-overload]
            {"candidate_id": c, "member_id": m, "submitted_at": now, "updated_at": now} for m in members for c in cands
        ])
        aids = s.exec(select(Assessment.id, Assessment.candidate_id, Assessment.member_id)).all()
        s.exec(insert(ItemEvidence), params=[  # type: ignore[call-overload]
            {"assessment_id": a, "item_id": i.id, "notes": f"{NOTES}({c}/{m}/{i.position})", "star": "STAR",
             "score": float((c + m + i.position) % 7 + 1), "updated_at": now - timedelta(minutes=i.position)}
            for a, c, m in aids for i in items
        ])
        evs = s.exec(select(ItemEvidence.id, ItemEvidence.item_id)).all()
        s.exec(insert(IndicatorTag), params=[  # type: ignore[call-overload]
            {"evidence_id": e, "indicator_id": ind, "tag": tag}
            for e, item_id in evs
            for ind, tag in zip(shown[item_id][:2], ("seen", "contrary"))
        ])
        s.commit()
    db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="panel-bench-"))
    try:
        t = time.perf_counter()
        build_chair(tmp / "chair.db", args.candidates)
        print(f"setup: campaign of {args.candidates} candidates x {len(ITEMS)} items x {len(MEMBERS)} members "
              f"in {time.perf_counter() - t:.2f} s")

        chair = open_database(sqlite_url(tmp / "chair.db"))
        with chair.session() as s:
            t = time.perf_counter()
            pack = exchange.export_pack(s, "bench")
            print(f"pack export: {time.perf_counter() - t:.2f} s, {len(pack.encode()) / 1e6:.1f} MB")
            exchange.write_exchange_file(tmp / "pack.json", pack)
            files = []
            for member in MEMBERS:
                t = time.perf_counter()
                text, n = exchange.export_return(s, "bench", member)
                path = exchange.write_exchange_file(tmp / f"{member.split()[0].lower()}.json", text)
                files.append(path)
                print(f"return export {member}: {n} assessments, {time.perf_counter() - t:.2f} s, "
                      f"{path.stat().st_size / 1e6:.1f} MB")
        chair.dispose()

        fresh = open_database(sqlite_url(tmp / "fresh.db"))
        with fresh.session() as s:
            t = time.perf_counter()
            exchange.import_pack(s, exchange.read_exchange_file(tmp / "pack.json"), source="pack.json")
            print(f"pack import into a fresh database: {time.perf_counter() - t:.2f} s")
        total = 0.0
        for path in files:
            with fresh.session() as s:
                t = time.perf_counter()
                result = exchange.import_return(s, exchange.read_exchange_file(path), source=path.name)
                took = time.perf_counter() - t
            total += took
            print(f"return import {result.summary}: {took:.2f} s ({result.evidence} item evidence)")
        print(f"TOTAL return import: {total:.2f} s (target < 5 s) {'OK' if total < 5 else 'TOO SLOW'}")
        again = 0.0
        for path in files:
            with fresh.session() as s:
                t = time.perf_counter()
                assert exchange.import_return(s, exchange.read_exchange_file(path), source=path.name).up_to_date
                again += time.perf_counter() - t
        print(f"re-import of the same three returns (already up to date): {again:.2f} s")
        with fresh.session() as s:
            n = s.exec(select(func.count()).select_from(ItemEvidence)).one()
            tags = s.exec(select(func.count()).select_from(IndicatorTag)).one()
            submitted = s.exec(select(func.count()).select_from(Assessment).where(col(Assessment.submitted_at).is_not(None))).one()
        print(f"held after import: {n} item evidence, {tags} indicator tags, {submitted} submitted assessments")
        fresh.dispose()
        return 0 if total < 5 else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
