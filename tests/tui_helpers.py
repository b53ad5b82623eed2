"""Running the real app on a real store file, as a user would see it."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.factories import BASE_TIME
from tipline_tui.app import TiplineApp
from tipline_tui.store import Store
from tipline_tui.store.service import TipService
from tipline_tui.widgets.queue_table import QueueTable

CLOCK_NOW = BASE_TIME + 3 * 3600


def make_app(store: Store, *, demo: bool = False) -> TiplineApp:
    return TiplineApp(TipService(store), demo=demo, clock=lambda: CLOCK_NOW)


async def settle(pilot: Pilot) -> None:
    """Let workers finish and the screen catch up."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def table_lines(app: TiplineApp) -> list[str]:
    table = app.screen.query_one(QueueTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def static_text(app: TiplineApp, selector: str) -> str:
    widget = app.screen.query_one(selector)
    return str(widget.render())
