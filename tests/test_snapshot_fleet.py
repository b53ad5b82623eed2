"""One snapshot builder for a fleet of hub processes on PostgreSQL, served by every process.

Two keepers (two hub processes' worth: each its own database session and directory) on one
throwaway PostgreSQL cluster; hubs on 127.0.0.1 in front of them, one with no keeper at all.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tests.factories import simple_report
from tests.hub_helpers import ThreadHub
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.operator import import_reports
from tipline_tui.hub.snapshot import SnapshotKeeper
from tipline_tui.hub.snapshot_fleet import newest_published
from tipline_tui.hub.tables import HubBlob, HubSnapshot
from tipline_tui.store import open_store
from tipline_tui.sync.client import HubConfig, SyncClient


def _import(hub: HubDB, first: int, count: int) -> None:
    import_reports(hub, [report_to_xml(simple_report(n)) for n in range(first, first + count)])


def _count(hub: HubDB, table: object) -> int:
    with hub.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


async def test_one_process_builds_and_every_process_serves_from_the_start(
    pg_hub: HubDB, tmp_path: Path
) -> None:
    _import(pg_hub, 0, 40)
    with pg_hub.write() as conn:
        token = "ana:" + create_account(conn, kind="user", name="ana", role="analyst", now=0)
    first = SnapshotKeeper(pg_hub, tmp_path / "host-a")
    second = SnapshotKeeper(pg_hub, tmp_path / "host-b")
    try:
        assert first.tick() is not None  # elected: builds and publishes
        assert second.tick() is None  # not elected: no rebuild of the same thing
        assert not second.live_path.exists()
        published = newest_published(pg_hub)
        assert published is not None and published.seq == 40
        local = next((tmp_path / "host-a").glob("snapshot-*.sqlite"))
        assert stat.S_IMODE(local.stat().st_mode) == 0o600
        assert hashlib.sha256(local.read_bytes()).hexdigest() == published.sha256
        # a host with no keeper of its own serves the fleet's snapshot at once
        served = ThreadHub(pg_hub, tmp_path / "evidence-c").start()
        try:
            got = httpx.get(
                f"{served.url}/v1/snapshot", headers={"Authorization": f"Bearer {token}"}
            )
            assert got.status_code == 200 and got.headers["x-tipline-seq"] == "40"
            assert got.content == local.read_bytes()
            store = open_store(tmp_path / "new-analyst.sqlite")
            client = SyncClient(store, HubConfig(served.url, token))
            assert await client.bootstrap() == 40  # the first sync is the snapshot
            await client.aclose()
            await store.aclose()
        finally:
            served.stop()
        # the builder goes away: the other process takes over and publishes what follows
        first.stop()
        for batch in range(3):
            _import(pg_hub, 40 + batch, 1)
            second.min_changes = 1
            assert second.tick() is not None
        assert newest_published(pg_hub).seq == 43  # type: ignore[union-attr]
        assert _count(pg_hub, HubSnapshot.__table__) == 2  # the newest and the one before
        assert _count(pg_hub, HubBlob.__table__) == 2  # older snapshots' bytes are gone too
    finally:
        first.stop()
        second.stop()
