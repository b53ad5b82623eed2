"""On call: every urgent tip rings, the first into an empty store too, and keeps asking.

Pilot tests on a real store, on a clock the test moves: the watcher is run by hand
(tests/tui_helpers.py sets its timer to an hour), so each step is one look.
"""

from __future__ import annotations

from typing import Any

from tests.factories import simple_report
from tests.tui_helpers import CLOCK_NOW, screen_lines, settle
from tipline_tui.app import TiplineApp
from tipline_tui.settings import AppSettings
from tipline_tui.store import Store, actions
from tipline_tui.store.reports import write_reports
from tipline_tui.widgets.alerts import notification_escapes
from tipline_tui.wiring import make_app


class Clock:
    def __init__(self) -> None:
        self.now = float(CLOCK_NOW)

    def __call__(self) -> float:
        return self.now


def on_call_app(store: Store, clock: Clock, **settings: Any) -> TiplineApp:
    values = {"analyst": "ana", "log": store.path.with_name("tipline.log"), **settings}
    return make_app(
        store,
        AppSettings.from_values(**values),
        on_call=True,
        clock=clock,
        urgent_poll_seconds=3600,  # the test looks by hand
    )


def record_alerts(app: TiplineApp) -> tuple[list[int], list[str]]:
    rings: list[int] = []
    desktop: list[str] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    app.notify_desktop = desktop.append  # type: ignore[method-assign]
    return rings, desktop


def file_urgent(store: Store, n: int, clock: Clock) -> None:
    with store.write() as conn:
        write_reports(conn, [simple_report(n, escalated=True)], now=int(clock()))


async def look(app: TiplineApp, pilot: Any) -> None:
    app.watch_urgent()
    await settle(pilot)


async def test_the_first_urgent_tip_into_an_empty_store_rings_on_any_screen(make_store) -> None:
    store = make_store([])
    clock = Clock()
    app = on_call_app(store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        rings, desktop = record_alerts(app)
        await look(app, pilot)
        await pilot.press("question_mark")  # the help screen: not the queue
        await settle(pilot)
        file_urgent(store, 1, clock)
        await look(app, pilot)
        messages = [n.message for n in app._notifications]
    assert rings == [1], "the first urgent tip a store ever sees rings"
    assert desktop == ["urgent tip #1"]
    assert messages == ["New urgent tip #1"]


async def test_an_unclaimed_urgent_tip_asks_again_every_interval_until_claimed(
    make_store,
) -> None:
    store = make_store([])
    clock = Clock()
    app = on_call_app(store, clock, oncall_realert=60)
    async with app.run_test(size=(80, 24)) as pilot:
        rings, desktop = record_alerts(app)
        await look(app, pilot)
        file_urgent(store, 1, clock)
        await look(app, pilot)
        assert rings == [1]
        clock.now += 30
        await look(app, pilot)
        assert rings == [1], "not before the interval"
        clock.now += 31
        await look(app, pilot)
        assert rings == [1, 1] and desktop == ["urgent tip #1"] * 2
        assert app._notifications and "still unclaimed" in list(app._notifications)[-1].message
        app.screen.reload()  # as a sync or an action would
        await settle(pilot)
        assert "1 unclaimed, oldest 3h" in screen_lines(app)[0], screen_lines(app)[0]
        clock.now += 60
        await look(app, pilot)
        assert len(rings) == 3, "and again, every interval"
        with store.write() as conn:
            actions.claim(conn, 1, analyst="ana", now=int(clock()))
        for _ in range(3):
            clock.now += 61
            await look(app, pilot)
        app.screen.reload()
        await settle(pilot)
        header = screen_lines(app)[0]
    assert len(rings) == 3, "claimed: it stops asking"
    assert "none unclaimed" in header or "0 unclaimed" in header, header


async def test_alerts_can_leave_the_desktop_notification_out(make_store) -> None:
    store = make_store([])
    clock = Clock()
    app = on_call_app(store, clock, oncall_notify=False)
    async with app.run_test(size=(80, 24)) as pilot:
        rings, desktop = record_alerts(app)
        await look(app, pilot)
        file_urgent(store, 1, clock)
        await look(app, pilot)
    assert rings == [1] and desktop == []


def test_the_desktop_notification_says_only_the_tip_number_and_survives_tmux() -> None:
    plain = notification_escapes("urgent tip #7")
    assert plain == "\x1b]9;urgent tip #7\x07\x1b]777;notify;tipline;urgent tip #7\x07"
    hostile = notification_escapes("urgent\x07tip;\x1b]2;x #7")
    assert hostile.count("\x07") == 2 and hostile.count("\x1b") == 2  # nothing breaks out
    wrapped = notification_escapes("urgent tip #7", tmux=True)
    assert wrapped.startswith("\x1bPtmux;\x1b\x1b]9;urgent tip #7\x07\x1b\\")
    assert wrapped.count("\x1bPtmux;") == 2
