"""Triage from the keyboard, as an analyst does it, on a real store."""

from __future__ import annotations

import asyncio

from textual.screen import ModalScreen

from tests.conftest import queue_reports
from tests.factories import BASE_TIME, simple_report
from tests.tui_helpers import CLOCK_NOW, make_app, settle, static_text, table_lines, type_burst
from tests.waiting import until
from tipline_tui.screens.prompts import PriorityPicker, TextPrompt
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import actions
from tipline_tui.store.reports import write_reports
from tipline_tui.store.tip_load import load_tip
from tipline_tui.widgets.queue_table import QueueTable


def _tip(store, report_id):  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return load_tip(conn, report_id)


def _outbox_kinds(store) -> list[str]:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return [k for (k,) in conn.exec_driver_sql("SELECT kind FROM outbox ORDER BY id")]


async def test_claim_priority_labels_age_note_from_the_report_screen(make_store) -> None:
    store = make_store(queue_reports(5))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        tip_id = app.screen.report_id
        await pilot.press("c")
        await settle(pilot)
        assert ":ana" in static_text(app, "#report-title")
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, PriorityPicker)
        await pilot.press("2")
        await settle(pilot)
        assert "pri 2" in static_text(app, "#report-title")
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"sextortion bad!tag", "enter")
        await settle(pilot)
        assert "free tag" in static_text(app, "#prompt-error")  # refused, prompt stays
        await pilot.press(*["backspace"] * 7, *"viral-7", "enter")
        await settle(pilot)
        await pilot.press("v", *"13-15", "enter")
        await settle(pilot)
        await pilot.press("N", *"[b]not markup[/b]", "enter")
        await settle(pilot)
        await pilot.press("6")  # the analysis pane
        await settle(pilot)
        analysis = static_text(app, "#text-analysis")
    tip = _tip(store, tip_id)
    assert tip.analysis.claimed_by == "ana" and tip.analysis.priority == "2"
    assert tip.analysis.labels == ["sextortion", "viral-7"]
    assert (tip.analysis.victim_age_min, tip.analysis.victim_age_max) == (13, 15)
    assert tip.analysis.notes[0].body == "[b]not markup[/b]"
    assert "[b]not markup[/b]" in analysis and "13-15" in analysis
    assert _outbox_kinds(store) == ["claim", "priority", "labels", "victim_age", "note"]
    with store.read() as conn:
        actions = [a for (a,) in conn.exec_driver_sql("SELECT action FROM audit ORDER BY seq")]
    assert actions == ["view", "claim", "priority", "labels", "victim_age", "note"]


async def test_a_tip_claimed_by_someone_else_says_who(make_store) -> None:
    store = make_store(queue_reports(3))
    from tipline_tui.store import actions

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        row = app.screen.query_one(QueueTable).cursor_row
        with store.write() as conn:
            actions.claim(conn, row.id, analyst="bob", now=BASE_TIME)
        await pilot.press("r")
        await settle(pilot)
        assert "@bob" in table_lines(app)[1]
        await pilot.press("c")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
    assert any("claimed by bob" in m for m in messages)


async def test_bulk_select_with_space_then_close_and_info_only(make_store) -> None:
    store = make_store(queue_reports(10))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        chosen = []
        for _ in range(3):
            chosen.append(table.cursor_row.id)
            await pilot.press("space")
        await settle(pilot)
        assert table_lines(app)[1].startswith("*")
        assert static_text(app, "#queue-position").startswith("3 sel")
        await pilot.press("i")
        await settle(pilot)
        assert not table.marked  # a bulk action clears the selection
    for report_id in chosen:
        assert _tip(store, report_id).analysis.priority == "info"
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("space", "space", "x", "y")  # a bulk close asks first
        await settle(pilot)
        assert "10 tips" in static_text(app, "#queue-counts")
        assert static_text(app, "#queue-position") == "1/8"  # two closed: gone from "open"


async def test_on_call_shows_only_urgent_and_overdue_with_clocks(make_store) -> None:
    reports = queue_reports(30)  # every 25th is escalated: ids 1 and 26
    store = make_store(reports)
    app = make_app(store, on_call=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = table_lines(app)
        assert "ON-CALL" in static_text(app, "#queue-counts")
        shown = [line for line in lines[1:] if line.strip()]
        assert len(shown) == 2 and all("!!" in line for line in shown)
        assert all("LATE" in line or "m " in line or "h " in line for line in shown)
        await pilot.press("O")  # back to the whole queue
        await settle(pilot)
        assert static_text(app, "#queue-position") == "1/30"


async def test_a_new_urgent_tip_rings_the_bell_and_notifies(make_store) -> None:
    store = make_store(queue_reports(3))
    app = make_app(store)
    rings = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
        await settle(pilot)
        app.watch_urgent()
        await settle(pilot)
        assert rings == []  # what was there at start is not news
        with store.write() as conn:
            write_reports(conn, [simple_report(99, escalated=True)], now=CLOCK_NOW)
        app.watch_urgent()
        await settle(pilot)
        messages = [n.message for n in app._notifications]
    assert rings == [1]
    assert any(m.startswith("New urgent tip #") for m in messages)


def _located_report(n: int, *, escalated: bool = False):  # type: ignore[no-untyped-def]
    """A tip whose reported person has an Ohio address: the suggestion is Ohio's ICAC."""
    from dataclasses import replace

    from tipline_tui.domain.report import Address

    report = simple_report(n, escalated=escalated)
    person = report.persons[0]
    details = replace(
        person.person,
        addresses=[Address(address="1 Example Road", city="Columbus", state="OH", country="US")],
    )
    return replace(report, persons=[replace(person, person=details)])


def _with_directory(store) -> None:  # type: ignore[no-untyped-def]
    from tipline_tui.demo.generator import demo_agencies
    from tipline_tui.store.directory import write_agencies

    with store.write() as conn:
        write_agencies(conn, demo_agencies(["GB", "JP"]))


async def test_whole_workflow_open_claim_analyse_assign_dispatch(make_store) -> None:
    from tipline_tui.screens.assign import AssignScreen
    from tipline_tui.screens.dispatch import DispatchScreen

    store = make_store([_located_report(1), *queue_reports(4)])
    _with_directory(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("/", *"user_1", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        tip_id = app.screen.report_id
        await pilot.press("c", "P")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("L", *"apparent-csam", "enter")
        await settle(pilot)
        await pilot.press("N", *"Synthetic note: checked the account", "enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        summary = static_text(app, "#assign-summary")
        assert "US-OH" in summary
        await pilot.press("enter")  # the top suggestion
        await settle(pilot)
        assert "Ohio ICAC" in static_text(app, "#report-title")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DispatchScreen)
        body = static_text(app, "#dispatch-body")
        assert "Ohio ICAC" in body and "What travels" in body
        assert "No hub is configured" in body and "QUEUED" in body
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        await pilot.press("6")
        await settle(pilot)
        analysis = static_text(app, "#text-analysis")
        assert "QUEUED Ohio ICAC" in analysis
        await pilot.press("d")  # the same agency again needs a second confirmation
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DispatchScreen)
        assert "SECOND" in static_text(app, "#dispatch-keys")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        history = static_text(app, "#text-history")
    tip = _tip(store, tip_id)
    assert tip.analysis.status == "referred" and tip.analysis.priority == "1"
    assert [r.status for r in tip.analysis.referrals] == ["queued"]
    assert _outbox_kinds(store) == ["claim", "priority", "labels", "note", "assign", "dispatch"]
    for action in ("view", "claim", "priority", "assign", "dispatch"):
        assert action in history


async def _suggested(suggestion_of, report_id: int) -> None:  # type: ignore[no-untyped-def]
    """Six keys are counted only where the report suggests an agency: with no signal (none
    found) or signals that disagree (conflict), enter alone picks nothing (test_tui_safety)."""
    from tipline_tui.domain.jurisdiction import Outcome

    suggestion = await suggestion_of(report_id)
    assert suggestion is not None and suggestion.outcome is Outcome.SUGGESTED


async def test_on_call_claims_sets_e_assigns_and_dispatches_in_six_keys(make_store) -> None:
    store = make_store([*queue_reports(20), _located_report(30, escalated=True)])
    _with_directory(store)
    app = make_app(store, on_call=True)
    keys = ["c", "e", "a", "enter", "d", "y"]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        target = app.screen.query_one(QueueTable).cursor_row
        assert target is not None and target.escalated
        await _suggested(app.service.suggestion, target.id)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
    tip = _tip(store, target.id)
    assert tip.analysis.claimed_by == "ana" and tip.analysis.priority == "E"
    assert tip.analysis.jurisdiction == "Ohio ICAC Task Force (DEMO)"
    assert [r.agency for r in tip.analysis.referrals] == ["Ohio ICAC Task Force (DEMO)"]


async def test_the_six_on_call_keys_work_typed_ahead_without_waiting(make_store) -> None:
    store = make_store([*queue_reports(20), _located_report(30, escalated=True)])
    _with_directory(store)
    app = make_app(store, on_call=True)
    real_suggestion = app.service.suggestion
    keys_sent = asyncio.Event()
    asked: list[int] = []

    async def slow_suggestion(report_id: int):  # type: ignore[no-untyped-def]
        asked.append(report_id)
        await keys_sent.wait()  # a busy store: every key arrives before the suggestions
        return await real_suggestion(report_id)

    app.service.suggestion = slow_suggestion  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        target = app.screen.query_one(QueueTable).cursor_row
        await _suggested(real_suggestion, target.id)
        await pilot.press("c", "e", "a", "enter", "d", "y")  # as fast as the keyboard sends
        keys_sent.set()  # only now may the assign list's suggestion come back
        await until(
            lambda: _tip(store, target.id).analysis.referrals,
            pilot=pilot,
            what="the typed-ahead dispatch to be stored",
        )
        await app.workers.wait_for_complete()  # no prompt is open: nothing waits on a key
        await pilot.pause()
        assert not isinstance(app.screen, ModalScreen)
    assert asked == [target.id]
    tip = _tip(store, target.id)
    assert tip.analysis.claimed_by == "ana" and tip.analysis.priority == "E"
    assert [r.agency for r in tip.analysis.referrals] == ["Ohio ICAC Task Force (DEMO)"]


async def test_a_key_typed_right_after_y_reaches_the_queue(make_store) -> None:
    """`d y j` in one breath while the store is slow: the referral is sent, then j moves
    the queue's cursor (it used to reach the closing dialog and be lost)."""
    store = make_store([*queue_reports(20), _located_report(30, escalated=True)])
    _with_directory(store)
    app = make_app(store)
    real_act = app.service.act
    keys_sent = asyncio.Event()

    async def slow_act(action, *args, **kw):  # type: ignore[no-untyped-def]
        if action is actions.dispatch:
            await keys_sent.wait()  # a busy store: j arrives while the dispatch is written
        return await real_act(action, *args, **kw)

    app.service.act = slow_act  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        target = app.screen.query_one(QueueTable).cursor_row
        await pilot.press("a", "enter")  # the suggested agency
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        type_burst(app, "y", "j")  # one read from the terminal: both queued before either runs
        await pilot.pause()
        keys_sent.set()
        await until(
            lambda: _tip(store, target.id).analysis.referrals,
            pilot=pilot,
            what="the dispatch to be stored",
        )
        await settle(pilot)
        assert not isinstance(app.screen, ModalScreen)
        assert static_text(app, "#queue-position").startswith("2/")  # j was not lost


async def test_a_refused_dispatch_closes_the_dialog_and_shows_the_tip_as_it_is(make_store) -> None:
    """The tip was closed while the dialog was open (another window, a sync): y is refused,
    the notice says why, and the report screen shows the tip closed, not the stale state."""
    from tipline_tui.screens.dispatch import DispatchScreen

    store = make_store([_located_report(1)])
    _with_directory(store)
    with store.write() as conn:
        agency_id = conn.exec_driver_sql("SELECT id FROM agency ORDER BY id LIMIT 1").scalar()
        actions.assign(conn, 1, agency_id, analyst="ana", now=CLOCK_NOW)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "assigned" in static_text(app, "#report-title")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DispatchScreen)
        with store.write() as conn:
            actions.close(conn, 1, analyst="ben", now=CLOCK_NOW)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        await until(
            lambda: "closed" in static_text(app, "#report-title"), what="the reload", pilot=pilot
        )
        shown = [n.message for n in app._notifications]
        assert any("closed" in message for message in shown), shown
    assert "dispatch" not in _outbox_kinds(store)


async def test_a_move_typed_in_the_same_read_as_the_six_keys_counts_first(make_store) -> None:
    """`j c e a enter d y` as one terminal read (over SSH a burst arrives so): the six keys
    act on the row j moved to. The triage keys run as the app reads them while j waited in
    the table's queue, so c claimed the row j was leaving; fails on the old code."""
    store = make_store(
        [
            *queue_reports(5),
            _located_report(30, escalated=True),
            _located_report(31, escalated=True),
        ]
    )
    _with_directory(store)
    app = make_app(store, on_call=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        first = table.cursor_row.id
        await pilot.press("j")
        await settle(pilot)
        second = table.cursor_row.id
        await pilot.press("k")
        await settle(pilot)
        type_burst(app, "j", "c", "e", "a", "enter", "d", "y")
        await until(
            lambda: _tip(store, second).analysis.referrals or _tip(store, first).analysis.referrals,
            pilot=pilot,
            what="the dispatch",
        )
        await app.workers.wait_for_complete()
    assert _tip(store, first).analysis.claimed_by is None
    assert not _tip(store, first).analysis.referrals
    target = _tip(store, second)
    assert target.analysis.claimed_by == "ana" and target.analysis.priority == "E"
    assert [r.agency for r in target.analysis.referrals] == ["Ohio ICAC Task Force (DEMO)"]
