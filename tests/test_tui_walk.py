"""What a new user's walk through the app found: history in words, a search cleared in place,
a quarantine that opens, related reasons that read cleanly (issue 13, items 11-14)."""

from __future__ import annotations

import hashlib

from tests.conftest import queue_reports
from tests.factories import BASE_TIME, simple_report
from tests.test_related import person_report
from tests.test_tui_triage import _located_report, _with_directory
from tests.tui_helpers import CLOCK_NOW, make_app, settle, static_text
from tests.waiting import until
from tipline_tui.screens.quarantine import QuarantineScreen
from tipline_tui.screens.queue import QueueScreen
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import actions, intake
from tipline_tui.store.directory import list_agencies
from tipline_tui.store.related import related_reports
from tipline_tui.widgets.queue_table import QueueTable


async def test_history_names_the_agency_and_says_what_was_done_in_words(make_store) -> None:
    store = make_store([_located_report(1), *queue_reports(3)])
    _with_directory(store)
    with store.write() as conn:
        agency = next(a for a in list_agencies(conn) if "Ohio ICAC" in a.name)
        assert agency.id is not None
        actions.claim(conn, 1, analyst="dana", now=CLOCK_NOW - 60)
        actions.set_victim_age(conn, 1, 13, 15, analyst="dana", now=CLOCK_NOW - 50)
        actions.assign(conn, 1, agency.id, analyst="dana", now=CLOCK_NOW - 40)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_tip(1)
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        history = static_text(app, "#text-history")
    assert "jurisdiction_id" not in history and "victim_age" not in history
    assert f"jurisdiction: none → {agency.name}" in history
    assert "dana claimed" in history and "claimed by: nobody → dana" in history
    assert "dana assigned" in history and "status: claimed → assigned" in history
    assert "victim age: not set → 13-15" in history
    assert "ana viewed the tip" in history


async def test_clearing_a_search_leaves_the_cursor_on_the_tip_found(make_store) -> None:
    reports = queue_reports(60)
    reports[40].persons[0].screen_name = "Dark_Wolf_77"
    app = make_app(make_store(reports))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one(QueueTable)
        await pilot.press("slash", *"wolf", "enter")
        await until(lambda: screen.filt.search == "wolf", pilot=pilot, what="the search")
        await settle(pilot)
        assert table.cursor_row is not None
        found = table.cursor_row.id
        assert static_text(app, "#queue-position") == "1/1"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.pause(0.3)  # past the search box's typing delay
        await settle(pilot)
        assert screen.filt.search == ""
        assert static_text(app, "#queue-position").endswith("/60")
        assert table.cursor_row is not None and table.cursor_row.id == found
        assert static_text(app, "#queue-position") != "1/60"


def _quarantine(store, count: int) -> None:  # type: ignore[no-untyped-def]
    with store.write() as conn:
        for n in range(count):
            content = f"<report>synthetic bad document {n}</report>".encode()
            digest = hashlib.sha256(content).hexdigest()
            problems = [f"synthetic problem {n}"] + (["a second problem"] if n % 2 else [])
            intake.quarantine(conn, f"bad_{n}.xml", content, digest, problems, now=BASE_TIME)


async def test_quarantine_shows_the_first_detail_at_once_and_enter_opens_it(make_store) -> None:
    store = make_store(queue_reports(2))
    _quarantine(store, 30)
    app = make_app(store)
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await pilot.press("Q")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QuarantineScreen)
        detail = static_text(app, "#quarantine-text")
        assert "bad_29.xml" in detail and "2 problems" in detail  # no key pressed yet
        listing = screen.query_one("#quarantine-list")
        assert listing.size.height > 12  # the list grows with the screen (it was 8 rows)
        await pilot.press("down")
        await settle(pilot)
        assert "bad_28.xml" in static_text(app, "#quarantine-text")
        assert "1 problem\n" in static_text(app, "#quarantine-text")
        await pilot.press("enter")
        await settle(pilot)
        assert not listing.display  # the detail has the whole screen
        assert screen.query_one("#quarantine-detail").has_focus
        await pilot.press("escape")
        await settle(pilot)
        assert listing.display and listing.has_focus and app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_report_panes_show_dates_in_the_one_format(make_store) -> None:
    app = make_app(make_store(queue_reports(2)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        summary = static_text(app, "#text-summary")
    assert "Incident time: 2026-09-01 10:00 UTC" in summary  # sent as 2026-09-01T10:00:00Z
    assert "1 reported, 0 victims, 0 recipients" in summary


def test_a_related_reason_shows_the_other_spelling_without_double_parentheses(
    make_store,
) -> None:
    store = make_store(
        [person_report(1, phone="+1 619 555 0100"), person_report(2, phone="(619) 555-0100")]
    )
    with store.read() as conn:
        found = related_reports(conn, 2)
    reasons = " · ".join(found[0].reasons)
    assert "same phone: +1 619 555 0100" in reasons and "((" not in reasons


async def test_a_new_urgent_tip_is_one_short_line_clear_of_the_rows(make_store) -> None:
    from textual.widgets._toast import Toast

    from tipline_tui.store.reports import write_reports

    store = make_store(queue_reports(30))
    app = make_app(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.bell = lambda: None  # type: ignore[method-assign]
        await settle(pilot)
        app.watch_urgent()
        await settle(pilot)
        with store.write() as conn:
            write_reports(conn, [simple_report(99, escalated=True)], now=CLOCK_NOW)
        app.watch_urgent()
        await settle(pilot)
        await pilot.pause(0.2)
        (toast,) = app.screen.query(Toast)
        assert toast.region.height == 1 and toast.region.width <= 30, toast.region
        footer = app.screen.size.height - 1
        shown = {app.screen.get_widget_at(x, footer)[0] for x in range(80)}
        assert toast in shown  # seen, over the footer
        rows = app.screen.query_one(QueueTable).region
        for y in range(rows.y, rows.bottom):  # and over no row of the queue
            assert all(app.screen.get_widget_at(x, y)[0] is not toast for x in range(80))
