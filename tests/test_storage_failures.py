"""A store that cannot be written (full disk, read-only, damaged pages) is never silent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import queue_reports
from tests.storage_faults import StorageFaults, fill_up
from tests.tui_helpers import CLOCK_NOW, settle, static_text
from tipline_tui.app import TiplineApp
from tipline_tui.domain.views import TipView
from tipline_tui.screens.queue import QueueScreen
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import Store, tip_load
from tipline_tui.store.service import TipService


def _app(store: Store, log_path: Path) -> TiplineApp:
    return TiplineApp(
        TipService(store),
        clock=lambda: CLOCK_NOW,
        analyst="ana",
        urgent_poll_seconds=3600,
        log_path=log_path,
    )


async def test_claiming_on_a_full_disk_says_so_and_shows_the_tip_as_stored(
    make_store: Callable[..., Store], storage_faults: StorageFaults, tmp_path: Path
) -> None:
    log_path = tmp_path / "tipline.log"
    store = make_store(queue_reports(5))
    app = _app(store, log_path)
    loads: list[int] = []
    load_tip = app.service.load_tip

    async def counted(report_id: int) -> TipView | None:
        loads.append(report_id)
        return await load_tip(report_id)

    app.service.load_tip = counted  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        row = app.screen.table.cursor_row
        assert row is not None
        storage_faults.fill(store.path)
        holder = fill_up(store, row.id, analyst="ana", now=CLOCK_NOW)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        loaded = len(loads)
        await pilot.press("c")
        await settle(pilot)
        title = static_text(app, "#report-title")
        messages = [n.message for n in app._notifications]
    assert messages == [
        f"Claiming failed: the store's disk is full (store.sqlite)\nDetails in {log_path}"
    ]
    assert len(loads) > loaded  # reloaded from the store after the failed write
    with store.read() as conn:
        stored = tip_load.load_tip(conn, row.id)
    assert stored is not None and stored.analysis.claimed_by == holder  # unchanged
    assert (":ana" in title) == (holder == "ana"), title  # the screen says what is stored
    logged = log_path.read_text()
    assert "Claiming failed" in logged and "Traceback" in logged
    assert "database or disk is full" in logged and "INSERT INTO audit" in logged
