"""A new analyst's first sync from the hub's snapshot, against a real hub on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import simple_report
from tests.hub_helpers import ProcessHub, ThreadHub
from tests.waiting import until, wait_until
from tipline_tui.domain.agency import Agency
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.operator import import_agencies, import_reports
from tipline_tui.hub.snapshot import SnapshotKeeper
from tipline_tui.store import Store, actions, open_store, sync_state
from tipline_tui.store.directory import read_meta, write_meta
from tipline_tui.store.migrations import SCHEMA_VERSION
from tipline_tui.store.reports import write_reports
from tipline_tui.sync.client import HubConfig, HubRefused, HubUnavailable, SyncClient

NOW = 1_790_000_000
TIPS = 120
OHIO = Agency(kind="icac", name="Ohio ICAC Task Force (DEMO)", state="OH", country="US")


def _account(hub: HubDB, name: str, kind: str = "user", **kw: object) -> str:
    with hub.write() as conn:
        secret = create_account(conn, kind=kind, name=name, now=NOW, **kw)  # type: ignore[arg-type]
    return f"{name}:{secret}"


def _import(hub: HubDB, first: int, count: int) -> list[int]:
    return import_reports(
        hub, [report_to_xml(simple_report(n)) for n in range(first, first + count)]
    )


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubDB]:
    hub = open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", clock=lambda: NOW)
    import_agencies(hub, [OHIO])
    _import(hub, 0, TIPS)
    yield hub
    hub.close()


@pytest.fixture
def keeper(hub: HubDB, tmp_path: Path) -> SnapshotKeeper:
    return SnapshotKeeper(hub, tmp_path / "snapshots")


@pytest.fixture
def server(hub: HubDB, keeper: SnapshotKeeper, tmp_path: Path) -> Iterator[ThreadHub]:
    running = ThreadHub(hub, tmp_path / "evidence", snapshots=keeper).start()
    yield running
    running.stop()


@pytest.fixture
def token(hub: HubDB) -> str:
    return _account(hub, "ana", role="analyst")


async def _pull(store: Store, url: str, token: str, **kw: object) -> int:
    client = SyncClient(store, HubConfig(url, token), clock=lambda: NOW, **kw)  # type: ignore[arg-type]
    try:
        return await client.pull()
    finally:
        await client.aclose()
        await store.aclose()  # on this loop (the store stays usable; its pools reopen)


def _fingerprint(store: Store) -> dict[str, object]:
    """What an analyst would see: tips by hub id, their analysis, the search index, the cursor."""
    with store.read() as conn:

        def rows(sql: str) -> list[tuple[object, ...]]:
            return [tuple(r) for r in conn.exec_driver_sql(sql).all()]

        return {
            "tips": rows(
                "SELECT hub_id, status, priority, urgency_rank, claimed_by, version, hub_seq "
                "FROM report ORDER BY hub_id"
            ),
            "keys": rows(
                "SELECT r.hub_id, k.kind, k.key FROM identifier_key k "
                "JOIN report r ON r.id = k.report_id ORDER BY 1, 2, 3"
            ),
            "trigrams": rows("SELECT count(*), count(DISTINCT gram) FROM trigram"),
            "notes": rows(
                "SELECT r.hub_id, n.body FROM note n JOIN report r ON r.id = n.report_id"
            ),
            "agencies": rows("SELECT id, name FROM agency ORDER BY id"),
            "cursor": sync_state.cursor(conn),
        }


async def _triage_on_hub(
    hub: HubDB, url: str, tmp_path: Path, hub_ids: list[int], name: str = "bob"
) -> None:
    """Another analyst claims, prioritises and annotates tips, through the real push."""
    bob = open_store(tmp_path / f"{name}.sqlite")
    client = SyncClient(bob, HubConfig(url, _account(hub, name, role="analyst")))
    await client.pull()
    with bob.write() as conn:
        for hub_id in hub_ids:
            local = conn.exec_driver_sql(
                "SELECT id FROM report WHERE hub_id = ?", (hub_id,)
            ).scalar()
            actions.claim(conn, local, analyst=name, now=NOW)
            actions.set_priority(conn, local, "1", analyst=name, now=NOW)
            actions.add_note(conn, local, f"Synthetic note on {hub_id}", analyst=name, now=NOW)
    await client.push()
    await client.aclose()
    await bob.aclose()  # on this loop: a connection left to the GC fires on a closed loop


def test_the_keeper_catches_up_and_publishes_only_what_moved(
    hub: HubDB, keeper: SnapshotKeeper
) -> None:
    assert keeper.latest() is None and keeper.publish() is None  # nothing applied yet
    assert keeper.catch_up() == TIPS + 1  # the agency and every report
    assert keeper.catch_up() == 0
    path = keeper.publish()
    assert path is not None and keeper.latest() == (path, TIPS + 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keeper.publish() is None  # the live store has not moved
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM report").fetchone() == (TIPS,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    _import(hub, TIPS, 3)
    assert keeper.catch_up() == 3
    second = keeper.publish()
    third_ids = _import(hub, TIPS + 3, 1)
    keeper.catch_up()
    third = keeper.publish()
    assert second is not None and third is not None and third_ids
    names = sorted(p.name for p in keeper.directory.glob("snapshot-*.sqlite"))
    assert names == [second.name, third.name]  # the first is gone; one before the newest stays
    assert not list(keeper.directory.glob("*.tmp*"))


def test_a_tick_publishes_after_enough_changes_or_enough_time(hub: HubDB, tmp_path: Path) -> None:
    now = [0.0]
    keeper = SnapshotKeeper(
        hub, tmp_path / "snaps", min_changes=5, max_age=60.0, clock=lambda: now[0]
    )
    assert keeper.tick() is not None  # the first snapshot goes out at once
    _import(hub, TIPS, 2)
    assert keeper.tick() is None  # 2 changes, 0 s: not yet
    now[0] = 61.0
    assert keeper.tick() is not None  # old enough
    _import(hub, TIPS + 2, 5)
    found = keeper.tick()
    assert found is not None and keeper.latest() == (found, TIPS + 1 + 7)


def test_the_snapshot_carries_no_local_meta_and_the_client_keeps_its_own(
    hub: HubDB, keeper: SnapshotKeeper, server: ThreadHub, token: str, tmp_path: Path
) -> None:
    keeper.catch_up()
    live = open_store(keeper.live_path)
    with live.write() as conn:  # whatever else the live store holds is local to it
        write_meta(conn, {"audit_head": "7:abc", "demo_seed": "3", "analyst": "hub"})
    live.close()
    path = keeper.publish()
    assert path is not None
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT key, value FROM meta").fetchall() == [
            ("sync_cursor", str(TIPS + 1))
        ]
    store = open_store(tmp_path / "ana.sqlite")
    with store.write() as conn:
        write_meta(conn, {"ui_theme": "dark"})
    pulled = asyncio.run(_pull(store, server.url, token))
    with store.read() as conn:
        meta = read_meta(conn)
    assert pulled == TIPS
    assert meta == {"sync_cursor": str(TIPS + 1), "ui_theme": "dark", "hub_role": "analyst"}
    assert not [p for p in tmp_path.iterdir() if ".snapshot-" in p.name]  # temp file gone


async def test_a_bootstrapped_store_equals_one_pulled_page_by_page(
    hub: HubDB, keeper: SnapshotKeeper, server: ThreadHub, token: str, tmp_path: Path
) -> None:
    await _triage_on_hub(hub, server.url, tmp_path, [1, 2, 3])
    paged = open_store(tmp_path / "paged.sqlite")
    feed_total = await _pull(paged, server.url, token)  # no snapshot yet: 404, the feed
    assert feed_total > TIPS  # reports, the agency, analysis and note changes
    keeper.catch_up()
    published = keeper.publish()
    assert published is not None
    booted = open_store(tmp_path / "booted.sqlite")
    assert await _pull(booted, server.url, token) == TIPS  # the snapshot's tips, nothing after
    assert _fingerprint(booted) == _fingerprint(paged)

    # changes made after the snapshot arrive through the feed
    await _triage_on_hub(hub, server.url, tmp_path, [4], name="cy")
    (new_id,) = _import(hub, TIPS, 1)
    assert await _pull(booted, server.url, token) == await _pull(paged, server.url, token) > 0
    after = _fingerprint(booted)
    assert after == _fingerprint(paged)
    assert any(tip[0] == new_id for tip in after["tips"])  # type: ignore[attr-defined]
    assert ("1",) in {(tip[2],) for tip in after["tips"] if tip[0] == 4}  # type: ignore[attr-defined]


async def test_no_snapshot_or_another_schema_falls_back_to_the_feed(
    keeper: SnapshotKeeper, server: ThreadHub, token: str, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        missing = await http.get("/v1/snapshot")
    assert missing.status_code == 404 and "no snapshot" in missing.json()["detail"]
    first = open_store(tmp_path / "first.sqlite")
    assert await _pull(first, server.url, token) == TIPS + 1  # every change of the feed

    keeper.catch_up()
    keeper.publish()
    monkeypatch.setattr("tipline_tui.hub.sync_api.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    second = open_store(tmp_path / "second.sqlite")
    assert await _pull(second, server.url, token) == TIPS + 1  # the feed again, not the file
    assert _fingerprint(second) == _fingerprint(first)


async def test_a_store_with_anything_in_it_never_bootstraps(
    keeper: SnapshotKeeper, server: ThreadHub, token: str, tmp_path: Path
) -> None:
    keeper.catch_up()
    keeper.publish()
    store = open_store(tmp_path / "ana.sqlite")
    with store.write() as conn:  # a tip imported locally, before the first sync
        write_reports(conn, [simple_report(999, platform="Local import (demo)")], now=NOW)
    assert await _pull(store, server.url, token) == TIPS + 1  # through the feed
    with store.read() as conn:
        platforms = conn.exec_driver_sql(
            "SELECT count(*) FROM report WHERE hub_id IS NULL"
        ).scalar()
        total = conn.exec_driver_sql("SELECT count(*) FROM report").scalar()
    assert platforms == 1 and total == TIPS + 1  # the local tip survived beside the hub's


@pytest.mark.parametrize("step_pages", [4096, 4], ids=["one step", "checked while copied"])
async def test_a_corrupt_snapshot_is_refused_and_the_feed_used(
    keeper: SnapshotKeeper,
    server: ThreadHub,
    token: str,
    tmp_path: Path,
    step_pages: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # with 4 pages a step the backup runs while quick_check reads, and its last step must wait
    monkeypatch.setattr("tipline_tui.store.snapshot.STEP_PAGES", step_pages)
    keeper.catch_up()
    path = keeper.publish()
    assert path is not None
    size = path.stat().st_size
    with path.open("r+b") as f:  # scribble over pages in the middle (a b-tree's innards)
        f.seek(size // 2)
        f.write(b"\xa5" * 8192)
    store = open_store(tmp_path / "ana.sqlite")
    assert await _pull(store, server.url, token) == TIPS + 1  # the feed, not the bad file
    with path.open("r+b") as f:
        f.truncate(size // 3)  # a truncated file
    other = open_store(tmp_path / "bob.sqlite")
    assert await _pull(other, server.url, token) == TIPS + 1
    assert _fingerprint(other) == _fingerprint(store)
    assert not [p for p in tmp_path.iterdir() if ".snapshot-" in p.name]
    _import(keeper.hub, TIPS, 1)
    keeper.catch_up()
    assert keeper.publish() is not None  # a sound one again
    third = open_store(tmp_path / "cy.sqlite")
    assert await _pull(third, server.url, token) == TIPS + 1  # tips from the snapshot
    with third.read() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert await _pull(store, server.url, token) == 1  # the same report, through the feed
    assert _fingerprint(third) == _fingerprint(store)


class _CutAfter(httpx.AsyncHTTPTransport):
    """A real connection that breaks after `limit` bytes of a snapshot, as a network might."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.url.path != "/v1/snapshot" or response.status_code != 200:
            return response
        original = response.stream
        limit = self.limit

        class Broken(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                sent = 0
                async for chunk in original:  # type: ignore[union-attr]
                    if sent + len(chunk) > limit:
                        raise httpx.ReadError("connection reset")
                    sent += len(chunk)
                    yield chunk

            async def aclose(self) -> None:
                await original.aclose()  # type: ignore[union-attr]

        response.stream = Broken()
        return response


async def test_a_network_fault_mid_download_leaves_the_store_untouched(
    keeper: SnapshotKeeper, server: ThreadHub, token: str, tmp_path: Path
) -> None:
    keeper.catch_up()
    path = keeper.publish()
    assert path is not None
    store = open_store(tmp_path / "ana.sqlite")
    before = _fingerprint(store)
    with pytest.raises(HubUnavailable, match="unreachable"):
        await _pull(store, server.url, token, transport=_CutAfter(path.stat().st_size // 2))
    assert _fingerprint(store) == before and before["cursor"] == 0
    assert not [p for p in tmp_path.iterdir() if ".snapshot-" in p.name]
    assert await _pull(store, server.url, token) == TIPS  # the next round bootstraps


async def test_only_analyst_roles_may_download_it(
    hub: HubDB, keeper: SnapshotKeeper, server: ThreadHub, token: str, tmp_path: Path
) -> None:
    keeper.catch_up()
    keeper.publish()
    with hub.read() as conn:
        agency_id = conn.exec_driver_sql("SELECT id FROM agency").scalar()
    agency = _account(hub, "ohio", kind="agency", agency_id=agency_id)
    async with httpx.AsyncClient(base_url=server.url) as http:
        anonymous = await http.get("/v1/snapshot")
        refused = await http.get("/v1/snapshot", headers={"Authorization": f"Bearer {agency}"})
        feed = await http.get("/v1/changes", headers={"Authorization": f"Bearer {agency}"})
        ok = await http.get("/v1/snapshot", headers={"Authorization": f"Bearer {token}"})
        spec = (await http.get("/openapi.json")).json()["paths"]["/v1/snapshot"]["get"]
    # an agency's token is not an analyst's: refused here exactly as by /v1/changes
    assert anonymous.status_code == refused.status_code == feed.status_code == 401
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/vnd.sqlite3"
    assert ok.headers["x-tipline-seq"] == str(TIPS + 1)
    assert ok.headers["x-tipline-schema"] == str(SCHEMA_VERSION)
    assert ok.content[:16] == b"SQLite format 3\x00"
    assert spec["summary"] and {"200", "404"} <= set(spec["responses"])
    store = open_store(tmp_path / "ohio.sqlite")
    with pytest.raises(HubRefused):
        await _pull(store, server.url, agency)
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM report").scalar() == 0


def _served_snapshot(hub_db: Path, tmp_path: Path, token: str, *options: str) -> httpx.Response:
    """`tipline hub serve` with `options`: /v1/snapshot once the keeper has published one.

    With --no-snapshots there is no keeper, so nothing to wait for: the first answer counts.
    """
    served = ProcessHub(f"sqlite:///{hub_db}", tmp_path / "evidence", None, *options).start()

    def get() -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.get(f"{served.url}/v1/snapshot", headers=headers, timeout=30)

    def published() -> httpx.Response | None:
        answer = get()
        return answer if answer.status_code == 200 else None

    try:
        if "--no-snapshots" in options:
            return get()
        # the keeper's first publish runs in its own thread as the hub starts
        return wait_until(published, what="the keeper's first snapshot")
    finally:
        served.stop()


def test_hub_serve_keeps_snapshots_beside_its_database_or_where_told(
    hub: HubDB, tmp_path: Path
) -> None:
    token = _account(hub, "ana", role="analyst")
    hub.close()
    hub_db = tmp_path / "hub.sqlite"
    answer = _served_snapshot(hub_db, tmp_path, token)
    assert answer.status_code == 200 and answer.headers["x-tipline-seq"] == str(TIPS + 1)
    assert (tmp_path / "snapshots" / f"snapshot-{TIPS + 1}.sqlite").exists()
    elsewhere = tmp_path / "elsewhere"
    assert _served_snapshot(hub_db, tmp_path, token, "--snapshots", str(elsewhere)).is_success
    assert (elsewhere / f"snapshot-{TIPS + 1}.sqlite").exists()
    shutil.rmtree(tmp_path / "snapshots")
    off = _served_snapshot(hub_db, tmp_path, token, "--no-snapshots")
    assert off.status_code == 404 and not (tmp_path / "snapshots").exists()


async def test_the_app_shows_the_tips_of_a_bootstrapped_store(
    keeper: SnapshotKeeper, server: ThreadHub, token: str, tmp_path: Path
) -> None:
    from tests.tui_helpers import CLOCK_NOW, settle, table_lines
    from tipline_tui.settings import AppSettings
    from tipline_tui.wiring import make_app

    keeper.catch_up()
    keeper.publish()
    store = open_store(tmp_path / "ana.sqlite")
    settings = AppSettings.from_values(analyst="ana", hub_url=server.url, hub_token=token)
    app = make_app(
        store, settings, clock=lambda: CLOCK_NOW, urgent_poll_seconds=3600, sync_interval=3600
    )
    assert app.sync is not None and app.hub_url == server.url
    client = app.sync.client
    async with app.run_test(size=(100, 30)) as pilot:
        await until(
            lambda: app.sync_status is not None and app.sync_status.online,
            pilot=pilot,
            what="the first sync",
        )
        await settle(pilot)
        lines = table_lines(app)
    await client.aclose()
    assert app.sync_status is not None and app.sync_status.pulled_total == TIPS  # the snapshot
    assert sum("user_" in line or "Examplegram" in line for line in lines) >= 10


def test_hosts_sharing_a_snapshot_directory_never_touch_each_others_files(
    hub: HubDB, tmp_path: Path
) -> None:
    """Two keepers (two hub processes) on one directory: unique temporary names, so one's
    clean-up cannot remove the other's file mid-export, and every snapshot is 0600 whatever
    the umask; a crash's leftovers are swept by age at start, another's fresh ones are not."""
    import_reports(hub, [report_to_xml(simple_report(n)) for n in range(3)])
    shared = tmp_path / "shared"
    first = SnapshotKeeper(hub, shared)
    first.catch_up()
    # what another host exporting the same feed position is writing right now
    someone_elses = shared / f".snapshot-{first._live_cursor()}.tmp"
    someone_elses.write_bytes(b"being written by another host")
    crashed = shared / ".snapshot-7.17.deadbeef.tmp"
    crashed.write_bytes(b"left by a crash")
    old = time.time() - 2 * 3600
    os.utime(crashed, (old, old))
    old_umask = os.umask(0o022)
    try:
        second = SnapshotKeeper(hub, shared)
        assert not crashed.exists() and someone_elses.exists()
        published = first.publish()
        assert published is not None
        assert (published.stat().st_mode & 0o777) == 0o600
        assert someone_elses.read_bytes() == b"being written by another host"
    finally:
        os.umask(old_umask)
        first.stop()
        second.stop()
