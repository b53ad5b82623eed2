"""ESP intake's limits and quotas, checked inside the call's own write transaction.

The numbers live in `tipline_tui/domain/limits.py` (per report) and HubSettings
(per ESP). A call that would cross one is refused before it writes anything, so
what was accepted before stays as it was: the report stays open and can finish.
Per-report limits answer 4000 (the request is one the hub will not take); quotas
answer 3100 at submit and 3300 at upload and fileinfo (this ESP may not, today).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from tipline_tui.domain.limits import FILE_DETAILS_PER_REPORT, FILES_PER_REPORT, REPORT_BYTES, Limit
from tipline_tui.domain.wire import fits_id
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.ispws_common import (
    NOT_EXPIRED,
    C,
    Refusal,
    file_table,
    in_write,
    not_expired_params,
    own_open_report,
    report_table,
)
from tipline_tui.hub.settings import HubSettings
from tipline_tui.hub.tables import Account, EspUsage, table_of

__all__ = [
    "admit_details",
    "admit_file",
    "admit_report",
    "admit_upload_early",
    "check_report_bytes",
    "spend_details_bytes",
]

_usage = table_of(EspUsage)
_DAY = 86_400
FORM_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers and the id field, at most

# The statements below are built once, their values bound per call: a statement made afresh
# costs SQLAlchemy its construction and cache key on every call, and these run on every one.


def _meter_upsert(dialect: Any) -> Any:
    upsert = dialect.insert(_usage).values(
        account_id=bindparam("_account"), day=bindparam("_day"), sent=bindparam("_sent")
    )
    return upsert.on_conflict_do_update(
        index_elements=[_usage.c.account_id, _usage.c.day],
        set_={"sent": _usage.c.sent + upsert.excluded.sent},
    ).returning(_usage.c.sent)


_METER = {True: _meter_upsert(postgresql), False: _meter_upsert(sqlite)}  # on PostgreSQL?
_OPEN_REPORTS = (
    select(func.count())
    .select_from(report_table)
    .where(
        report_table.c.esp_account_id == bindparam("_account"),
        report_table.c.state == "open",
        NOT_EXPIRED,
    )
)
_FILES = select(func.count()).where(file_table.c.report_id == bindparam("_report"))
_ROOM = select(
    _FILES.scalar_subquery().label("files"),
    func.coalesce(
        select(_usage.c.sent)
        .where(_usage.c.account_id == bindparam("_account"), _usage.c.day == bindparam("_day"))
        .scalar_subquery(),
        0,
    ).label("sent"),
).where(
    report_table.c.id == bindparam("_report"),
    report_table.c.esp_account_id == bindparam("_account"),
    report_table.c.state == "open",
    NOT_EXPIRED,
)
_is_target = file_table.c.file_id == bindparam("_file")
_DETAILS_ROOM = select(
    func.coalesce(func.max(case((_is_target, 1), else_=0)), 0),
    func.coalesce(
        func.max(case((_is_target & file_table.c.details_xml.is_not(None), 1), else_=0)), 0
    ),
    func.count(file_table.c.details_xml),
    func.coalesce(func.sum(func.length(file_table.c.details_xml)), 0),
).where(file_table.c.report_id == bindparam("_report"))


def check_report_bytes(size: int) -> None:
    """A report document alone over the report bytes limit: 4000 naming it."""
    if size > REPORT_BYTES.value:
        raise Refusal(C.INVALID_REQUEST, REPORT_BYTES.crossed(size))


def admit_report(conn: Connection, account: Account, size: int, now: int) -> None:
    """Once a report is inserted: the ESP's open-reports and daily-bytes quotas (3100).

    The meter is spent first: its row lock makes this ESP's submits take turns from
    here, so the count that follows sees every one committed before it.
    """
    settings = HubSettings()
    total = _meter(conn, account, size, now)
    held = conn.execute(
        _OPEN_REPORTS, {"_account": account.id, **not_expired_params(now)}
    ).scalar_one()  # this report included
    quota = Limit("open reports per ESP", settings.esp_open_reports, "reports")
    if held > quota.value:
        raise Refusal(C.NOT_AUTHORISED_TO_SUBMIT, f"{quota.crossed(held)}; finish some first")
    _refuse_past_quota(total, C.NOT_AUTHORISED_TO_SUBMIT, settings)


def admit_file(conn: Connection, account: Account, report_id: int, size: int, now: int) -> None:
    """A file just recorded (its row counts): files per report (4000), the daily bytes (3300);
    a refusal rolls its row back."""
    count = conn.execute(_FILES, {"_report": report_id}).scalar_one()
    _within(FILES_PER_REPORT, int(count))
    _refuse_past_quota(_meter(conn, account, size, now), C.NOT_AUTHORISED_TO_UPDATE)


def admit_upload_early(hub: HubDB, account: Account, report_id: int, declared: int | None) -> None:
    """Before any byte of the file is read: the report is this ESP's and open, it has room
    for another file, and today's quota has room for the body's declared length (less the
    form's own bytes). The same checks run again, counting, once the file is in.

    One read statement, outside any transaction; a report that is not this ESP's open one
    is then refused as `own_open_report` refuses it (in a write: it may mark it expired).
    """
    now = hub.now()
    row = None
    if fits_id(report_id):
        params = {"_report": report_id, "_account": account.id, "_day": now // _DAY}
        with hub.single() as conn:
            row = conn.execute(_ROOM, {**params, **not_expired_params(now)}).first()
    if row is None:
        in_write(hub, lambda conn, now: own_open_report(conn, account, report_id, now))
        raise Refusal(C.REPORT_DOES_NOT_EXIST, f"no report {report_id}")  # it changed meanwhile
    _within(FILES_PER_REPORT, int(row.files) + 1)
    size = max(0, (declared or 0) - FORM_OVERHEAD_BYTES)
    _refuse_past_quota(int(row.sent) + size, C.NOT_AUTHORISED_TO_UPDATE)


def admit_details(
    conn: Connection, account: Account, report: Row[Any], file_id: str, size: int, now: int
) -> None:
    """Before a fileDetails is attached: the file is the report's and has none yet (4000,
    5002), their count, the report's bytes (4000). One query reads all. The daily quota is
    spent once it is attached (`spend_details_bytes`), the transaction's last statement."""
    found, described, count, stored = conn.execute(
        _DETAILS_ROOM, {"_file": file_id, "_report": report.id}
    ).one()
    if not found:
        raise Refusal(C.FILE_DOES_NOT_EXIST, f"no file {file_id} in report {report.id}")
    if described:
        raise Refusal(C.INVALID_REQUEST, f"file {file_id} already has its details")
    _within(FILE_DETAILS_PER_REPORT, int(count) + 1)
    _within(REPORT_BYTES, int(report.xml_bytes) + int(stored) + size)


def spend_details_bytes(conn: Connection, account: Account, size: int, now: int) -> None:
    """A fileDetails attached: its bytes on the daily meter (3300 past the quota, which rolls
    the attach back). Last before COMMIT: the meter's row lock makes all of this ESP's
    calls wait, so it is held for no statement more."""
    _refuse_past_quota(_meter(conn, account, size, now), C.NOT_AUTHORISED_TO_UPDATE)


def _within(limit: Limit, actual: int) -> None:
    if actual > limit.value:
        raise Refusal(C.INVALID_REQUEST, limit.crossed(actual))


def _meter(conn: Connection, account: Account, size: int, now: int) -> int:
    """Add `size` to today's meter in one statement; the new total.

    An upsert: it cannot lose a concurrent call's bytes, and its row lock (to the end of
    the transaction) makes this ESP's spends take turns. A refusal rolls it back.
    """
    upsert = _METER[conn.dialect.name == "postgresql"]
    return int(
        conn.execute(
            upsert, {"_account": account.id, "_day": now // _DAY, "_sent": size}
        ).scalar_one()
    )


def _refuse_past_quota(total: int, code: C, settings: HubSettings | None = None) -> None:
    """Refuse with `code` if today's total passes the daily quota."""
    quota = Limit("bytes per ESP per day", (settings or HubSettings()).esp_bytes_per_day, "bytes")
    if total > quota.value:
        raise Refusal(code, f"{quota.crossed(total)}; the quota resets at 00:00 UTC")
