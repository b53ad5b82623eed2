"""The live demo: the real hub in-process, seeded from the demo store, fed new tips."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tipline_tui.config import bundled_demo_store
from tipline_tui.demo.answers import (
    INVESTIGATION_OPENED,
    NO_ACTION,
    NOT_OUR_JURISDICTION,
    AgencyTiming,
)
from tipline_tui.demo.live import DEMO_ANALYST, DemoFeed, DemoHub
from tipline_tui.store import Store, actions, open_store, sync_state
from tipline_tui.store.tip_load import load_tip
from tipline_tui.sync.client import SyncClient
from tipline_tui.widgets.report_panes import analysis_pane

T = TypeVar("T")


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
    assert await feed.acknowledge_due() >= 1  # with the history's last referrals, still "sent"
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


FAST = AgencyTiming(ack_after=0.0, outcome_after=0.0, tick=0.01)


async def _synced_until(client: SyncClient, store: Store, check: Callable[[Any], T]) -> T:
    """Sync with the demo hub until `check(conn)` holds (its agencies answer meanwhile)."""
    deadline = time.monotonic() + 15
    while True:
        await client.sync_once()
        with store.read() as conn:
            value = check(conn)
        if value:
            return value
        assert time.monotonic() < deadline, "the demo agencies never answered"
        await asyncio.sleep(0.01)


def _referrals(conn: Any, report_id: int) -> list[tuple[str, int | None, str | None]]:
    return [
        (r.status, r.acknowledged_at, r.outcome)
        for r in load_tip(conn, report_id).analysis.referrals  # type: ignore[union-attr]
    ]


async def test_at_pace_zero_agencies_acknowledge_then_report_outcomes_and_failed_sends_back(
    tmp_path: Path,
) -> None:
    """No new tips (pace 0), yet every referral is acknowledged, then answered in turn:
    investigation opened, not our jurisdiction (the tip comes back), no action."""
    copy = tmp_path / "demo.sqlite"
    shutil.copyfile(bundled_demo_store(), copy)
    store = open_store(copy)
    demo = DemoHub(tmp_path, store)
    feed = DemoFeed(demo, pace=0, timing=FAST)
    running = asyncio.create_task(feed.run_forever())
    try:
        await demo.seeded.wait()
        loop = demo.sync_loop()
        await loop.ready()  # type: ignore[misc]
        client = loop.client
        now = int(demo.clock())
        with store.write() as conn:
            tips = list(
                conn.exec_driver_sql(
                    "SELECT id FROM report WHERE status = 'new' ORDER BY id DESC LIMIT 3"
                ).scalars()
            )
            agency = conn.exec_driver_sql("SELECT min(id) FROM agency").scalar()
            for tip in tips:
                actions.claim(conn, tip, analyst=DEMO_ANALYST, now=now)
                actions.assign(conn, tip, agency, analyst=DEMO_ANALYST, now=now)
                actions.dispatch(conn, tip, agency, analyst=DEMO_ANALYST, now=now, contents={})
        await _synced_until(
            client,
            store,
            lambda conn: all(_referrals(conn, tip)[0][2] for tip in tips),
        )
        assert feed.fed == 0
        with store.read() as conn:
            opened, refused, no_action = (_referrals(conn, tip) for tip in tips)
            back = load_tip(conn, tips[1])
        assert opened[0][0] == "acknowledged" and opened[0][1] is not None
        assert opened[0][2] == INVESTIGATION_OPENED
        assert refused[0][0] == "failed" and refused[0][1] is not None
        assert refused[0][2] == NOT_OUR_JURISDICTION
        assert no_action[0][0] == "acknowledged" and no_action[0][2] == NO_ACTION
        assert back is not None
        assert back.analysis.status == "claimed" and back.analysis.jurisdiction_id is None
        shown = analysis_pane(back, now).plain  # the open tip's Analysis pane
        assert "FAILED" in shown and shown.count(NOT_OUR_JURISDICTION) == 1
        # back with the trainee: assigned elsewhere and sent again, no second confirmation
        other = agency + 1
        with store.write() as conn:
            actions.assign(conn, tips[1], other, analyst=DEMO_ANALYST, now=now)
            actions.dispatch(conn, tips[1], other, analyst=DEMO_ANALYST, now=now, contents={})
        pushed = await client.sync_once()
        assert pushed.counts.conflicts == 0 and pushed.counts.rejected == 0
        await client.aclose()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        demo.hub.close()
        await store.aclose()


def test_demo_agencies_answer_about_eight_seconds_after_a_dispatch() -> None:
    assert AgencyTiming().ack_after == 8.0 and AgencyTiming().tick <= 1.0


async def test_in_the_demo_at_pace_zero_the_open_tip_shows_its_referral_acknowledged() -> None:
    """`tipline demo --pace 0`, through the keys: open a new tip, `c a enter d y`, and the
    open tip's Analysis pane shows ACKNOWLEDGED, then the agency's outcome (fast agencies)."""
    from tests.tui_helpers import settle
    from tests.waiting import until
    from tipline_tui.screens.report import ReportScreen
    from tipline_tui.settings import AppSettings
    from tipline_tui.wiring import demo_workspace, make_app

    with demo_workspace(bundled_demo_store()) as (store, demo_hub):
        app = make_app(store, AppSettings.from_values(), demo_hub=demo_hub, pace=0)
        app.feed.agencies.timing = AgencyTiming(ack_after=0.0, outcome_after=0.3, tick=0.05)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(lambda: demo_hub.seeded.is_set(), pilot=pilot, what="the seeded hub")
            await pilot.press("slash", *"1500", "enter")  # search the queue for the newest tip
            await settle(pilot)
            await pilot.press("enter")
            await until(
                lambda: isinstance(app.screen, ReportScreen) and app.screen.tip is not None,
                pilot=pilot,
                what="tip #1500 open",
            )
            screen = app.screen
            assert isinstance(screen, ReportScreen) and screen.report_id == 1500
            for key in ("c", "a", "enter", "d", "y"):
                await pilot.press(key)
                await settle(pilot)

            def analysis() -> str:
                return str(screen.query_one("#text-analysis").render())

            await until(lambda: "ACKNOWLEDGED" in analysis(), pilot=pilot, what="ACKNOWLEDGED")
            await until(lambda: INVESTIGATION_OPENED in analysis(), pilot=pilot, what="the outcome")
        assert app.sync is not None
        await app.sync.client.aclose()
        await store.aclose()


def _shown_total(app: Any) -> int | None:
    """The queue's row count as its position shows it ("1/7"); None while it loads."""
    from tests.tui_helpers import static_text

    total = static_text(app, "#queue-position").partition("/")[2]
    return int(total.replace(",", "")) if total.replace(",", "").isdigit() else None


async def test_on_call_in_the_demo_shows_a_handful_one_inside_its_limit() -> None:
    """`tipline demo --on-call` as it opens at 80x24: between 3 and 40 tips, at least one
    still inside its time limit; leaving on-call (O), the open tips are at most half."""
    from tests.tui_helpers import settle, static_text, table_lines
    from tests.waiting import until
    from tipline_tui.settings import AppSettings
    from tipline_tui.wiring import demo_workspace, make_app

    with demo_workspace(bundled_demo_store()) as (store, demo_hub):
        app = make_app(store, AppSettings.from_values(), demo_hub=demo_hub, pace=0, on_call=True)
        async with app.run_test(size=(80, 24)) as pilot:
            on_call = await until(lambda: _shown_total(app), pilot=pilot, what="on-call rows")
            assert 3 <= on_call <= 40
            rows = [line for line in table_lines(app)[1:] if line.strip()]
            assert len(rows) == min(on_call, len(table_lines(app)) - 1)
            assert any("LATE" not in row for row in rows), rows  # a limit not yet passed
            await pilot.press("O")
            await settle(pilot)
            header = static_text(app, "#queue-counts")
            total = int(header.split(" tips")[0].replace(",", "").split()[-1])
            shown = await until(lambda: _shown_total(app), pilot=pilot, what="open rows")
            assert "open" in header and shown * 2 <= total
        assert app.sync is not None
        await app.sync.client.aclose()
        await store.aclose()


async def test_at_pace_zero_a_dispatch_shows_acknowledged_on_the_open_tip_within_20_s() -> None:
    """`tipline demo --pace 0` with the demo agencies' own timing (about 8 s): from `y` in
    the dispatch prompt to ACKNOWLEDGED in the open tip's Analysis pane, at most 20 s."""
    from tests.tui_helpers import settle
    from tests.waiting import until
    from tipline_tui.screens.report import ReportScreen
    from tipline_tui.settings import AppSettings
    from tipline_tui.wiring import demo_workspace, make_app

    with demo_workspace(bundled_demo_store()) as (store, demo_hub):
        app = make_app(store, AppSettings.from_values(), demo_hub=demo_hub, pace=0)
        assert app.feed.agencies.timing == AgencyTiming()  # the demo's own, not a fast one
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: demo_hub.seeded.is_set(), pilot=pilot, what="the seeded hub")
            await pilot.press("slash", *"1500", "enter")
            await settle(pilot)
            await pilot.press("enter")
            await until(
                lambda: isinstance(app.screen, ReportScreen) and app.screen.tip is not None,
                pilot=pilot,
                what="tip #1500 open",
            )
            screen = app.screen
            assert isinstance(screen, ReportScreen)
            await pilot.press("c", "a", *"FBI", "enter", "d")
            await settle(pilot)
            await pilot.press("y")
            sent = time.monotonic()
            await pilot.press("6")  # the Analysis pane

            def analysis() -> str:
                return str(screen.query_one("#text-analysis").render())

            await until(lambda: "ACKNOWLEDGED" in analysis(), pilot=pilot, what="ACKNOWLEDGED")
            waited = time.monotonic() - sent
            assert waited <= 20, f"ACKNOWLEDGED after {waited:.1f} s"
        assert app.sync is not None
        await app.sync.client.aclose()
        await store.aclose()
