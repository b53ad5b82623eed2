"""Readers written once as SQL run the same on the app's engine and on bare sqlite3, and a
store at the current schema opens and reads without SQLAlchemy."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence

import pytest

from tests.conftest import queue_reports
from tipline_tui.domain.report import Report
from tipline_tui.store import Store
from tipline_tui.store.sql_rows import one_value, rows

TIPS_BY_ID = "SELECT id, esp_name FROM report ORDER BY id LIMIT ?"


def test_the_same_sql_gives_the_same_rows_on_both_connections(
    make_store: Callable[[Sequence[Report]], Store],
) -> None:
    store = make_store(queue_reports(5))
    with store.read() as engine_conn:
        through_engine = rows(engine_conn, TIPS_BY_ID, (3,))
    with store.plain_read() as plain:
        through_sqlite = rows(plain, TIPS_BY_ID, (3,))
    assert through_engine == through_sqlite
    assert len(through_sqlite) == 3 and all(isinstance(r, tuple) for r in through_sqlite)


def test_one_value_is_none_without_a_row(make_store: Callable[[Sequence[Report]], Store]) -> None:
    store = make_store(queue_reports(1))
    with store.plain_read() as plain:
        assert one_value(plain, "SELECT count(*) FROM report") == 1
        assert one_value(plain, "SELECT id FROM report WHERE id < 0") is None


def test_a_plain_read_cannot_write(make_store: Callable[[Sequence[Report]], Store]) -> None:
    import sqlite3

    store = make_store(queue_reports(1))
    with store.plain_read() as plain, pytest.raises(sqlite3.OperationalError):
        plain.execute("DELETE FROM report")
    with store.plain_read() as plain:
        assert one_value(plain, "SELECT count(*) FROM report") == 1


READ_WITHOUT_ENGINE = """
import json, sys
from tipline_tui.store import open_store
from tipline_tui.store.sql_rows import one_value
store = open_store(sys.argv[1], create=False, only_reads=True)
with store.plain_read() as plain:
    count = one_value(plain, "SELECT count(*) FROM report")
print(json.dumps([count, sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy')]))
"""


def test_a_current_store_opens_and_reads_without_sqlalchemy(
    make_store: Callable[[Sequence[Report]], Store],
) -> None:
    store = make_store(queue_reports(4))
    store.close()
    done = subprocess.run(
        [sys.executable, "-c", READ_WITHOUT_ENGINE, str(store.path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stdout) == [4, []]
