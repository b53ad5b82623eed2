"""The bundled demo store: a clearinghouse mid-shift, exactly what its recorded recipe makes."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from tests.test_generator import table_contents
from tipline_tui.config import bundled_demo_store
from tipline_tui.demo.generator import GENERATOR_VERSION, build_demo_store
from tipline_tui.demo.shift import SHIFT_NOW
from tipline_tui.domain.enums import WAITING_STATUSES
from tipline_tui.domain.triage import TimeLimits
from tipline_tui.domain.views import QueueFilter, QueueSort
from tipline_tui.store import audit, open_store
from tipline_tui.store.queue import count_matching, fetch_window
from tipline_tui.store.sync_state import counts


def _meta(path: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return dict(conn.execute("SELECT key, value FROM meta"))


def _read(sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(f"file:{bundled_demo_store()}?mode=ro&immutable=1", uri=True) as conn:
        return conn.execute(sql).fetchall()


def test_bundled_demo_store_regenerates_identically(tmp_path: Path) -> None:
    bundled = bundled_demo_store()
    meta = _meta(bundled)
    assert meta["generator_version"] == GENERATOR_VERSION, "regenerate demo_db.sqlite"
    assert 1000 <= int(meta["demo_reports"]) <= 5000 and bundled.stat().st_size < 15_000_000
    assert meta["demo_shift"] == "1" and int(meta["demo_now"]) == SHIFT_NOW
    fresh = tmp_path / "fresh.sqlite"
    build_demo_store(fresh, int(meta["demo_reports"]), int(meta["demo_seed"]), shift=True)
    assert table_contents(fresh) == table_contents(bundled)


def test_most_of_the_history_is_handled_and_a_recent_backlog_waits() -> None:
    statuses = Counter(dict(_read("SELECT status, count(*) FROM report GROUP BY status")))
    total = sum(statuses.values())
    assert statuses["closed"] >= total // 2  # open tips are at most half the store
    assert statuses["referred"] >= 50
    waiting = sum(statuses[s] for s in WAITING_STATUSES)
    assert 20 <= waiting <= 120
    assert statuses["new"] >= 10 and statuses["claimed"] >= 3
    referrals = Counter(_read("SELECT status, coalesce(outcome, '') FROM referral"))
    assert referrals["acknowledged", "investigation opened"] >= 100
    assert referrals["acknowledged", "no action: insufficient information"] >= 20
    assert referrals["failed", "not our jurisdiction"] >= 5
    info_only = _read("SELECT count(*) FROM report WHERE priority = 'info' AND status = 'closed'")
    assert info_only[0][0] >= 100
    resolved = _read("SELECT count(*) FROM audit WHERE action = 'conflict_resolved'")
    assert 2 <= resolved[0][0] <= 5


def test_the_backlog_is_recent_and_the_on_call_view_shows_a_handful() -> None:
    limits = TimeLimits()
    store = open_store(bundled_demo_store(), create=False, only_reads=True)
    try:
        with store.read() as conn:
            on_call = QueueFilter(on_call=tuple(limits.cutoffs(SHIFT_NOW).items()))
            shown = count_matching(conn, on_call)
            rows = fetch_window(conn, QueueSort.URGENCY, on_call, limit=100)
            sync = counts(conn)
            chain = audit.verify(conn)
    finally:
        store.close()
    assert 3 <= shown <= 12
    urgent = [r for r in rows if r.urgency_rank == 0]
    deadline = {r.id: limits.deadline(r.received_at, r.priority, r.escalated) for r in urgent}
    inside = [r for r in urgent if (deadline[r.id] or 0) >= SHIFT_NOW]
    late = [r for r in urgent if (deadline[r.id] or 0) < SHIFT_NOW]
    assert len(urgent) >= 4 and len(inside) >= 3 and 1 <= len(late) <= 2
    # every action settled with the hub: nothing pending, no conflict left open
    assert sync.pending == sync.conflicts == sync.rejected == 0
    assert chain.ok


def test_nothing_happens_after_the_shifts_now() -> None:
    for table, col in (
        ("report", "received_at"),
        ("audit", "at"),
        ("referral", "created_at"),
        ("referral", "acknowledged_at"),
        ("referral", "failed_at"),
    ):
        (newest,) = _read(f"SELECT max({col}) FROM {table}")[0]
        assert newest < SHIFT_NOW, f"{table}.{col}"
