"""Running the real app on a real store file, as a user would see it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from textual import events
from textual.app import App
from textual.pilot import Pilot

from tests.factories import BASE_TIME
from tests.waiting import idle
from tipline_tui.app import TiplineApp
from tipline_tui.settings import AppSettings
from tipline_tui.store import Store
from tipline_tui.widgets.queue_table import QueueTable
from tipline_tui.wiring import make_app as make_real_app

CLOCK_NOW = BASE_TIME + 3 * 3600
# settings as a file would give them, built from values alone: no environment, no file
# (a failure a test provokes is logged in a temporary folder, never the user's log)
SETTINGS = AppSettings.from_values(
    analyst="ana", log=Path(tempfile.mkdtemp(prefix="tipline-test-log-")) / "tipline.log"
)


def make_app(
    store: Store,
    *,
    demo: bool = False,
    on_call: bool = False,
    settings: AppSettings = SETTINGS,
) -> TiplineApp:
    """The app as `tipline` wires it (wiring.make_app), on a fixed clock."""
    return make_real_app(
        store,
        settings,
        demo=demo,
        on_call=on_call,
        clock=lambda: CLOCK_NOW,
        urgent_poll_seconds=3600,  # tests trigger the watcher themselves
    )


def type_burst(app: App[object], *keys: str) -> None:
    """Keys as one read from the terminal, over SSH: all queued before any runs
    (`pilot.press` waits for each key in turn, which hides type-ahead bugs)."""
    for key in keys:
        app.post_message(events.Key(key, "\r" if key == "enter" else key))


async def settle(pilot: Pilot) -> None:
    """Let workers finish and the screen catch up (every worker but the sync loop)."""
    await idle(pilot)


def table_lines(app: TiplineApp) -> list[str]:
    table = app.screen.query_one(QueueTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def static_text(app: TiplineApp, selector: str) -> str:
    widget = app.screen.query_one(selector)
    return str(widget.render())


def screen_lines(app: TiplineApp) -> list[str]:
    """The screen as the terminal shows it, line by line: what is cut is cut here too."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
