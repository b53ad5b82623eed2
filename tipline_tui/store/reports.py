"""Writing whole reports (with children and identifiers) and loading one back.

Writes are batched: ids are allocated up front inside the caller's write
transaction, so one code path serves a single import and a million-report
demo store alike.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table, func, select

from tipline_tui.domain.build import build
from tipline_tui.domain.enums import urgency_rank
from tipline_tui.domain.identifiers import Identifier, report_identifiers
from tipline_tui.domain.jurisdiction import locate
from tipline_tui.domain.report import (
    AccountDisabled,
    Address,
    AssociatedAccount,
    ContactPerson,
    DeviceId,
    Email,
    EstimatedLocation,
    FileDetails,
    FileHash,
    FileMetadataGroup,
    InternetDetail,
    IpCaptureEvent,
    LawEnforcement,
    Person,
    PersonDetails,
    Phone,
    Report,
    Reporter,
)
from tipline_tui.domain.views import Analysis, Note, ReferralView, TipView
from tipline_tui.store.related_index import IndexItem, country_hints, index_identifiers
from tipline_tui.store.tables import (
    AddressRow,
    AgencyRow,
    DeviceIdRow,
    FileRow,
    IdentifierRow,
    InternetDetailRow,
    IpEventRow,
    LawEnforcementRow,
    NoteRow,
    PersonContactRow,
    PersonRow,
    ReportRow,
)


def _table(model: Any) -> Table:
    return model.__table__


class _Ids:
    """Next free primary key per table, read once per batch."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._next: dict[str, int] = {}

    def take(self, model: Any) -> int:
        name = _table(model).name
        if name not in self._next:
            current = self._conn.execute(select(func.max(_table(model).c.id))).scalar()
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
        self.rows: dict[Any, list[dict[str, Any]]] = {}

    def add(self, model: Any, row: dict[str, Any], *, with_id: bool = True) -> int:
        if with_id:
            row["id"] = self.ids.take(model)
        self.rows.setdefault(model, []).append(row)
        return row.get("id", 0)

    def flush(self, conn: Connection) -> None:
        order = [
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
        for model in order + [m for m in self.rows if m not in order]:
            rows = self.rows.get(model)
            if rows:
                _insert_many(conn, _table(model), rows)
        self.rows.clear()


def _addresses(
    batch: _Batch, report_id: int, person_id: int | None, owner: str, addresses: Iterable[Address]
) -> None:
    for a in addresses:
        batch.add(
            AddressRow,
            {
                "report_id": report_id,
                "person_id": person_id,
                "owner": owner,
                "type": a.type,
                "address": a.address,
                "city": a.city,
                "zip_code": a.zip_code,
                "state": a.state,
                "non_usa_state": a.non_usa_state,
                "country": a.country,
            },
        )


def _ip_events(
    batch: _Batch,
    report_id: int,
    person_id: int | None,
    owner: str,
    events: Iterable[IpCaptureEvent],
) -> None:
    for e in events:
        batch.add(
            IpEventRow,
            {
                "report_id": report_id,
                "person_id": person_id,
                "owner": owner,
                "ip_address": e.ip_address,
                "event_name": e.event_name,
                "date_time": e.date_time,
                "possible_proxy": e.possible_proxy,
                "port": e.port,
            },
        )


def _device_ids(
    batch: _Batch, report_id: int, person_id: int | None, owner: str, devices: Iterable[DeviceId]
) -> None:
    for d in devices:
        batch.add(
            DeviceIdRow,
            {
                "report_id": report_id,
                "person_id": person_id,
                "owner": owner,
                "id_type": d.id_type,
                "id_value": d.id_value,
                "event_name": d.event_name,
                "date_time": d.date_time,
            },
        )


_PERSON_EXTRA = (
    "vehicle_description",
    "compromised_account",
    "profile_bio",
    "third_party_user_reported",
    "school_name",
    "prior_ct_reports",
    "group_identifier",
    "temporarily_disabled",
    "permanently_disabled",
    "all_emails_reported",
    "associated_accounts",
    "additional_info",
)


def _person(batch: _Batch, report_id: int, position: int, p: Person) -> None:
    loc = p.estimated_location
    extra = {name: getattr(p, name) for name in _PERSON_EXTRA}
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
    _addresses(batch, report_id, person_id, "person", p.person.addresses)
    _ip_events(batch, report_id, person_id, "person", p.ip_capture_events)
    _device_ids(batch, report_id, person_id, "person", p.device_ids)


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
        report_id = batch.add(
            ReportRow,
            {
                "hub_id": report.hub_id,
                "source_sha256": sources[number] if sources else None,
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
                "jurisdiction_outcome": locate(report)[0].value,
            },
        )
        ids.append(report_id)
        for position, detail in enumerate(report.internet_details):
            fields = {k: v for k, v in _plain(detail).items() if v not in (None, [])}
            fields.pop("kind", None)
            batch.add(
                InternetDetailRow,
                {
                    "report_id": report_id,
                    "position": position,
                    "kind": detail.kind,
                    "fields": fields,
                },
            )
            _addresses(batch, report_id, None, "incident", detail.addresses)
            _ip_events(batch, report_id, None, "incident", detail.ip_capture_events)
        if report.law_enforcement is not None:
            le = report.law_enforcement
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


# ---------------------------------------------------------------- loading


def _rows(conn: Connection, model: Any, column: str, value: Any) -> list[Any]:
    table = _table(model)
    query = select(table).where(table.c[column] == value).order_by(table.c.id)
    return list(conn.execute(query))


def _load_person(
    conn: Connection, row: Any, addresses: list[Any], ips: list[Any], devices: list[Any]
) -> Person:
    extra = dict(row.extra or {})
    contacts = _rows(conn, PersonContactRow, "person_id", row.id)
    details = PersonDetails(
        first_name=row.first_name,
        last_name=row.last_name,
        age=row.age,
        date_of_birth=row.date_of_birth,
        emails=[Email(c.value, **(c.attrs or {})) for c in contacts if c.kind == "email"],
        phones=[Phone(c.value, **(c.attrs or {})) for c in contacts if c.kind == "phone"],
        addresses=[_address(a) for a in addresses if a.person_id == row.id],
    )
    location = None
    if row.est_city or row.est_region or row.est_country or "est_verified" in extra:
        location = EstimatedLocation(
            city=row.est_city,
            region=row.est_region,
            country_code=row.est_country,
            verified=extra.pop("est_verified", None),
            timestamp=extra.pop("est_timestamp", None),
        )
    for key in ("temporarily_disabled", "permanently_disabled"):
        if key in extra:
            extra[key] = build(AccountDisabled, extra[key])
    if "associated_accounts" in extra:
        extra["associated_accounts"] = [
            build(AssociatedAccount, a) for a in extra["associated_accounts"]
        ]
    return Person(
        role=row.role,
        person=details,
        screen_name=row.screen_name,
        esp_identifier=row.esp_identifier,
        esp_service=row.esp_service,
        display_names=[c.value for c in contacts if c.kind == "display_name"],
        profile_urls=[c.value for c in contacts if c.kind == "profile_url"],
        ip_capture_events=[_ip(e) for e in ips if e.person_id == row.id],
        device_ids=[_device(d) for d in devices if d.person_id == row.id],
        estimated_location=location,
        **{k: v for k, v in extra.items() if k in _PERSON_EXTRA},
    )


def _address(a: Any) -> Address:
    return Address(
        address=a.address,
        city=a.city,
        zip_code=a.zip_code,
        state=a.state,
        non_usa_state=a.non_usa_state,
        country=a.country,
        type=a.type,
    )


def _ip(e: Any) -> IpCaptureEvent:
    return IpCaptureEvent(
        ip_address=e.ip_address,
        event_name=e.event_name,
        date_time=e.date_time,
        possible_proxy=e.possible_proxy,
        port=e.port,
    )


def _device(d: Any) -> DeviceId:
    return DeviceId(
        id_type=d.id_type, id_value=d.id_value, event_name=d.event_name, date_time=d.date_time
    )


def _load_file(row: Any) -> FileDetails:
    extra = row.extra or {}
    return FileDetails(
        file_id=row.file_id,
        file_name=row.file_name,
        original_file_name=row.original_file_name,
        uploaded_to_esp_timestamp=row.uploaded_at,
        location_of_file=row.location,
        file_viewed_by_esp=row.viewed_by_esp,
        exif_viewed_by_esp=row.exif_viewed_by_esp,
        publicly_available=row.publicly_available,
        file_relevance=row.relevance,
        annotations=list(row.annotations or []),
        industry_classification=row.classification,
        hashes=[FileHash(**h) for h in row.hashes or []],
        ip_capture_event=(
            build(IpCaptureEvent, extra["ip_capture_event"])
            if extra.get("ip_capture_event")
            else None
        ),
        device_ids=[build(DeviceId, d) for d in extra.get("device_ids", [])],
        details=[build(FileMetadataGroup, g) for g in extra.get("details", [])],
        additional_info=list(extra.get("additional_info", [])),
    )


def load_tip(conn: Connection, report_id: int) -> TipView | None:
    """The whole tip as the report screen shows it, or None if there is no such tip."""
    report_table = _table(ReportRow)
    row = conn.execute(select(report_table).where(report_table.c.id == report_id)).first()
    if row is None:
        return None
    addresses = _rows(conn, AddressRow, "report_id", report_id)
    ips = _rows(conn, IpEventRow, "report_id", report_id)
    devices = _rows(conn, DeviceIdRow, "report_id", report_id)
    # a detail's own addresses and IPs come back from its JSON; the flat address and
    # ip_event rows (owner "incident") exist for queries across reports
    details = [
        build(InternetDetail, {"kind": d.kind, **(d.fields or {})})
        for d in _rows(conn, InternetDetailRow, "report_id", report_id)
    ]
    le_row = conn.execute(
        select(_table(LawEnforcementRow)).where(_table(LawEnforcementRow).c.report_id == report_id)
    ).first()
    law = None
    if le_row is not None:
        law = LawEnforcement(
            agency_name=le_row.agency_name,
            case_number=le_row.case_number,
            officer=build(ContactPerson, le_row.officer) if le_row.officer else None,
            reported_to_le=le_row.reported_to_le,
            served_legal_process_domestic=le_row.served_domestic,
            served_legal_process_international=le_row.served_international,
            flea_country=le_row.flea_country,
        )
    persons = [
        _load_person(conn, p, addresses, ips, devices)
        for p in _rows(conn, PersonRow, "report_id", report_id)
    ]
    report = Report(
        incident_type=row.incident_type,
        incident_date_time=row.incident_at,
        reporter=build(Reporter, row.reporter or {}),
        esp_name=row.esp_name,
        received_at=row.received_at,
        hub_id=row.hub_id,
        batched_reason=row.batched_reason,
        platform=row.platform,
        escalate_to_high_priority=row.escalate_text,
        report_annotations=list(row.annotations or []),
        incident_date_time_description=row.incident_at_desc,
        internet_details=details,
        law_enforcement=law,
        persons=persons,
        additional_info=row.additional_info,
        files=[_load_file(f) for f in _rows(conn, FileRow, "report_id", report_id)],
    )
    jurisdiction = None
    if row.jurisdiction_id is not None:
        agency = _table(AgencyRow)
        jurisdiction = conn.execute(
            select(agency.c.name).where(agency.c.id == row.jurisdiction_id)
        ).scalar()
    notes = [
        Note(n.author, n.created_at, n.body) for n in _rows(conn, NoteRow, "report_id", report_id)
    ]
    analysis = Analysis(
        referrals=referrals(conn, report_id),
        jurisdiction_outcome=row.jurisdiction_outcome,
        jurisdiction_id=row.jurisdiction_id,
        status=row.status,
        priority=row.priority,
        labels=list(row.labels or []),
        victim_age_min=row.victim_age_min,
        victim_age_max=row.victim_age_max,
        claimed_by=row.claimed_by,
        jurisdiction=jurisdiction,
        notes=notes,
        version=row.version,
        hub_seq=row.hub_seq,
    )
    return TipView(id=row.id, received_at=row.received_at, report=report, analysis=analysis)


def referrals(conn: Connection, report_id: int) -> list[ReferralView]:
    """A tip's referrals, oldest first."""
    rows = conn.exec_driver_sql(
        "SELECT a.name, a.kind, r.status, r.priority, r.created_by, r.created_at, r.sent_at, "
        "r.acknowledged_at, r.failed_at, r.detail, r.outcome FROM referral r "
        "JOIN agency a ON a.id = r.agency_id WHERE r.report_id = ? ORDER BY r.created_at, r.id",
        (report_id,),
    )
    return [ReferralView(*row) for row in rows]
