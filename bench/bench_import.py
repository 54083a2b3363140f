"""Benchmark: panel members' sealed returns at 20,000 candidates x 6 items x 3 members, and paper scores' lock.

Builds the campaign in a temporary SQLite file and copies it as the chair's
database (no evidence yet); fills in every member's evidence in the first
(the laptops' side, bulk, not timed); gives it each member's keys from a pack
made on the chair's database. Then, each step in a fresh process (so its peak
RSS is its own): every member's return exported (signed, encrypted to the chair;
target < 5 s and < 300 MB each), imported into the chair's database (same
targets), and imported again (an unchanged return, target < 0.5 s); then ``audit verify`` must pass. Last
(bench/bench_paper.py), a 36,000-row paper ``scores import`` on a copy of the
campaign, with another process measuring how long it is kept from writing.

    .venv/bin/python bench/bench_import.py [--candidates 20000] [--keep] [--no-paper]
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


def _peak_mb() -> float:
    """This process's peak RSS. On Linux VmHWM: ru_maxrss keeps the high-water mark of the parent
    that forked us (the bench, holding a 20,000-candidate build), which exec does not reset."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step(argv: list[str]) -> int:
    """One measured step in this (fresh) process: prints wall, CPU and peak RSS as JSON."""
    kind, db_path, arg, out = argv
    db = open_database(sqlite_url(Path(db_path)))
    base = _peak_mb()  # MB: imports and an open database
    t, c = time.perf_counter(), time.process_time()
    with db.session() as s:
        if kind == "export":
            data, n = exchange.export_return(s, "bench", arg)
            exchange.write_exchange_file(out, data)
            what = f"{n} assessments, {len(data) / 1e6:.1f} MB"
            del data
        else:
            path = Path(arg)
            result = exchange.import_return(s, exchange.read_exchange_file(path), source=path.name)
            what = result.summary if kind == "import" else f"up to date: {result.up_to_date}"
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    peak = _peak_mb()
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": peak, "base_mb": base, "what": what}))
    db.dispose()
    return 0


def _measure(*argv: str) -> dict:
    import subprocess

    done = subprocess.run([sys.executable, __file__, "--step", *argv], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"step {argv[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    import os

    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        return _step(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=20000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--reuse", type=Path, help="copy the set-up databases from a kept folder (setup-*.db) instead")
    parser.add_argument("--no-paper", action="store_true", help="skip the paper scores lock measurement")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="panel-bench-"))
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    ok = True
    try:
        if args.reuse:  # the databases of a kept run (--keep): setup skipped
            for name in ("laptops.db", "chair.db", "paper.db"):
                shutil.copy(args.reuse / f"setup-{name}", tmp / name)
        else:
            t = time.perf_counter()
            build_chair(tmp / "laptops.db", args.candidates, tmp / "chair.db")
            print(f"setup: campaign of {args.candidates} candidates x {len(ITEMS)} items x {len(MEMBERS)} members "
                  f"in {time.perf_counter() - t:.2f} s")
            shutil.copy(tmp / "chair.db", tmp / "paper.db")  # the campaign without evidence, for the paper scores
            if args.keep:
                for name in ("laptops.db", "chair.db", "paper.db"):
                    shutil.copy(tmp / name, tmp / f"setup-{name}")

        def laptop_holds(member: str) -> None:
            """The laptop's keys from the member's pack (a laptop holds one member's signing key)."""
            chair = open_database(sqlite_url(tmp / "chair.db"))
            laptops = open_database(sqlite_url(tmp / "laptops.db"))
            with chair.session() as c, laptops.session() as s:
                campaign_id = get_campaign(s, "bench").id
                keys = json.loads(exchange.pack_text(c, "bench", member))["keys"]  # as the member's pack carries them
                exchange_keys.store_laptop_keys(s, campaign_id, find_member(s, campaign_id, member).id,  # type: ignore[arg-type]
                                                SigningKey(keys["signing_key"], keys["public_key"]), keys["recipient"])
                s.commit()
            laptops.dispose()
            chair.dispose()

        print("each step in a fresh process; peak = its peak RSS (base: imports + open database)")
        files = []
        for member in MEMBERS:
            laptop_holds(member)
            path = tmp / f"{member.split()[0].lower()}.age"
            r = _measure("export", str(tmp / "laptops.db"), member, str(path))
            files.append(path)
            good = r["wall"] < 5 and r["peak_mb"] < 300
            ok &= good
            print(f"return export {member:14} {r['wall']:6.2f} s (cpu {r['cpu']:.2f}), peak {r['peak_mb']:5.0f} MB "
                  f"(base {r['base_mb']:.0f})  target < 5 s, < 300 MB: {_verdict(good)}  [{r['what']}]")
        for path in files:
            r = _measure("import", str(tmp / "chair.db"), str(path), "")
            good = r["wall"] < 5 and r["peak_mb"] < 300
            ok &= good
            print(f"return import {path.name:14} {r['wall']:6.2f} s (cpu {r['cpu']:.2f}), peak {r['peak_mb']:5.0f} MB "
                  f"(base {r['base_mb']:.0f})  target < 5 s, < 300 MB: {_verdict(good)}  [{r['what']}]")
        for path in files:
            r = _measure("again", str(tmp / "chair.db"), str(path), "")
            good = r["wall"] < 0.5 and r["what"].endswith("True")
            ok &= good
            print(f"unchanged return {path.name:11} {r['wall']:6.2f} s (cpu {r['cpu']:.2f})  target < 0.5 s: {_verdict(good)}  [{r['what']}]")
        fresh = open_database(sqlite_url(tmp / "chair.db"))
        with fresh.session() as s:
            n = s.exec(select(func.count()).select_from(ItemEvidence)).one()
            tags = s.exec(select(func.count()).select_from(IndicatorTag)).one()
            submitted = s.exec(select(func.count()).select_from(Assessment).where(col(Assessment.submitted_at).is_not(None))).one()
        print(f"held after import: {n} item evidence, {tags} indicator tags, {submitted} submitted assessments")
        from db.audit_verify import verify  # noqa: E402  (what `panel-tui audit verify` runs)

        with fresh.session() as s:
            t = time.perf_counter()
            checked = verify(s, get_campaign(s, "bench").id)  # type: ignore[arg-type]
        ok &= checked.ok
        print(f"audit verify after the imports: {checked.entries} entries, {len(checked.problems)} problems "
              f"in {time.perf_counter() - t:.1f} s: {_verdict(checked.ok)}")
        fresh.dispose()
        if not args.no_paper:
            from bench_paper import paper_lock  # noqa: E402  (next to this file)

            ok &= paper_lock(tmp / "paper.db", tmp)
        print("ALL PASS" if ok else "SOME MISSED")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
