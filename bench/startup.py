"""Start-up benchmark: `tipline --help`, commands with no UI, and the queue's first paint.

Everything is measured in one run, on the same machine, against floors measured
beside it: the interpreter alone (`python -c pass`, `python -c "import argparse"`)
for the commands, and a bare Textual app (one Static) for the first paint.

    .venv/bin/python bench/startup.py [--runs 11] [--paint-runs 7] [--root DIR] [--before DIR]

`--root` runs another checkout of the code (its folder goes first on PYTHONPATH);
`--before DIR` measures a second checkout beside it, in turn, so the figures before
and after a change come from the same minutes of the same machine. The commands run
with no settings file and no TIPLINE_ variables, on a temporary copy of
demo_db.sqlite. It prints measurements, not pass/fail: the exit status is 0 even
when a target is missed (the line says MISSED).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: bench.* imports
from bench.pty_terminal import read_chunk, spawn, stop, strip_ansi

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


def quiet_env(root: Path, home: Path) -> dict[str, str]:
    """The environment every run gets: this checkout first, no user settings, no devtools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIPLINE_", "TEXTUAL"))}
    # as installed: compiled once (the warm-up round writes the .pyc files), not at every start
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    env["HOME"] = str(home)  # also the working directory: `-m` puts it first on sys.path
    env["TIPLINE_CONFIG"] = str(home / "no-settings.toml")  # absent: defaults
    env["XDG_DATA_HOME"] = str(home / "data")  # the default store and log, if anything asks
    env["XDG_STATE_HOME"] = str(home / "state")
    env["TERM"] = "xterm-256color"
    env["COLUMNS"], env["LINES"] = str(COLUMNS), str(LINES)
    return env


# ------------------------------------------------------------------ commands


@dataclass
class Timing:
    """One run: wall seconds from spawn to exit, and the CPU seconds (user + system) the
    child used, which a busy shared machine disturbs less than the wall clock."""

    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(argv: list[str], env: dict[str, str]) -> Timing:
    """One run of a command; a failing command stops the benchmark."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        argv, env=env, capture_output=True, stdin=subprocess.DEVNULL, cwd=env["HOME"]
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    return Timing(elapsed, _children_cpu() - cpu_before)


Command = tuple[list[str], dict[str, str]]  # argv, environment


def medians(commands: dict[str, Command], runs: int) -> dict[str, Timing]:
    """The median wall and CPU time of each command over `runs` rounds, the commands in
    turn within a round (so a slow spell of the machine hits all of them alike)."""
    for argv, env in commands.values():  # warm the file cache and the .pyc files
        timed_run(argv, env)
    times: dict[str, list[Timing]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, env) in commands.items():
            times[name].append(timed_run(argv, env))
    return {
        name: Timing(statistics.median(t.wall for t in ts), statistics.median(t.cpu for t in ts))
        for name, ts in times.items()
    }


FLOORS = {
    "python -c pass": ["-c", "pass"],
    'python -c "import argparse"': ["-c", "import argparse"],
}


def no_ui_commands(store: Path, tip_id: int) -> dict[str, list[str]]:
    """Every `tipline` command that opens no UI and changes nothing: help, the version, and
    each one that reads the store (writers, the hub and sync are left out). `suggest` runs
    twice: on the first tip, whose US phone number loads phonenumbers' geocoder data (every
    country's, 0.6-0.8 s), and on the first tip placed in the US without a phone number."""
    db = ["--db", str(store)]
    quiet_tip = first_tip_without_phone(store)
    return {
        "tipline --help": ["--help"],
        "tipline agencies --help": ["agencies", "--help"],
        "tipline --version": ["--version"],
        "tipline agencies list --db DEMO": ["agencies", "list", *db],
        "tipline agencies export --db DEMO": ["agencies", "export", *db],
        "tipline audit verify --db DEMO": ["audit", "verify", *db],
        f"tipline audit show --db DEMO {tip_id}": ["audit", "show", *db, str(tip_id)],
        "tipline quarantine --db DEMO": ["quarantine", *db],
        f"tipline suggest --db DEMO {tip_id}": ["suggest", *db, str(tip_id)],
        f"tipline suggest --db DEMO {quiet_tip} (no phone)": ["suggest", *db, str(quiet_tip)],
        f"tipline related --db DEMO {tip_id}": ["related", *db, str(tip_id)],
    }


def command_table(
    checkouts: dict[str, dict[str, str]], store: Path, tip_id: int
) -> dict[str, Command]:
    """Every command to time, keyed "name|checkout"; the floors once, under the first."""
    first_env = next(iter(checkouts.values()))
    table = {f"{name}|": ([sys.executable, *args], first_env) for name, args in FLOORS.items()}
    for name, args in no_ui_commands(store, tip_id).items():
        for label, env in checkouts.items():
            table[f"{name}|{label}"] = ([sys.executable, "-m", "tipline_tui", *args], env)
    return table


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
    first_byte: float | None = None  # perf_counter time the program first wrote anything
    frame_cpu: float | None = None  # CPU seconds the program had used when `pattern` showed

    def start(self) -> float:
        started = time.perf_counter()
        self.master, self.proc = spawn(self.argv, self.env, COLUMNS, LINES, cwd=self.env["HOME"])
        return started

    def read(self, timeout: float) -> bytes:
        chunk = read_chunk(self.master, timeout) or b""
        if chunk and self.first_byte is None:
            self.first_byte = time.perf_counter()
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
            if pattern.search(strip_ansi(text)):
                self.frame_cpu = self.cpu_so_far()
                return seen
        return None

    def cpu_so_far(self) -> float:
        """User + system CPU seconds of the running program (Linux /proc; ticks of 10 ms)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        """Quit with the app's own key, then SIGTERM, then SIGKILL, draining output."""
        stop(self.proc, self.master, self.quit_key, self.read)
        self.master = -1


@dataclass
class Paint:
    """Seconds from spawn to the program's first output, and to its first full frame."""

    first_output: float
    frame: float
    frame_cpu: float


def first_paint(run: PtyRun, pattern: re.Pattern[str], timeout: float = 60.0) -> Paint:
    """Seconds from spawn until `pattern` is on the terminal (and until the first byte:
    imports and start-up come before it, drawing and the first queries after)."""
    started = run.start()
    try:
        seen = run.wait_for(pattern, timeout)
    finally:
        run.close()
    if seen is None:
        tail = strip_ansi(run.raw[-400:].decode("utf-8", "replace"))
        raise SystemExit(f"{run.argv} never showed {pattern.pattern!r}; tail: {tail!r}")
    assert run.first_byte is not None and run.frame_cpu is not None  # something was seen
    return Paint(run.first_byte - started, seen - started, run.frame_cpu)


def first_tip_id(store: Path) -> int:
    """The tip the queue shows first: the most urgent open one (the app orders the same way,
    and the paint waits for its row, not for a particular id, so a tie does not matter)."""
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT min(id) FROM report").fetchone()
    return int(row[0])


def first_tip_without_phone(store: Path) -> int:
    """The first tip placed in the US whose people have no phone number."""
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT min(r.id) FROM report r WHERE r.jurisdiction_place LIKE 'US-%' AND NOT "
            "EXISTS (SELECT 1 FROM person p JOIN person_contact c ON c.person_id = p.id "
            "WHERE p.report_id = r.id AND c.kind = 'phone')"
        ).fetchone()
    return int(row[0])


QUEUE_ROW = re.compile(r">\s+\d+\s")  # the cursor row: mark, padding, a tip id


def paint_times(
    store_copy: Callable[[], Path], checkouts: dict[str, dict[str, str]], runs: int
) -> dict[str, list[Paint]]:
    """First paint of the bare app and of the queue (`tipline --db COPY`) of each checkout,
    taken in turn, the order rotating each round."""
    first_env = next(iter(checkouts.values()))
    programs: dict[str, Callable[[], Paint]] = {
        "bare": lambda: first_paint(
            PtyRun([sys.executable, "-c", BARE_APP], first_env, CTRL_Q), re.compile(BARE_MARK)
        )
    }
    for label, env in checkouts.items():

        def queue(env: dict[str, str] = env) -> Paint:
            argv = [sys.executable, "-m", "tipline_tui", "--db", str(store_copy())]
            return first_paint(PtyRun(argv, env, b"q"), QUEUE_ROW)

        programs[label] = queue
    paints: dict[str, list[Paint]] = {name: [] for name in programs}
    names = list(programs)
    for n in range(runs + 1):  # the first round warms the caches and is not counted
        for name in names[n % len(names) :] + names[: n % len(names)]:
            paint = programs[name]()
            if n:
                paints[name].append(paint)
    return paints


# ------------------------------------------------------------------ report


def _mark(value: float, target: float) -> str:
    return "" if value <= target else "  MISSED"


def _cell(t: Timing) -> str:
    return f"{t.wall * 1000:6.0f} ms ({t.cpu * 1000:4.0f} cpu)"


def report_commands(times: dict[str, Timing], labels: list[str]) -> None:
    """Wall (CPU) medians; the first checkout is judged against the target, with its ratio
    to `python -c pass` and its time over argparse measured in the same run."""
    floor = times['python -c "import argparse"|']
    bare = times["python -c pass|"]
    print(f"{'wall (cpu) ms':<40}" + "".join(f"{label:>20}" for label in labels))
    for key, value in times.items():
        name, label = key.split("|")
        if not label:
            print(f"{name:<40}   {_cell(value)}")
    for name in dict.fromkeys(key.split("|")[0] for key in times if not key.endswith("|")):
        cells = [times[f"{name}|{label}"] for label in labels]
        over = cells[0].wall - floor.wall
        print(
            f"{name:<40}   "
            + "   ".join(_cell(value) for value in cells)
            + f"  x{cells[0].wall / bare.wall:.1f} python -c pass"
            + f"  +{over * 1000:.0f} over argparse{_mark(cells[0].wall, COMMAND_TARGET)}"
        )


def report_paint(paints: dict[str, list[Paint]], labels: list[str]) -> None:
    """Wall (CPU to the frame) medians; the ratio to the bare app in both."""
    frame = {name: statistics.median(p.frame for p in runs) for name, runs in paints.items()}
    cpu = {name: statistics.median(p.frame_cpu for p in runs) for name, runs in paints.items()}
    for name, runs in paints.items():
        what = "bare Textual app" if name == "bare" else f"tipline --db DEMO ({name})"
        output = statistics.median(p.first_output for p in runs)
        print(
            f"{'first paint, ' + what:<36}   {frame[name] * 1000:6.0f} ms ({cpu[name] * 1000:4.0f}"
            f" cpu)  first output at {output * 1000:.0f} ms"
        )
    for label in labels:
        ratio = frame[label] / frame["bare"]
        mark = _mark(ratio, PAINT_TARGET) if label == labels[0] else ""
        print(
            f"{'ratio queue / bare (' + label + ')':<36}   {ratio:6.2f} wall, "
            f"{cpu[label] / cpu['bare']:.2f} cpu  (target <= {PAINT_TARGET}){mark}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each command (median)")
    parser.add_argument("--paint-runs", type=int, default=7, help="first-paint runs (median)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument(
        "--before", type=Path, help="another checkout (the code before a change), measured beside"
    )
    parser.add_argument("--demo", type=Path, default=ROOT / "demo_db.sqlite", help="demo store")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="tipline-startup-"))
    try:
        roots = {"now": args.root} | ({"before": args.before} if args.before else {})
        checkouts = {label: quiet_env(root.resolve(), home) for label, root in roots.items()}
        store = home / "demo.sqlite"
        shutil.copyfile(args.demo, store)
        tip_id = first_tip_id(store)
        print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}", flush=True)
        times = medians(command_table(checkouts, store, tip_id), args.runs)

        def fresh_copy() -> Path:
            copy = home / "queue.sqlite"
            for stale in (Path(f"{copy}-wal"), Path(f"{copy}-shm")):
                stale.unlink(missing_ok=True)
            shutil.copyfile(args.demo, copy)
            return copy

        paints = paint_times(fresh_copy, checkouts, args.paint_runs)
        print(f"medians: commands {args.runs} runs, first paint {args.paint_runs} runs at 80x24")
        report_commands(times, list(checkouts))
        report_paint(paints, list(checkouts))
        print(f"load after {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
