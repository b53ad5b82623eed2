"""Bytes the app writes to the terminal per key: cursor moves, screen and dialog changes.

Runs the real app (`python -m tipline_tui --db COPY`) on a copy of the bundled
demo store in a pseudo-terminal sized 80x24 (or `--size`), as a 24-bit colour
xterm, and walks the triage flow one key at a time. After each key it reads
until the output goes quiet, so late repaints (a dialog's list loading, a pane
filling) are charged to the key that caused them.

    .venv/bin/python bench/terminal_bytes.py [--size 60x20] [--runs 3] [--trace out.txt]

It prints measurements, not pass/fail: the exit status is 0 even when a target
is missed (the line says `no`). Only setting the stage (assigning an agency so
the tip can be dispatched) is not counted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the checkout: bench.* imports
from bench.pty_terminal import PtySession, strip_ansi  # noqa: E402

DEMO_STORE = HERE.parent / "demo_db.sqlite"

CURSOR_MOVE = 400  # bytes, a cursor move within the page
PANE_SWITCH = 8_000  # bytes, the report screen's next pane
SCREEN_CHANGE = 12_000  # bytes, any screen or dialog opening or closing


KEYS = {
    "down": b"\x1b[B",
    "pagedown": b"\x1b[6~",
    "pageup": b"\x1b[5~",
    "enter": b"\r",
    "escape": b"\x1b",
    "tab": b"\t",
}


@dataclass(frozen=True)
class Step:
    """One key and what it should cost; `expect` is text the step's output must show."""

    name: str
    key: str
    target: int | None
    expect: str | None = None
    counted: bool = True
    settle: float = 0.0  # extra seconds to drain afterwards (a notification timing out)


# An agency line in the assign list ("FBI (DEMO)  [federal US]"): the list has loaded.
AGENCY_LISTED = r"  \[\w[^\]]*\]"

# Not counted: assign an agency (down, then enter: without a signal in the report nothing
# is preselected and enter alone assigns nothing), so `d` shows a referral to confirm; then
# wait out the "assigned" notification, whose removal would be charged to the next key.
STAGE_DISPATCH = [
    Step("assign (a)", "a", None, expect=AGENCY_LISTED, counted=False),
    Step("assign (down)", "down", None, counted=False),
    Step("assign (enter)", "enter", None, counted=False, settle=3.5),
]

# The walk: the queue, a tip and its panes, every dialog over the report and over
# the queue, and help. Dialog keys are the same on both screens (TRIAGE_BINDINGS).
STEPS: list[Step] = [
    # not counted: new tips only, which nobody has claimed, so this analyst may act on them
    Step("new tips only (f)", "f", None, expect=r"\bnew\b", counted=False, settle=2.0),
    Step("cursor down (j)", "j", CURSOR_MOVE),
    Step("cursor down (j)", "j", CURSOR_MOVE),
    Step("cursor up (k)", "k", CURSOR_MOVE),
    Step("cursor down (arrow)", "down", CURSOR_MOVE),
    Step("page down", "pagedown", SCREEN_CHANGE),
    Step("page up", "pageup", SCREEN_CHANGE),
    # the related search ends by counting its finds on the Related tab
    Step("open a tip (enter)", "enter", SCREEN_CHANGE, expect=r"Related \(\d+\)"),
    Step("next pane (l)", "l", PANE_SWITCH),
    Step("next pane (l)", "l", PANE_SWITCH),
    Step("next pane (tab)", "tab", PANE_SWITCH),
    Step("previous pane (h)", "h", PANE_SWITCH),
    Step("pane 1 (1)", "1", PANE_SWITCH),
    Step("assign dialog (a)", "a", SCREEN_CHANGE, expect=AGENCY_LISTED),
    Step("close dialog (esc)", "escape", SCREEN_CHANGE),
    *STAGE_DISPATCH,
    Step("dispatch dialog (d)", "d", SCREEN_CHANGE, expect=r"y\s+dispatch"),
    Step("close dialog (esc)", "escape", SCREEN_CHANGE),
    Step("help (?)", "?", SCREEN_CHANGE, expect="Everywhere"),
    Step("close help (esc)", "escape", SCREEN_CHANGE),
    Step("back to the queue (esc)", "escape", SCREEN_CHANGE),
    Step("assign dialog (a)", "a", SCREEN_CHANGE, expect=AGENCY_LISTED),
    Step("close dialog (esc)", "escape", SCREEN_CHANGE),
    *STAGE_DISPATCH,
    Step("dispatch dialog (d)", "d", SCREEN_CHANGE, expect=r"y\s+dispatch"),
    Step("close dialog (esc)", "escape", SCREEN_CHANGE),
    Step("help (?)", "?", SCREEN_CHANGE, expect="Everywhere"),
    Step("close help (?)", "?", SCREEN_CHANGE),
    Step("cursor down (j)", "j", CURSOR_MOVE),
]


# ------------------------------------------------------------------ pty


class PtyApp(PtySession):
    """The app in a pseudo-terminal of its own, read as a terminal would be."""

    def __init__(
        self, store: Path, home: Path, columns: int, lines: int, env: dict[str, str] | None = None
    ) -> None:
        super().__init__()
        self.store, self.home, self.columns, self.lines = store, home, columns, lines
        self.env = dict(env or {})  # last word on the terminal's variables

    def start(self) -> None:
        """Spawn the app with the pty already sized, so its first layout is the right size."""
        env = dict(
            os.environ,
            TERM="xterm-256color",
            COLORTERM="truecolor",
            COLUMNS=str(self.columns),
            LINES=str(self.lines),
            # settings, logs and the default store live here, not in the user's home
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / "config"),
            XDG_DATA_HOME=str(self.home / "data"),
            XDG_STATE_HOME=str(self.home / "state"),
        )
        for name in ("TEXTUAL", "NO_COLOR", "TIPLINE_DB", "TIPLINE_HUB"):
            env.pop(name, None)  # no devtools, no monochrome, no other store or hub
        env.update(self.env)
        for name in [name for name, value in env.items() if value == ""]:
            del env[name]  # an empty value unsets (COLORTERM for a 16-colour terminal)
        argv = [sys.executable, "-m", "tipline_tui", "--db", str(self.store)]
        self.spawn(argv, env, self.columns, self.lines, cwd=HERE.parent)

    def press(self, key: str) -> None:
        self.send(KEYS.get(key, key.encode()))

    def quit(self) -> None:
        """Quit with esc esc esc q, then SIGTERM, then SIGKILL, draining output meanwhile."""
        self.close(b"\x1b\x1b\x1bq")


# ------------------------------------------------------------------ the walk


@dataclass(frozen=True)
class Measured:
    step: Step
    output: bytes
    seen: bool  # the expected text showed (or none was expected)


def walk(app: PtyApp, steps: list[Step], quiet: float, timeout: float) -> list[Measured]:
    """Press each step's key once the previous step has gone quiet; its bytes are its cost.

    What the app wrote before the first key stays in `app.raw`, for `--trace`.
    """
    # the cursor row (mark, padding, a tip id): the header's tip count goes below 80 columns
    if app.wait_for(re.compile(r">\s+\d+\s"), 60.0) is None:
        tail = strip_ansi(app.raw[-400:].decode("utf-8", "replace"))
        raise SystemExit(f"the queue never painted; tail: {tail!r}")
    app.wait_quiet(1.0, 15.0)
    done: list[Measured] = []
    for step in steps:
        start = len(app.raw)
        app.press(step.key)
        seen = True
        if step.expect is not None:
            pattern = re.compile(step.expect, re.IGNORECASE)
            seen = app.wait_for(pattern, timeout, start=start) is not None
        else:
            app.read(min(timeout, 1.0))  # the first output, if any comes
        app.wait_quiet(quiet, timeout)
        if step.settle:
            app.drain(step.settle)
            app.wait_quiet(quiet, timeout)
        done.append(Measured(step, bytes(app.raw[start:]), seen))
    return done


def run(
    size: tuple[int, int], quiet: float, timeout: float, source: Path
) -> tuple[bytes, list[Measured]]:
    """The walk on a fresh copy of `source`, in a throwaway home, and all the app wrote."""
    columns, lines = size
    with tempfile.TemporaryDirectory(prefix="tipline-bytes-") as tmp:
        home = Path(tmp)
        store = home / "store.sqlite"
        shutil.copyfile(source, store)
        app = PtyApp(store, home, columns, lines)
        app.start()
        try:
            measured = walk(app, STEPS, quiet, timeout)
        finally:
            app.quit()
        return bytes(app.raw), measured


# ------------------------------------------------------------------ report


def table(runs: list[list[Measured]], size: tuple[int, int]) -> str:
    """Per step: the median over runs (what is judged), the largest, the target."""
    rows = [f"{'step':<26} {'median':>8} {'largest':>8} {'target':>8}  within", "-" * 62]
    judged = missed = 0
    for index, step in enumerate(STEPS):
        if not step.counted:
            continue
        sizes = [len(run[index].output) for run in runs]
        median = int(statistics.median(sizes))
        target = step.target
        within = "-" if target is None else ("yes" if median <= target else "no")
        judged += target is not None
        missed += within == "no"
        unseen = sum(not run[index].seen for run in runs)
        mark = f"   (expected text not seen in {unseen} run(s))" if unseen else ""
        target_text = "-" if target is None else f"{target:,}"
        rows.append(
            f"{step.name:<26} {median:>8,} {max(sizes):>8,} {target_text:>8}  {within}{mark}"
        )
    rows.append("-" * 62)
    rows.append(
        f"{judged - missed} of {judged} steps within target at {size[0]}x{size[1]} "
        f"(median of {len(runs)} run(s)), TERM=xterm-256color COLORTERM=truecolor"
    )
    return "\n".join(rows)


def parse_size(text: str) -> tuple[int, int]:
    columns, _, lines = text.lower().partition("x")
    try:
        return int(columns), int(lines)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size is COLUMNSxLINES, e.g. 80x24, not {text!r}"
        ) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=(80, 24), help="COLUMNSxLINES")
    parser.add_argument(
        "--quiet", type=float, default=0.6, help="seconds of silence that end a step"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="longest wait per step, s")
    parser.add_argument(
        "--store", type=Path, default=DEMO_STORE, help="store to copy (never written)"
    )
    parser.add_argument("--runs", type=int, default=3, help="walks, each on a fresh store")
    parser.add_argument("--trace", type=Path, help="write each step's raw output here (last run)")
    args = parser.parse_args(argv)

    runs = []
    for number in range(1, args.runs + 1):
        print(f"run {number}/{args.runs} ...", file=sys.stderr, flush=True)
        raw, measured = run(args.size, args.quiet, args.timeout, args.store)
        runs.append(measured)
    if args.trace is not None:  # the last walk: first paint, then each step (then the quit)
        with args.trace.open("w") as fh:
            first = raw.find(measured[0].output) if measured and measured[0].output else 0
            fh.write(f"--- 0 start: {first} bytes\n{raw[:first]!r}\n")
            for n, m in enumerate(measured, 1):
                fh.write(f"--- {n} {m.step.name}: {len(m.output)} bytes\n{m.output!r}\n")
    print(table(runs, args.size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
