from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.factories import BASE_TIME, simple_report
from tipline_tui.domain.report import Report
from tipline_tui.store import Store, open_store
from tipline_tui.store.reports import write_reports


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Callable[[Sequence[Report]], Store]]:
    """A real store file holding `reports`."""
    opened: list[Store] = []

    def make(reports: Sequence[Report], name: str = "store.sqlite") -> Store:
        store = open_store(tmp_path / name)
        with store.write() as conn:
            write_reports(conn, reports, now=BASE_TIME)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def queue_reports(count: int) -> list[Report]:
    """`count` tips, every 25th ESP-escalated, ids in received order."""
    return [simple_report(n, escalated=n % 25 == 0) for n in range(count)]
