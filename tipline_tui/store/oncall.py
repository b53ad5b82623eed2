"""What on-call must still take: urgent tips nobody has claimed, oldest first."""

from __future__ import annotations

from sqlalchemy import Connection, select

from tipline_tui.domain.enums import WAITING_STATUSES
from tipline_tui.domain.oncall import UnclaimedUrgent
from tipline_tui.store.tables import ReportRow, table_of

_report = table_of(ReportRow)


def unclaimed_urgent(conn: Connection) -> list[UnclaimedUrgent]:
    """Urgent tips not yet referred or closed that no analyst has claimed, oldest first.

    Read through ix_report_urgency (urgency_rank, received_at, id): only the urgent rows.
    """
    rows = conn.execute(
        select(_report.c.id, _report.c.received_at)
        .where(
            _report.c.urgency_rank == 0,
            _report.c.status.in_(WAITING_STATUSES),
            _report.c.claimed_by.is_(None),
        )
        .order_by(_report.c.received_at, _report.c.id)
    )
    return [UnclaimedUrgent(row.id, row.received_at) for row in rows]
