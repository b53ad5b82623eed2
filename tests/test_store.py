from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from tests.conftest import queue_reports
from tests.factories import BASE_TIME, full_report, simple_report
from tipline_tui.domain.views import QueueFilter, QueueSort
from tipline_tui.store import StoreError, StoreTooNewError, open_store
from tipline_tui.store.migrations import SCHEMA_VERSION, ensure_schema
from tipline_tui.store.queue import count_before, fetch_around, fetch_window, queue_counts
from tipline_tui.store.reports import write_reports
from tipline_tui.store.tip_load import load_tip


def test_new_store_is_private_wal_with_foreign_keys(store_path: Path) -> None:
    store = open_store(store_path)
    assert stat.S_IMODE(os.stat(store_path).st_mode) == 0o600
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == SCHEMA_VERSION
    store.close()


def test_full_report_round_trips_every_field(make_store) -> None:
    report = full_report()
    store = make_store([report])
    with store.read() as conn:
        tip = load_tip(conn, 1)
    assert tip is not None
    assert tip.report == report
    assert tip.analysis.status == "new" and tip.analysis.version == 1


def test_identifiers_are_indexed_for_every_kind(make_store) -> None:
    store = make_store([full_report()])
    with store.read() as conn:
        kinds = {row[0] for row in conn.exec_driver_sql("SELECT DISTINCT kind FROM identifier")}
        norms = {row[0] for row in conn.exec_driver_sql("SELECT norm FROM identifier")}
    assert kinds == {
        "email",
        "phone",
        "screen_name",
        "display_name",
        "esp_id",
        "ip",
        "device_id",
        "file_hash",
        "full_name",
    }
    assert "dark.wolf@example.com" in norms and "2125550147" in norms and "2001:db8::7" in norms


def test_failed_write_leaves_nothing_behind(make_store) -> None:
    store = make_store([simple_report(1)])
    bad = simple_report(2)
    bad.incident_type = None  # type: ignore[assignment]  # NOT NULL in the table
    with pytest.raises(IntegrityError), store.write() as conn:
        write_reports(conn, [simple_report(3), bad], now=BASE_TIME)
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM report").scalar() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM identifier").scalar() == 2


def test_newer_store_is_refused_untouched(store_path: Path) -> None:
    open_store(store_path).close()
    with sqlite3.connect(store_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = store_path.read_bytes()
    with pytest.raises(StoreTooNewError, match="newer tipline"):
        open_store(store_path)
    assert store_path.read_bytes() == before


def test_foreign_sqlite_file_and_garbage_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a tipline store"):
        open_store(other)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        open_store(garbage)


def _add_column(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE report ADD COLUMN migrated_marker TEXT DEFAULT 'yes'")


def _broken(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE report ADD COLUMN half_done TEXT")
    raise RuntimeError("migration failed half way")


def test_older_store_is_migrated_in_place_in_one_transaction(make_store) -> None:
    store = make_store([simple_report(1)])
    target = SCHEMA_VERSION + 1
    with store.write() as conn:
        assert ensure_schema(conn, "test", target=target, migrations={target: _add_column}) == (
            SCHEMA_VERSION
        )
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == target
        assert conn.exec_driver_sql("SELECT migrated_marker FROM report").scalar() == "yes"


def test_failed_migration_rolls_back_completely(make_store) -> None:
    store = make_store([simple_report(1)])
    target = SCHEMA_VERSION + 1
    with pytest.raises(RuntimeError), store.write() as conn:
        ensure_schema(conn, "test", target=target, migrations={target: _broken})
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == SCHEMA_VERSION
        columns = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(report)")]
    assert "half_done" not in columns


def _walk(conn: Connection, sort: QueueSort, filt: QueueFilter, limit: int) -> list[int]:
    ids: list[int] = []
    rows = fetch_window(conn, sort, filt, limit=limit)
    while rows:
        ids.extend(r.id for r in rows)
        rows = fetch_window(conn, sort, filt, after=rows[-1].sort_key(sort), limit=limit)
    return ids


@pytest.mark.parametrize("sort", list(QueueSort))
def test_keyset_windows_cover_the_queue_in_order_both_ways(make_store, sort: QueueSort) -> None:
    reports = queue_reports(230)
    for n, report in enumerate(reports):  # ties on received time must still page correctly
        report.received_at = BASE_TIME - 60 * (n // 3)
    store = make_store(reports)
    filt = QueueFilter()
    with store.read() as conn:
        forward = _walk(conn, sort, filt, limit=17)
        everything = fetch_window(conn, sort, filt, limit=1000)
        backward: list[int] = []
        rows = fetch_window(conn, sort, filt, before=(), limit=17)
        while rows:
            backward[:0] = [r.id for r in rows]
            rows = fetch_window(conn, sort, filt, before=rows[0].sort_key(sort), limit=17)
        middle = everything[100]
        around, at = fetch_around(conn, sort, filt, middle.id, limit=20)
        index = count_before(conn, sort, filt, middle.sort_key(sort))
    assert forward == [r.id for r in everything] == backward
    assert len(forward) == 230 and len(set(forward)) == 230
    assert around[at].id == middle.id and index == 100
    assert [r.id for r in around] == forward[90:110]


def test_urgency_order_puts_escalated_then_priorities_then_oldest(make_store) -> None:
    store = make_store(queue_reports(60))
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE report SET priority='E', urgency_rank=0 WHERE id=3")
        conn.exec_driver_sql("UPDATE report SET priority='3', urgency_rank=4 WHERE id=60")
        conn.exec_driver_sql("UPDATE report SET priority='1', urgency_rank=1 WHERE id=59")
    with store.read() as conn:
        rows = fetch_window(conn, QueueSort.URGENCY, QueueFilter(), limit=100)
    ranks = [r.urgency_rank for r in rows]
    assert ranks == sorted(ranks)
    urgent = [r.id for r in rows if r.urgency_rank == 0]
    assert set(urgent) == {1, 26, 51, 3}
    assert [r.received_at for r in rows[:4]] == sorted(r.received_at for r in rows[:4])
    assert rows[4].id == 59 and rows[-1].id == 60


def test_filters_search_and_counts(make_store) -> None:
    reports = queue_reports(50)
    reports[7].persons[0].screen_name = "Dark_Wolf_77"
    reports[8].persons[0].person.emails[0].value = "Wolf.Den@Example.org"
    reports[9].platform = "100%_real (demo)"
    store = make_store(reports)
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE report SET status='closed' WHERE id IN (1, 2)")
        conn.exec_driver_sql("UPDATE report SET priority='2', urgency_rank=3 WHERE id=5")
    with store.read() as conn:

        def ids(**kw) -> set[int]:
            return {
                r.id for r in fetch_window(conn, QueueSort.URGENCY, QueueFilter(**kw), limit=100)
            }

        assert len(ids()) == 48 and not ids() & {1, 2}
        assert ids(status="closed") == {1, 2}
        assert len(ids(status=None)) == 50
        assert ids(priority="2") == {5}
        assert len(ids(priority="unset")) == 47
        assert ids(urgent_only=True) == {1 + n for n in (25,)}  # id 1 (n=0) is closed
        assert ids(search="wolf") == {8, 9}
        assert ids(search="WOLF.den") == {9}
        assert ids(search="%_") == {10}  # LIKE wildcards are literal
        assert ids(search="#12") == {12}
        counts = queue_counts(conn, QueueFilter(search="wolf"))
    assert (counts.total, counts.urgent, counts.unassigned, counts.matching) == (50, 1, 48, 2)


@pytest.mark.parametrize("sort", list(QueueSort))
@pytest.mark.parametrize(
    "filt",
    [
        QueueFilter(),
        QueueFilter(status="new"),
        QueueFilter(status=None),
        QueueFilter(priority="E"),
        QueueFilter(priority="unset"),
        QueueFilter(urgent_only=True),
    ],
)
def test_queue_windows_never_sort_the_whole_table(make_store, sort, filt) -> None:
    """Every sort and filter is read from an index in order: no temporary sort of all rows."""
    store = make_store(queue_reports(5))
    with store.read() as conn:
        conn.exec_driver_sql("ANALYZE")
        captured: list[str] = []
        from sqlalchemy import event

        def grab(_conn, _cursor, statement, params, _context, _many) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "LIMIT" in statement:
                plan = conn.connection.driver_connection.execute(
                    "EXPLAIN QUERY PLAN " + statement, params
                ).fetchall()
                captured.append(" | ".join(str(row[-1]) for row in plan))

        event.listen(conn, "before_cursor_execute", grab)
        fetch_window(conn, sort, filt, after=(0, 0, 0) if sort is QueueSort.URGENCY else (0, 0))
        event.remove(conn, "before_cursor_execute", grab)
    assert captured, "no window query seen"
    # "RIGHT PART OF ORDER BY" sorts only runs of equal leading keys (ties), never the table
    assert "USE TEMP B-TREE FOR ORDER BY" not in captured[0], captured[0]
    assert "SCAN report" not in captured[0] or "USING INDEX" in captured[0], captured[0]


def test_a_real_version_1_store_is_migrated_in_place(tmp_path: Path) -> None:
    """tests/fixtures/store_v1.sqlite was written by schema version 1 (before quarantine)."""
    import shutil

    old = tmp_path / "v1.sqlite"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "store_v1.sqlite", old)
    with sqlite3.connect(old) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        cursor = raw.execute("SELECT * FROM report ORDER BY id")
        before = cursor.fetchall()
        columns = ", ".join(d[0] for d in cursor.description)
    store = open_store(old)
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == SCHEMA_VERSION
        assert conn.exec_driver_sql("SELECT count(*) FROM quarantine").scalar() == 0
        rows = conn.exec_driver_sql(f"SELECT {columns} FROM report ORDER BY id")
        assert [tuple(r) for r in rows] == before  # later columns are added, none changed
        assert load_tip(conn, 1) is not None
    store.close()
