"""make_app as `tipline` runs it: settings from a real file, a real hub, the demo's feed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import BASE_TIME, simple_report
from tests.hub_helpers import ThreadHub
from tests.tui_helpers import settle, static_text, table_lines
from tests.waiting import until
from tipline_tui.app import TiplineApp
from tipline_tui.config import bundled_demo_store
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.operator import import_reports
from tipline_tui.screens.report import ReportScreen
from tipline_tui.settings import AppSettings, SettingsError, load_settings
from tipline_tui.store import open_store
from tipline_tui.wiring import DEMO_HUB_NAME, demo_workspace, make_app


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubDB]:
    hub = open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", clock=lambda: BASE_TIME)
    import_reports(hub, [report_to_xml(simple_report(n)) for n in (1, 2, 3)])
    yield hub
    hub.close()


@pytest.fixture
def server(hub: HubDB, tmp_path: Path) -> Iterator[ThreadHub]:
    running = ThreadHub(hub, tmp_path / "evidence").start()
    yield running
    running.stop()


@pytest.fixture
def settings_file(
    hub: HubDB, server: ThreadHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A settings file naming the hub, its token and a time limit; the only configuration."""
    with hub.write() as conn:
        secret = create_account(conn, kind="user", name="bob", role="analyst", now=BASE_TIME)
    path = tmp_path / "settings.toml"
    path.write_text(
        'analyst = "bob"\n[time_limits]\nE = "30m"\n'
        f'[hub]\nurl = "{server.url}"\ntoken = "bob:{secret}"\n'
    )
    path.chmod(0o600)
    for name in ("HUB_URL", "HUB_TOKEN", "ANALYST", "GEOIP", "DB"):
        monkeypatch.delenv(f"TIPLINE_{name}", raising=False)
    monkeypatch.setenv("TIPLINE_CONFIG", str(path))
    return path


def test_plain_tipline_wires_the_settings_files_hub(
    settings_file: Path, server: ThreadHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tipline_tui.cli import main

    seen: list[TiplineApp] = []
    monkeypatch.setattr(TiplineApp, "run", lambda self, **kw: seen.append(self))
    assert main(["--db", str(tmp_path / "ana.sqlite"), "--on-call"]) == 0
    (app,) = seen
    assert app.analyst == "bob" and app.on_call and not app.demo
    # the sync client (httpx) is made with the rest, after the queue's first paint
    assert app.hub_url == server.url and app.sync is None
    assert app.service is not None  # what a key that needs the service does: make the rest
    assert app.sync is not None
    assert str(app.sync.client.http.base_url).rstrip("/") == server.url
    assert app.time_limits.limit("E", False) == 1800


async def test_the_real_wiring_syncs_with_the_configured_hub(
    settings_file: Path, server: ThreadHub, tmp_path: Path
) -> None:
    settings = load_settings()
    assert "bob:" not in repr(settings) and "bob:" not in str(settings)  # the token stays hidden
    store = open_store(tmp_path / "bob.sqlite")
    app = make_app(store, settings, urgent_poll_seconds=3600)
    assert app.sync is not None
    async with app.run_test(size=(110, 30)) as pilot:
        await until(
            lambda: app.sync_status is not None and app.sync_status.pulled_total >= 3,
            pilot=pilot,
            what="the hub's three tips to be pulled",
        )
        assert app.sync_status is not None and app.sync_status.online
        await settle(pilot)
        lines = table_lines(app)
    await app.sync.client.aclose()
    await store.aclose()
    assert sum("Examplegram" in line for line in lines) == 3  # the hub's three tips, pulled


def test_a_hub_url_that_cannot_be_used_is_a_settings_error(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tipline_tui.cli import main

    text = settings_file.read_text().replace("http://127.0.0.1", "http://hub.example.org")
    settings_file.write_text(text)
    store = open_store(tmp_path / "x.sqlite")
    with pytest.raises(SettingsError, match=r"hub\.url"):
        make_app(store, load_settings())
    store.close()
    assert main(["--db", str(tmp_path / "x.sqlite")]) == 2
    err = capsys.readouterr().err
    assert str(settings_file) in err and "Traceback" not in err and "bob:" not in err


async def test_demo_gets_its_demo_hub_and_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    from tipline_tui.demo.live import DEMO_ANALYST, DEMO_URL, DemoFeed

    # a configured real hub and GeoIP database are never used by the demo
    monkeypatch.setenv("TIPLINE_HUB_URL", "https://hub.example.org")
    monkeypatch.setenv("TIPLINE_HUB_TOKEN", "ana:real-secret")
    monkeypatch.setenv("TIPLINE_GEOIP", "/nonexistent/unreadable.mmdb")
    settings = AppSettings.from_values(
        hub_url="https://hub.example.org", hub_token="ana:real-secret"
    )
    with demo_workspace(bundled_demo_store()) as (store, demo_hub):
        app = make_app(store, settings, demo_hub=demo_hub, pace=0.2, urgent_poll_seconds=3600)
        assert app.demo and app.hub_url == DEMO_HUB_NAME and app.analyst == DEMO_ANALYST
        assert isinstance(app.feed, DemoFeed) and app.sync is not None
        assert str(app.sync.client.http.base_url).rstrip("/") == DEMO_URL
        async with app.run_test(size=(110, 30)) as pilot:
            await until(lambda: app.feed.fed >= 2, pilot=pilot, what="two fed tips", timeout=60)
            await until(
                lambda: app.sync_status is not None and app.sync_status.online,
                pilot=pilot,
                what="the demo hub's first sync",
                timeout=60,
            )
            assert app.sub_title == "DEMO"
        await app.sync.client.aclose()
        await store.aclose()


async def test_an_open_tip_follows_what_sync_brings(
    settings_file: Path, hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    """Another analyst claims the tip on the hub while it is open here: the title says so."""
    store = open_store(tmp_path / "bob.sqlite")
    app = make_app(store, load_settings(), urgent_poll_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(
            lambda: app.sync_status is not None and app.sync_status.pulled_total >= 3,
            pilot=pilot,
            what="the hub's three tips to be pulled",
        )
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportScreen) and screen.tip is not None
        hub_id = screen.tip.report.hub_id
        assert ":cy" not in static_text(app, "#report-title")
        with hub.write() as conn:
            secret = create_account(conn, kind="user", name="cy", role="analyst", now=BASE_TIME)
        claim = {
            "action_id": str(uuid.uuid4()),
            "kind": "claim",
            "report_id": hub_id,
            "base_version": 1,
            "payload": {},
            "created_at": BASE_TIME,
        }
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer cy:{secret}"}
        ) as other:
            answer = (await other.post("/v1/actions", json={"actions": [claim]})).json()
        assert answer["results"][0]["outcome"] == "applied"
        app.poke_sync()
        await until(
            lambda: "claimed:cy" in static_text(app, "#report-title"),
            pilot=pilot,
            what="the open tip to show cy's claim",
        )
        assert isinstance(app.screen, ReportScreen)  # still reading the same tip
