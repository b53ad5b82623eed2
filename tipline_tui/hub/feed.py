"""The payloads of the change feed, built in one place so every writer agrees.

Each function returns exactly the payload `tipline_tui/domain/wire.py`
defines for its change kind, from rows the writer already holds (an UPDATE's or
INSERT's RETURNING: no read after its write); `publish_agency` appends the change
as well. Append last in a `HubDB.write()` transaction (db.py: the feed's lock).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from tipline_tui.domain.wire import ANALYSIS_FIELDS
from tipline_tui.hub.db import append_change
from tipline_tui.hub.tables import HubAgency, table_of

_agency = table_of(HubAgency)

REFERRAL_FIELDS = (
    "action_id",
    "report_id",
    "agency_id",
    "status",
    "priority",
    "created_by",
    "created_at",
    "sent_at",
    "acknowledged_at",
    "failed_at",
    "detail",
    "outcome",
)
AGENCY_FIELDS = ("kind", "name", "state", "country", "contact", "takes_urgent")


def xml_text(data: bytes) -> str:
    """A stored document as wire text: UTF-8 (intake refuses anything that is not)."""
    return data.decode("utf-8", errors="replace")


def analysis_payload(row: Row[Any] | Any) -> dict[str, Any]:
    """The "analysis" payload of a hub_report row."""
    payload: dict[str, Any] = {"report_id": row.id, "version": row.version}
    for field in ANALYSIS_FIELDS:
        payload[field] = getattr(row, field)
    payload["labels"] = list(payload["labels"] or [])
    return payload


def report_payload_of(
    report_id: int, received_at: int, xml: bytes, details: list[bytes]
) -> dict[str, Any]:
    """The "report" payload from what the writer already holds (no read after its write);
    `details`: the fileDetails documents in upload order."""
    return {
        "report_id": report_id,
        "received_at": received_at,
        "xml": xml_text(xml),
        "files": [xml_text(document) for document in details],
    }


def referral_payload(row: Row[Any] | Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"referral_id": row.id}
    for field in REFERRAL_FIELDS:
        payload[field] = getattr(row, field)
    return payload


def agency_payload(row: Row[Any] | Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"agency_id": row.id}
    for field in AGENCY_FIELDS:
        payload[field] = getattr(row, field)
    payload["takes_urgent"] = bool(payload["takes_urgent"])
    return payload


def note_payload(
    note_id: int, *, action_id: str, report_id: int, author: str, created_at: int, body: str
) -> dict[str, Any]:
    """The "note" payload of a note just added; `action_id` is how its writer knows it."""
    return {
        "note_id": note_id,
        "action_id": action_id,
        "report_id": report_id,
        "author": author,
        "created_at": created_at,
        "body": body,
    }


def publish_agency(conn: Connection, agency_id: int, at: int) -> int:
    row = conn.execute(select(_agency).where(_agency.c.id == agency_id)).one()
    return append_change(conn, "agency", agency_id, agency_payload(row), at)
