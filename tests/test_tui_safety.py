"""Keys that must not do harm in a hurry: no agency picked without a signal, no urgent tip
closed with one key, and every close says how to undo it (issue 13, items 9 and 10)."""

from __future__ import annotations

import asyncio

from textual.screen import ModalScreen
from textual.widgets import OptionList

from tests.conftest import queue_reports
from tests.factories import full_report, simple_report
from tests.tui_helpers import make_app, settle, static_text
from tests.waiting import until
from tipline_tui.demo.generator import demo_agencies
from tipline_tui.domain.jurisdiction import Outcome
from tipline_tui.screens.assign import AssignScreen
from tipline_tui.screens.prompts import ConfirmPrompt
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store.directory import write_agencies
from tipline_tui.store.tip_load import load_tip
from tipline_tui.widgets.queue_table import QueueTable


def _tip(store, report_id):  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return load_tip(conn, report_id)


def _store_with_directory(make_store, reports):  # type: ignore[no-untyped-def]
    store = make_store(reports)
    with store.write() as conn:
        write_agencies(conn, demo_agencies(["GB", "JP"]))
    return store


def _messages(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]


async def _the_urgent_tip(app, pilot, outcome: Outcome):  # type: ignore[no-untyped-def]
    """The cursor's tip (the urgent one, first by urgency), its jurisdiction as asked."""
    await settle(pilot)
    target = app.screen.query_one(QueueTable).cursor_row
    assert target is not None and target.escalated
    suggestion = await app.service.suggestion(target.id)
    assert suggestion is not None and suggestion.outcome is outcome
    return target


# ------------------------------------------------------------- 9: no signal, no agency


async def test_six_keys_on_a_none_found_tip_do_not_dispatch(make_store) -> None:
    """`c e a enter d y` used to send a tip with no jurisdiction signal to the FBI (the first
    agency in the directory). Now enter picks nothing there, and the dialog says why."""
    store = _store_with_directory(make_store, [simple_report(1, escalated=True), *queue_reports(5)])
    app = make_app(store, on_call=True)
    async with app.run_test(size=(80, 24)) as pilot:
        target = await _the_urgent_tip(app, pilot, Outcome.NONE)
        await pilot.press("c", "e", "a", "enter", "d", "y")  # in one breath
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)  # still choosing: nothing was picked
        assert "No jurisdiction in the report" in static_text(app, "#assign-summary")
    tip = _tip(store, target.id)
    assert tip.analysis.claimed_by == "ana" and tip.analysis.priority == "E"
    assert tip.analysis.jurisdiction_id is None
    assert tip.analysis.referrals == []


async def test_six_keys_typed_ahead_of_a_slow_store_do_not_dispatch_either(make_store) -> None:
    """Every key arrives before the suggestion: enter still waits for it, and picks nothing."""
    store = _store_with_directory(make_store, [simple_report(1, escalated=True), *queue_reports(5)])
    app = make_app(store, on_call=True)
    real_suggestion = app.service.suggestion
    keys_sent = asyncio.Event()

    async def slow_suggestion(report_id: int):  # type: ignore[no-untyped-def]
        await keys_sent.wait()
        return await real_suggestion(report_id)

    app.service.suggestion = slow_suggestion  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        target = app.screen.query_one(QueueTable).cursor_row
        await pilot.press("c", "e", "a", "enter", "d", "y")
        keys_sent.set()
        await until(
            lambda: not isinstance(app.screen, AssignScreen) or app.screen.loaded,
            pilot=pilot,
            what="the assign list to load (or, wrongly, to close)",
        )
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        assert app.screen.suggestion is not None
        assert app.screen.suggestion.outcome is Outcome.NONE
    tip = _tip(store, target.id)
    assert tip.analysis.priority == "E" and tip.analysis.jurisdiction_id is None
    assert tip.analysis.referrals == []


async def test_six_keys_on_a_conflicting_tip_do_not_dispatch(make_store) -> None:
    store = _store_with_directory(make_store, [full_report(), *queue_reports(5)])
    app = make_app(store, on_call=True)
    async with app.run_test(size=(80, 24)) as pilot:
        target = await _the_urgent_tip(app, pilot, Outcome.CONFLICT)
        await pilot.press("c", "e", "a", "enter", "d", "y")
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        summary = static_text(app, "#assign-summary")
        assert summary.startswith("Signals conflict: US-") and "GB — choose" in summary
        assert app.screen.query_one(OptionList).highlighted is None
    tip = _tip(store, target.id)
    assert tip.analysis.jurisdiction_id is None
    assert tip.analysis.referrals == []


async def test_without_a_signal_an_agency_is_still_chosen_by_arrow_or_search(make_store) -> None:
    store = _store_with_directory(make_store, [simple_report(1, escalated=True), *queue_reports(3)])
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        target = await _the_urgent_tip(app, pilot, Outcome.NONE)
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.query_one(OptionList).highlighted is None  # not the FBI
        await pilot.press("enter")  # nothing chosen: says so, assigns nothing
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        assert "Nothing chosen" in static_text(app, "#assign-keys")
        await pilot.press("down")  # the analyst's own choice: the first listed
        await settle(pilot)
        assert static_text(app, "#assign-keys").startswith("enter  assign")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ModalScreen)
        assert _tip(store, target.id).analysis.jurisdiction == "FBI (DEMO)"
        await pilot.press("a", *"texas icac")  # typed: the best match is what enter takes
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
    assert _tip(store, target.id).analysis.jurisdiction == "Texas ICAC Task Force (DEMO)"


async def test_the_assign_dialog_keeps_its_key_line_on_a_short_terminal(make_store) -> None:
    store = _store_with_directory(make_store, [full_report(), *queue_reports(3)])
    for size in [(60, 20), (80, 24)]:
        app = make_app(store)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            keys = app.screen.query_one("#assign-keys")
            shown, _ = app.screen.get_widget_at(keys.region.x, keys.region.y)
            assert shown is keys, f"the key line is hidden at {size}"
            assert keys.region.bottom <= size[1] - 1


# ------------------------------------------------------------- 10: closing, and undoing it


async def test_x_on_an_urgent_tip_asks_before_it_closes(make_store) -> None:
    store = make_store([simple_report(1, escalated=True), *queue_reports(3)])
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        target = app.screen.query_one(QueueTable).cursor_row
        assert target is not None and target.escalated
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmPrompt)
        assert "urgent (escalated by the ESP)" in static_text(app, "#confirm-body")
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, ModalScreen)
        assert _tip(store, target.id).analysis.status == "new"  # kept open
        await pilot.press("x", "y")  # the question and its answer in one breath
        await settle(pilot)
        assert not isinstance(app.screen, ModalScreen)
        assert _tip(store, target.id).analysis.status == "closed"
        assert "X reopens tip #" in "\n".join(_messages(app))


async def test_x_on_a_priority_e_tip_asks_on_the_report_screen_too(make_store) -> None:
    store = make_store(queue_reports(3))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        tip_id = app.screen.report_id
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmPrompt)
        assert "urgent (priority E)" in static_text(app, "#confirm-body")
        await pilot.press("escape")
        await settle(pilot)
        assert _tip(store, tip_id).analysis.status != "closed"


async def test_every_close_says_how_to_undo_it_and_X_reopens(make_store) -> None:
    """A calm tip still closes with one key; it leaves the queue, and X brings it back."""
    store = make_store([simple_report(n) for n in range(1, 6)])
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        target = app.screen.query_one(QueueTable).cursor_row
        assert target is not None and not target.escalated
        await pilot.press("x")
        await settle(pilot)
        assert _tip(store, target.id).analysis.status == "closed"
        assert static_text(app, "#queue-position") == "1/4"  # gone from the open queue
        assert f"X reopens tip #{target.id}" in _messages(app)
        await pilot.press("X")
        await settle(pilot)
        assert static_text(app, "#queue-position") == "1/5"  # back, under the cursor
        assert app.screen.query_one(QueueTable).cursor_row.id == target.id
    assert _tip(store, target.id).analysis.status == "new"
    with store.read() as conn:
        kinds = [k for (k,) in conn.exec_driver_sql("SELECT kind FROM outbox ORDER BY id")]
    assert kinds == ["close", "reopen"]  # the reopen syncs like any action


async def test_a_bulk_close_asks_and_X_reopens_the_tips_it_closed(make_store) -> None:
    store = make_store([simple_report(n) for n in range(1, 7)])
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        chosen = []
        for _ in range(2):
            chosen.append(table.cursor_row.id)
            await pilot.press("space")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmPrompt)
        await pilot.press("y")
        await settle(pilot)
        assert static_text(app, "#queue-position") == "1/4"
        assert "X reopens the 2 tips closed" in _messages(app)
        await pilot.press("X")
        await settle(pilot)
        assert static_text(app, "#queue-position").endswith("/6")
    assert [_tip(store, i).analysis.status for i in chosen] == ["new", "new"]
