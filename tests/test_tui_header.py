"""Readable at 80 columns (and sensible at 60): the queue's header, footer, status and
jurisdiction columns, the first-run message and the word on a missing agency directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import queue_reports
from tests.factories import BASE_TIME, simple_report
from tests.tui_helpers import make_app, screen_lines, settle, static_text, table_lines
from tipline_tui.app import TiplineApp
from tipline_tui.demo.agencies import demo_agencies
from tipline_tui.domain.report import Address, Report
from tipline_tui.screens.assign import AssignScreen
from tipline_tui.store import actions
from tipline_tui.store.directory import write_agencies
from tipline_tui.sync.loop import SyncStatus


def _at(report: Report, *places: tuple[str, str]) -> Report:
    """`report` whose reported person has an address in each (city, state)."""
    report.persons[0].person.addresses = [
        Address(city=city, state=state, country="US") for city, state in places
    ]
    return report


def _header(app: TiplineApp) -> str:
    return screen_lines(app)[0]


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_header_shows_filter_sort_and_sync_state(make_store, size) -> None:
    app = make_app(make_store(queue_reports(40)), demo=True)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app._sync_changed(SyncStatus(online=True, pending=3))
        await pilot.press("s", "f", "p", "u")  # oldest first, status new, priority E, urgent
        await settle(pilot)
        header = _header(app)
        assert "DEMO" in header and "new pri E urgent" in header, header
        assert "oldest" in header and "online" in header, header
        assert "3 pend" in header and header.rstrip().endswith("0/0"), header
        offline_since = BASE_TIME - 600
        app._sync_changed(SyncStatus(offline_since=offline_since, pending=3))
        await settle(pilot)
        header = _header(app)
        assert "OFFLINE" in header and "new pri E urgent" in header, header
        assert "online" not in header and "…" not in header, header


async def test_header_at_80_columns_keeps_counts_when_there_is_room(make_store) -> None:
    app = make_app(make_store(queue_reports(60)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = _header(app)
        assert "60 tips" in header and "3 urgent" in header and "open" in header, header
        assert "urgency" in header and header.rstrip().endswith("1/60"), header


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_footer_hints_are_whole_or_left_out(make_store, size) -> None:
    app = make_app(make_store(queue_reports(5)))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        footer = screen_lines(app)[-1]
        shown = [k for k in app.screen.query("FooterKey") if k.display]
        assert shown, footer
        for key in shown:  # every hint the footer shows is on the screen in full
            hint = f"{key.key_display} {key.description}"
            assert hint in footer, (hint, footer)
        assert "⏎ Open" in footer and "? Help" in footer and "a Assign" in footer, footer


async def test_status_column_says_how_far_a_referral_has_got(make_store) -> None:
    store = make_store([simple_report(n) for n in range(3)])
    with store.write() as conn:
        [agency] = write_agencies(conn, demo_agencies([])[:1])
        for tip in (1, 2):
            actions.claim(conn, tip, analyst="trainee_analyst", now=BASE_TIME)
        actions.assign(conn, 2, agency, analyst="trainee_analyst", now=BASE_TIME)
        actions.dispatch(conn, 2, agency, analyst="trainee_analyst", now=BASE_TIME, contents={})
        conn.exec_driver_sql("UPDATE referral SET status = 'acknowledged' WHERE report_id = 2")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = {line[1:].split()[0]: line for line in table_lines(app)[1:4]}
        assert "@traine…" in rows["1"], rows  # claimed: who has it
        assert "ack'd" in rows["2"] and "@" not in rows["2"], rows  # referred: how far it got
        assert " new " in rows["3"], rows


async def test_jurisdiction_column_shows_the_suggested_place(make_store) -> None:
    reports = [
        _at(simple_report(0), ("Buffalo", "NY")),
        _at(simple_report(1), ("Dallas", "TX")),
        simple_report(2),
    ]
    reports[1].persons.append(
        _at(simple_report(9), ("Fresno", "CA")).persons[0]
    )  # a second reported person elsewhere: a conflict
    app = make_app(make_store(reports))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = {line[1:].split()[0]: line for line in table_lines(app)[1:4]}
        assert rows["1"].rstrip().endswith("US-NY"), rows
        assert rows["2"].rstrip().endswith("US-CA/US-TX?"), rows
        assert rows["3"].rstrip().endswith("none found"), rows


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_first_run_message_fits_and_names_every_way_in(make_store, size) -> None:
    app = make_app(make_store([]))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        message = " ".join(line.strip() for line in lines[2:-1])
        for words in ("No tips", "tipline demo", "tipline import", "hub", "TIPLINE_HUB_URL"):
            assert words in message, (words, lines)
        # no line of the message is cut at the edge: each ends inside the screen
        assert all(len(line.rstrip()) < size[0] for line in lines[2:-1]), lines
        assert "…" not in message, lines


async def test_assign_without_a_directory_says_how_to_load_one(make_store) -> None:
    app = make_app(make_store([_at(simple_report(0), ("Buffalo", "NY"))]))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        summary = " ".join(static_text(app, "#assign-summary").split())
        assert "no agency directory" in summary, summary
        assert "tipline agencies import FILE.csv" in summary and "hub" in summary, summary


def test_suggest_without_a_directory_says_how_to_load_one(
    make_store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tipline_tui.cli import main

    make_store([_at(simple_report(0), ("Buffalo", "NY"))]).close()
    assert main(["suggest", "--db", str(tmp_path / "store.sqlite"), "1"]) == 0
    out = capsys.readouterr().out
    assert "no agency directory" in out and "tipline agencies import FILE.csv" in out, out


def test_header_pieces_fit_any_width_and_keep_the_filter() -> None:
    from tipline_tui.domain.views import QueueCounts, QueueFilter, QueueSort
    from tipline_tui.widgets.queue_header import (
        count_pieces,
        header_texts,
        sync_pieces,
        view_pieces,
    )

    filt = QueueFilter(status="claimed", priority="E", urgent_only=True, search="wolf")
    states = [None, SyncStatus(online=True, pending=12, conflicts=2), SyncStatus(failed=True)]
    for status in states:
        groups = [
            count_pieces(QueueCounts(100_000, 1_234, 99_000), 7),
            view_pieces(QueueSort.RECEIVED, filt, on_call=False),
            sync_pieces(status, 4),
        ]
        for width in range(45, 121):
            lead, sync = header_texts(groups, width, demo=True)
            assert lead.cell_len + 1 + sync.cell_len <= width, (width, lead, sync)
            assert "claimed pri E urgent /wolf" in lead.plain, (width, lead)
            if status is not None and not status.online:
                assert "SYNC ERR" in sync.plain, (width, sync)
