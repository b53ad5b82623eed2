"""Whole-store chores: re-timing a demo copy so its tips look fresh."""

from __future__ import annotations

from sqlalchemy import Connection, func, select, update

from tipline_tui.store.tables import ReportRow, table_of

_report = table_of(ReportRow)


def newest_received(conn: Connection) -> int | None:
    return conn.execute(select(func.max(_report.c.received_at))).scalar()


def shift_received(conn: Connection, seconds: int) -> None:
    """Move every tip's received time by `seconds` (demo copies only)."""
    conn.execute(update(_report).values(received_at=_report.c.received_at + seconds))
