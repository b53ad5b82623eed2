"""The app as `tipline` runs it, built in one place: the CLI and the tests both call make_app.

Given the full settings, everything is made before the app starts. Given only the
first paint's (`settings_file.FirstPaintSettings`: no GeoIP; a hub URL already
checked), the app paints the queue first and then makes the rest, the sync client
included, from the full settings (issue 13).

From the settings and the command's options: who the analyst is, the time
limits, IP geolocation, and the hub: a sync loop to the configured hub, or, in
the demo, the in-process demo hub with its feed of new tips (the demo never
talks to a configured real hub, nor reads the operator's GeoIP database), or,
on a training exercise store, no hub at all.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tipline_tui.settings_file import HUB_URL_ENV, FirstPaintSettings, SettingsError
from tipline_tui.store import Store, open_store

if TYPE_CHECKING:
    from tipline_tui.app import Rest, TiplineApp
    from tipline_tui.demo.live import DemoHub
    from tipline_tui.domain.jurisdiction import GeoIp
    from tipline_tui.settings import AppSettings
    from tipline_tui.store.service import TipService
    from tipline_tui.sync.loop import SyncLoop

DEMO_HUB_NAME = "the in-process demo hub"
DEMO_BACKDATE = 300  # seconds: the newest demo tip arrived five minutes ago


def make_app(
    store: Store,
    settings: AppSettings | FirstPaintSettings,
    *,
    on_call: bool = False,
    insecure: bool = False,
    demo: bool = False,
    demo_hub: DemoHub | None = None,
    pace: float = 0.0,
    clock: Callable[[], float] = time.time,
    urgent_poll_seconds: float = 5.0,
    sync_interval: float | None = None,
) -> TiplineApp:
    """The real app over `store`: standalone, connected to the settings' hub, or the demo.

    With `demo_hub` (implies `demo`) the app syncs with it and its DemoFeed files a new tip
    every `pace` seconds (0: none). `clock`, `urgent_poll_seconds` and `sync_interval`
    exist for tests. SettingsError when the GeoIP database or the hub URL cannot be used.
    """
    from tipline_tui.app import TiplineApp

    keymap = _checked_keymap(settings)
    demo = demo or demo_hub is not None
    exercise = None if demo else exercise_scenario(store)
    hub_url = None if demo or exercise else settings.hub_url
    analyst = settings.analyst
    if demo_hub is not None:
        from tipline_tui.demo.live import DEMO_ANALYST

        clock = demo_hub.clock  # the demo runs on its own time (demo/live.py demo_clock)
        hub_url = DEMO_HUB_NAME
        analyst = DEMO_ANALYST  # the demo hub's analyst account

    def rest(full: AppSettings) -> Rest:
        from tipline_tui.store.service import TipService  # SQLAlchemy: after the first paint

        if demo_hub is not None:
            return _demo_rest(store, demo_hub, full, pace)
        sync = None
        if not demo and not exercise:
            sync = _hub_sync(store, full, insecure=insecure, clock=clock, interval=sync_interval)
        return _rest(TipService(store, geoip=None if demo else _geoip(full)), full, sync)

    return TiplineApp(
        store=store,
        # with the full settings all is made now, so what they refuse is refused before the UI
        rest=_full_later(rest) if isinstance(settings, FirstPaintSettings) else rest(settings),
        demo=demo,
        exercise=exercise,
        clock=clock,
        analyst=analyst,
        time_limits=settings.time_limits,
        on_call=on_call,
        hub_url=hub_url,
        urgent_poll_seconds=urgent_poll_seconds,
        log_path=settings.log_path(),
        keymap=keymap,
    )


def _checked_keymap(settings: AppSettings | FirstPaintSettings) -> dict[str, str]:
    """The [keys] table, refused whole before anything starts: never half-mapped. Checking
    it imports every screen, so there is nothing to import when it is empty."""
    if not settings.keys:
        return {}
    from tipline_tui.keymap import app_keymap

    return app_keymap(settings)


def _full_later(rest: Callable[[AppSettings], Rest]) -> Callable[[], Rest]:
    """The rest, made from the full settings once the queue has shown."""

    def later() -> Rest:
        from tipline_tui.settings import load_settings

        return rest(load_settings())

    return later


def _rest(
    service: TipService, settings: AppSettings, sync: SyncLoop | None, feed: Any = None
) -> Rest:
    from tipline_tui.app import Rest

    return Rest(
        service,
        sync=sync,
        feed=feed,
        realert_seconds=settings.oncall_realert,
        desktop_notify=settings.oncall_notify,
        in_tmux=settings.in_tmux,
    )


def _demo_rest(store: Store, demo_hub: DemoHub, settings: AppSettings, pace: float) -> Rest:
    """The demo syncs with its in-process hub, whose feed files new tips; no GeoIP."""
    from tipline_tui.demo.live import DemoFeed
    from tipline_tui.store.service import TipService

    feed = DemoFeed(demo_hub, pace=pace)
    return _rest(TipService(store), settings, demo_hub.sync_loop(), feed)


def exercise_scenario(store: Store) -> str | None:
    """The scenario of a training exercise store (meta `exercise`, written by `tipline
    train new`), else None. An exercise never syncs: its synthetic tips and the
    trainee's actions must never reach, or be mixed with, a real hub's."""
    from tipline_tui.store.queue_reads import meta_value

    with store.plain_read() as conn:  # before SQLAlchemy is imported
        return meta_value(conn, "exercise")


def _hub_sync(
    store: Store,
    settings: AppSettings,
    *,
    insecure: bool,
    clock: Callable[[], float],
    interval: float | None,
) -> SyncLoop | None:
    """A sync loop to the configured hub; None without a hub URL and token."""
    token = settings.token()
    if not settings.hub_url or not token:
        return None
    from tipline_tui.sync.client import HubConfig, SyncClient
    from tipline_tui.sync.loop import INTERVAL, SyncLoop

    check_hub_setting(settings.hub_url, settings.config, insecure=insecure)
    client = SyncClient(store, HubConfig(settings.hub_url, token, insecure), clock=clock)
    return SyncLoop(
        client,
        interval=INTERVAL if interval is None else interval,
        clock=clock,
        push=settings.hub_push,
    )


def check_hub_setting(url: str, config: Path, *, insecure: bool) -> None:
    """A hub URL the sync client would refuse, as one settings error (exit 2) naming where
    it was set; checked before the UI starts, even when the sync client comes after."""
    from tipline_tui.sync.hub_url import SyncError, check_hub_url

    try:
        check_hub_url(url, insecure=insecure)
    except SyncError as exc:
        where = f"hub.url in {config}, or ${HUB_URL_ENV}"
        raise SettingsError(f"the hub URL ({where}): {exc}") from None


def _geoip(settings: AppSettings) -> GeoIp | None:
    from tipline_tui.geoip import GeoIpError, open_geoip

    try:
        return open_geoip(settings.geoip)
    except GeoIpError as exc:  # a configured database that cannot be read: say so, exit 2
        raise SettingsError(str(exc)) from None


@contextmanager
def demo_workspace(source: Path) -> Iterator[tuple[Store, DemoHub]]:
    """A temporary copy of the demo store `source` and a DemoHub beside it (seeded by the
    app's feed); all removed afterwards. A mid-shift store (meta `demo_now`) runs on the
    demo hub's clock; an older one has its tips backdated to end five minutes ago."""
    from tipline_tui.demo.live import DemoHub
    from tipline_tui.store.directory import read_meta
    from tipline_tui.store.maintenance import newest_received, shift_received

    workdir = Path(tempfile.mkdtemp(prefix="tipline-demo-"))
    try:
        copy = workdir / "demo.sqlite"
        shutil.copyfile(source, copy)
        copy.chmod(0o600)
        store = open_store(copy, create=False)
        try:
            with store.write() as conn:
                newest = newest_received(conn)
                if newest is not None and "demo_now" not in read_meta(conn):
                    shift_received(conn, int(time.time()) - DEMO_BACKDATE - newest)
            demo_hub = DemoHub(workdir, store)
            try:
                yield store, demo_hub
            finally:
                demo_hub.hub.close()
        finally:
            store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
