"""Benchmark: consolidation grid, merit list and results export for large campaigns.

2,000 candidates x 6 items x 3 panel members, bulk-inserted into a temporary
SQLite file. Times load_grid (target < 0.5 s), merit_list, and the merit list
recomputed after one record_consensus (target < 50 ms); headless, an Outcomes
decision key (handled at once; the changed row redrawn) and the grid row update
after a consensus (< 100 ms).

Then 20,000 x 6 x 3 (``--large``, 0 to skip): the consolidation screen open (first
page drawn, target < 1 s; and the whole grid behind it), the grid update after
one consensus (that row only, < 100 ms), and ``results export`` (< 2 s), each
beside the old way (whole grid reloaded; pretty-printed JSON from the grid) in
the same run.

    .venv/bin/python bench/bench_consolidation.py [--candidates N] [--large N] [--keep PATH]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402
from sqlmodel import select  # noqa: E402

from db.engine import Database, open_database, sqlite_url  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from collector import collector_with_grid, started  # noqa: E402

N_ITEMS = 6
MEMBERS = [("Chair", "chair"), ("Member", "member"), ("Independent", "independent")]
# About 800 characters: a realistic page of evidence notes per item, so scans read realistic rows.
NOTES = (
    "S: Restructure of the regional HR team, 40 staff affected across three sites. "
    "T: Tell staff about role changes before the public announcement and keep the unions on side. "
    "A: Held face-to-face briefings at each site, wrote plain-English FAQs, met union reps first, "
    "set up a drop-in clinic and a named contact for every team. "
    "R: No grievances; 90% attendance at briefings; staff survey on change communication up 12 points. "
) * 2


def build(path: Path, n_candidates: int = 2000, *, seed: int = 7, consensus_share: float = 0.9) -> tuple[Database, int]:
    """Create the benchmark database at path; return it and the campaign id."""
    from db.campaigns import create_campaign
    from db.models import Assessment, CampaignItem, Candidate, Consensus, ItemEvidence, PanelMember

    rng = random.Random(seed)
    database = open_database(sqlite_url(path))
    now = datetime.now(timezone.utc)
    with database.session() as session:
        campaign = create_campaign(
            session,
            {
                "key": "bench",
                "title": "Benchmark campaign",
                "grade": "Grade 7",
                "framework": "competencies-2012",
                "items": [{"name": f"Item {n}", "kind": "technical"} for n in range(1, N_ITEMS + 1)],
                "lead": "Item 1",
                "scale": "csj-1-7",
                "pass_mark": 4,
                "min_total": 26,
                "decision_date": date.today().isoformat(),
                "panel": [{"name": n, "role": r} for n, r in MEMBERS],
            },
            actor="bench",
        )
        cid = campaign.id
        items = list(session.exec(
            select(CampaignItem.id).where(CampaignItem.campaign_id == cid).order_by(CampaignItem.position)
        ).all())
        members = list(session.exec(
            select(PanelMember.id).where(PanelMember.campaign_id == cid).order_by(PanelMember.id)
        ).all())
        candidates, assessments, evidence, consensus = [], [], [], []
        a_id = e_id = 0
        for n in range(1, n_candidates + 1):
            candidates.append({"id": n, "campaign_id": cid, "ref": f"C{n:05d}", "name": f"Candidate {n}",
                               "email": "", "adjustments": "", "extra_minutes": 0,
                               "disability_confident": False})
            ability = rng.uniform(3.0, 6.5)
            cells: dict[int, list[int]] = {i: [] for i in items}
            for m in members:
                a_id += 1
                assessments.append({"id": a_id, "candidate_id": n, "member_id": m,
                                    "submitted_at": now, "updated_at": now})
                for i in items:
                    score = max(1, min(7, round(ability + rng.gauss(0, 0.8))))
                    cells[i].append(score)
                    e_id += 1
                    evidence.append({"id": e_id, "assessment_id": a_id, "item_id": i,
                                     "notes": NOTES, "star": "STAR",
                                     "score": float(score), "updated_at": now})
            if rng.random() < consensus_share:
                for i in items:
                    agreed = round(statistics.median(cells[i]))
                    consensus.append({"candidate_id": n, "item_id": i, "score": float(agreed),
                                      "rationale": "Agreed after discussion.", "updated_at": now})
        session.execute(insert(Candidate), candidates)
        session.execute(insert(Assessment), assessments)
        session.execute(insert(ItemEvidence), evidence)
        session.execute(insert(Consensus), consensus)
        session.commit()
    return database, cid  # type: ignore[return-value]


def _time(fn, repeat: int = 5) -> tuple[float, object]:
    """Best wall time of repeat calls (like timeit: the least disturbed run) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def run(n_candidates: int = 2000, keep: Path | None = None, rounds: int = 9) -> tuple[dict[str, float], dict[str, float]]:
    from db.cache import clear_cache
    from db.consolidation import load_grid, record_consensus
    from db.models import Candidate, Consensus
    from db.outcomes import merit_list

    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "bench.db"
        t = time.perf_counter()
        database, cid = build(path, n_candidates)
        figures: dict[str, float] = {"build_s": time.perf_counter() - t}
        with database.session() as session:
            figures["load_grid_s"], grid = _time(lambda: load_grid(session, cid, None))
            figures["load_grid_viewer_s"], _ = _time(lambda: load_grid(session, cid, grid.members[0].id))  # type: ignore[attr-defined]
            clear_cache()
            figures["merit_list_cold_s"], merit = _time(lambda: merit_list(session, cid), repeat=1)
            figures["merit_list_s"], merit = _time(lambda: merit_list(session, cid))
            # Candidates still without consensus: record one item's consensus, then recompute the list.
            pending = session.exec(
                select(Candidate.id).where(Candidate.campaign_id == cid)
                .where(~Candidate.id.in_(select(Consensus.candidate_id)))  # type: ignore[union-attr]
            ).all()
            item_id = grid.items[0].id  # type: ignore[attr-defined]
            writes, wall, cpu = [], [], []
            for n in range(rounds):
                t = time.perf_counter()
                record_consensus(session, pending[n % len(pending)], item_id, 4.0 + n % 3,
                                 "Agreed after discussion.", "bench")
                writes.append(time.perf_counter() - t)
                t, c = time.perf_counter(), time.process_time()
                merit = merit_list(session, cid)
                cpu.append(time.process_time() - c)
                wall.append(time.perf_counter() - t)
            figures["record_consensus_s"] = statistics.median(writes)
            figures["recompute_best_s"] = min(wall)
            figures["recompute_median_s"] = statistics.median(wall)
            figures["recompute_cpu_s"] = statistics.median(cpu)
            figures["ranked"] = float(len(merit.ranked))  # type: ignore[attr-defined]
            figures["cells"] = float(len(grid.rows) * len(grid.items))  # type: ignore[attr-defined]
        figures["screen_open_s"] = screen_open(database, cid, grid.members[0].id)  # type: ignore[attr-defined]
        actions = consolidation_actions(database, cid)
        figures["collector_s"] = collector_with_grid(database, cid)
        with database.session() as session:
            row = next(r for r in grid.rows if r.all_submitted)  # type: ignore[attr-defined]
            record_consensus(session, row.candidate_id, grid.items[1].id, 5.0, "Agreed.", "bench")  # type: ignore[attr-defined]
            from db.consolidation import grid_rows

            figures["row_update_s"], _ = _time(lambda: grid.with_rows(grid_rows(session, grid, [row.candidate_id])))  # type: ignore[attr-defined]
        (figures["outcomes_key_s"], figures["outcomes_row_s"], figures["outcomes_row_cpu_s"],
         figures["outcomes_row_gc_s"]) = outcomes_key(database, cid)
        database.dispose()
    return figures, actions


class FrameClock:
    """Stamps the first frame the app displays once a condition holds (App._display, encoded to
    terminal bytes as the real driver would): what a user sees, not when a handler returned.
    Also the process CPU time (all threads) and the garbage collector's time in that window
    (``cpu``, ``gc`` after ``until``): on a loaded machine the CPU figure is the steadier one, and
    a cyclic collection landing in the window shows as gc."""

    def __init__(self, app) -> None:
        import asyncio
        import gc

        from textual._compositor import CompositorUpdate

        self.want = None
        self.event = asyncio.Event()
        self.stamp = self.cpu_stamp = self.cpu = self.gc = 0.0
        self._gc_total, self._gc_start = 0.0, 0.0

        def collected(phase: str, _info: dict) -> None:
            if phase == "start":
                self._gc_start = time.perf_counter()
            else:
                self._gc_total += time.perf_counter() - self._gc_start

        gc.callbacks.append(collected)
        original = app._display

        def display(screen, renderable):
            original(screen, renderable)
            if renderable is None or self.want is None:
                return
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            if self.want():
                self.stamp, self.cpu_stamp, self.want = time.perf_counter(), time.process_time(), None
                self.event.set()

        app._display = display

    def start(self) -> float:
        """Call just before the key: the CPU and collector counts start here; returns the wall start."""
        self._cpu_start, self._gc_begin = time.process_time(), self._gc_total
        return time.perf_counter()

    async def until(self, condition, start: float, timeout: float = 30) -> float:
        """Seconds from ``start`` to the first frame displayed with ``condition()`` true."""
        import asyncio

        self.event.clear()
        self.want = condition
        await asyncio.wait_for(self.event.wait(), timeout)
        self.cpu = self.cpu_stamp - getattr(self, "_cpu_start", self.cpu_stamp)
        self.gc = self._gc_total - getattr(self, "_gc_begin", self._gc_total)
        return self.stamp - start


def screen_open(database: Database, campaign_id: int, member_id: int | None, repeat: int = 3,
                complete: bool = False) -> float:
    """Best time from pushing the consolidation screen to the first frame showing its grid (the
    first page), or with ``complete`` every candidate read and the summary counted."""
    import asyncio

    from panel_tui.app import make_app
    from panel_tui.screens.consolidation import ConsolidationScreen
    from panel_tui.widgets.score_grid import ScoreGrid

    async def once() -> float:
        app = make_app(database)
        async with app.run_test(size=(160, 48)):
            await started(app)  # actions timed in the steady state, not against start-up's warm-up
            clock = FrameClock(app)

            def drawn() -> bool:
                grids = app.screen.query(ScoreGrid)
                grid = grids.first().grid if grids else None
                return grid is not None and bool(grid.rows) and (grid.complete or not complete)

            t = time.perf_counter()
            app.push_screen(ConsolidationScreen(database, campaign_id, member_id))
            try:
                took = await clock.until(drawn, t, timeout=300 if complete else 60)
            except asyncio.TimeoutError:
                took = float("inf")  # printed as inf: MISS
            while [w for w in app.workers if not w.is_finished]:  # the rest of the grid, before the app closes
                await asyncio.sleep(0.02)
            return took

    return min(asyncio.run(once()) for _ in range(repeat))


def consolidation_actions(database: Database, campaign_id: int) -> dict[str, float]:
    """Each Consolidation key, from the key sent to the first frame showing its answer (headless, 160x48)."""
    import asyncio

    from textual import events

    from panel_tui.app import make_app
    from panel_tui.screens.consensus import ConsensusDialog
    from panel_tui.screens.consolidation import ConsolidationScreen
    from panel_tui.widgets.score_grid import ScoreGrid
    from db.consolidation import record_consensus

    async def run() -> dict[str, tuple[float, float, float]]:
        out: dict[str, tuple[float, float, float]] = {}  # action -> (wall, CPU, collector) seconds
        app = make_app(database)
        async with app.run_test(size=(160, 48)) as pilot:
            await started(app)  # actions timed in the steady state, not against start-up's warm-up
            clock = FrameClock(app)
            screen = ConsolidationScreen(database, campaign_id, None)
            t = clock.start()
            app.push_screen(screen)
            took = await clock.until(lambda: bool(screen.query(ScoreGrid) and screen.query_one(ScoreGrid).grid), t)
            out["open (first page drawn)"] = (took, clock.cpu, clock.gc)
            grid_widget = screen.query_one(ScoreGrid)
            while not (grid_widget.grid and grid_widget.grid.complete):
                await asyncio.sleep(0.02)
            await pilot.pause()

            async def key(name: str, condition) -> tuple[float, float, float]:
                event = events.Key(name, None)
                event.set_sender(app)
                t = clock.start()
                app._driver.send_message(event)
                took = await clock.until(condition, t)
                await pilot.pause()
                return took, clock.cpu, clock.gc

            for n in range(3):
                before = (grid_widget.cursor_row, grid_widget.cursor_column)
                out[f"d (next divergent) #{n + 1}"] = await key(
                    "d", lambda before=before: (grid_widget.cursor_row, grid_widget.cursor_column) != before)
            out["down (cursor)"] = await key("down", lambda: True)
            out["enter (evidence dialog shown)"] = await key("enter", lambda: isinstance(app.screen, ConsensusDialog))
            app.pop_screen()
            await pilot.pause()
            row = grid_widget.selected_row()
            item = grid_widget.grid.items[0]
            with database.session() as s:
                record_consensus(s, row.candidate_id, item.id, 2.0, "Agreed after discussion (bench).", "bench")
            t = clock.start()
            screen._update_rows([row.candidate_id])  # what the dialog's callback runs after a consensus
            took = await clock.until(lambda: grid_widget.grid.row(row.candidate_id).cells[0].consensus == 2.0, t)
            out["consensus recorded -> row redrawn"] = (took, clock.cpu, clock.gc)
            await pilot.pause()
            old = grid_widget.grid
            out["r (reload: first page drawn)"] = await key("r", lambda: grid_widget.grid is not old)
            while [w for w in app.workers if not w.is_finished]:
                await asyncio.sleep(0.02)
        return out

    return asyncio.run(run())


def outcomes_key(database: Database, campaign_id: int) -> tuple[float, float, float, float]:
    """An Outcomes decision (n: not appointed), headless: (key handled on the UI thread, first frame
    showing the changed row, its CPU, its collector time)."""
    import asyncio

    from panel_tui.app import make_app
    from panel_tui.screens.outcomes import OutcomesScreen
    from panel_tui.widgets.merit_table import MeritTable

    async def once() -> tuple[float, float, float, float]:
        app = make_app(database)
        async with app.run_test(size=(160, 48)) as pilot:
            await started(app)  # actions timed in the steady state, not against start-up's warm-up
            app.push_screen(OutcomesScreen(database, campaign_id, None))
            while True:
                await asyncio.sleep(0.01)
                tables = app.screen.query(MeritTable)
                if tables and tables.first().row_count:
                    break
            while [w for w in app.workers if not w.is_finished]:  # the charts, read behind the list
                await asyncio.sleep(0.05)
            await pilot.pause()
            clock = FrameClock(app)
            table = app.screen.query_one(MeritTable)
            key = str(table.highlighted_id())
            t = clock.start()
            app.screen.action_not_appointed()  # what the key runs on the UI thread (pilot.press also waits for idle)
            handled = time.perf_counter() - t
            took = await clock.until(lambda: "not appointed" in " ".join(str(c) for c in table.get_row(key)), t)
            cpu, collector = clock.cpu, clock.gc
            while [w for w in app.workers if not w.is_finished]:  # the save and the re-read, before the app closes
                await asyncio.sleep(0.02)
            return handled, took, cpu, collector

    return asyncio.run(once())


def large(n_candidates: int, reuse: Path | None = None, only_export: bool = False) -> dict[str, float]:
    """20,000 x 6 x 3: screen open, grid row update, results export; each beside the old way."""
    import json

    from db.consolidation import grid_rows, load_grid, record_consensus
    from db.results_export import results_document, results_json
    from db.text import clean_block

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if reuse is not None:  # a copy of a database build() made before (--keep-large)
            import shutil

            shutil.copy(reuse, Path(tmp) / "large.db")
            database, cid = open_database(sqlite_url(Path(tmp) / "large.db")), 1
        else:
            database, cid = build(Path(tmp) / "large.db", n_candidates)
        with database.session() as session:
            if not only_export:
                figures["large_first_page_s"], _ = _time(lambda: load_grid(session, cid, None, first=100), repeat=3)
                figures["large_load_grid_s"], grid = _time(lambda: load_grid(session, cid, None), repeat=1)
                row = next(r for r in grid.rows if r.all_submitted)  # type: ignore[attr-defined]
                record_consensus(session, row.candidate_id, grid.items[0].id, 5.0, "Agreed.", "bench")  # type: ignore[attr-defined]
                figures["large_row_update_s"], _ = _time(
                    lambda: grid.with_rows(grid_rows(session, grid, [row.candidate_id])), repeat=5)  # type: ignore[attr-defined]
            from db.cache import clear_cache

            clear_cache()  # cold: the export's merit list is computed from nothing, as in a fresh CLI process
            c = time.process_time()
            # What `results export` writes (JSON), in memory: the file write is left out.
            figures["large_export_s"], _ = _time(lambda: "".join(results_json(session, cid)), repeat=1)
            figures["large_export_cpu_s"] = time.process_time() - c

            def old_export() -> str:  # the old way: the whole grid, then json.dumps(indent=2)
                doc = results_document(session, cid)
                load_grid(session, cid, None)
                return clean_block(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")

            figures["large_export_old_s"], _ = _time(old_export, repeat=1)
        if not only_export:
            figures["large_screen_open_s"] = screen_open(database, cid, None, repeat=1)  # type: ignore[arg-type]
            figures["large_screen_full_s"] = screen_open(database, cid, None, repeat=1, complete=True)  # type: ignore[arg-type]
            figures["large_collector_s"] = collector_with_grid(database, cid)
        database.dispose()
    return figures


def _line(label: str, seconds: float, target_ms: float | None, note: str = "") -> bool:
    ms = seconds * 1000
    ok = target_ms is None or ms < target_ms
    verdict = "" if target_ms is None else f"  target < {target_ms:.0f} ms: {'PASS' if ok else 'MISS'}"
    print(f"  {label:38} {ms:8.1f} ms{verdict}{'  (' + note + ')' if note else ''}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="build the database at this path and keep it")
    parser.add_argument("--large", type=int, default=20000, help="candidates in the large campaign (0: skip it)")
    parser.add_argument("--reuse-large", type=Path, help="copy this database (made by build() for --large) instead of building it")
    parser.add_argument("--only-export", action="store_true",
                        help="only the results export at --large candidates (no 2,000 part, no screens)")
    args = parser.parse_args(argv)
    import os

    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores (figures are wall time)")
    c0 = time.process_time()
    if args.only_export:
        return _export_only(args.large or 20000, args.reuse_large, c0)
    f, actions = run(args.candidates, args.keep)
    print(f"{args.candidates} candidates x {N_ITEMS} items x {len(MEMBERS)} members "
          f"({int(f['cells'])} cells, {int(f['ranked'])} ranked); built in {f['build_s']:.2f} s")
    ok = True
    _line("load_grid, administrator view", f["load_grid_s"], None)
    _line("load_grid, a member's view", f["load_grid_viewer_s"], None)
    _line("merit_list, cold cache", f["merit_list_cold_s"], None)
    _line("merit_list, nothing changed", f["merit_list_s"], None)
    _line("record_consensus (median)", f["record_consensus_s"], None)
    _line("merit_list after one consensus", f["recompute_best_s"], None,
          f"best; median {f['recompute_median_s'] * 1000:.1f} ms wall, {f['recompute_cpu_s'] * 1000:.1f} ms CPU")
    _line("grid rows re-read after a consensus", f["row_update_s"], None, "grid_rows + with_rows")
    print("  every action, key -> first frame showing the answer (headless):")
    ok &= _line("Consolidation: screen open (first page)", f["screen_open_s"], 100)
    for name, (took, cpu, collector) in actions.items():
        ok &= _line(f"Consolidation: {name}", took, 100, f"CPU {cpu * 1000:.0f} ms; collector {collector * 1000:.0f} ms wall")
    _line("full collection, whole grid open", f["collector_s"], None, "gen2, gc.callbacks; the grid is frozen once painted")
    ok &= _line("Outcomes: decision key handled (UI thread)", f["outcomes_key_s"], 100)
    ok &= _line("Outcomes: changed row redrawn", f["outcomes_row_s"], 100,
                f"first frame showing it; CPU {f['outcomes_row_cpu_s'] * 1000:.0f} ms; collector "
                f"{f['outcomes_row_gc_s'] * 1000:.0f} ms wall; the merit list is re-read after the save")
    if args.large:
        g = large(args.large, args.reuse_large)
        print(f"\n{args.large} candidates x {N_ITEMS} items x {len(MEMBERS)} members")
        ok &= _line("consolidation screen open, first page", g["large_screen_open_s"], 1000, "key -> first frame showing it")
        _line("  ... whole grid behind it", g["large_screen_full_s"], None,
              f"load_grid alone {g['large_load_grid_s'] * 1000:.0f} ms; first page alone {g['large_first_page_s'] * 1000:.0f} ms")
        ok &= _line("grid update after one consensus", g["large_row_update_s"], 100,
                    f"that row re-read; the old whole-grid reload: {g['large_load_grid_s'] * 1000:.0f} ms")
        _line("full collection, whole grid open", g["large_collector_s"], None, "gen2, gc.callbacks")
        ok &= _export_line(g)
    print(f"CPU time of this process: {time.process_time() - c0:.1f} s")
    print("ALL PASS" if ok else "SOME MISSED")
    return 0 if ok else 1


def _export_line(g: dict[str, float]) -> bool:
    return _line("results export (JSON, cold cache)", g["large_export_s"], 2000,
                 f"CPU {g['large_export_cpu_s'] * 1000:.0f} ms; old way, grid + indent=2: {g['large_export_old_s'] * 1000:.0f} ms")


def _export_only(n_candidates: int, reuse: Path | None, c0: float) -> int:
    g = large(n_candidates, reuse, only_export=True)
    print(f"{n_candidates} candidates x {N_ITEMS} items x {len(MEMBERS)} members")
    ok = _export_line(g)
    print(f"CPU time of this process: {time.process_time() - c0:.1f} s")
    print("ALL PASS" if ok else "SOME MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
