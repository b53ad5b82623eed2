"""No failure is lost: a worker that raises, or a sync round that meets garbage, says so."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import queue_reports
from tests.hub_helpers import ThreadHub
from tests.tui_helpers import CLOCK_NOW, settle, static_text, table_lines
from tests.waiting import TIMEOUT, until
from tipline_tui.app import TiplineApp
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import Store, open_store
from tipline_tui.store.service import TipService
from tipline_tui.sync.client import HubConfig, SyncClient
from tipline_tui.sync.loop import SyncLoop, SyncStatus

NOW = 1_790_000_000


def _app(store: Store, log_path: Path, **kw: Any) -> TiplineApp:
    return TiplineApp(
        TipService(store),
        clock=lambda: CLOCK_NOW,
        analyst="ana",
        urgent_poll_seconds=3600,
        log_path=log_path,
        **kw,
    )


def _messages(app: TiplineApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_failed_related_search_says_so_in_the_pane_and_logs(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    log_path = tmp_path / "logs" / "tipline.log"
    app = _app(make_store(queue_reports(5)), log_path)

    async def broken_related(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("the related index is corrupt")

    app.service.related = broken_related  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not log_path.exists()  # made only when something fails
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        pane = static_text(app, "#related-status")
        title = static_text(app, "#report-title")
        messages = _messages(app)
    assert pane == "Related search failed — see the log."
    assert "Tip #" in title and "could not" not in title  # the tip itself still shows
    assert any(
        m.startswith("Related search failed: RuntimeError: the related index is corrupt")
        and str(log_path) in m
        for m in messages
    ), messages
    assert not any("Traceback" in m for m in messages)
    logged = log_path.read_text()
    assert "Related search failed" in logged and "Traceback" in logged
    assert "RuntimeError: the related index is corrupt" in logged
    assert log_path.stat().st_mode & 0o077 == 0  # a traceback may quote a report


async def test_an_action_that_raises_is_reported_not_silent(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    log_path = tmp_path / "tipline.log"
    app = _app(make_store(queue_reports(5)), log_path)

    async def locked(*args: Any, **kw: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")

    app.service.act = locked  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await settle(pilot)
        messages = _messages(app)
    assert any(
        m.startswith("Claiming failed: the store is locked by another program (store.sqlite)")
        for m in messages
    ), messages
    assert "OperationalError: database is locked" in log_path.read_text()


async def test_a_queue_that_cannot_load_says_so_instead_of_loading_forever(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    log_path = tmp_path / "tipline.log"
    app = _app(make_store(queue_reports(5)), log_path)

    async def broken_window(*args: Any, **kw: Any) -> Any:
        raise sqlite3.DatabaseError("database disk image is malformed")

    app.queue.window = broken_window  # type: ignore[method-assign]  # the queue's reads
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = table_lines(app)
        messages = _messages(app)
    assert "could not be loaded: see the log" in lines[1]
    assert any(
        m.startswith("Loading the queue failed: the store file is damaged (store.sqlite)")
        for m in messages
    ), messages
    assert "database disk image is malformed" in log_path.read_text()


# ------------------------------------------------------------------ sync


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubDB]:
    yield open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", clock=lambda: NOW)


@pytest.fixture
def server(hub: HubDB, tmp_path: Path) -> Iterator[ThreadHub]:
    running = ThreadHub(hub, tmp_path / "evidence").start()
    yield running
    running.stop()


class FlakyHub(httpx.AsyncBaseTransport):
    """The real hub behind a switch: while `garbage`, every answer is JSON of the wrong shape."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.garbage = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.garbage:
            return httpx.Response(200, json=["not", "a", "page"])
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


async def test_the_sync_loop_survives_a_failure_it_never_saw_and_recovers(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    with hub.write() as conn:
        secret = create_account(conn, kind="user", name="ana", role="analyst", now=NOW)
    transport = FlakyHub()
    store = open_store(tmp_path / "ana.sqlite")
    client = SyncClient(
        store, HubConfig(server.url, f"ana:{secret}"), transport=transport, clock=lambda: NOW
    )
    loop = SyncLoop(client, interval=3600, rng=lambda: 0.0)
    log_path = tmp_path / "tipline.log"
    app = _app(store, log_path, hub_url=server.url, sync=loop)
    changed = asyncio.Event()
    report = loop.on_status  # the app's: set by TiplineApp

    def on_status(status: SyncStatus) -> None:
        report(status)
        changed.set()

    loop.on_status = on_status

    async def status(test: Callable[[SyncStatus], bool]) -> None:
        while not test(loop.status):
            changed.clear()
            await asyncio.wait_for(changed.wait(), timeout=TIMEOUT)

    def badge_says(words: str) -> Callable[[], bool]:
        return lambda: words in static_text(app, "#sync-badge")

    async with app.run_test(size=(80, 24)) as pilot:
        await status(lambda s: s.failed)
        # the SyncChanged message reaches the queue screen
        await until(badge_says("SYNC ERROR"), pilot=pilot, what="the badge to say SYNC ERROR")
        badge = static_text(app, "#sync-badge")
        assert loop.status.last_error is not None
        assert "AttributeError" in loop.status.last_error
        assert [w for w in app.workers if w.group == "sync" and w.is_running]  # still going
        transport.garbage = False  # the hub answers properly again
        loop.poke()
        await status(lambda s: s.online)
        await until(badge_says("online"), pilot=pilot, what="the badge to say online")
        recovered = static_text(app, "#sync-badge")
    await client.aclose()
    assert "SYNC ERROR" in badge
    assert recovered.startswith("online") and not loop.status.failed
    logged = log_path.read_text()
    assert "sync round failed" in logged and "AttributeError" in logged
