"""The real app in a pseudo-terminal under NO_COLOR and as a 16-colour xterm (issue 13).

A snapshot cannot catch these: the monochrome filter and the colour system are chosen from
the environment when the app starts (NO_COLOR once crashed the first paint). So the app runs
as `tipline --db` does, in a pty at 80x24, walks the triage screens from the keyboard, quits,
and what it wrote to the terminal is checked: no traceback, a clean exit, and no colour the
terminal did not ask for.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from bench.pty_terminal import strip_ansi
from bench.terminal_bytes import DEMO_STORE, PtyApp

SGR = re.compile(rb"\x1b\[([0-9;:]*)m")
RICH_COLOUR = {"38", "48"}  # 256-colour and 24-bit colour introducers
ANSI_COLOUR = {str(n) for n in (*range(30, 38), *range(40, 48), *range(90, 98), *range(100, 108))}

# (key, what the screen must then show)
WALK = [
    ("j", r"\d+/[\d,]+"),
    ("enter", r"Summary"),
    ("8", r"History"),
    ("a", r"Assign tip #"),
    ("escape", r"audit log"),  # what the dialog covered, drawn again
    ("?", r"Everywhere"),
    ("escape", r"audit log"),
    ("escape", r"open · by urgency"),
]


def _colour_codes(raw: bytes) -> set[str]:
    """The SGR parameters of every colour the app wrote."""
    found: set[str] = set()
    for params in SGR.findall(raw):
        for param in re.split(rb"[;:]", params):
            found.add(param.decode())
    return found & (RICH_COLOUR | ANSI_COLOUR)


@pytest.mark.parametrize(
    ("mode", "env"),
    [
        ("NO_COLOR", {"NO_COLOR": "1", "TERM": "xterm", "COLORTERM": ""}),
        ("16 colours", {"TERM": "xterm", "COLORTERM": ""}),
    ],
)
def test_the_app_runs_and_reads_in_a_plain_terminal(
    mode: str, env: dict[str, str], tmp_path: Path
) -> None:
    store = tmp_path / "store.sqlite"
    shutil.copyfile(DEMO_STORE, store)
    app = PtyApp(store=store, home=tmp_path / "home", columns=80, lines=24, env=env)
    app.start()
    try:
        assert app.wait_for(re.compile(r"tips"), timeout=60) is not None, "the queue never drew"
        for key, shown in WALK:
            start = len(app.raw)
            app.press(key)
            seen = app.wait_for(re.compile(shown), timeout=30, start=start)
            assert seen is not None, f"{key}: no {shown!r}"
            app.wait_quiet(0.3, 5)
        app.press("q")
        assert app.proc is not None
        deadline = time.monotonic() + 20
        while app.proc.poll() is None and time.monotonic() < deadline:
            app.read(0.1)
    finally:
        app.quit()
    text = strip_ansi(app.raw.decode("utf-8", "replace"))
    assert "Traceback" not in text and "Error" not in text
    assert app.proc is not None and app.proc.returncode == 0
    colours = _colour_codes(bytes(app.raw))
    if mode == "NO_COLOR":
        assert colours == set(), f"colours written under NO_COLOR: {sorted(colours)}"
    else:
        assert colours & RICH_COLOUR == set(), "256 or 24-bit colour to a 16-colour xterm"
        assert colours & ANSI_COLOUR, "a 16-colour terminal gets its own colours"
