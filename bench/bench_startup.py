"""Benchmark: time to first screen of `panel-tui demo` in a real terminal, against a floor.

Each run starts a detached tmux session of fixed size (100x30) on a private tmux
socket, running the command, and polls `tmux capture-pane -p` every ~5 ms until
the marker text appears; the figure is the time from launch to that capture.

* app   : `.venv/bin/python -m panel_tui demo` with PANEL_TUI_DB set to a temp
          file that already holds the demo campaign ("open existing demo").
* floor : a bare Textual app (Header, DataTable, Footer) written by this script
          to a temp file; in on_mount, before its first paint, it opens a small
          SQLite file through SQLModel, selects 50 rows into the DataTable and
          sets the title the poller waits for.

Both use the same interpreter, the same poller and the same terminal; runs are
interleaved (app, floor, app, floor, ...; the order inside each pair alternates).
The first-run figure (no database yet: schema, bundled frameworks and demo data
are created) is measured separately, each time on a fresh file.

    .venv/bin/python bench/bench_startup.py [--runs 15] [--first-runs 2] [--profile] [--what-if 6]

Besides wall time, the CPU time the process had used when the marker appeared is
read from /proc (all threads) and reported: it is far less sensitive to other load
on the machine than the wall clock.

--profile (automatic when the ratio is over 1.2) prints the import-time offenders of
the app's start-up path (python -X importtime) and a phase breakdown (wall and CPU).
--what-if N times start-up changes patched in at launch (without editing the app),
to show what each would save.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
MARKER = "HR Business Partner"
FLOOR_MARKER = "Floor Benchmark Ready"
WIDTH, HEIGHT = 100, 30

FLOOR_APP = textwrap.dedent(
    '''
    """Floor for bench_startup: a bare Textual app whose rows come through SQLModel."""
    import sys

    from sqlmodel import Field, Session, SQLModel, create_engine, select
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header


    class BenchRow(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        ref: str
        name: str
        state: str


    def make_engine(path):
        return create_engine(f"sqlite:///{path}")


    def setup(path):
        engine = make_engine(path)
        SQLModel.metadata.create_all(engine)
        with Session(engine) as session:
            for n in range(50):
                session.add(BenchRow(ref=f"REF-{n:03d}", name=f"Candidate {n}", state="not started"))
            session.commit()


    class FloorApp(App):
        TITLE = "floor"

        def __init__(self, path):
            super().__init__()
            self.path = path

        def compose(self) -> ComposeResult:
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self) -> None:
            engine = make_engine(self.path)
            with Session(engine) as session:
                rows = session.exec(select(BenchRow).order_by(BenchRow.id)).all()
            table = self.query_one(DataTable)
            table.add_columns("Ref", "Name", "State")
            table.add_rows([(r.ref, r.name, r.state) for r in rows])
            self.title = "FLOOR_MARKER"


    if __name__ == "__main__":
        if sys.argv[1] == "--setup":
            setup(sys.argv[2])
        else:
            FloorApp(sys.argv[1]).run()
    '''
).replace("FLOOR_MARKER", FLOOR_MARKER)


# --- statistics -------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values) * 1000:7.1f} ms   p90 {percentile(values, 90) * 1000:7.1f} ms   "
        f"min {min(values) * 1000:7.1f}   max {max(values) * 1000:7.1f}   (n={len(values)})"
    )


# --- tmux -------------------------------------------------------------------------


class Tmux:
    """A private tmux server (own socket) kept alive by a keeper session so server start-up is not timed."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.socket = f"panelbench-{os.getpid()}"
        self.base = ["tmux", "-L", self.socket, "-f", "/dev/null"]
        # The server (started by the first command) passes this environment on to every session.
        self.env = env if env is not None else dict(os.environ)
        self.run("new-session", "-d", "-s", "keeper", "-x", str(WIDTH), "-y", str(HEIGHT), "sleep 100000")
        self.counter = 0

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.base, *args], check=check, capture_output=True, text=True, env=self.env)

    def capture(self, target: str) -> str:
        return subprocess.run(
            [*self.base, "capture-pane", "-p", "-t", target], capture_output=True, text=True, env=self.env
        ).stdout

    def pane_pid(self, target: str) -> int | None:
        out = self.run("display-message", "-p", "-t", target, "#{pane_pid}", check=False).stdout.strip()
        return int(out) if out.isdigit() else None

    def time_to_marker(
        self, command: str, marker: str, env: dict[str, str], *, timeout: float = 30.0, poll: float = 0.005
    ) -> float:
        """Launch command in a new session; seconds until marker is on screen. Kills the session afterwards."""
        return self.measure(command, marker, env, timeout=timeout, poll=poll)[0]

    def measure(
        self, command: str, marker: str, env: dict[str, str], *, timeout: float = 30.0, poll: float = 0.005
    ) -> tuple[float, float]:
        """(wall seconds until marker is on screen, CPU seconds the process had used by then)."""
        self.counter += 1
        name = f"run{self.counter}"
        env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
        args = [*self.base, "new-session", "-d", "-s", name, "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(ROOT),
                *env_args, f"exec {command}"]
        t0 = time.perf_counter()
        subprocess.run(args, check=True, env=self.env)
        try:
            while True:
                screen = self.capture(name)
                elapsed = time.perf_counter() - t0
                if marker in screen:
                    return elapsed, cpu_seconds(self.pane_pid(name))
                if elapsed > timeout:
                    raise RuntimeError(f"marker {marker!r} not seen after {timeout:.0f} s; screen was:\n{screen}")
                time.sleep(poll)
        finally:
            self.kill(name)

    def kill(self, name: str) -> None:
        pid = self.pane_pid(name)
        self.run("kill-session", "-t", name, check=False)
        if pid is None:
            return
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.01)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)  # let the machine settle (2 cores) before the next launch

    def close(self) -> None:
        self.run("kill-server", check=False)
        sock = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}" / self.socket
        sock.unlink(missing_ok=True)


def cpu_seconds(pid: int | None) -> float:
    """CPU time used so far by every thread of pid (ns resolution, from /proc/PID/task/*/schedstat)."""
    if pid is None:
        return float("nan")
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


# --- profile ----------------------------------------------------------------------

PHASES = textwrap.dedent(
    '''
    import sys, time
    t = [("start", time.perf_counter(), time.process_time())]
    def mark(name): t.append((name, time.perf_counter(), time.process_time()))
    from panel_tui import cli
    parser = cli.build_parser(); args = parser.parse_args(["demo"]); mark("import cli + build_parser")
    from db.engine import open_database, resolve_url; mark("import db.engine (sqlalchemy, sqlmodel)")
    import db.models; mark("import db.models (18 SQLModel tables)")
    database = open_database(resolve_url(args.db_url, args.db)); mark("open_database (existing file)")
    from panel_tui.app import make_app; mark("import panel_tui.app (textual)")
    app = make_app(database, demo=True)
    original = app._display
    def display(screen, renderable):
        original(screen, renderable)
        if renderable is not None and not hasattr(app, "_first"):
            app._first = True
            mark(f"App start -> first frame of {type(screen).__name__} (headless)")
    app._display = display
    import asyncio
    async def first_screen():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
    asyncio.run(first_screen())
    print(f"  {'wall':>7s}  {'cpu':>7s}")
    for (a, ta, ca), (b, tb, cb) in zip(t, t[1:]):
        print(f"  {(tb - ta) * 1000:7.1f}  {(cb - ca) * 1000:7.1f} ms  {b}")
    '''
)

IMPORT_PATH = (
    "import sys; from panel_tui import cli; cli.build_parser(); "
    "import db.engine, db.migrations, db.frameworks, db.demo, db.campaigns, db.interview; "
    "import panel_tui.app, panel_tui.screens.campaigns, panel_tui.screens.campaign; "
    "import textual.widgets; from textual.widgets import Header, Footer, DataTable, OptionList, Label, Static; "
    "import textual.drivers.linux_driver"
)


def profile(env: dict[str, str]) -> None:
    full_env = {**os.environ, **env}
    if not full_env.get("PYTHONPYCACHEPREFIX"):
        full_env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    print("\nImport chain of the start-up path (python -X importtime), top cumulative:")
    proc = subprocess.run(
        [str(VENV_PYTHON), "-X", "importtime", "-c", IMPORT_PATH], capture_output=True, text=True, env=full_env, cwd=ROOT
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), len(m.group(3)), m.group(4), int(m.group(1))))
    total = sum(c for c, indent, _, _ in rows if indent == 1)
    print(f"  total of top-level imports: {total / 1000:.1f} ms")
    top_level = sorted((r for r in rows if r[1] == 1), reverse=True)[:12]
    for cum, _, name, _ in top_level:
        print(f"  {cum / 1000:7.1f} ms  {name}")
    print("  heaviest packages at any depth (cumulative, root packages of interest):")
    seen = set()
    for cum, indent, name, self_us in sorted(rows, reverse=True):
        root = name.split(".")[0]
        if root in seen or cum < 8000:
            continue
        seen.add(root)
        print(f"  {cum / 1000:7.1f} ms  {name}")
    print("\nPhase breakdown of one start-up (existing demo DB; headless driver for the app part; interpreter start excluded):")
    proc = subprocess.run([str(VENV_PYTHON), "-c", PHASES], capture_output=True, text=True, env=full_env, cwd=ROOT)
    print(proc.stdout or proc.stderr)


# --- what-if variants (patched at launch; the app's code is not changed) ----------------------

WHAT_IF_LAUNCHER = textwrap.dedent(
    '''
    """Launch `panel-tui demo` with start-up changes patched in, to measure what they would save."""
    import sys

    variant = sys.argv[1]
    if "defer" in variant:
        # Pydantic builds each table model's validator/serializer on first use instead of at import.
        from sqlmodel import SQLModel

        SQLModel.model_config["defer_build"] = True
    if "no-list" in variant:
        # Do not compose/mount the campaigns list underneath the campaign screen at start-up.
        from panel_tui import app as app_module

        def on_mount(self):
            from db.demo import ensure_demo
            from panel_tui.screens.campaign import CampaignScreen

            with self.database.session() as session:
                campaign_id = ensure_demo(session).id
            self.push_screen(CampaignScreen(self.database, campaign_id))

        app_module.PanelApp.on_mount = on_mount
    from panel_tui.cli import main

    sys.exit(main(["demo"]))
    '''
)
WHAT_IFS = ("no-list", "defer", "no-list+defer")


def what_if(tmux: Tmux, tmp: Path, python: str, app_cmd: str, floor_cmd: str, app_env, base_env, runs: int, poll) -> None:
    launcher = tmp / "what_if.py"
    launcher.write_text(WHAT_IF_LAUNCHER)
    cmds = {"app": (app_cmd, MARKER, app_env)}
    for v in WHAT_IFS:
        cmds[v] = (f"{shlex.quote(python)} {shlex.quote(str(launcher))} {v}", MARKER, app_env)
    cmds["floor"] = (floor_cmd, FLOOR_MARKER, base_env)
    wall: dict[str, list[float]] = {k: [] for k in cmds}
    cpu: dict[str, list[float]] = {k: [] for k in cmds}
    for k, (c, m, e) in cmds.items():
        tmux.measure(c, m, e, poll=poll)
    for n in range(runs):
        for k in list(cmds) if n % 2 == 0 else list(reversed(cmds)):
            c, m, e = cmds[k]
            w, u = tmux.measure(c, m, e, poll=poll)
            wall[k].append(w)
            cpu[k].append(u)
    fw, fc = statistics.median(wall["floor"]), statistics.median(cpu["floor"])
    print(f"\nWhat-if (patched at launch, {runs} interleaved runs each): medians, and ratio to the floor")
    print("  no-list: do not mount the campaigns list under the campaign screen; defer: SQLModel defer_build=True")
    for k in cmds:
        w, c = statistics.median(wall[k]), statistics.median(cpu[k])
        print(f"  {k:14s} wall {w * 1000:6.0f} ms (x{w / fw:.2f})   cpu {c * 1000:6.0f} ms (x{c / fc:.2f})")


# --- main -------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="measured runs of each (default 15)")
    parser.add_argument("--first-runs", type=int, default=2, help="first-run (fresh DB) launches (default 2)")
    parser.add_argument("--poll-ms", type=float, default=5.0)
    parser.add_argument(
        "--no-pyc-cache", action="store_true",
        help="keep the calling environment as is (e.g. PYTHONDONTWRITEBYTECODE=1: repo modules compiled at every start)",
    )
    parser.add_argument("--profile", action="store_true", help="also print import-time offenders and a phase breakdown")
    parser.add_argument(
        "--what-if", type=int, default=0, metavar="RUNS",
        help="also time start-up variants patched at launch (see WHAT_IFS), RUNS interleaved runs each",
    )
    args = parser.parse_args()

    python = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
    tmp = Path(tempfile.mkdtemp(prefix="panel-bench-startup-"))
    server_env = dict(os.environ)
    if not args.no_pyc_cache:
        # Byte-code caching as an installed app has it, for both app and floor. The cache lives in
        # the temp folder (PYTHONPYCACHEPREFIX), so nothing is written into the repository.
        server_env.pop("PYTHONDONTWRITEBYTECODE", None)
        server_env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    tmux = Tmux(server_env)
    base_env = {"PYTHONPATH": str(ROOT)}
    poll = args.poll_ms / 1000
    try:
        floor_py = tmp / "floor_app.py"
        floor_py.write_text(FLOOR_APP)
        floor_db = tmp / "floor.db"
        subprocess.run([python, str(floor_py), "--setup", str(floor_db)], check=True)
        app_cmd = f"{shlex.quote(python)} -m panel_tui demo"
        floor_cmd = f"{shlex.quote(python)} {shlex.quote(str(floor_py))} {shlex.quote(str(floor_db))}"

        print(f"terminal {WIDTH}x{HEIGHT} in tmux, poll every {args.poll_ms:g} ms, python {python}")
        print(f"byte-code cache: {'as in the calling environment' if args.no_pyc_cache else 'on (temp PYTHONPYCACHEPREFIX)'}")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        # Warm-up, not recorded: page cache and byte-code cache, including the first-run-only modules.
        tmux.time_to_marker(app_cmd, MARKER, {**base_env, "PANEL_TUI_DB": str(tmp / "warmup.db")}, timeout=120, poll=poll)
        tmux.time_to_marker(floor_cmd, FLOOR_MARKER, base_env, poll=poll)

        # First run(s): no database file yet (schema, bundled frameworks, demo data are created).
        first = []
        for n in range(args.first_runs):
            db = tmp / f"first{n}.db"
            first.append(tmux.time_to_marker(app_cmd, MARKER, {**base_env, "PANEL_TUI_DB": str(db)}, timeout=120, poll=poll))
            print(f"  first run {n + 1}: {first[-1] * 1000:.0f} ms")
        app_env = {**base_env, "PANEL_TUI_DB": str(tmp / "warmup.db")}
        tmux.time_to_marker(app_cmd, MARKER, app_env, poll=poll)

        app_t: list[float] = []
        floor_t: list[float] = []
        cpu: dict[str, list[float]] = {"app": [], "floor": []}
        for n in range(args.runs):
            order = [("app", app_cmd, MARKER, app_env), ("floor", floor_cmd, FLOOR_MARKER, base_env)]
            if n % 2:
                order.reverse()
            for kind, cmd, marker, env in order:
                elapsed, used = tmux.measure(cmd, marker, env, poll=poll)
                (app_t if kind == "app" else floor_t).append(elapsed)
                cpu[kind].append(used)
            print(
                f"  run {n + 1:2d}: app {app_t[-1] * 1000:6.0f} ms (cpu {cpu['app'][-1] * 1000:4.0f})"
                f"   floor {floor_t[-1] * 1000:6.0f} ms (cpu {cpu['floor'][-1] * 1000:4.0f})"
            )
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        ratio = statistics.median(app_t) / statistics.median(floor_t)
        print("\nTime to first screen (launch -> marker visible in capture-pane):")
        if first:
            print(f"  first run (fresh DB) {summary(first)}")
        print(f"  app (existing demo)  {summary(app_t)}")
        print(f"  floor                {summary(floor_t)}")
        print(f"  ratio app/floor (medians) {ratio:.2f}   (target <= 1.20: {'MET' if ratio <= 1.2 else 'MISSED'})")
        print(f"  ratio app/floor (p90)     {percentile(app_t, 90) / percentile(floor_t, 90):.2f}")
        print("CPU time used by the process up to that moment (all threads; insensitive to other load):")
        print(f"  app   median {statistics.median(cpu['app']) * 1000:6.1f} ms   p90 {percentile(cpu['app'], 90) * 1000:6.1f} ms")
        print(f"  floor median {statistics.median(cpu['floor']) * 1000:6.1f} ms   p90 {percentile(cpu['floor'], 90) * 1000:6.1f} ms")
        print(f"  ratio app/floor (medians) {statistics.median(cpu['app']) / statistics.median(cpu['floor']):.2f}")
        if args.profile or ratio > 1.2:
            profile({**app_env, "PYTHONPYCACHEPREFIX": server_env.get("PYTHONPYCACHEPREFIX", "")})
        if args.what_if:
            what_if(tmux, tmp, python, app_cmd, floor_cmd, app_env, base_env, args.what_if, poll)
    finally:
        tmux.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
