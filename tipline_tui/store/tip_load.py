"""Loading one stored tip back: the report with all its parts, and the analyst's side."""

from __future__ import annotations

import json
from collections import namedtuple
from operator import attrgetter
from typing import Any

from tipline_tui.domain.build import build
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
from tipline_tui.store.row_fields import (
    ADDRESS_FIELDS,
    DEVICE_ID_FIELDS,
    IP_EVENT_FIELDS,
    PERSON_EXTRA,
)
from tipline_tui.store.sql_rows import ReadConnection, one_value, rows


class _Shape:
    """The columns read from one table, and how SQLite's values become the app's: JSON
    text is decoded, and 0/1 in a Boolean column is False/True (as SQLAlchemy's types did).
    Each row comes back as a named tuple, read by column name."""

    __slots__ = ("decoders", "record", "sql")

    def __init__(
        self,
        table: str,
        columns: str,
        *,
        json_columns: tuple[str, ...] = (),
        flags: tuple[str, ...] = (),
        order: str = "id",
    ) -> None:
        names = tuple(columns.split())
        self.record = namedtuple(f"{table}_record", names)  # type: ignore[misc]
        self.sql = f"SELECT {', '.join(names)} FROM {table} WHERE {{}} = ? ORDER BY {order}"
        self.decoders = [
            (i, _json_value if name in json_columns else _flag)
            for i, name in enumerate(names)
            if name in json_columns or name in flags
        ]

    def read(self, conn: ReadConnection, column: str, value: Any) -> list[Any]:
        found = []
        for row in rows(conn, self.sql.format(column), (value,)):
            values = list(row)
            for i, decode in self.decoders:
                values[i] = decode(values[i])
            found.append(self.record(*values))
        return found


def _json_value(text: Any) -> Any:
    return None if text is None else json.loads(text)


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


_REPORT = _Shape(
    "report",
    "id received_at incident_type incident_at incident_at_desc reporter esp_name hub_id "
    "batched_reason platform escalate_text annotations additional_info status priority labels "
    "victim_age_min victim_age_max claimed_by jurisdiction_id jurisdiction_outcome version hub_seq",
    json_columns=("reporter", "annotations", "labels"),
)
_OWNED = "id person_id "
_ADDRESS = _Shape("address", _OWNED + " ".join(ADDRESS_FIELDS))
_IP_EVENT = _Shape("ip_event", _OWNED + " ".join(IP_EVENT_FIELDS), flags=("possible_proxy",))
_DEVICE_ID = _Shape("device_id", _OWNED + " ".join(DEVICE_ID_FIELDS))
_INTERNET_DETAIL = _Shape("internet_detail", "kind fields", json_columns=("fields",))
_PERSON = _Shape(
    "person",
    "id role first_name last_name age date_of_birth screen_name esp_identifier esp_service "
    "est_city est_region est_country extra",
    json_columns=("extra",),
)
_CONTACT = _Shape("person_contact", "kind value attrs", json_columns=("attrs",))
_LAW_ENFORCEMENT = _Shape(
    "law_enforcement",
    "agency_name case_number officer reported_to_le served_domestic served_international "
    "flea_country",
    json_columns=("officer",),
    flags=("reported_to_le", "served_domestic", "served_international"),
    order="report_id",
)
_FILE = _Shape(
    "file",
    "file_id file_name original_file_name uploaded_at location viewed_by_esp exif_viewed_by_esp "
    "publicly_available relevance annotations classification hashes extra",
    json_columns=("annotations", "hashes", "extra"),
    flags=("viewed_by_esp", "exif_viewed_by_esp", "publicly_available"),
)
_NOTE = _Shape("note", "author created_at body")


def _load_person(
    conn: ReadConnection, row: Any, addresses: list[Any], ips: list[Any], devices: list[Any]
) -> Person:
    extra = dict(row.extra or {})
    contacts = _CONTACT.read(conn, "person_id", row.id)
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
        **{k: v for k, v in extra.items() if k in PERSON_EXTRA},
    )


_address_values = attrgetter(*ADDRESS_FIELDS)
_ip_event_values = attrgetter(*IP_EVENT_FIELDS)
_device_id_values = attrgetter(*DEVICE_ID_FIELDS)


def _address(a: Any) -> Address:
    return Address(*_address_values(a))


def _ip(e: Any) -> IpCaptureEvent:
    return IpCaptureEvent(*_ip_event_values(e))


def _device(d: Any) -> DeviceId:
    return DeviceId(*_device_id_values(d))


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


def _law_enforcement(conn: ReadConnection, report_id: int) -> LawEnforcement | None:
    found = _LAW_ENFORCEMENT.read(conn, "report_id", report_id)
    if not found:
        return None
    row = found[0]
    return LawEnforcement(
        agency_name=row.agency_name,
        case_number=row.case_number,
        officer=build(ContactPerson, row.officer) if row.officer else None,
        reported_to_le=row.reported_to_le,
        served_legal_process_domestic=row.served_domestic,
        served_legal_process_international=row.served_international,
        flea_country=row.flea_country,
    )


def _report(conn: ReadConnection, row: Any) -> Report:
    report_id = row.id
    addresses = _ADDRESS.read(conn, "report_id", report_id)
    ips = _IP_EVENT.read(conn, "report_id", report_id)
    devices = _DEVICE_ID.read(conn, "report_id", report_id)
    # a detail's own addresses and IPs come back from its JSON; the flat address and
    # ip_event rows (owner "incident") exist for queries across reports
    details = [
        build(InternetDetail, {"kind": d.kind, **(d.fields or {})})
        for d in _INTERNET_DETAIL.read(conn, "report_id", report_id)
    ]
    persons = [
        _load_person(conn, p, addresses, ips, devices)
        for p in _PERSON.read(conn, "report_id", report_id)
    ]
    return Report(
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
        law_enforcement=_law_enforcement(conn, report_id),
        persons=persons,
        additional_info=row.additional_info,
        files=[_load_file(f) for f in _FILE.read(conn, "report_id", report_id)],
    )


def _analysis(conn: ReadConnection, row: Any) -> Analysis:
    jurisdiction = None
    if row.jurisdiction_id is not None:
        jurisdiction = one_value(
            conn, "SELECT name FROM agency WHERE id = ?", (row.jurisdiction_id,)
        )
    notes = _NOTE.read(conn, "report_id", row.id)
    return Analysis(
        referrals=referrals(conn, row.id),
        jurisdiction_outcome=row.jurisdiction_outcome,
        jurisdiction_id=row.jurisdiction_id,
        status=row.status,
        priority=row.priority,
        labels=list(row.labels or []),
        victim_age_min=row.victim_age_min,
        victim_age_max=row.victim_age_max,
        claimed_by=row.claimed_by,
        jurisdiction=jurisdiction,
        notes=[Note(n.author, n.created_at, n.body) for n in notes],
        version=row.version,
        hub_seq=row.hub_seq,
    )


def tip_exists(conn: ReadConnection, report_id: int) -> bool:
    """Whether the store holds tip `report_id` (what a command asks before it says more)."""
    return one_value(conn, "SELECT 1 FROM report WHERE id = ?", (report_id,)) is not None


def load_tip(conn: ReadConnection, report_id: int) -> TipView | None:
    """The whole tip as the report screen shows it, or None if there is no such tip."""
    found = _REPORT.read(conn, "id", report_id)
    if not found:
        return None
    row = found[0]
    report, analysis = _report(conn, row), _analysis(conn, row)
    return TipView(id=row.id, received_at=row.received_at, report=report, analysis=analysis)


def referrals(conn: ReadConnection, report_id: int) -> list[ReferralView]:
    """A tip's referrals, oldest first."""
    found = rows(
        conn,
        "SELECT a.name, a.kind, r.status, r.priority, r.created_by, r.created_at, r.sent_at, "
        "r.acknowledged_at, r.failed_at, r.detail, r.outcome FROM referral r "
        "JOIN agency a ON a.id = r.agency_id WHERE r.report_id = ? ORDER BY r.created_at, r.id",
        (report_id,),
    )
    return [ReferralView(*row) for row in found]
