"""The live demo: the real hub in-process, seeded from the demo store, fed new tips."""

from __future__ import annotations

import shutil
from pathlib import Path

from tipline_tui.config import bundled_demo_store
from tipline_tui.demo.live import DemoFeed, DemoHub
from tipline_tui.store import actions, open_store, sync_state
from tipline_tui.store.tip_load import load_tip


async def test_demo_hub_seeds_feeds_and_acknowledges_through_the_real_sync_path(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "demo.sqlite"
    shutil.copyfile(bundled_demo_store(), copy)
    store = open_store(copy)
    now = [1_800_000_000.0]
    demo = DemoHub(tmp_path, store, clock=lambda: now[0])
    await demo.seed_in_background()
    loop = demo.sync_loop()
    await loop.ready()  # type: ignore[misc]
    client = loop.client
    first = await client.sync_once()
    assert first.pulled == 0  # the seeded tips are not pulled again

    feed = DemoFeed(demo, pace=1)
    hub_id = await feed.file_one()
    second = await client.sync_once()
    assert second.pulled == 1
    with store.read() as conn:
        local = conn.exec_driver_sql("SELECT id FROM report WHERE hub_id = ?", (hub_id,)).scalar()
        escalated = load_tip(conn, local).report.escalated  # type: ignore[union-attr]
        agency = conn.exec_driver_sql("SELECT min(id) FROM agency").scalar()
    assert escalated  # the first fed tip arrives escalated, so on-call rings

    with store.write() as conn:
        actions.assign(conn, local, agency, analyst="trainee", now=int(now[0]))
        actions.dispatch(conn, local, agency, analyst="trainee", now=int(now[0]), contents={})
    pushed = await client.sync_once()
    assert pushed.pushed == 2 and pushed.counts.conflicts == 0

    now[0] += 60  # the demo agency answers a little later
    assert await feed.acknowledge_due() == 1
    await client.sync_once()
    with store.read() as conn:
        tip = load_tip(conn, local)
        assert sync_state.counts(conn).pending == 0
    assert tip is not None and [r.status for r in tip.analysis.referrals] == ["acknowledged"]
    await client.aclose()
    await store.aclose()


def test_demo_never_uses_a_configured_real_hub(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tipline_tui import cli
    from tipline_tui.app import TiplineApp
    from tipline_tui.demo.live import DEMO_URL

    monkeypatch.setenv("TIPLINE_HUB_URL", "https://hub.example.org")
    monkeypatch.setenv("TIPLINE_HUB_TOKEN", "ana:real-secret")
    seen: list[TiplineApp] = []
    monkeypatch.setattr(TiplineApp, "run", lambda self, **kw: seen.append(self))
    assert cli.main(["demo", "--pace", "0"]) == 0
    (app,) = seen
    assert app.demo and app.hub_url == "the in-process demo hub"
    assert app.sync is not None
    assert str(app.sync.client.http.base_url).rstrip("/") == DEMO_URL
    assert "real-secret" not in str(app.sync.client.http.headers)
