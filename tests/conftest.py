from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.factories import BASE_TIME, simple_report
from tests.hub_helpers import PostgresServer, start_postgres
from tests.storage_faults import StorageFaults, storage_faults_installed
from tipline_tui.domain.report import Report
from tipline_tui.hub.db import HubDB, open_hub
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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | None]:
    """A throwaway PostgreSQL cluster for the session; None where this machine has none."""
    yield from start_postgres()


@pytest.fixture
def pg_hub(postgres: PostgresServer | None) -> Iterator[HubDB]:
    """A fresh hub database on that cluster (skipped where there is none)."""
    if postgres is None:
        pytest.skip("no PostgreSQL binaries: install Debian's postgresql to run this")
    hub = open_hub(postgres.new_database())
    try:
        yield hub
    finally:
        hub.close()


@pytest.fixture
def storage_faults() -> Iterator[StorageFaults]:
    """Make a store file full or read-only as SQLite reports it (see tests/storage_faults.py)."""
    with storage_faults_installed() as faults:
        yield faults


def queue_reports(count: int) -> list[Report]:
    """`count` tips, every 25th ESP-escalated, ids in received order."""
    return [simple_report(n, escalated=n % 25 == 0) for n in range(count)]
