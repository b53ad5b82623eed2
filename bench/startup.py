"""Start-up benchmark: `tipline --help`, commands with no UI, and the queue's first paint.

Everything is measured in one run, on the same machine, against floors measured
beside it: the interpreter alone (`python -c pass`, `python -c "import argparse"`)
for the commands, and a bare Textual app (one Static) for the first paint.

    .venv/bin/python bench/startup.py [--runs 11] [--paint-runs 7] [--root DIR]

`--root` runs another checkout of the code (its folder goes first on PYTHONPATH),
so one script measures the code before and after a change. The commands run
with no settings file and no TIPLINE_ variables, on a temporary copy of
demo_db.sqlite. It prints measurements, not pass/fail: the exit status is 0 even
when a target is missed (the line says MISSED).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import fcntl
import os
import re
import select
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS, LINES = 80, 24
COMMAND_TARGET = 0.25  # seconds: --help and every command that opens no UI
PAINT_TARGET = 2.0  # the queue's first paint over a bare Textual app's
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CTRL_Q = b"\x11"
BARE_MARK = "bare app ready"
# A bare Textual app: what any Textual program pays before its first frame.
BARE_APP = f"""
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static({BARE_MARK!r})

Bare().run()
"""
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[@-_]"
)


def quiet_env(root: Path, home: Path) -> dict[str, str]:
    """The environment every run gets: this checkout first, no user settings, no devtools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIPLINE_", "TEXTUAL"))}
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    env["TIPLINE_CONFIG"] = str(home / "no-settings.toml")  # absent: defaults
    env["XDG_DATA_HOME"] = str(home / "data")  # the default store and log, if anything asks
    env["XDG_STATE_HOME"] = str(home / "state")
    env["TERM"] = "xterm-256color"
    env["COLUMNS"], env["LINES"] = str(COLUMNS), str(LINES)
    return env


# ------------------------------------------------------------------ commands


def wall_time(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit of one run; a failing command stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    return elapsed


def medians(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    """The median wall time of each command over `runs` rounds, the commands in turn
    within a round (so a slow spell of the machine hits all of them alike)."""
    for argv in commands.values():  # warm the file cache and the .pyc files
        wall_time(argv, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(wall_time(argv, env))
    return {name: statistics.median(values) for name, values in times.items()}


def no_ui_commands(store: Path, tip_id: int) -> dict[str, list[str]]:
    python = [sys.executable]
    tipline = [*python, "-m", "tipline_tui"]
    return {
        "python -c pass": [*python, "-c", "pass"],
        'python -c "import argparse"': [*python, "-c", "import argparse"],
        "tipline --help": [*tipline, "--help"],
        "tipline agencies --help": [*tipline, "agencies", "--help"],
        "tipline --version": [*tipline, "--version"],
        f"tipline suggest --db DEMO {tip_id}": [
            *tipline,
            "suggest",
            "--db",
            str(store),
            str(tip_id),
        ],
        "tipline agencies list --db DEMO": [*tipline, "agencies", "list", "--db", str(store)],
    }


# ------------------------------------------------------------------ first paint


@dataclass
class PtyRun:
    """A program in an 80x24 pseudo-terminal of its own, read as a terminal would be."""

    argv: list[str]
    env: dict[str, str]
    quit_key: bytes
    master: int = -1
    proc: subprocess.Popen[bytes] | None = None
    raw: bytearray = field(default_factory=bytearray)

    def start(self) -> float:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.master = master
        started = time.perf_counter()
        self.proc = subprocess.Popen(  # Textual draws on stderr and reads stdin
            self.argv, stdin=slave, stdout=slave, stderr=slave, env=self.env,
            start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        return started

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO once the child has closed the terminal
            chunk = b""
        self.raw += chunk
        return chunk

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> float | None:
        """The perf_counter time `pattern` showed in the plain-text output, or None."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text = ""
        deadline = time.perf_counter() + timeout
        while (left := deadline - time.perf_counter()) > 0:
            chunk = self.read(left)
            if not chunk:
                if self.proc is not None and self.proc.poll() is not None:
                    return None
                continue
            seen = time.perf_counter()
            text += decoder.decode(chunk)
            if pattern.search(ANSI.sub("", text)):
                return seen
        return None

    def close(self) -> None:
        """Quit with the app's own key, then SIGTERM, then SIGKILL, draining output."""
        proc = self.proc
        if proc is not None:
            with contextlib.suppress(OSError):
                os.write(self.master, self.quit_key)
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None and proc.poll() is None:
                    proc.send_signal(sig)
                deadline = time.perf_counter() + 3.0
                while proc.poll() is None and time.perf_counter() < deadline:
                    self.read(0.05)
                if proc.poll() is not None:
                    break
            proc.wait()
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


def first_paint(run: PtyRun, pattern: re.Pattern[str], timeout: float = 60.0) -> float:
    """Seconds from spawn until `pattern` is on the terminal."""
    started = run.start()
    try:
        seen = run.wait_for(pattern, timeout)
    finally:
        run.close()
    if seen is None:
        tail = ANSI.sub("", run.raw[-400:].decode("utf-8", "replace"))
        raise SystemExit(f"{run.argv} never showed {pattern.pattern!r}; tail: {tail!r}")
    return seen - started


def first_tip_id(store: Path) -> int:
    """The tip the queue shows first: the most urgent open one (the app orders the same way,
    and the paint waits for its row, not for a particular id, so a tie does not matter)."""
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT min(id) FROM report").fetchone()
    return int(row[0])


QUEUE_ROW = re.compile(r">\s+\d+\s")  # the cursor row: mark, padding, a tip id


def paint_times(
    store_copy: Callable[[], Path], env: dict[str, str], runs: int
) -> tuple[list[float], list[float]]:
    """First paint of the bare app and of the queue (`tipline --db COPY`), alternated."""
    bare_argv = [sys.executable, "-c", BARE_APP]
    bare: list[float] = []
    queue: list[float] = []
    for n in range(runs + 1):  # the first round warms the caches and is not counted
        order = ("bare", "queue") if n % 2 else ("queue", "bare")
        for which in order:
            if which == "bare":
                elapsed = first_paint(PtyRun(bare_argv, env, CTRL_Q), re.compile(BARE_MARK))
                bare.append(elapsed)
            else:
                argv = [sys.executable, "-m", "tipline_tui", "--db", str(store_copy())]
                queue.append(first_paint(PtyRun(argv, env, b"q"), QUEUE_ROW))
    return bare[1:], queue[1:]


# ------------------------------------------------------------------ report


def _mark(value: float, target: float) -> str:
    return "" if value <= target else "  MISSED"


def report_commands(times: dict[str, float]) -> None:
    floor = times['python -c "import argparse"']
    for name, value in times.items():
        if name.startswith("python"):
            print(f"{name:<36} {value * 1000:6.0f} ms")
            continue
        extra = f"  (+{(value - floor) * 1000:.0f} ms over argparse alone)"
        print(f"{name:<36} {value * 1000:6.0f} ms{extra}{_mark(value, COMMAND_TARGET)}")


def report_paint(bare: list[float], queue: list[float]) -> None:
    bare_median, queue_median = statistics.median(bare), statistics.median(queue)
    ratio = queue_median / bare_median
    print(f"{'first paint, bare Textual app':<36} {bare_median * 1000:6.0f} ms")
    print(f"{'first paint, tipline --db DEMO':<36} {queue_median * 1000:6.0f} ms")
    print(
        f"{'ratio queue / bare':<36} {ratio:6.2f}    (target <= {PAINT_TARGET})"
        + _mark(ratio, PAINT_TARGET)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each command (median)")
    parser.add_argument("--paint-runs", type=int, default=7, help="first-paint runs (median)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--demo", type=Path, default=ROOT / "demo_db.sqlite", help="demo store")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="tipline-startup-"))
    try:
        env = quiet_env(args.root.resolve(), home)
        store = home / "demo.sqlite"
        shutil.copyfile(args.demo, store)
        tip_id = first_tip_id(store)
        print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; medians", flush=True)
        times = medians(no_ui_commands(store, tip_id), env, args.runs)

        def fresh_copy() -> Path:
            copy = home / "queue.sqlite"
            for stale in (Path(f"{copy}-wal"), Path(f"{copy}-shm")):
                stale.unlink(missing_ok=True)
            shutil.copyfile(args.demo, copy)
            return copy

        bare, queue = paint_times(fresh_copy, env, args.paint_runs)
        print(f"commands: {args.runs} runs; first paint: {args.paint_runs} runs, at 80x24")
        report_commands(times)
        report_paint(bare, queue)
        print(f"load after {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
