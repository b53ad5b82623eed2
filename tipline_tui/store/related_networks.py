"""Reasons for networks in time that say which: "same IPv6 /64 on SnapTalk, 1 day apart".

Read only for the tips that are shown: the other tip's address in the network, its
service, and both capture times.
"""

from __future__ import annotations

from collections.abc import Sequence

from tipline_tui.domain.ip_keys import days_apart
from tipline_tui.store.related_common import chunks, marks_sql
from tipline_tui.store.sql_rows import ReadConnection, rows

NEAR_KEYS = ("net24_near", "net64_near")
_NETWORK = {"net24_near": "same /24", "net64_near": "same IPv6 /64"}

# (other tip, key type, key, this tip's raw address)
NearNote = tuple[int, str, str, str]


def near_reason(key_type: str, service: str | None, days: float | None) -> str:
    """The reason text for a shared network seen on one service `days` apart."""
    where = f"on {service}" if service and service.strip() else "on the same service"
    if days is None:
        return f"{_NETWORK[key_type]} {where} within 2 days"
    whole = round(days)
    apart = "the same day" if whole == 0 else f"{whole} day{'s' if whole != 1 else ''} apart"
    return f"{_NETWORK[key_type]} {where}, {apart}"


def near_reasons(
    conn: ReadConnection, report_id: int, notes: Sequence[NearNote]
) -> dict[tuple[int, str, str], str]:
    """(other tip, key type, key) -> reason text, for each shared network in time."""
    if not notes:
        return {}
    others = sorted({other for other, *_ in notes})
    theirs: dict[tuple[int, str, str], str] = {}
    services: dict[int, str | None] = {}
    times: dict[tuple[int, str], str] = {}
    for chunk in chunks(others):
        marks = marks_sql(len(chunk))
        for other, key_type, key, raw in rows(
            conn,
            f"SELECT report_id, key_type, key, raw FROM identifier_key WHERE report_id IN "
            f"({marks}) AND +key_type IN ({marks_sql(len(NEAR_KEYS))})",
            (*chunk, *NEAR_KEYS),
        ):
            theirs.setdefault((other, key_type, key), raw)
        found = rows(conn, f"SELECT id, esp_name FROM report WHERE id IN ({marks})", tuple(chunk))
        services.update((tip, service) for tip, service in found)
    for chunk in chunks([report_id, *others]):
        for tip, address, when in rows(
            conn,
            "SELECT report_id, ip_address, min(date_time) FROM ip_event "
            f"WHERE report_id IN ({marks_sql(len(chunk))}) AND date_time IS NOT NULL "
            "GROUP BY report_id, ip_address",
            tuple(chunk),
        ):
            times[(tip, address)] = when
    out: dict[tuple[int, str, str], str] = {}
    for other, key_type, key, mine in notes:
        their_raw = theirs.get((other, key_type, key))
        mine_at = times.get((report_id, mine))
        their_at = times.get((other, their_raw)) if their_raw else None
        days = days_apart(mine_at, their_at) if mine_at and their_at else None
        out[(other, key_type, key)] = near_reason(key_type, services.get(other), days)
    return out
