"""Writing whole reports (with children and identifiers) and loading one back.

Writes are batched: ids are allocated up front inside the caller's write
transaction, so one code path serves a single import and a million-report
demo store alike.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table, func, select

from tipline_tui.domain.enums import urgency_rank
from tipline_tui.domain.identifiers import Identifier, report_identifiers
from tipline_tui.domain.jurisdiction import locate_contenders, places_text
from tipline_tui.domain.report import (
    Address,
    DeviceId,
    FileDetails,
    InternetDetail,
    IpCaptureEvent,
    LawEnforcement,
    Person,
    Report,
)
from tipline_tui.store.related_index import IndexItem, country_hints, index_identifiers
from tipline_tui.store.row_fields import (
    ADDRESS_FIELDS,
    DEVICE_ID_FIELDS,
    IP_EVENT_FIELDS,
    PERSON_EXTRA,
)
from tipline_tui.store.tables import (
    AddressRow,
    DeviceIdRow,
    FileRow,
    IdentifierRow,
    InternetDetailRow,
    IpEventRow,
    LawEnforcementRow,
    PersonContactRow,
    PersonRow,
    ReportRow,
)


class _Ids:
    """Next free primary key per table, read once per batch."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._next: dict[str, int] = {}

    def take(self, table: Table) -> int:
        name = table.name
        if name not in self._next:
            current = self._conn.execute(select(func.max(table.c.id))).scalar()
            self._next[name] = (current or 0) + 1
        value = self._next[name]
        self._next[name] = value + 1
        return value


def _insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany of plain tuples.

    SQLAlchemy's per-row parameter processing cost more than SQLite's own
    insert work in profiles, so JSON columns are serialised here, once, the
    same way the JSON column type would (json.dumps), and the rest passes as is.
    """
    names = list(rows[0])
    json_columns = {n for n in names if isinstance(table.c[n].type, JSON)}
    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'

    # every row of a table is built by the same code, so its keys come in the same order
    json_at = [i for i, n in enumerate(names) if n in json_columns]
    params = []
    for row in rows:
        values = list(row.values())
        for i in json_at:
            if values[i] is not None:
                values[i] = json.dumps(values[i])
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)


class _Batch:
    """Rows for each table, collected then inserted with one executemany each."""

    def __init__(self, conn: Connection) -> None:
        self.ids = _Ids(conn)
        self.rows: dict[Table, list[dict[str, Any]]] = {}

    def add(self, table: Table, row: dict[str, Any], *, with_id: bool = True) -> int:
        if with_id:
            row["id"] = self.ids.take(table)
        self.rows.setdefault(table, []).append(row)
        return row.get("id", 0)

    def flush(self, conn: Connection) -> None:
        order: list[Table] = [
            ReportRow,
            InternetDetailRow,
            PersonRow,
            PersonContactRow,
            AddressRow,
            IpEventRow,
            DeviceIdRow,
            LawEnforcementRow,
            FileRow,
            IdentifierRow,
        ]
        for table in order + [t for t in self.rows if t not in order]:
            rows = self.rows.get(table)
            if rows:
                _insert_many(conn, table, rows)
        self.rows.clear()


class _OwnedRows:
    """Rows of a person's or an incident's addresses, IP events or device ids.

    Each row is the item's fields (see the *_FIELDS lists) plus whose it is.
    """

    __slots__ = ("fields", "table", "values")

    def __init__(self, table: Table, fields: tuple[str, ...]) -> None:
        self.table, self.fields, self.values = table, fields, attrgetter(*fields)

    def add(
        self,
        batch: _Batch,
        report_id: int,
        person_id: int | None,
        owner: str,
        items: Iterable[Address] | Iterable[IpCaptureEvent] | Iterable[DeviceId],
    ) -> None:
        for item in items:
            row: dict[str, Any] = {"report_id": report_id, "person_id": person_id, "owner": owner}
            row.update(zip(self.fields, self.values(item), strict=False))  # equal lengths
            batch.add(self.table, row)


_ADDRESSES = _OwnedRows(AddressRow, ADDRESS_FIELDS)
_IP_EVENTS = _OwnedRows(IpEventRow, IP_EVENT_FIELDS)
_DEVICE_IDS = _OwnedRows(DeviceIdRow, DEVICE_ID_FIELDS)


def _person(batch: _Batch, report_id: int, position: int, p: Person) -> None:
    loc = p.estimated_location
    extra = {name: getattr(p, name) for name in PERSON_EXTRA}
    extra = {k: (_plain(v)) for k, v in extra.items() if v not in (None, [])}
    if loc is not None:
        extra["est_verified"] = loc.verified
        extra["est_timestamp"] = loc.timestamp
    person_id = batch.add(
        PersonRow,
        {
            "report_id": report_id,
            "position": position,
            "role": p.role,
            "first_name": p.person.first_name,
            "last_name": p.person.last_name,
            "age": p.person.age,
            "date_of_birth": p.person.date_of_birth,
            "screen_name": p.screen_name,
            "esp_identifier": p.esp_identifier,
            "esp_service": p.esp_service,
            "est_city": loc.city if loc else None,
            "est_region": loc.region if loc else None,
            "est_country": loc.country_code if loc else None,
            "extra": extra or None,
        },
    )
    for e in p.person.emails:
        attrs = {"type": e.type, "verified": e.verified, "verification_date": e.verification_date}
        batch.add(
            PersonContactRow,
            {"person_id": person_id, "kind": "email", "value": e.value, "attrs": _compact(attrs)},
        )
    for ph in p.person.phones:
        attrs = {
            "type": ph.type,
            "verified": ph.verified,
            "verification_date": ph.verification_date,
            "country_calling_code": ph.country_calling_code,
            "extension": ph.extension,
        }
        batch.add(
            PersonContactRow,
            {"person_id": person_id, "kind": "phone", "value": ph.value, "attrs": _compact(attrs)},
        )
    for name in p.display_names:
        batch.add(
            PersonContactRow,
            {"person_id": person_id, "kind": "display_name", "value": name, "attrs": None},
        )
    for url in p.profile_urls:
        batch.add(
            PersonContactRow,
            {"person_id": person_id, "kind": "profile_url", "value": url, "attrs": None},
        )
    _ADDRESSES.add(batch, report_id, person_id, "person", p.person.addresses)
    _IP_EVENTS.add(batch, report_id, person_id, "person", p.ip_capture_events)
    _DEVICE_IDS.add(batch, report_id, person_id, "person", p.device_ids)


def _compact(d: dict[str, Any]) -> dict[str, Any] | None:
    kept = {k: v for k, v in d.items() if v is not None}
    return kept or None


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """A dataclass as JSON-ready dicts, leaving out empty fields.

    Empty fields come back as their defaults when `build` reads the dict, so
    leaving them out loses nothing and keeps rows small. Field names are
    cached per class: this runs for every part of every stored report.
    """
    kind = type(value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if kind is list:
            return [_plain(v) for v in value]
        if not dataclasses.is_dataclass(value):
            return value
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    out = {}
    for name in names:
        item = getattr(value, name)
        if item is not None and item != []:
            out[name] = _plain(item)
    return out


def _file(batch: _Batch, report_id: int, f: FileDetails) -> None:
    extra = {
        "ip_capture_event": _plain(f.ip_capture_event),
        "device_ids": _plain(f.device_ids),
        "details": _plain(f.details),
        "additional_info": f.additional_info,
    }
    batch.add(
        FileRow,
        {
            "report_id": report_id,
            "file_id": f.file_id,
            "file_name": f.file_name,
            "original_file_name": f.original_file_name,
            "uploaded_at": f.uploaded_to_esp_timestamp,
            "location": f.location_of_file,
            "viewed_by_esp": f.file_viewed_by_esp,
            "exif_viewed_by_esp": f.exif_viewed_by_esp,
            "publicly_available": f.publicly_available,
            "relevance": f.file_relevance,
            "annotations": f.annotations or None,
            "classification": f.industry_classification,
            "hashes": [_plain(h) for h in f.hashes] or None,
            "extra": {k: v for k, v in extra.items() if v not in (None, [])} or None,
        },
    )


def _identifiers(batch: _Batch, report_id: int, identifiers: Iterable[Identifier]) -> None:
    for ident in identifiers:
        batch.add(
            IdentifierRow,
            {
                "report_id": report_id,
                "kind": ident.kind,
                "raw": ident.raw,
                "norm": ident.norm,
                "role": ident.role,
            },
            with_id=False,
        )


def add_files(
    conn: Connection, files: Sequence[tuple[int, FileDetails, Iterable[Identifier]]]
) -> None:
    """Attach file metadata (from fileDetails documents) to stored tips, in one batch."""
    batch = _Batch(conn)
    to_index: list[IndexItem] = []
    for report_id, details, identifiers in files:
        _file(batch, report_id, details)
        _identifiers(batch, report_id, identifiers)
        to_index.append(IndexItem(report_id, list(identifiers), ()))
    batch.flush(conn)
    index_identifiers(conn, to_index)


def _report_row(report: Report, source: str | None, now: int) -> dict[str, Any]:
    outcome, places = locate_contenders(report)
    return {
        "hub_id": report.hub_id,
        "source_sha256": source,
        "received_at": report.received_at if report.received_at is not None else now,
        "esp_name": report.esp_name,
        "incident_type": report.incident_type,
        "platform": report.platform,
        "escalate_text": report.escalate_to_high_priority,
        "incident_at": report.incident_date_time,
        "incident_at_desc": report.incident_date_time_description,
        "annotations": report.report_annotations or None,
        "additional_info": report.additional_info,
        "batched_reason": report.batched_reason,
        "reporter": _plain(report.reporter),
        "status": "new",
        "priority": None,
        "urgency_rank": urgency_rank(None, report.escalated),
        "labels": None,
        "version": 1,
        # where the report's own signals point; IP geolocation is left to suggest
        "jurisdiction_outcome": outcome.value,
        "jurisdiction_place": places_text(places),
    }


def _internet_details(batch: _Batch, report_id: int, details: Sequence[InternetDetail]) -> None:
    for position, detail in enumerate(details):
        fields = {k: v for k, v in _plain(detail).items() if v not in (None, [])}
        fields.pop("kind", None)
        batch.add(
            InternetDetailRow,
            {"report_id": report_id, "position": position, "kind": detail.kind, "fields": fields},
        )
        _ADDRESSES.add(batch, report_id, None, "incident", detail.addresses)
        _IP_EVENTS.add(batch, report_id, None, "incident", detail.ip_capture_events)


def _law_enforcement(batch: _Batch, report_id: int, le: LawEnforcement) -> None:
    batch.add(
        LawEnforcementRow,
        {
            "report_id": report_id,
            "agency_name": le.agency_name,
            "case_number": le.case_number,
            "officer": _plain(le.officer) if le.officer else None,
            "reported_to_le": le.reported_to_le,
            "served_domestic": le.served_legal_process_domestic,
            "served_international": le.served_legal_process_international,
            "flea_country": le.flea_country,
        },
        with_id=False,
    )


def write_reports(
    conn: Connection,
    reports: Sequence[Report],
    now: int,
    sources: Sequence[str | None] | None = None,
) -> list[int]:
    """Store `reports` with all their parts and identifiers; return their new ids.

    `sources` are the SHA-256 digests of the documents the reports came from,
    kept so the same document is never imported twice. Run inside a write
    transaction (`Store.write()`): on any error nothing of the batch remains.
    """
    batch = _Batch(conn)
    ids = []
    to_index: list[IndexItem] = []
    for number, report in enumerate(reports):
        source = sources[number] if sources else None
        report_id = batch.add(ReportRow, _report_row(report, source, now))
        ids.append(report_id)
        _internet_details(batch, report_id, report.internet_details)
        if report.law_enforcement is not None:
            _law_enforcement(batch, report_id, report.law_enforcement)
        for position, person in enumerate(report.persons):
            _person(batch, report_id, position, person)
        for f in report.files:
            _file(batch, report_id, f)
        identifiers = report_identifiers(report)
        _identifiers(batch, report_id, identifiers)
        to_index.append(IndexItem(report_id, identifiers, country_hints(report), report.esp_name))
    batch.flush(conn)
    index_identifiers(conn, to_index)
    return ids
