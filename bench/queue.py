"""Queue screen benchmark: time to first paint by store size, and bytes per keypress.

Runs the real app (`python -m tipline_tui --db STORE`) in a pseudo-terminal, so
the figures include start-up, the first keyset window and Textual's own output,
exactly as a user at an 80x24 terminal would get them.

    /work/venv/bin/python bench/queue.py [--sizes 100 100000] [--runs 5] [--presses 10 100]

It prints measurements, not pass/fail: the exit status is 0 even when a target
is missed (the line says MISSED). Stores are built once with the synthetic
generator and cached under bench/out/ by size and seed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

COLUMNS, LINES = 80, 24
DOWN = b"\x1b[B"
PAINT_TARGET = 1.5  # large/small first-paint ratio
BYTES_TARGETS = {10: 800, 100: 2_500}  # presses -> bytes per press
# The figures for Textual's stock DataTable filled with every row.
REFERENCE_PAINT = {10: 0.6, 100_000: 22.8}
REFERENCE_BYTES = {10: 1_041, 100: 8_498}

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out"

# This file is called queue.py: run as a script, its folder leads sys.path and it
# would shadow the standard library's `queue`, which the project's dependencies import.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))  # the checkout: bench.* imports
from bench.pty_terminal import PtySession, strip_ansi  # noqa: E402

# ------------------------------------------------------------------ stores


def demo_store(out: Path, reports: int, seed: int) -> Path:
    """A synthetic store of `reports` tips, built once and reused by later runs.

    A marker written after the generator returns tells a finished store from one
    left half-built by an interrupted run; it records the generator's version, so
    a store from an older generator is rebuilt rather than silently measured.
    """
    from tipline_tui.demo.generator import GENERATOR_VERSION, build_demo_store

    path = out / f"queue-{reports}-seed{seed}.sqlite"
    done = path.with_name(path.name + ".done")
    stamp = f"{reports} {seed} {GENERATOR_VERSION}\n"
    if path.exists() and done.exists() and done.read_text() == stamp:
        return path
    out.mkdir(parents=True, exist_ok=True)
    for stale in (path, done, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    print(f"building {reports:,}-tip store (seed {seed}) in {path} ...", flush=True)
    started = time.perf_counter()

    def progress(written: int) -> None:
        print(f"\r  {written:,}/{reports:,}", end="", file=sys.stderr, flush=True)

    build_demo_store(path, reports, seed, progress=progress)
    done.write_text(stamp)
    print(file=sys.stderr)
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def first_tip_id(path: Path) -> int:
    """The id the queue shows first (urgency order, default filter), found with the app's code."""
    from tipline_tui.domain.views import QueueFilter, QueueSort
    from tipline_tui.store import open_store
    from tipline_tui.store.queue import fetch_window

    store = open_store(path, create=False)
    try:
        with store.read() as conn:
            rows = fetch_window(conn, QueueSort.URGENCY, QueueFilter(), limit=1)
    finally:
        store.close()
    if not rows:
        raise SystemExit(f"{path} has no open tips to show")
    return rows[0].id


# ------------------------------------------------------------------ pty


class PtyApp(PtySession):
    """The app running on `store` in an 80x24 pseudo-terminal of its own."""

    def __init__(self, store: Path) -> None:
        super().__init__()
        self.store = store

    def start(self) -> None:
        """Spawn the app with the pty already sized, so its first layout is 80x24."""
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES))
        env.pop("TEXTUAL", None)  # no devtools or debug features in a measurement
        argv = [sys.executable, "-m", "tipline_tui", "--db", str(self.store)]
        self.spawn(argv, env, COLUMNS, LINES, cwd=None)

    def quit(self) -> None:
        """Quit politely with "q", then SIGTERM, then SIGKILL, draining output meanwhile."""
        self.close(b"q")


def row_pattern(tip_id: int) -> re.Pattern[str]:
    """The first data row: cursor mark, padding, then the id (updates are cursor-addressed)."""
    return re.compile(rf">\s+{tip_id}\s")


# ------------------------------------------------------------------ measurements


def first_paint(store: Path, tip_id: int, timeout: float = 120.0) -> tuple[float, float]:
    """Seconds from spawning the app until the first queue row is on the terminal.

    Also returns the part after the app's first output: start-up (interpreter and
    imports) is the same for any store, so this is where store size would show.
    """
    app = PtyApp(store)
    app.start()
    try:
        elapsed = app.wait_for(row_pattern(tip_id), timeout)
    finally:
        app.quit()
    if elapsed is None or app.first_output is None:
        tail = strip_ansi(app.raw[-400:].decode("utf-8", "replace"))
        raise SystemExit(f"no queue row for tip {tip_id} within {timeout:.0f} s; tail: {tail!r}")
    return elapsed, elapsed - app.first_output


def press_sizes(store: Path, tip_id: int, presses: int, trace: Path | None) -> list[int]:
    """Bytes written for each of `presses` down-arrows from the top of the queue.

    The first N of them are exactly an N-press run, so one session serves every N.
    Each press waits for the output to go quiet, so late repaints (a prefetched
    window landing, the header's count) are charged to the press that caused them.
    """
    app = PtyApp(store)
    app.start()
    outputs: list[bytes] = []
    try:
        if app.wait_for(row_pattern(tip_id), 120.0) is None:
            raise SystemExit("the queue never painted; cannot count bytes per press")
        app.wait_quiet(0.5, 15.0)
        for _ in range(presses):
            before = len(app.raw)
            app.send(DOWN)
            app.wait_quiet(0.2, 5.0)
            outputs.append(bytes(app.raw[before:]))
    finally:
        app.quit()
    if trace is not None:
        with trace.open("w") as fh:
            for n, chunk in enumerate(outputs, 1):
                fh.write(f"--- press {n}: {len(chunk)} bytes\n{chunk!r}\n")
    return [len(chunk) for chunk in outputs]


# ------------------------------------------------------------------ report


def _mark(value: float, target: float) -> str:
    return "" if value <= target else "  MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs=2, default=[100, 100_000], metavar=("SMALL", "LARGE")
    )
    parser.add_argument("--runs", type=int, default=5, help="first-paint runs per size (median)")
    parser.add_argument("--presses", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="store cache folder")
    parser.add_argument("--trace", type=Path, help="write each press's raw output here")
    args = parser.parse_args(argv)
    small, large = args.sizes

    stores = {size: demo_store(args.out, size, args.seed) for size in (small, large)}
    ids = {size: first_tip_id(path) for size, path in stores.items()}

    times: dict[int, list[float]] = {small: [], large: []}
    after_output: dict[int, list[float]] = {small: [], large: []}
    for run in range(1, args.runs + 1):
        for size in (small, large) if run % 2 else (large, small):
            elapsed, drawing = first_paint(stores[size], ids[size])
            times[size].append(elapsed)
            after_output[size].append(drawing)
            print(
                f"run {run}/{args.runs}  {size:>9,} tips  first paint {elapsed:.2f} s"
                f"  ({drawing:.2f} s after the app's first output)",
                flush=True,
            )
    median = {size: statistics.median(values) for size, values in times.items()}
    drawn = {size: statistics.median(values) for size, values in after_output.items()}
    ratio = median[large] / median[small]

    print(f"counting bytes per down-arrow on the {large:,}-tip store ...", flush=True)
    sizes = press_sizes(stores[large], ids[large], max(args.presses), args.trace)

    print()
    print(
        f"first paint   {small:,} tips: {median[small]:.2f} s   {large:,} tips: "
        f"{median[large]:.2f} s   ratio {ratio:.2f} (target <= {PAINT_TARGET})"
        + _mark(ratio, PAINT_TARGET)
    )
    print(
        f"              of which after the app's first output: {drawn[small]:.2f} s and "
        f"{drawn[large]:.2f} s (start-up is the rest)"
    )
    cells = []
    for n in sorted(set(args.presses)):
        value = sum(sizes[:n]) / n
        target = BYTES_TARGETS.get(n)
        mark = f" (target <= {target:,}){_mark(value, target)}" if target else ""
        cells.append(f"{n} presses: {value:,.0f}{mark}")
    print(f"bytes/press   {'   '.join(cells)}   at {COLUMNS}x{LINES}")
    print(
        f"              single presses: median {statistics.median(sizes):,.0f}, "
        f"largest {max(sizes):,} (press {sizes.index(max(sizes)) + 1})"
    )
    print(
        f"reference     stock DataTable: first paint {REFERENCE_PAINT[100_000]} s at 100,000 rows "
        f"({REFERENCE_PAINT[10]} s at 10); bytes/press {REFERENCE_BYTES[10]:,} over 10, "
        f"{REFERENCE_BYTES[100]:,} over 100"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
