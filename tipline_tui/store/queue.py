"""Queue windows by keyset pagination, and the header counts, written once as SQL.

A window is found from the key of the row next to it, never by OFFSET and
never by reading the whole table, so a window costs the same at row 10 and
at row 1,000,000.

Every reader here takes either connection (`store/sql_rows.py`): the app's
SQLAlchemy one, or the bare sqlite3 one of `Store.plain_read`, which reads the
queue's first page before SQLAlchemy is imported (issue 13: the first paint).
Constants are written into the SQL; what the analyst typed or chose is always
a `?` parameter.
"""

from __future__ import annotations

from typing import Any

from tipline_tui.domain.enums import WAITING_STATUSES, IdentifierKind
from tipline_tui.domain.views import QueueCounts, QueueFilter, QueueRow, QueueSort
from tipline_tui.store.sql_rows import ReadConnection, one_value, rows

_SEARCH_KINDS = (
    IdentifierKind.EMAIL.value,
    IdentifierKind.SCREEN_NAME.value,
    IdentifierKind.DISPLAY_NAME.value,
    IdentifierKind.ESP_ID.value,
)


def _quoted(values: tuple[str, ...]) -> str:
    """Constant strings of our own (never user text) as an SQL list."""
    assert all("'" not in v for v in values)
    return ", ".join(f"'{v}'" for v in values)


# How far a referred tip's latest referral has got: read through the (report_id,
# agency_id) index, only for the referred rows a window returns.
_WINDOW_SELECT = """
SELECT report.id, report.received_at, report.priority, report.urgency_rank,
  report.escalate_text IS NOT NULL AND trim(report.escalate_text) != '' AS escalated,
  report.incident_type, report.platform, report.esp_name, report.status,
  report.claimed_by, agency.name AS jurisdiction, report.jurisdiction_outcome,
  report.jurisdiction_place,
  CASE WHEN report.status = 'referred' THEN (
    SELECT referral.status FROM referral WHERE referral.id = (
      SELECT max(latest.id) FROM referral AS latest WHERE latest.report_id = report.id))
  END AS referral_status
FROM report LEFT OUTER JOIN agency ON agency.id = report.jurisdiction_id
"""

_SEARCH_SQL = (
    "(report.platform LIKE ? ESCAPE '\\' OR report.esp_name LIKE ? ESCAPE '\\'"
    " OR report.id IN (SELECT identifier.report_id FROM identifier"
    f" WHERE identifier.kind IN ({_quoted(_SEARCH_KINDS)})"
    " AND identifier.norm LIKE ? ESCAPE '\\')"
)


def _key_columns(sort: QueueSort) -> str:
    if sort is QueueSort.URGENCY:
        return "report.urgency_rank, report.received_at, report.id"
    return "report.received_at, report.id"


def _ascending(sort: QueueSort) -> bool:
    return sort is not QueueSort.RECEIVED


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_clause(text: str) -> tuple[str, list[Any]]:
    needle = text.strip()
    pattern = f"%{_like_escape(needle)}%"
    sql = _SEARCH_SQL
    params: list[Any] = [pattern, pattern, f"%{_like_escape(needle.casefold())}%"]
    digits = needle.lstrip("#")
    if digits.isdigit():
        sql += " OR report.id = ? OR report.hub_id = ?"
        params += [int(digits), int(digits)]
    return sql + ")", params


def _on_call_clause(cutoffs: dict[str, int]) -> tuple[str, list[Any]]:
    """Urgent, or waiting longer than its priority allows, and not yet referred."""
    overdue = ["report.urgency_rank = 0"]
    params: list[Any] = []
    for key, cutoff in cutoffs.items():
        if key == "unset":
            overdue.append("(report.priority IS NULL AND report.received_at < ?)")
            params.append(cutoff)
        else:
            overdue.append("(report.priority = ? AND report.received_at < ?)")
            params += [key, cutoff]
    waiting = f"report.status IN ({_quoted(WAITING_STATUSES)})"
    return f"{waiting} AND ({' OR '.join(overdue)})", params


def filter_clause(filt: QueueFilter) -> tuple[str, list[Any]]:
    """The WHERE condition (never empty) for `filt`, and its parameters."""
    clauses: list[str] = ["1"]
    params: list[Any] = []
    if filt.status == "open":
        clauses.append("report.status != 'closed'")
    elif filt.status:
        clauses.append("report.status = ?")
        params.append(filt.status)
    if filt.priority == "unset":
        clauses.append("report.priority IS NULL")
    elif filt.priority:
        clauses.append("report.priority = ?")
        params.append(filt.priority)
    if filt.urgent_only:
        clauses.append("report.urgency_rank = 0")
    if filt.on_call is not None:
        sql, more = _on_call_clause(dict(filt.on_call))
        clauses.append(f"({sql})")
        params += more
    if filt.search.strip():
        sql, more = _search_clause(filt.search)
        clauses.append(sql)
        params += more
    return " AND ".join(clauses), params


def _queue_row(row: tuple[Any, ...]) -> QueueRow:
    (rid, received, priority, rank, escalated, incident, platform, esp, status, claimed_by,
     jurisdiction, outcome, place, referral) = row  # fmt: skip
    return QueueRow(
        rid, received, priority, rank, bool(escalated), incident, platform, esp, status,
        claimed_by, jurisdiction, outcome, place, referral,
    )  # fmt: skip


def fetch_window(
    conn: ReadConnection,
    sort: QueueSort,
    filt: QueueFilter,
    *,
    after: tuple[int, ...] | None = None,
    before: tuple[int, ...] | None = None,
    limit: int = 50,
) -> list[QueueRow]:
    """Up to `limit` rows in queue order, just after `after` or just before `before`.

    With neither key: the first rows. With `before=()`: the last rows.
    """
    keys = _key_columns(sort)
    ascending = _ascending(sort)
    backwards = before is not None
    where, params = filter_clause(filt)
    anchor = before if backwards else after
    if anchor:
        # "later in queue order" is > for ascending sorts and < for descending ones
        later = ascending != backwards
        marks = ", ".join("?" * len(anchor))
        where += f" AND ({keys}) {'>' if later else '<'} ({marks})"
        params += list(anchor)
    direction = "ASC" if ascending != backwards else "DESC"
    order = ", ".join(f"{key} {direction}" for key in keys.split(", "))
    sql = f"{_WINDOW_SELECT} WHERE {where} ORDER BY {order} LIMIT ?"
    found = [_queue_row(row) for row in rows(conn, sql, [*params, limit])]
    if backwards:
        found.reverse()
    return found


def fetch_around(
    conn: ReadConnection, sort: QueueSort, filt: QueueFilter, report_id: int, *, limit: int = 50
) -> tuple[list[QueueRow], int] | None:
    """A window centred on `report_id` and the index of that row in it, if it still matches."""
    where, params = filter_clause(filt)
    sql = f"{_WINDOW_SELECT} WHERE {where} AND report.id = ?"
    found = rows(conn, sql, [*params, report_id])
    if not found:
        return None
    row = _queue_row(found[0])
    key = row.sort_key(sort)
    half = limit // 2
    earlier = fetch_window(conn, sort, filt, before=key, limit=half)
    later = fetch_window(conn, sort, filt, after=key, limit=max(0, limit - half - 1))
    return [*earlier, row, *later], len(earlier)


def count_before(
    conn: ReadConnection, sort: QueueSort, filt: QueueFilter, key: tuple[int, ...]
) -> int:
    """How many rows come before `key` in queue order: the row's index."""
    where, params = filter_clause(filt)
    marks = ", ".join("?" * len(key))
    earlier = "<" if _ascending(sort) else ">"
    sql = (
        f"SELECT count(*) FROM report WHERE {where} AND ({_key_columns(sort)}) {earlier} ({marks})"
    )
    return int(one_value(conn, sql, [*params, *key]))


def count_matching(conn: ReadConnection, filt: QueueFilter) -> int:
    where, params = filter_clause(filt)
    return int(one_value(conn, f"SELECT count(*) FROM report WHERE {where}", params))


def queue_counts(conn: ReadConnection, filt: QueueFilter | None = None) -> QueueCounts:
    """Header counts. `urgent` and `unassigned` count open tips only; each uses an index."""
    total = one_value(conn, "SELECT count(*) FROM report")
    urgent = one_value(
        conn, "SELECT count(*) FROM report WHERE urgency_rank = 0 AND status != 'closed'"
    )
    unassigned = one_value(
        conn, "SELECT count(*) FROM report WHERE jurisdiction_id IS NULL AND status != 'closed'"
    )
    matching = count_matching(conn, filt) if filt is not None else None
    return QueueCounts(total=total, urgent=urgent, unassigned=unassigned, matching=matching)


def newest_urgent(conn: ReadConnection) -> int | None:
    """The highest id among open urgent tips: a new one arriving changes it."""
    sql = "SELECT max(id) FROM report WHERE urgency_rank = 0 AND status != 'closed'"
    found = one_value(conn, sql)
    return None if found is None else int(found)
