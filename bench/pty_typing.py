"""Real-terminal typing latency for bench_interview.py: each app on its own pseudo-terminal.

The bench is the terminal: it writes each key's byte to the pty, as a terminal emulator does
when a key is pressed, and reads what the app writes back. It answers Textual's query for
synchronized output (as kitty, WezTerm, iTerm2, foot... do), so each frame arrives between
``ESC[?2026h`` and ``ESC[?2026l``; the clock stops when the first complete frame whose text
holds the line typed so far has arrived. Resolution: microseconds (no screen polling).

The app (``python -m panel_tui demo``, driven to the interview screen) runs through a small
wrapper that wraps ``db.autosave.autosave`` (what the save queue calls on its thread) to log
when each save runs and the CPU time its thread spent in it, so keys next to a save can be
told apart. ``time.perf_counter`` is CLOCK_MONOTONIC, the same clock in both processes.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import selectors
import signal
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

SYNC_END = b"\x1b[?2026l"
SYNC_QUERY = b"\x1b[?2026$p"
ANSI = re.compile(rb"\x1b\[[0-9;?$]*[ -/]*[@-~]|\x1b[PX^_].*?\x1b\\|\x1b\][^\x07]*(?:\x07|\x1b\\)|\x1b[@-_]")

WRAPPER = '''
import sys, time
from db import autosave

log = open(sys.argv[1], "w", buffering=1)
original = autosave.autosave


def timed(*args, **kwargs):
    c0, t0 = time.thread_time(), time.perf_counter()
    try:
        return original(*args, **kwargs)
    finally:
        log.write(f"{t0} {time.perf_counter()} {time.thread_time() - c0}\\n")


autosave.autosave = timed

import gc
import threading

gc_log = open(sys.argv[1] + ".gc", "w", buffering=1)
gc_start = {}


def gc_timed(phase, info):
    # Collections of generation 1 and 2 (the long ones), with the thread that ran them.
    if info["generation"] >= 1:
        if phase == "start":
            gc_start[0] = time.perf_counter()
        else:
            gc_log.write(f"{gc_start.get(0, 0.0)} {time.perf_counter()} {info['generation']}"
                         f" {int(threading.current_thread() is threading.main_thread())}\\n")


gc.callbacks.append(gc_timed)
from panel_tui.cli import main

sys.exit(main(["demo"]))
'''


class PtyApp:
    """One app on a pty (100x30 unless told): a reader thread collects its frames' text."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, size=(100, 30)) -> None:
        self.name = name
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.master = master
        self.pending = b""
        self.screen_text = ""  # all frame text so far (for waiting on start-up markers)
        self.want: str | None = None
        self.hit = 0.0
        self.frames_before = 0  # frames drawn after the key was sent, before the one showing it
        self.frame_times: list[float] = []  # when each frame arrived
        self.cond = threading.Condition()

    def feed(self, data: bytes, now: float) -> None:
        if SYNC_QUERY in data:
            os.write(self.master, b"\x1b[?2026;2$y")  # "supported, off": Textual then wraps frames
        self.pending += data
        while SYNC_END in self.pending:
            frame, self.pending = self.pending.split(SYNC_END, 1)
            text = ANSI.sub(b"", frame).decode("utf-8", "replace")
            self.frame_times.append(now)
            with self.cond:
                self.screen_text = (self.screen_text + text)[-200_000:]
                if self.want is not None:
                    if self.want in text:
                        self.want = None
                        self.hit = now
                    else:
                        self.frames_before += 1
                self.cond.notify_all()

    def expect(self, text: str) -> None:
        with self.cond:
            self.want = text
            self.hit = 0.0
            self.frames_before = 0

    def wait_hit(self, timeout: float = 10.0) -> float:
        with self.cond:
            if not self.cond.wait_for(lambda: self.want is None, timeout):
                raise RuntimeError(f"{self.name}: {self.want!r} never shown; last text:\n{self.screen_text[-2000:]}")
            return self.hit

    def wait_text(self, text: str, timeout: float = 60.0) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: text in self.screen_text, timeout):
                raise RuntimeError(f"{self.name}: {text!r} not on screen after {timeout:.0f} s:\n{self.screen_text[-2000:]}")

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.master)


def _reader(apps: list[PtyApp], stop: threading.Event) -> None:
    sel = selectors.DefaultSelector()
    for app in apps:
        sel.register(app.master, selectors.EVENT_READ, app)
        # Wake-ups of the condition are cheap; the text check happens here, once per frame.
    while not stop.is_set():
        for key, _ in sel.select(0.05):
            try:
                data = os.read(key.fd, 65536)
            except OSError:
                sel.unregister(key.fd)
                continue
            if data:
                key.data.feed(data, time.perf_counter())
            else:
                sel.unregister(key.fd)


def typing_lines(n_keys: int, seed: int = 7) -> list[str]:
    """Lines of ~40 characters, each starting with a tag unique in the run (so a frame shows the
    line typed so far only once its last key has been drawn). Letters only: no command key is
    hit while typing, no terminal special character."""
    rng = random.Random(seed)
    words = ["briefing", "staff", "union", "plain", "faqs", "change", "result", "survey", "team", "role"]
    lines, total, n = [], 0, 0
    while total < n_keys:
        n += 1
        tag = "".join(rng.choice("bcdfghjkmnpvwxz") for _ in range(3)) + "q"
        line = tag
        while len(line) < 40:
            line += rng.choice("-.,") + rng.choice(words)
        lines.append(line[:40])
        total += 36  # the first 4 keys of a line (its tag) are typed but not timed
    return lines


def _log_size(log: Path) -> int:
    """The save log's size: it grows by one line per save (a stat, not a read: polled every 0.5 ms)."""
    try:
        return log.stat().st_size
    except FileNotFoundError:
        return 0


def run_pty(python: str, roots: dict[str, tuple[Path, Path]], tmp: Path, bare_py: Path, editor_size: tuple[int, int],
            n_keys: int, gap: float, timer: bool = True, after_save_every: int = 3) -> dict:
    """Type the same keys into each interview app (``roots``: name -> (checkout to run it from, its demo
    database)) and a bare TextArea, rotating key by key. Returns name -> [(sent, shown, aligned, frames
    before the echo)], name + "/saves" and "bare/after-pause".

    Every ``after_save_every``-th timed key is an aligned round: each interview gets its key the moment
    it has logged its next save (in whichever order their saves come), then the bare TextArea gets its
    key after the same pause. Paced typing seldom meets a save by chance (a few keys in 300), and the
    keys right after one are those the issue asks about."""
    base = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    wrapper = tmp / "interview_wrapper.py"
    wrapper.write_text(WRAPPER)
    apps: dict[str, PtyApp] = {}
    logs = {name: tmp / f"{name}-saves.log" for name in roots}
    t_start = time.perf_counter()
    for name, (root, db) in roots.items():
        env = dict(base, PYTHONPATH=str(root), PANEL_TUI_DB=str(db))
        apps[name] = PtyApp(name, [python, str(wrapper), str(logs[name])], env, root)
    apps["bare"] = PtyApp("bare", [python, str(bare_py), str(editor_size[0]), str(editor_size[1])], base, tmp)
    stop = threading.Event()
    reader = threading.Thread(target=_reader, args=(list(apps.values()), stop), daemon=True)
    reader.start()
    out: dict = {name: [] for name in apps}
    out["bare/after-pause"] = []
    last_sent = {name: 0.0 for name in apps}

    def key(name: str, ch: str, text: str, timed: bool, aligned: bool = False, then_wait: bool = True) -> None:
        target = apps[name]
        target.expect(text)
        t0 = last_sent[name] = time.perf_counter()
        target.send(ch.encode())
        if timed:
            shown = target.wait_hit()
            out[name].append((t0, shown, aligned, target.frames_before))
            if name == "bare" and aligned:
                out["bare/after-pause"].append((t0, shown))
        else:
            time.sleep(0.03)
        if then_wait:
            time.sleep(gap)

    def aligned_round(ch: str, text: str, round_no: int) -> None:
        """Each interview gets the key as soon as its next save is logged; the bare TextArea last,
        after a pause as long as one of theirs (taken in turn)."""
        seen = {name: _log_size(log) for name, log in logs.items()}
        waiting, pauses = list(roots), []
        give_up = time.perf_counter() + 2.0
        while waiting:
            ready = [n for n in waiting if _log_size(logs[n]) > seen[n]]
            if not ready:
                if time.perf_counter() < give_up:
                    time.sleep(0.0005)
                    continue
                ready = waiting[:1]  # no save came (none was due): typed anyway, told apart by the save log
            name = ready[0]
            waiting.remove(name)
            pauses.append(time.perf_counter() - last_sent[name])
            # No gap while another interview waits: its save may come meanwhile (its key then goes
            # once this echo is shown, a few ms after its save, not a gap later).
            key(name, ch, text, True, aligned=True, then_wait=False)
        # Its cursor blinks too once typing pauses: the fair baseline for a key after a pause.
        time.sleep(max(0.0, last_sent["bare"] + pauses[round_no % len(pauses)] - time.perf_counter()))
        key("bare", ch, text, True, aligned=True)

    try:
        for name in roots:
            app = apps[name]
            app.wait_text("HRBP-004")
            time.sleep(1.0)
            for k in (b"\x1b[B", b"\x1b[B", b"\x1b[B", b"\r"):
                app.send(k)
                time.sleep(0.2)
            app.wait_text("Evidence:")
            if timer:
                app.send(b"\x14")  # ctrl+t: the interview timer runs, as in a real interview (a redraw a second)
                app.wait_text("▶")
        apps["bare"].wait_text("Bare TextArea Ready")
        for ch in "warm-up, not timed":  # first-use costs (the first save compiles its statements)
            for target in apps.values():
                target.send(ch.encode())
            time.sleep(0.06)
        time.sleep(1.6)
        print(f"    (apps ready after {time.perf_counter() - t_start:.1f} s)", flush=True)
        names = list(apps)
        timed = 0
        for line in typing_lines(n_keys):
            for target in apps.values():
                target.send(b"\r")  # a new line (untimed): the notes stay short on screen
            time.sleep(0.1)
            for i, ch in enumerate(line):
                if i >= 3 and after_save_every and timed % after_save_every == 0:
                    aligned_round(ch, line[: i + 1], timed // after_save_every)
                else:
                    shift = (timed + i) % len(names)
                    for name in names[shift:] + names[:shift]:
                        key(name, ch, line[: i + 1], i >= 3)  # the tag makes the line unique from its 4th key on
                if i >= 3:
                    timed += 1
                if timed >= n_keys:
                    break
            if timed >= n_keys:
                break
        time.sleep(1.5)  # the last save
        print(f"    (typing done after {time.perf_counter() - t_start:.1f} s)", flush=True)
    finally:
        for target in apps.values():
            target.stop()
        stop.set()
        reader.join(2)
    for name, target in apps.items():
        out[name + "/frames"] = target.frame_times
    for name in roots:
        log = tmp / f"{name}-saves.log"
        saves = []
        if log.exists():
            for ln in log.read_text().splitlines():
                begin, end, cpu = (float(x) for x in ln.split())
                saves.append((begin, end, cpu))
        out[name + "/saves"] = saves
        gc_log = Path(str(log) + ".gc")
        out[name + "/gc"] = [tuple(float(x) for x in ln.split()) for ln in gc_log.read_text().splitlines()] if gc_log.exists() else []
    return out
