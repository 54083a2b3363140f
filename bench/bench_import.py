"""Benchmark: import three panel members' sealed returns for 2,000 candidates x 6 items (target: under 5 s in all).

Builds the campaign in a temporary SQLite file and copies it as the chair's
database (no evidence yet); fills in every member's evidence in the first
(the laptops' side, bulk, not timed); gives it each member's keys from a pack
made on the chair's database; writes the three sealed returns (signed, encrypted
to the chair), then times importing them into the chair's database. One pack is
also sealed and opened with a passphrase, to show scrypt's cost.

    .venv/bin/python bench/bench_import.py [--candidates 2000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from db import exchange  # noqa: E402
from db.campaigns import (  # noqa: E402
    create_campaign,  # noqa: E402
    find_member,
    get_campaign,
)
from db.engine import open_database, sqlite_url  # noqa: E402
from db.exchange import keys as exchange_keys  # noqa: E402
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
from db.seal import SigningKey  # noqa: E402

ITEMS = [
    "Seeing the Big Picture", "Changing and Improving", "Making Effective Decisions",
    "Leadership", "Communicating and Influencing", "Working Together",
]
MEMBERS = ["Sam Whitfield", "Priya Raman", "Joe Lambert"]
NOTES = (
    "S: Restructure of a regional team, 40 staff affected.\nT: Tell staff about role changes first.\n"
    "A: Face-to-face briefings, plain-English FAQs, met union reps.\nR: No grievances; 90% attendance. "
)


def build_chair(path: Path, candidates: int, chair_copy: Path) -> None:
    """The campaign in ``path`` with every member's evidence; ``chair_copy`` holds the campaign only."""
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
        with sqlite3.connect(path) as src, sqlite3.connect(chair_copy) as dst:
            src.backup(dst)  # (a file copy could miss what is still in the WAL)
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
        build_chair(tmp / "laptops.db", args.candidates, tmp / "chair.db")
        print(f"setup: campaign of {args.candidates} candidates x {len(ITEMS)} items x {len(MEMBERS)} members "
              f"in {time.perf_counter() - t:.2f} s")

        chair = open_database(sqlite_url(tmp / "chair.db"))
        laptops = open_database(sqlite_url(tmp / "laptops.db"))
        with chair.session() as c, laptops.session() as s:
            t = time.perf_counter()
            sealed = exchange.export_pack(c, "bench", MEMBERS[0], "bench passphrase")
            print(f"pack export (sealed, scrypt): {time.perf_counter() - t:.2f} s, {len(sealed) / 1e6:.2f} MB")
            exchange.write_exchange_file(tmp / "pack.age", sealed)
            t = time.perf_counter()
            from db.exchange.envelope import open_pack

            open_pack(exchange.read_exchange_file(tmp / "pack.age"), "bench passphrase", "pack.age")
            print(f"pack open (scrypt): {time.perf_counter() - t:.2f} s")
            files = []
            campaign_id = get_campaign(s, "bench").id
            for member in MEMBERS:
                keys = json.loads(exchange.pack_text(c, "bench", member))["keys"]  # as the member's pack carries them
                exchange_keys.store_laptop_keys(s, campaign_id, find_member(s, campaign_id, member).id,  # type: ignore[arg-type]
                                                SigningKey(keys["signing_key"], keys["public_key"]), keys["recipient"])
                s.commit()
                t = time.perf_counter()
                data, n = exchange.export_return(s, "bench", member)
                path = exchange.write_exchange_file(tmp / f"{member.split()[0].lower()}.age", data)
                files.append(path)
                print(f"return export {member}: {n} assessments, {time.perf_counter() - t:.2f} s, "
                      f"{path.stat().st_size / 1e6:.1f} MB")
        laptops.dispose()
        chair.dispose()

        fresh = open_database(sqlite_url(tmp / "chair.db"))
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
