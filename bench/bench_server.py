"""Benchmark: the interview's data on a department server (PostgreSQL) against a laptop (SQLite).

Per run, as the app does it:
  open     : one Session: db.interview.candidate_rows + load_interview (the list, then the interview)
  autosave : db.autosave.autosave of one item on the save queue's held connection, notes growing
             by ~15 characters a save (the interview screen's path)
  save_evidence : db.interview.save_evidence, one Session per save (the CLI's and amend path; shown,
             no target)
on three databases holding the demo campaign, runs interleaved so machine load hits all alike:
  sqlite      : a SQLite file in a temp folder (WAL, synchronous=FULL: the laptop)
  pg owner    : PostgreSQL as the table owner (row-level security not applied)
  pg member   : PostgreSQL as a login linked to Sam Whitfield (row-level security applied)
Targets (issue 12): open and autosave medians on PostgreSQL within 2x SQLite's; an idle live screen
(db.changes.ChangeWatch, checked once a second) costs at most one small query per second.
Wall and CPU (process time) medians are printed; the ratios use wall time.

The PostgreSQL URL (--pg-url, or PANEL_TUI_TEST_DB_URL) names a role with CREATEDB (and CREATEROLE
for the member run); the bench creates its own database panel_bench_<pid> and drops it at the end.

    /work/hvenv/bin/python bench/bench_server.py [--runs 200] [--pg-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from db import autosave as fast  # noqa: E402
from db import interview as service  # noqa: E402
from db.campaigns import find_member  # noqa: E402
from db.changes import ChangeWatch  # noqa: E402
from db.demo import ensure_demo  # noqa: E402
from db.engine import open_database, sqlite_url  # noqa: E402
from db.interview import EvidenceState  # noqa: E402
from db.models import Candidate  # noqa: E402

TARGET = 2.0
WATCH_CHECKS = 20


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


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _stats(wall: list[float], cpu: list[float]) -> str:
    ordered = sorted(wall)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return f"median {_median_ms(wall):7.2f} ms  p90 {p90 * 1000:7.2f} ms  cpu {_median_ms(cpu):6.2f} ms"


def _idle_watch(engine) -> tuple[float, float, float]:
    """(statements, round trips incl. BEGIN/COMMIT/ROLLBACK, ms) per check of an idle ChangeWatch."""
    counts = {"statements": 0, "transactions": 0}

    def on_statement(*_args) -> None:
        counts["statements"] += 1

    def on_transaction(conn) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            counts["transactions"] += 1  # autocommit sends no BEGIN (nor COMMIT/ROLLBACK)

    watch = ChangeWatch(engine)
    watch.changed()  # the baseline, as start_live takes it
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_transaction)
    t0 = time.perf_counter()
    try:
        for _ in range(WATCH_CHECKS):
            assert not watch.changed(), "nothing was written, yet the watch saw a change"
    finally:
        elapsed = time.perf_counter() - t0
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_transaction)
        watch.close()
    statements = counts["statements"] / WATCH_CHECKS
    # On PostgreSQL every transaction costs a BEGIN and an end round trip besides its statements.
    trips = statements + (2 * counts["transactions"] / WATCH_CHECKS if engine.dialect.name == "postgresql" else 0)
    return statements, trips, elapsed / WATCH_CHECKS * 1000


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
    writers: dict[str, Session] = {}
    login = f"bench_sam_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-server-"))
    os.environ["PANEL_TUI_CONFIG"] = str(tmp / "config")  # never the real user's identity file
    verdicts: list[bool] = []
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
        autosave_targets = {}
        for key, db in dbs.items():
            _cid, cand, member, _item = targets[key]
            # The save queue's writer: one connection held, the seat checked once.
            writers[key] = Session(bind=db.engine.connect(), expire_on_commit=False)  # type: ignore[attr-defined]
            autosave_targets[key] = fast.autosave_target(writers[key], cand, member)
            writers[key].commit()
        kinds = ("open", "autosave", "save_evidence")
        wall: dict[tuple[str, str], list[float]] = {(k, w): [] for k in dbs for w in kinds}
        cpu: dict[tuple[str, str], list[float]] = {(k, w): [] for k in dbs for w in kinds}
        notes = {k: "" for k in dbs}
        for n in range(args.runs + 10):
            for key, db in dbs.items():
                cid, cand, member, item = targets[key]
                marks = [(time.perf_counter(), time.process_time())]
                with db.session() as s:  # type: ignore[attr-defined]
                    service.candidate_rows(s, cid, member)
                    service.load_interview(s, cand, member)
                marks.append((time.perf_counter(), time.process_time()))
                notes[key] += f" note {n:05d} ok."
                fast.autosave(writers[key], autosave_targets[key], item, EvidenceState(notes=notes[key]))
                marks.append((time.perf_counter(), time.process_time()))
                with db.session() as s:  # type: ignore[attr-defined]
                    service.save_evidence(s, cand, member, item, EvidenceState(notes=notes[key] + "."))
                marks.append((time.perf_counter(), time.process_time()))
                if n >= 10:  # warm-up runs are not counted
                    for i, what in enumerate(kinds):
                        wall[(key, what)].append(marks[i + 1][0] - marks[i][0])
                        cpu[(key, what)].append(marks[i + 1][1] - marks[i][1])
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.runs} runs each, interleaved")
        for what in kinds:
            base = statistics.median(wall[("sqlite", what)])
            for key in dbs:
                line = f"{what:13} {key:10} {_stats(wall[(key, what)], cpu[(key, what)])}"
                if key != "sqlite":
                    ratio = statistics.median(wall[(key, what)]) / base
                    line += f"  x{ratio:.2f} of SQLite"
                    if what != "save_evidence":
                        verdicts.append(ratio <= TARGET)
                        line += f" (target <= {TARGET:g}x: {'PASS' if ratio <= TARGET else 'MISS'})"
                print(line)
        print(f"idle live screen (ChangeWatch, one check a second, {WATCH_CHECKS} checks, nothing written):")
        for key, db in dbs.items():
            statements, trips, ms = _idle_watch(db.engine)  # type: ignore[attr-defined]
            ok = statements <= 1 and trips <= 1
            verdicts.append(ok)
            print(f"  {key:10} {statements:.1f} statement/s, {trips:.1f} round trip/s, {ms:.2f} ms a check"
                  f" (target <= 1 small query/s: {'PASS' if ok else 'MISS'})")
        print("overall:", "PASS" if all(verdicts) else "MISS")
    finally:
        for session in writers.values():
            connection = session.bind
            session.close()
            connection.close()  # type: ignore[union-attr]
        for db in dbs.values():
            db.dispose()  # type: ignore[attr-defined]
        _admin(args.pg_url, f"DROP DATABASE IF EXISTS {name}")
        _admin(args.pg_url, f"DROP ROLE IF EXISTS {login}")
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
