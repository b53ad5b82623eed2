"""Snapshots of the main screens at the smallest supported size and a roomy one."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.conftest import queue_reports
from tests.factories import full_report
from tests.tui_helpers import make_app, settle

SIZES = [(80, 24), (120, 40)]


def _store(make_store):
    reports = queue_reports(40)
    reports.insert(0, full_report())
    return make_store(reports)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_queue_screen(snap_compare, make_store, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("j", "j")
        await settle(pilot)

    app = make_app(_store(make_store), demo=True)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_report_screen(snap_compare, make_store, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    app = make_app(_store(make_store))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_report_people_pane(snap_compare, make_store) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)

    app = make_app(_store(make_store))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
