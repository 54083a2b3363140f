"""Benchmark: the interview's data on a department server (PostgreSQL) against a laptop (SQLite).

Per run, one Session each (as the screen's service worker does):
  open     : db.interview.candidate_rows + load_interview for one candidate (the interview opening)
  autosave : db.interview.save_evidence of one item, notes growing by ~15 characters a save
on three databases holding the demo campaign, runs interleaved so machine load hits all alike:
  sqlite      : a SQLite file in a temp folder (WAL, synchronous=FULL: the laptop)
  pg owner    : PostgreSQL as the table owner (row-level security not applied)
  pg member   : PostgreSQL as a login linked to Sam Whitfield (row-level security applied)
Target: PostgreSQL medians within 2x SQLite's.

The PostgreSQL URL (--pg-url, or PANEL_TUI_TEST_DB_URL) names a role with CREATEDB (and CREATEROLE
for the member run); the bench creates its own database panel_bench_<pid> and drops it at the end.

    /work/hvenv/bin/python bench/bench_server.py [--runs 200] [--pg-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import select  # noqa: E402

from db import interview as service  # noqa: E402
from db.campaigns import find_member  # noqa: E402
from db.demo import ensure_demo  # noqa: E402
from db.engine import open_database, sqlite_url  # noqa: E402
from db.interview import EvidenceState  # noqa: E402
from db.models import Candidate  # noqa: E402


def _admin(url: str, sql: str) -> None:
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _prepare(db) -> tuple[int, int, int, int]:
    with db.session() as s:
        campaign = ensure_demo(s)
        cand = s.exec(select(Candidate.id).where(Candidate.campaign_id == campaign.id, Candidate.ref == "HRBP-006")).one()
        member = find_member(s, campaign.id, "Sam").id
        item = service.load_interview(s, cand, member).items[0].id
        return campaign.id, cand, member, item  # type: ignore[return-value]


def _stats(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[int(len(values) * 0.9) - 1]
    return f"median {statistics.median(values) * 1000:7.2f} ms  p90 {p90 * 1000:7.2f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--pg-url", default=os.environ.get("PANEL_TUI_TEST_DB_URL"))
    args = ap.parse_args()
    if not args.pg_url:
        print("give --pg-url (or set PANEL_TUI_TEST_DB_URL)", file=sys.stderr)
        return 2
    name = f"panel_bench_{os.getpid()}"
    _admin(args.pg_url, f"CREATE DATABASE {name}")
    pg_url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
    dbs: dict[str, object] = {}
    login = f"bench_sam_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-server-"))
    os.environ["PANEL_TUI_CONFIG"] = str(tmp / "config")  # never the real user's identity file
    try:
        dbs["sqlite"] = open_database(sqlite_url(tmp / "panel.db"))
        dbs["pg owner"] = open_database(pg_url)
        targets = {k: _prepare(db) for k, db in dbs.items()}
        try:
            from db.server import add_user

            with dbs["pg owner"].session() as s:  # type: ignore[attr-defined]
                password = add_user(s, login, targets["pg owner"][0], "Sam")
            member_url = make_url(pg_url).set(username=login, password=password).render_as_string(hide_password=False)
            dbs["pg member"] = open_database(member_url, load_frameworks=False)
            targets["pg member"] = targets["pg owner"]
        except Exception as exc:  # noqa: BLE001 - a role without CREATEROLE still gets the owner figures
            print(f"(no member run: {str(exc).splitlines()[0]})")
        times: dict[tuple[str, str], list[float]] = {(k, w): [] for k in dbs for w in ("open", "autosave")}
        notes = {k: "" for k in dbs}
        for n in range(args.runs + 10):
            for key, db in dbs.items():
                cid, cand, member, item = targets[key]
                t0 = time.perf_counter()
                with db.session() as s:  # type: ignore[attr-defined]
                    service.candidate_rows(s, cid, member)
                    service.load_interview(s, cand, member)
                t1 = time.perf_counter()
                notes[key] += f" note {n:05d} ok."
                with db.session() as s:  # type: ignore[attr-defined]
                    service.save_evidence(s, cand, member, item, EvidenceState(notes=notes[key]))
                t2 = time.perf_counter()
                if n >= 10:  # warm-up runs are not counted
                    times[(key, "open")].append(t1 - t0)
                    times[(key, "autosave")].append(t2 - t1)
        print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs each")
        for what in ("open", "autosave"):
            base = statistics.median(times[("sqlite", what)])
            for key in dbs:
                ratio = statistics.median(times[(key, what)]) / base
                verdict = "" if key == "sqlite" else f"  x{ratio:.2f} of SQLite ({'MET' if ratio <= 2 else 'MISSED'} <= 2x)"
                print(f"{what:9} {key:10} {_stats(times[(key, what)])}{verdict}")
    finally:
        for db in dbs.values():
            db.dispose()  # type: ignore[attr-defined]
        _admin(args.pg_url, f"DROP DATABASE IF EXISTS {name}")
        _admin(args.pg_url, f"DROP ROLE IF EXISTS {login}")
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
