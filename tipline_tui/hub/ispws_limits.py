"""ESP intake's limits and quotas, checked inside the call's own write transaction.

The numbers live in `tipline_tui/domain/limits.py` (per report) and HubSettings
(per ESP). A call that would cross one is refused before it writes anything, so
what was accepted before stays as it was: the report stays open and can finish.
Per-report limits answer 4000 (the request is one the hub will not take); quotas
answer 3100 at submit and 3300 at upload and fileinfo (this ESP may not, today).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from tipline_tui.domain.limits import FILE_DETAILS_PER_REPORT, FILES_PER_REPORT, REPORT_BYTES, Limit
from tipline_tui.hub.expiry import is_expired
from tipline_tui.hub.ispws_common import C, Refusal, file_table, own_open_report, report_table
from tipline_tui.hub.settings import HubSettings
from tipline_tui.hub.tables import Account, EspUsage, table_of

__all__ = [
    "admit_details",
    "admit_file",
    "admit_report",
    "admit_upload_early",
    "check_report_bytes",
]

_usage = table_of(EspUsage)
_DAY = 86_400
FORM_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers and the id field, at most


def check_report_bytes(size: int) -> None:
    """A report document alone over the report bytes limit: 4000 naming it."""
    if size > REPORT_BYTES.value:
        raise Refusal(C.INVALID_REQUEST, REPORT_BYTES.crossed(size))


def admit_report(conn: Connection, account: Account, size: int, now: int) -> None:
    """Before a report is opened: the ESP's open-reports and daily-bytes quotas (3100)."""
    settings = HubSettings()
    rows = conn.execute(
        select(report_table.c.opened_at, report_table.c.changed_at).where(
            report_table.c.esp_account_id == account.id, report_table.c.state == "open"
        )
    ).all()
    held = sum(1 for r in rows if not is_expired(r.opened_at, r.changed_at, now))
    quota = Limit("open reports per ESP", settings.esp_open_reports, "reports")
    if held + 1 > quota.value:
        raise Refusal(C.NOT_AUTHORISED_TO_SUBMIT, f"{quota.crossed(held + 1)}; finish some first")
    _spend(conn, account, size, now, C.NOT_AUTHORISED_TO_SUBMIT, settings)


def admit_file(
    conn: Connection, account: Account, report_id: int, size: int, now: int, *, spend: bool = True
) -> None:
    """Before a file is recorded: files per report (4000), then the daily bytes (3300).

    `spend=False` checks without counting the bytes (before the file has arrived).
    """
    count = conn.execute(
        select(func.count()).select_from(file_table).where(file_table.c.report_id == report_id)
    ).scalar_one()
    _within(FILES_PER_REPORT, int(count) + 1)
    _spend(conn, account, size, now, C.NOT_AUTHORISED_TO_UPDATE, HubSettings(), spend=spend)


def admit_upload_early(
    conn: Connection, account: Account, report_id: int, declared: int | None, now: int
) -> None:
    """Before any byte of the file is read: the report is this ESP's and open, it has room
    for another file, and today's quota has room for the body's declared length (less the
    form's own bytes). The same checks run again, counting, once the file is in."""
    own_open_report(conn, account, report_id, now)
    size = max(0, (declared or 0) - FORM_OVERHEAD_BYTES)
    admit_file(conn, account, report_id, size, now, spend=False)


def admit_details(
    conn: Connection, account: Account, report: Row[Any], size: int, now: int
) -> None:
    """Before a fileDetails is attached: its count, the report's bytes (4000), the quota (3300)."""
    count, stored = conn.execute(
        select(
            func.count(file_table.c.details_xml),
            func.coalesce(func.sum(func.length(file_table.c.details_xml)), 0),
        ).where(file_table.c.report_id == report.id)
    ).one()
    _within(FILE_DETAILS_PER_REPORT, int(count) + 1)
    _within(REPORT_BYTES, len(report.xml) + int(stored) + size)
    _spend(conn, account, size, now, C.NOT_AUTHORISED_TO_UPDATE, HubSettings())


def _within(limit: Limit, actual: int) -> None:
    if actual > limit.value:
        raise Refusal(C.INVALID_REQUEST, limit.crossed(actual))


def _spend(
    conn: Connection,
    account: Account,
    size: int,
    now: int,
    code: C,
    settings: HubSettings,
    *,
    spend: bool = True,
) -> None:
    """Add `size` to today's meter, or refuse with `code` if that passes the daily quota."""
    day = now // _DAY
    key = (_usage.c.account_id == account.id) & (_usage.c.day == day)
    sent = conn.execute(select(_usage.c.sent).where(key)).scalar()
    quota = Limit("bytes per ESP per day", settings.esp_bytes_per_day, "bytes")
    total = int(sent or 0) + size
    if total > quota.value:
        raise Refusal(code, f"{quota.crossed(total)}; the quota resets at 00:00 UTC")
    if not spend:
        return
    if sent is None:
        conn.execute(insert(_usage).values(account_id=account.id, day=day, sent=total))
    else:
        conn.execute(update(_usage).where(key).values(sent=total))
