"""Queue windows by keyset pagination, and the header counts.

A window is found from the key of the row next to it, never by OFFSET and
never by reading the whole table, so a window costs the same at row 10 and
at row 1,000,000.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    func,
    or_,
    select,
    true,
    tuple_,
)

from tipline_tui.domain.enums import WAITING_STATUSES, IdentifierKind
from tipline_tui.domain.views import QueueCounts, QueueFilter, QueueRow, QueueSort
from tipline_tui.store.tables import AgencyRow, IdentifierRow, ReferralRow, ReportRow, table_of

_report = table_of(ReportRow)
_agency = table_of(AgencyRow)
_ident = table_of(IdentifierRow)
_referral = table_of(ReferralRow)

_SEARCH_KINDS = (
    IdentifierKind.EMAIL.value,
    IdentifierKind.SCREEN_NAME.value,
    IdentifierKind.DISPLAY_NAME.value,
    IdentifierKind.ESP_ID.value,
)


def _key_columns(sort: QueueSort) -> list[Any]:
    if sort is QueueSort.URGENCY:
        return [_report.c.urgency_rank, _report.c.received_at, _report.c.id]
    return [_report.c.received_at, _report.c.id]


def _ascending(sort: QueueSort) -> bool:
    return sort is not QueueSort.RECEIVED


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_clause(text: str) -> ColumnElement[bool]:
    needle = text.strip()
    pattern = f"%{_like_escape(needle)}%"
    clauses: list[ColumnElement[bool]] = [
        _report.c.platform.like(pattern, escape="\\"),
        _report.c.esp_name.like(pattern, escape="\\"),
        _report.c.id.in_(
            select(_ident.c.report_id).where(
                _ident.c.kind.in_(_SEARCH_KINDS),
                _ident.c.norm.like(f"%{_like_escape(needle.casefold())}%", escape="\\"),
            )
        ),
    ]
    digits = needle.lstrip("#")
    if digits.isdigit():
        clauses.append(_report.c.id == int(digits))
        clauses.append(_report.c.hub_id == int(digits))
    return or_(*clauses)


def _on_call_clause(cutoffs: dict[str, int]) -> ColumnElement[bool]:
    """Urgent, or waiting longer than its priority allows, and not yet referred."""
    overdue = [_report.c.urgency_rank == 0]
    for key, cutoff in cutoffs.items():
        match = _report.c.priority.is_(None) if key == "unset" else _report.c.priority == key
        overdue.append(and_(match, _report.c.received_at < cutoff))
    return and_(_report.c.status.in_(WAITING_STATUSES), or_(*overdue))


def filter_clause(filt: QueueFilter) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    if filt.status == "open":
        clauses.append(_report.c.status != "closed")
    elif filt.status:
        clauses.append(_report.c.status == filt.status)
    if filt.priority == "unset":
        clauses.append(_report.c.priority.is_(None))
    elif filt.priority:
        clauses.append(_report.c.priority == filt.priority)
    if filt.urgent_only:
        clauses.append(_report.c.urgency_rank == 0)
    if filt.on_call is not None:
        clauses.append(_on_call_clause(dict(filt.on_call)))
    if filt.search.strip():
        clauses.append(_search_clause(filt.search))
    return and_(true(), *clauses)


def _latest_referral_status() -> Any:
    """How far a referred tip's latest referral has got: read through the (report_id,
    agency_id) index, only for the referred rows a window returns."""
    mine = _referral.alias("latest")
    latest = (
        select(func.max(mine.c.id))
        .where(mine.c.report_id == _report.c.id)
        .correlate(_report)
        .scalar_subquery()
    )
    status = select(_referral.c.status).where(_referral.c.id == latest).scalar_subquery()
    return case((_report.c.status == "referred", status)).label("referral_status")


_REFERRAL_STATUS = _latest_referral_status()


def _window_select() -> Select[Any]:
    escalated = and_(
        _report.c.escalate_text.is_not(None), func.trim(_report.c.escalate_text) != ""
    ).label("escalated")
    return select(
        _report.c.id,
        _report.c.received_at,
        _report.c.priority,
        _report.c.urgency_rank,
        escalated,
        _report.c.incident_type,
        _report.c.platform,
        _report.c.esp_name,
        _report.c.status,
        _report.c.claimed_by,
        _agency.c.name.label("jurisdiction"),
        _report.c.jurisdiction_outcome,
        _report.c.jurisdiction_place,
        _REFERRAL_STATUS,
    ).select_from(_report.outerjoin(_agency, _agency.c.id == _report.c.jurisdiction_id))


def fetch_window(
    conn: Connection,
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
    query = _window_select().where(filter_clause(filt))
    anchor = before if backwards else after
    if anchor:
        # "later in queue order" is > for ascending sorts and < for descending ones
        later = ascending != backwards
        row_key = tuple_(*keys)
        query = query.where(row_key > tuple_(*anchor) if later else row_key < tuple_(*anchor))
    forward_in_sql = ascending != backwards
    query = query.order_by(*[k.asc() if forward_in_sql else k.desc() for k in keys]).limit(limit)
    rows = [QueueRow(**row._mapping) for row in conn.execute(query)]
    if backwards:
        rows.reverse()
    return rows


def fetch_around(
    conn: Connection, sort: QueueSort, filt: QueueFilter, report_id: int, *, limit: int = 50
) -> tuple[list[QueueRow], int] | None:
    """A window centred on `report_id` and the index of that row in it, if it still matches."""
    query = _window_select().where(filter_clause(filt), _report.c.id == report_id)
    found = conn.execute(query).first()
    if found is None:
        return None
    row = QueueRow(**found._mapping)
    key = row.sort_key(sort)
    half = limit // 2
    earlier = fetch_window(conn, sort, filt, before=key, limit=half)
    later = fetch_window(conn, sort, filt, after=key, limit=max(0, limit - half - 1))
    return [*earlier, row, *later], len(earlier)


def count_before(conn: Connection, sort: QueueSort, filt: QueueFilter, key: tuple[int, ...]) -> int:
    """How many rows come before `key` in queue order: the row's index."""
    row_key = tuple_(*_key_columns(sort))
    earlier = row_key < tuple_(*key) if _ascending(sort) else row_key > tuple_(*key)
    query = select(func.count()).select_from(_report).where(filter_clause(filt), earlier)
    return int(conn.execute(query).scalar_one())


def count_matching(conn: Connection, filt: QueueFilter) -> int:
    query = select(func.count()).select_from(_report).where(filter_clause(filt))
    return int(conn.execute(query).scalar_one())


def queue_counts(conn: Connection, filt: QueueFilter | None = None) -> QueueCounts:
    """Header counts. `urgent` and `unassigned` count open tips only; each uses an index."""
    total = conn.execute(select(func.count()).select_from(_report)).scalar_one()
    urgent = conn.execute(
        select(func.count())
        .select_from(_report)
        .where(_report.c.urgency_rank == 0, _report.c.status != "closed")
    ).scalar_one()
    unassigned = conn.execute(
        select(func.count())
        .select_from(_report)
        .where(_report.c.jurisdiction_id.is_(None), _report.c.status != "closed")
    ).scalar_one()
    matching = count_matching(conn, filt) if filt is not None else None
    return QueueCounts(total=total, urgent=urgent, unassigned=unassigned, matching=matching)


def newest_urgent(conn: Connection) -> int | None:
    """The highest id among open urgent tips: a new one arriving changes it."""
    query = select(func.max(_report.c.id)).where(
        _report.c.urgency_rank == 0, _report.c.status != "closed"
    )
    return conn.execute(query).scalar()
