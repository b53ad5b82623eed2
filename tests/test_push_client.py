"""The client keeps one long-poll open and pulls the moment the hub has news; when that
channel breaks it polls, says so, and tries the long-poll again later.

Real hubs on 127.0.0.1 (uvicorn in a thread, `tipline hub serve` in a process) and real
stores; faults are injected in front of the hub's app, the way a proxy or an older hub
would answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.factories import simple_report
from tests.hub_helpers import ProcessHub, ThreadHub
from tests.tui_helpers import screen_lines
from tests.waiting import until
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.operator import import_reports
from tipline_tui.settings import AppSettings
from tipline_tui.store import Store, open_store
from tipline_tui.sync.client import HubConfig, SyncClient
from tipline_tui.sync.loop import SyncLoop
from tipline_tui.wiring import make_app

NOW = 1_790_000_000


@dataclass
class Faults:
    """What the hub's front answers to a long-poll (`/v1/changes?wait=`)."""

    fail_long_polls: bool = False  # 502, as a proxy in trouble would
    old_hub: bool = False  # `wait` dropped on the way: answered at once, no X-Tipline-Wait


def with_faults(app: Any, faults: Faults) -> Any:
    async def front(scope: dict[str, Any], receive: Any, send: Any) -> None:
        long_poll = scope["type"] == "http" and b"wait=" in scope.get("query_string", b"")
        if long_poll and faults.fail_long_polls:
            await send({"type": "http.response.start", "status": 502, "headers": []})
            await send({"type": "http.response.body", "body": b"bad gateway"})
            return
        if long_poll and faults.old_hub:
            query = b"&".join(
                part for part in scope["query_string"].split(b"&") if not part.startswith(b"wait=")
            )
            scope = {**scope, "query_string": query}
        await app(scope, receive, send)

    return front


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubDB]:
    hub = open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    yield hub
    hub.close()


def token(hub: HubDB) -> str:
    with hub.write() as conn:
        return "ana:" + create_account(conn, kind="user", name="ana", now=NOW, role="oncall")


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def server(hub: HubDB, tmp_path: Path, faults: Faults) -> Iterator[ThreadHub]:
    running = ThreadHub(hub, tmp_path / "evidence")
    running.server.config.app = with_faults(running.server.config.app, faults)
    running.start()
    yield running
    running.stop()


def tips(store: Store) -> int:
    with store.read() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM report").scalar() or 0)


async def file_report(hub: HubDB, n: int) -> None:
    await asyncio.to_thread(import_reports, hub, [report_to_xml(simple_report(n, escalated=True))])


@pytest.fixture
async def loop_of(
    tmp_path: Path,
) -> AsyncIterator[Any]:
    """Start a pushing SyncLoop on a fresh store against a URL; stopped afterwards."""
    running: list[tuple[asyncio.Task[None], SyncClient]] = []

    def start(url: str, secret: str, interval: float) -> tuple[SyncLoop, Store]:
        store = open_store(tmp_path / f"store-{len(running)}.sqlite")
        client = SyncClient(store, HubConfig(url, secret))
        loop = SyncLoop(client, interval=interval, push=True, push_wait=20)
        running.append((asyncio.ensure_future(loop.run_forever()), client))
        return loop, store

    yield start
    for task, client in running:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.aclose()
        client.store.close()


async def test_a_pushed_change_is_in_the_store_within_a_second_not_an_interval(
    hub: HubDB, server: ThreadHub, loop_of: Any
) -> None:
    loop, store = loop_of(server.url, token(hub), interval=60.0)  # polling would take 60 s
    await until(lambda: loop.status.push == "live", what="the long-poll to open")
    for n in range(3):
        await asyncio.sleep(0.3)  # the long-poll is waiting on the hub
        started = time.monotonic()
        await file_report(hub, n)
        await until(lambda n=n: tips(store) == n + 1, what="the pushed tip", interval=0.005)
        assert time.monotonic() - started < 1.0
    assert loop.status.online and loop.status.last_change_at is not None


async def test_a_failing_long_poll_falls_back_to_polling_says_so_and_comes_back(
    hub: HubDB, server: ThreadHub, faults: Faults, loop_of: Any, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING, logger="tipline_tui.sync.loop")
    loop, store = loop_of(server.url, token(hub), interval=0.5)
    await until(lambda: loop.status.push == "live", what="the long-poll to open")
    faults.fail_long_polls = True
    await file_report(hub, 1)  # wakes the long-poll; the next one fails
    await until(lambda: loop.status.push == "down", what="the push channel to break")
    assert loop.status.online and "502" in (loop.status.push_problem or "")
    assert any("push channel down" in r.message for r in caplog.records)
    await file_report(hub, 2)
    await until(lambda: tips(store) == 2, what="the poll to bring the tip")
    faults.fail_long_polls = False
    await until(lambda: loop.status.push == "live", what="the long-poll to come back")
    assert any("push channel back" in r.message for r in caplog.records)


async def test_an_older_hub_that_does_not_push_is_polled(
    hub: HubDB, server: ThreadHub, faults: Faults, loop_of: Any
) -> None:
    faults.old_hub = True
    loop, store = loop_of(server.url, token(hub), interval=0.5)
    await until(lambda: loop.status.push == "down", what="the client to notice")
    assert "does not push" in (loop.status.push_problem or "")
    await file_report(hub, 1)
    await until(lambda: tips(store) == 1, what="the poll to bring the tip")


async def test_a_hub_restart_breaks_the_long_poll_and_it_reopens_when_the_hub_is_back(
    tmp_path: Path, loop_of: Any
) -> None:
    db = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    hub = open_hub(db)
    secret = token(hub)
    host = ProcessHub(db, tmp_path / "evidence").start()
    try:
        loop, store = loop_of(host.url, secret, interval=0.5)
        await until(lambda: loop.status.push == "live", what="the long-poll to open")
        await asyncio.to_thread(host.kill)
        await until(lambda: loop.status.push == "down", what="the long-poll to break")
        await asyncio.to_thread(host.start)  # the same port
        await until(lambda: loop.status.push == "live", what="the long-poll to reopen")
        await file_report(hub, 1)
        await until(lambda: tips(store) == 1, what="the pushed tip", timeout=5)
    finally:
        host.stop()
        hub.close()


async def test_the_badge_says_polling_while_the_push_channel_is_down(
    hub: HubDB, server: ThreadHub, faults: Faults, tmp_path: Path
) -> None:
    faults.fail_long_polls = True
    store = open_store(tmp_path / "store.sqlite")
    settings = AppSettings.from_values(
        analyst="ana", hub_url=server.url, hub_token=token(hub), log=tmp_path / "t.log"
    )
    app = make_app(store, settings, sync_interval=0.5, urgent_poll_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "polling" in screen_lines(app)[0], what="polling", pilot=pilot)
        faults.fail_long_polls = False
        await file_report(hub, 1)
        await until(lambda: "online · " in screen_lines(app)[0], what="online", pilot=pilot)
