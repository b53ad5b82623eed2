"""What a hub operator does outside the HTTP API: import reports and agencies.

Used by `tipline hub import`, `tipline hub agencies import`, the demo hub and
the tests. Each call is one serialised write transaction: all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from tipline_tui.domain.agency import AGENCY_FIELDS as FIELDS
from tipline_tui.domain.agency import Agency, directory_changes
from tipline_tui.domain.cybertip_xml import parse_report
from tipline_tui.domain.limits import REPORT_BYTES
from tipline_tui.domain.xml_problems import ReportParseError
from tipline_tui.hub.db import HubDB, append_change
from tipline_tui.hub.feed import publish_agency, xml_text
from tipline_tui.hub.tables import HubAgency, HubReport, table_of

__all__ = ["ImportRefused", "import_agencies", "import_reports"]

_report = table_of(HubReport)
_agency = table_of(HubAgency)
ESP_ID_FLOOR = 2**30  # ESP reports take random ids at and above it (hub/ispws.py)
_ADD_REPORT = insert(_report).returning(_report.c.id)


class ImportRefused(ValueError):
    """A document the hub will not store; the message says which and why."""


def finished_report(xml: bytes, now: int) -> dict[str, Any]:
    """A hub report row for a document that arrives whole: finished, new to analysts."""
    return {
        "esp_account_id": None,
        "state": "finished",
        "opened_at": now,
        "changed_at": now,
        "finished_at": now,
        "xml": xml,
        "status": "new",
        "labels": [],
        "version": 1,
    }


def _last_imported_id(conn: Connection) -> int:
    """The highest id below the ESPs' random range (hub/ispws.py esp_report_id).

    Imports count up from there explicitly: SQLite's own next id (the highest
    plus one) would follow a random ESP id into the upper half and in time pass
    the INTEGER column's range.
    """
    below = select(func.max(_report.c.id)).where(_report.c.id < ESP_ID_FLOOR)
    return int(conn.execute(below).scalar() or 0)


def import_reports(hub: HubDB, xml_documents: Sequence[bytes]) -> list[int]:
    """Store finished `<report>` documents and announce them; return their hub ids.

    Every document is parsed first (the intake parser: no DTDs, size limit),
    and must be UTF-8, the encoding the change feed carries; one bad document
    refuses the whole batch with ImportRefused.
    """
    for n, data in enumerate(xml_documents):
        if len(data) > REPORT_BYTES.value:  # as at intake: one feed change must stay small
            raise ImportRefused(f"document {n + 1}: {REPORT_BYTES.crossed(len(data))}")
        try:
            parse_report(data)
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportRefused(f"document {n + 1}: not UTF-8") from None
        except ReportParseError as exc:
            first = exc.problems[0] if exc.problems else "refused"
            raise ImportRefused(
                f"document {n + 1}: {len(exc.problems)} problems, first: {first}"
            ) from None
    ids: list[int] = []
    with hub.write() as conn:
        now = hub.now()
        last = _last_imported_id(conn)
        for data in xml_documents:
            last += 1
            row = {"id": last, **finished_report(data, now)}
            report_id = int(conn.execute(_ADD_REPORT, row).scalar_one())
            # the report payload (feed.report_payload_of), built from what was just written
            payload = {"report_id": report_id, "received_at": now, "xml": xml_text(data)}
            append_change(conn, "report", report_id, {**payload, "files": []}, now)
            ids.append(report_id)
    return ids


def import_agencies(hub: HubDB, agencies: Iterable[Agency]) -> tuple[int, int]:
    """Add new agencies and update changed ones (matched by name); return (added, updated).

    Each added or changed agency is announced with an "agency" change; nothing
    is deleted, since past referrals name their agency.
    """
    added = updated = 0
    with hub.write() as conn:
        now = hub.now()
        existing = {
            row.name: Agency(name=row.name, id=row.id, **{f: getattr(row, f) for f in FIELDS})
            for row in conn.execute(select(_agency))
        }
        for agency in directory_changes(existing, agencies):
            values = {f: getattr(agency, f) for f in FIELDS}
            values["takes_urgent"] = bool(values["takes_urgent"])
            if agency.id is None:
                agency_id = conn.execute(
                    insert(_agency).values(name=agency.name, **values).returning(_agency.c.id)
                ).scalar_one()
                added += 1
            else:
                agency_id = agency.id
                conn.execute(update(_agency).where(_agency.c.id == agency_id).values(**values))
                updated += 1
            publish_agency(conn, int(agency_id), now)
    return added, updated
