"""Benchmark: start-up of `panel-tui demo` in a real terminal, and of a CLI command, against floors.

Each TUI run starts a detached tmux session of fixed size (160x48) on a private tmux socket,
running the command, and polls `tmux capture-pane -p` every ~5 ms; the figures are the times
from launch to the first capture showing each marker:

* first frame : the app's footer ("Quit"): header, footer and the loading state are drawn (in a
                terminal, the splash of panel_tui/splash.py, written before Textual is imported)
* data        : "HR Business Partner", the demo campaign's candidate list (Textual's first frame)
* key answered: "t" is typed the moment the first frame shows (as a panellist might); the time until
                the list says "showing today's only": when the app acts on a key (keys typed behind
                the splash are held and replayed on the first screen)

Subjects, interleaved round by round (the order alternates), same interpreter and terminal:

* bare   : a bare Textual app (Header, Static, Footer); its first frame is the first-frame floor.
* floor  : a bare Textual app whose 50 rows come through SQLModel from a SQLite file, selected in
           on_mount before its first paint; its first frame is the data floor.
* app    : `python -m panel_tui demo` on a database that already holds the demo.
* first  : the same on a file that does not exist yet (schema, bundled frameworks, demo created).
* before / before-first : the same two for another revision (--before REV, default HEAD~0 = none),
           extracted with `git archive` into the temp folder.
* CLI (plain subprocess, no terminal): `panel-tui campaign list` against `python -c "import sqlmodel"`.

Besides wall time, the CPU time the process had used when the data appeared is read from /proc
(all threads): it is far less sensitive to other load on the machine than the wall clock.

    python bench/bench_startup.py [--runs 9] [--before REV] [--profile] [--passphrase]

--passphrase also measures the app on an encrypted database ("app-enc": PANEL_TUI_PASSPHRASE set;
the key derivation runs once, in the loading worker), in the same interleaved rounds.

--profile prints the import-time offenders of the path to the first frame (the splash) and of the
path from there to the data (python -X importtime).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
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
FIRST_MARKER = "Quit"
KEY = "t"  # the campaign screen's "Today only": typed once the first frame shows
KEY_MARKER = "showing today's only"
FLOOR_MARKER = "Floor Benchmark Ready"
BARE_MARKER = "Bare Textual Ready"
WIDTH, HEIGHT = 160, 48

BARE_APP = textwrap.dedent(
    '''
    """First-frame floor for bench_startup: a bare Textual app, nothing else."""
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static


    class BareApp(App):
        TITLE = "BARE_MARKER"

        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("Loading")
            yield Footer()


    if __name__ == "__main__":
        BareApp().run()
    '''
).replace("BARE_MARKER", BARE_MARKER)

FLOOR_APP = textwrap.dedent(
    '''
    """Floor for bench_startup: a bare Textual app whose rows come through SQLModel."""
    import os
    import sys

    if os.environ.get("FLOOR_GC_PAUSED"):  # --gc-reference: the app's collector pause, applied to the floor
        import gc

        gc.disable()

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

    def measure(
        self, command: str, markers: tuple[str, ...], env: dict[str, str], cwd: Path, *,
        timeout: float = 30.0, poll: float = 0.005, key: str | None = None,
    ) -> tuple[list[float], float]:
        """Launch command in a new session: (seconds until each marker was first on screen, in order of
        markers; a later marker on screen counts for the earlier ones too), CPU seconds used when the
        second one (the data) appeared. ``key`` is typed once the first marker is on screen.
        Kills the session afterwards."""
        self.counter += 1
        name = f"run{self.counter}"
        env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
        args = [*self.base, "new-session", "-d", "-s", name, "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(cwd),
                *env_args, f"exec {command}"]
        seen: list[float] = []
        used = float("nan")
        t0 = time.perf_counter()
        subprocess.run(args, check=True, env=self.env)
        try:
            while True:
                screen = self.capture(name)
                elapsed = time.perf_counter() - t0
                shown = [i for i, m in enumerate(markers) if m in screen]
                if shown:
                    before = len(seen)
                    seen.extend([elapsed] * (max(shown) + 1 - len(seen)))
                    if before == 0 and key is not None:
                        self.run("send-keys", "-t", name, key)
                    if before < min(2, len(markers)) <= len(seen):
                        used = cpu_seconds(self.pane_pid(name))
                if len(seen) == len(markers):
                    return seen, used
                if elapsed > timeout:
                    raise RuntimeError(f"marker {markers[-1]!r} not seen after {timeout:.0f} s; screen was:\n{screen}")
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
    """CPU time (user + system) used so far by pid, all its threads including finished ones, and
    its children once reaped (the demo's first start makes its file in a forked child:
    panel_tui/first_run.py) (/proc/PID/stat, clock ticks of 10 ms)."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    # utime, stime, cutime, cstime
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


# --- profile ----------------------------------------------------------------------

UI_PATH = "from panel_tui import cli, splash; cli.command_in(['demo'])"
DATA_PATH = (
    "import panel_tui.app, textual.drivers.linux_driver; "
    "import db.engine, db.migrations, db.models, db.frameworks, db.demo, db.campaigns, db.interview; "
    "import panel_tui.screens.campaign"
)


def import_profile(env: dict[str, str]) -> None:
    for title, code, pre in (
        ("before the first frame (the splash)", UI_PATH, ""),
        ("from the splash to the data (Textual, the database layer, the first screen)", DATA_PATH,
         "from panel_tui import cli, splash; "),
    ):
        proc = subprocess.run(
            [python_path(), "-X", "importtime", "-c", pre + code], capture_output=True, text=True, env=env, cwd=ROOT
        )
        rows = []
        for line in proc.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if m:
                rows.append((int(m.group(2)), len(m.group(3)), m.group(4)))
        skip: set[str] = set()
        if pre:  # what the pre-imports already loaded is not this path's cost
            pre_proc = subprocess.run(
                [python_path(), "-X", "importtime", "-c", pre], capture_output=True, text=True, env=env, cwd=ROOT
            )
            skip = {m.group(1) for m in re.finditer(r"\| +\d+ \| *(\S+)", pre_proc.stderr)}
        top = sorted((r for r in rows if r[1] == 1 and r[2] not in skip), reverse=True)[:10]
        print(f"\nImports, {title} (python -X importtime, top-level, cumulative):")
        print(f"  total {sum(r[0] for r in rows if r[1] == 1 and r[2] not in skip) / 1000:.1f} ms")
        for cum, _, name in top:
            print(f"  {cum / 1000:7.1f} ms  {name}")


def python_path() -> str:
    return str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))


# --- main -------------------------------------------------------------------------


def extract(rev: str, dest: Path) -> Path:
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def run_cli(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100] (bench_interview.py uses it too)."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def med(values: list[float]) -> float:
    return statistics.median(values) * 1000


def tui_summary(runs: int, subjects: list[str], roots: list[str], wall: dict, cpu: dict) -> None:
    first = {k: [t[0] for t in v] for k, v in wall.items()}
    data = {k: [t[min(1, len(t) - 1)] for t in v] for k, v in wall.items()}
    answered = {k: [t[2] for t in v] for k, v in wall.items() if v and len(v[0]) > 2}
    bare, floor = med(first["bare"]), med(data["floor"])
    print(f"\nMedians of {runs} interleaved rounds, ms (ratio to the floor):")
    floor_cpu = med(cpu["floor"])
    print(f"  {'':15s} {'first frame':>18s} {'data visible':>18s} {'cpu at data':>20s} {'key answered':>18s}")
    for name in subjects:
        f = "" if name.startswith("floor") else f"{med(first[name]):7.0f} (x{med(first[name]) / bare:.2f})"
        d = "" if name == "bare" else f"{med(data[name]):7.0f} (x{med(data[name]) / floor:.2f})"
        c = f"{med(cpu[name]):7.0f} ms" + ("" if name == "bare" else f" (x{med(cpu[name]) / floor_cpu:.2f})")
        k = f"{med(answered[name]):7.0f} (x{med(answered[name]) / floor:.2f})" if name in answered else ""
        print(f"  {name:15s} {f:>18s} {d:>18s} {c:>20s} {k:>18s}")
    print("  first frame: ratio to bare Textual (target <= 1.5); data: ratio to the floor "
          "(target <= 1.0; first run <= 1.3); cpu: ratio to the floor's (a forked child's included);\n"
          "  key answered: a key typed at the first frame acted on, ratio to the floor's data (no target)")
    # CPU time only grows with other load (shared cores, caches): the quartile is the steadier figure.
    low = {k: percentile(v, 25) for k, v in cpu.items()}
    print("  cpu at data, 25th percentile, ratio to the floor's: "
          + ", ".join(f"{k} x{v / low['floor']:.2f}" for k, v in low.items() if k not in ("bare", "floor")))
    for name in roots:
        ratios = (med(first[name]) / bare, med(data[name]) / floor, med(data[f"{name}-first"]) / floor)
        verdicts = [("PASS" if r <= limit else "MISS") for r, limit in zip(ratios, (1.5, 1.0, 1.3))]
        print(f"  {name}: first frame x{ratios[0]:.2f} (<= 1.5) {verdicts[0]}, data x{ratios[1]:.2f} (<= 1.0) "
              f"{verdicts[1]}, first run x{ratios[2]:.2f} (<= 1.3) {verdicts[2]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9, help="interleaved rounds (default 9)")
    parser.add_argument("--before", metavar="REV", help="also measure this git revision (e.g. main), extracted to a temp folder")
    parser.add_argument("--poll-ms", type=float, default=5.0)
    parser.add_argument(
        "--no-pyc-cache", action="store_true",
        help="keep the calling environment as is (e.g. PYTHONDONTWRITEBYTECODE=1: repo modules compiled at every start)",
    )
    parser.add_argument("--profile", action="store_true", help="also print the import-time offenders of both start-up paths")
    parser.add_argument("--cli-only", action="store_true", help="only the CLI comparison (no terminal runs)")
    parser.add_argument("--passphrase", action="store_true", help="also measure the app on an encrypted database (app-enc)")
    parser.add_argument(
        "--gc-reference", action="store_true",
        help="also the floor and `import sqlmodel` with the garbage collector paused, as the app pauses it at "
        "start-up (panel_tui/gc_pause.py): what the app costs beyond the stack when both skip the collector",
    )
    args = parser.parse_args()

    python = python_path()
    tmp = Path(tempfile.mkdtemp(prefix="panel-bench-startup-"))
    server_env = dict(os.environ)
    if not args.no_pyc_cache:
        # Byte-code caching as an installed app has it, for every subject. The cache lives in
        # the temp folder (PYTHONPYCACHEPREFIX), so nothing is written into the repository.
        server_env.pop("PYTHONDONTWRITEBYTECODE", None)
        server_env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    tmux = Tmux(server_env)
    poll = args.poll_ms / 1000
    try:
        (tmp / "floor_app.py").write_text(FLOOR_APP)
        (tmp / "bare_app.py").write_text(BARE_APP)
        floor_db = tmp / "floor.db"
        subprocess.run([python, str(tmp / "floor_app.py"), "--setup", str(floor_db)], check=True)
        roots = {"app": ROOT}
        if args.before:
            roots["before"] = extract(args.before, tmp / "before")
        if args.passphrase:
            roots["app-enc"] = ROOT
        secret = {"PANEL_TUI_PASSPHRASE": "bench passphrase"}  # a new file given one is created encrypted
        # subject -> (command, env, cwd, markers); "-first" subjects get a new database file each run
        subjects: dict[str, tuple[str, dict[str, str], Path, tuple[str, ...]]] = {
            "bare": (f"{shlex.quote(python)} {shlex.quote(str(tmp / 'bare_app.py'))}", {}, tmp, (BARE_MARKER,)),
            "floor": (
                f"{shlex.quote(python)} {shlex.quote(str(tmp / 'floor_app.py'))} {shlex.quote(str(floor_db))}",
                {}, tmp, (FLOOR_MARKER,),
            ),
        }
        if args.gc_reference:
            subjects["floor-gc-paused"] = (subjects["floor"][0], {"FLOOR_GC_PAUSED": "1"}, tmp, (FLOOR_MARKER,))
        for name, root in roots.items():
            demo_db = tmp / f"{name}-demo.db"
            cmd = f"{shlex.quote(python)} -m panel_tui demo"
            base_env = {"PYTHONPATH": str(root), **(secret if name.endswith("-enc") else {})}
            markers = (FIRST_MARKER, MARKER, KEY_MARKER)
            subjects[name] = (cmd, {**base_env, "PANEL_TUI_DB": str(demo_db)}, root, markers)
            subjects[f"{name}-first"] = (cmd, base_env, root, markers)

        if args.cli_only:  # the warm-up launches still create the demo database the CLI reads
            subjects = {k: v for k, v in subjects.items() if k in roots}
        print(f"terminal {WIDTH}x{HEIGHT} in tmux, poll every {args.poll_ms:g} ms, python {python}")
        print(f"byte-code cache: {'as in the calling environment' if args.no_pyc_cache else 'on (temp PYTHONPYCACHEPREFIX)'}")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        # Warm-up, not recorded: page cache and byte-code cache (the first launch of each app also
        # creates its demo database, so every later "app" run opens an existing one).
        for name, (cmd, env, cwd, markers) in subjects.items():
            if name.endswith("-first"):
                env = {**env, "PANEL_TUI_DB": str(tmp / f"warm-{name}.db")}
            tmux.measure(cmd, markers, env, cwd, timeout=120, poll=poll, key=KEY if len(markers) > 2 else None)

        wall: dict[str, list[list[float]]] = {k: [] for k in subjects}
        cpu: dict[str, list[float]] = {k: [] for k in subjects}
        for n in range(0 if args.cli_only else args.runs):
            order = list(subjects) if n % 2 == 0 else list(reversed(subjects))
            line = []
            for name in order:
                cmd, env, cwd, markers = subjects[name]
                if name.endswith("-first"):
                    env = {**env, "PANEL_TUI_DB": str(tmp / f"{name}-{n}.db")}
                times, used = tmux.measure(cmd, markers, env, cwd, timeout=120, poll=poll,
                                           key=KEY if len(markers) > 2 else None)
                wall[name].append(times)
                cpu[name].append(used)
                line.append(f"{name} {'/'.join(f'{t * 1000:.0f}' for t in times)}")
            print(f"  round {n + 1}: " + "  ".join(line))

        # CLI: a command that does not open the TUI, against importing sqlmodel alone.
        cli_env = {**server_env, "PANEL_TUI_DB": str(tmp / "app-demo.db")}
        cli_cmds = {"import sqlmodel": ([python, "-c", "import sqlmodel"], ROOT, cli_env)}
        if args.gc_reference:
            cli_cmds["import sqlmodel, gc paused"] = ([python, "-c", "import gc; gc.disable(); import sqlmodel"], ROOT, cli_env)
        for name, root in roots.items():
            cli_cmds[f"{name} campaign list"] = (
                [python, "-m", "panel_tui", "campaign", "list"], root,
                {**cli_env, "PYTHONPATH": str(root), "PANEL_TUI_DB": str(tmp / f"{name}-demo.db"),
                 **(secret if name.endswith("-enc") else {})},
            )
        cli: dict[str, list[tuple[float, float]]] = {k: [] for k in cli_cmds}
        for cmd, cwd, env in cli_cmds.values():
            run_cli(cmd, env, cwd)
        for n in range(max(args.runs, 7)):
            for name in (list(cli_cmds) if n % 2 == 0 else list(reversed(cli_cmds))):
                cmd, cwd, env = cli_cmds[name]
                cli[name].append(run_cli(cmd, env, cwd))
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        if not args.cli_only:
            tui_summary(args.runs, list(subjects), list(roots), wall, cpu)
        base = med([w for w, _ in cli["import sqlmodel"]])
        base_cpu = med([c for _, c in cli["import sqlmodel"]])
        print("\nCLI, no terminal (target: campaign list <= import sqlmodel + 100 ms):")
        for name, values in cli.items():
            wall_ms, cpu_ms = med([w for w, _ in values]), med([c for _, c in values])
            print(f"  {name:27s} median {wall_ms:6.0f} ms ({wall_ms - base:+.0f})   cpu {cpu_ms:6.0f} ms ({cpu_ms - base_cpu:+.0f})")
        for name in roots:
            values = cli[f"{name} campaign list"]
            extra = med([w for w, _ in values]) - base
            extra_cpu = med([c for _, c in values]) - base_cpu
            print(f"  {name}: campaign list {extra:+.0f} ms wall, {extra_cpu:+.0f} ms cpu over import sqlmodel "
                  f"(target <= +100): {'PASS' if extra <= 100 else 'MISS'}")
        if args.profile:
            import_profile({**server_env, "PYTHONPATH": str(ROOT)})
    finally:
        tmux.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
