"""Paper scores and the write lock: how long a 36,000-row ``scores import`` keeps others from writing.

Used by bench_import.py (on its 20,000-candidate campaign, no evidence yet), or alone on a
database holding a campaign ``bench`` (``--db PATH``; ``--code DIR`` runs another checkout's
code, e.g. ``git archive`` of an older revision, for a before/after in the same run).

* A prober process opens the file with the app's pragmas and, every 5 ms, takes the write
  lock (BEGIN IMMEDIATE, 60 s busy timeout) and releases it, noting how long each wait took.
  Its longest wait is how long the import held the write lock (target < 1 s: a concurrent
  command waits well inside the 5 s busy timeout instead of failing).
* ``panel-tui scores import`` runs as a CLI subprocess (with ``--runs 2`` twice at once on
  the same file, the second being the "two identical imports" case): each must end with
  status 0 and no traceback; then ``panel-tui audit verify`` must pass.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBER = r"""
import sqlite3, sys, time
db, stop = sys.argv[1], sys.argv[2]
import os
con = sqlite3.connect(db, timeout=60, isolation_level=None)
con.execute("PRAGMA busy_timeout=60000")
waits = []
while not os.path.exists(stop):
    t = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    waits.append(time.perf_counter() - t)
    con.execute("COMMIT")
    time.sleep(0.005)
print(max(waits), sum(1 for w in waits if w > 0.1), len(waits))
"""


def sheet(db: Path, candidates: int = 2000) -> str:
    """The first ``candidates`` of campaign ``bench`` x every item x member (2,000 x 6 x 3: the
    36,000 rows of the issue), each with a score and a line of evidence."""
    con = sqlite3.connect(db)
    (cid,) = con.execute("SELECT id FROM campaign WHERE key = 'bench'").fetchone()
    refs = [r for (r,) in con.execute("SELECT ref FROM candidate WHERE campaign_id = ? ORDER BY id LIMIT ?", (cid, candidates))]
    items = [r for (r,) in con.execute("SELECT name FROM campaignitem WHERE campaign_id = ? ORDER BY position", (cid,))]
    members = [r for (r,) in con.execute("SELECT name FROM panelmember WHERE campaign_id = ? ORDER BY id", (cid,))]
    con.close()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["candidate_ref", "item", "member", "score", "evidence"])
    for n, ref in enumerate(refs):
        for k, item in enumerate(items):
            for m, member in enumerate(members):
                w.writerow([ref, item, member, (n + k + m) % 7 + 1, f"Paper sheet note {n}/{k}/{m}."])
    return out.getvalue()


def _cli(code: Path, db: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(code)}
    return subprocess.Popen([sys.executable, "-m", "panel_tui", "--db", str(db), *args], cwd=code, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def paper_lock(db: Path, tmp: Path, code: Path = ROOT, runs: int = 2, label: str = "") -> bool:
    """Run the measurement; print the figures with their targets; True when every one passes."""
    data = sheet(db)
    path = tmp / "scores.csv"
    path.write_text(data)
    rows = data.count("\n") - 1
    stop = tmp / "stop-prober"
    stop.unlink(missing_ok=True)
    prober = subprocess.Popen([sys.executable, "-c", PROBER, str(db), str(stop)], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    t = time.perf_counter()
    procs = [_cli(code, db, "scores", "import", "bench", str(path)) for _ in range(runs)]
    outs = [p.communicate() for p in procs]
    wall = time.perf_counter() - t
    stop.touch()
    longest, over, probes = prober.communicate()[0].split()
    verify = _cli(code, db, "audit", "verify", "bench")
    v_out, v_err = verify.communicate()
    clean = all(p.returncode == 0 and "Traceback" not in err for p, (_, err) in zip(procs, outs))
    lock_ok, verify_ok = float(longest) < 1.0, verify.returncode == 0
    tag = f" [{label}]" if label else ""
    print(f"paper scores import{tag}: {rows} rows, {runs} at once, {wall:.2f} s wall in all")
    for p, (out, err) in zip(procs, outs):
        line = (out.strip() or err.strip()).splitlines()
        print(f"  status {p.returncode}: {line[-1][:150] if line else ''}")
    print(f"  others kept from writing at most {float(longest) * 1000:8.0f} ms  (target < 1000 ms: "
          f"{'PASS' if lock_ok else 'MISS'}; {over} of {probes} probes waited > 100 ms)")
    print(f"  no traceback, every run status 0: {'PASS' if clean else 'MISS'}; audit verify: "
          f"{'PASS' if verify_ok else 'MISS ' + (v_err or v_out).strip()[:200]}")
    return lock_ok and clean and verify_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a database holding campaign 'bench' (it is changed)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose panel_tui runs the import")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    return 0 if paper_lock(args.db, args.db.parent, args.code, args.runs, label=str(args.code)) else 1


if __name__ == "__main__":
    sys.exit(main())
