"""Write domain reports back out as CyberTipline XML (`<report>`, `<fileDetails>`).

Used for test fixtures, round-trip tests of the parser and the intake benchmark,
so it is strict: elements come in the schema's xs:sequence order (the XSD rejects
any other), strings are written exactly (a CR or an attribute newline is escaped
as a character reference so no parser normalises it away), and a value the XML
cannot carry raises ValueError naming the field instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from tipline_tui.domain.cybertip_xml_people import (
    ROLES,
    write_addresses,
    write_contact,
    write_device_ids,
    write_emails,
    write_ip_event,
    write_ip_events,
    write_person,
    write_person_details,
    write_phones,
)
from tipline_tui.domain.enums import FILE_ANNOTATIONS, REPORT_ANNOTATIONS
from tipline_tui.domain.report import (
    FileDetails,
    InternetDetail,
    LawEnforcement,
    Phone,
    Report,
    Reporter,
)
from tipline_tui.domain.xml_out import Row, Scalar, XmlOut, leaf, leaves, unsupported

__all__ = ["file_details_to_xml", "report_to_xml"]


def report_to_xml(report: Report) -> bytes:
    """A complete `<report>` document; esp_name, received_at, hub_id and files are not in it."""
    out = XmlOut()
    out.start("report")
    if report.batched_reason is not None:
        out.start("batchedReport", [("reason", report.batched_reason)], "batched_reason")
        out.end()
    _incident_summary(out, report)
    for i, detail in enumerate(report.internet_details):
        _internet_detail(out, detail, f"internet_details[{i}]")
    if report.law_enforcement is not None:
        _law_enforcement(out, report.law_enforcement, "law_enforcement")
    _reporter(out, report.reporter, "reporter")
    indexed = list(enumerate(report.persons))
    for i, person in indexed:
        if person.role not in ROLES:
            raise ValueError(f"persons[{i}].role: {person.role!r} is not reported/recipient/victim")
    for role in ROLES:  # the schema's order: every reported person, then recipients, victims
        for i, person in indexed:
            if person.role == role:
                write_person(out, person, f"persons[{i}]")
    out.leaf("additionalInfo", report.additional_info, "additional_info")
    out.end()
    return out.document()


def file_details_to_xml(details: FileDetails, report_id: int) -> bytes:
    """A `<fileDetails>` document for the file, filed under `report_id` (not details.report_id)."""
    w = "file_details"
    out = XmlOut()
    out.start("fileDetails")
    out.leaf("reportId", report_id, "report_id")
    out.leaf("fileId", details.file_id, f"{w}.file_id")
    for tag, name in (
        ("fileName", "file_name"),
        ("originalFileName", "original_file_name"),
        ("uploadedToEspTimestamp", "uploaded_to_esp_timestamp"),
        ("locationOfFile", "location_of_file"),
        ("fileViewedByEsp", "file_viewed_by_esp"),
        ("exifViewedByEsp", "exif_viewed_by_esp"),
        ("publiclyAvailable", "publicly_available"),
        ("fileRelevance", "file_relevance"),
    ):
        out.leaf(tag, getattr(details, name), f"{w}.{name}")
    _flags(out, "fileAnnotations", details.annotations, FILE_ANNOTATIONS, f"{w}.annotations")
    out.leaf(
        "industryClassification", details.industry_classification, f"{w}.industry_classification"
    )
    for i, h in enumerate(details.hashes):
        where = f"{w}.hashes[{i}]"
        out.leaf("originalFileHash", h.value, where, [("hashType", h.hash_type)])
    write_ip_event(out, "ipCaptureEvent", details.ip_capture_event, f"{w}.ip_capture_event")
    write_device_ids(out, "deviceId", details.device_ids, f"{w}.device_ids")
    for i, group in enumerate(details.details):
        where = f"{w}.details[{i}]"
        if not group.pairs:
            raise ValueError(f"{where}.pairs: a details element needs at least one nameValuePair")
        out.start("details", [("type", group.type)], where)
        for j, pair in enumerate(group.pairs):
            out.start("nameValuePair")
            out.leaf("name", pair.name, f"{where}.pairs[{j}].name")
            out.leaf("value", pair.value, f"{where}.pairs[{j}].value")
            out.end()
        out.end()
    out.leaves("additionalInfo", details.additional_info, f"{w}.additional_info")
    out.end()
    return out.document()


# ------------------------------------------------------------------ report parts


def _incident_summary(out: XmlOut, report: Report) -> None:
    out.start("incidentSummary")
    out.leaf("incidentType", report.incident_type, "incident_type")
    out.leaf("platform", report.platform, "platform")
    out.leaf(
        "escalateToHighPriority", report.escalate_to_high_priority, "escalate_to_high_priority"
    )
    _flags(
        out,
        "reportAnnotations",
        report.report_annotations,
        REPORT_ANNOTATIONS,
        "report_annotations",
    )
    out.leaf("incidentDateTime", report.incident_date_time, "incident_date_time")
    out.leaf(
        "incidentDateTimeDescription",
        report.incident_date_time_description,
        "incident_date_time_description",
    )
    out.end()


def _flags(out: XmlOut, tag: str, names: list[str], allowed: Sequence[str], where: str) -> None:
    """Annotation flags (xs:all of booleans fixed to true), written in the list's own order."""
    if not names:
        return
    for i, name in enumerate(names):
        if name not in allowed:
            raise ValueError(f"{where}[{i}]: {name!r} is not one of {', '.join(allowed)}")
        if name in names[:i]:
            raise ValueError(f"{where}[{i}]: {name!r} appears twice; each flag may appear once")
    out.start(tag)
    for name in names:
        out.leaf(name, True, where)
    out.end()


def _phone(out: XmlOut, tag: str, phone: Phone | None, where: str) -> None:
    if phone is not None:
        write_phones(out, tag, [phone], where)


_CONTENT: Row = ("content", "content", leaf)
# For each internetDetails choice, its children but the trailing additionalInfo.
_DETAIL_CHILDREN: dict[str, tuple[Row, ...]] = {
    "webPageIncident": (("url", "urls", leaves),),
    "emailIncident": (("emailAddress", "emails", write_emails), _CONTENT),
    "newsgroupIncident": (
        ("name", "name", leaf),
        ("emailAddress", "emails", write_emails),
        _CONTENT,
    ),
    "chatImIncident": (
        ("chatClient", "chat_client", leaf),
        ("chatRoomName", "chat_room_name", leaf),
        _CONTENT,
    ),
    "onlineGamingIncident": (
        ("gameName", "game_name", leaf),
        ("console", "console", leaf),
        _CONTENT,
    ),
    "cellPhoneIncident": (
        ("phoneNumber", "phone", _phone),
        ("latitude", "latitude", leaf),
        ("longitude", "longitude", leaf),
    ),
    "nonInternetIncident": (
        ("locationName", "location_name", leaf),
        ("incidentAddress", "addresses", write_addresses),
    ),
    "peer2peerIncident": (
        ("client", "client", leaf),
        ("ipCaptureEvent", "ip_capture_events", write_ip_events),
        ("fileNames", "file_names", leaf),
    ),
}


def _internet_detail(out: XmlOut, d: InternetDetail, where: str) -> None:
    children = _DETAIL_CHILDREN.get(d.kind)
    if children is None:
        raise ValueError(f"{where}.kind: {d.kind!r} is not an internetDetails choice")
    carried = ["kind", "additional_info", *(name for _, name, _ in children)]
    attrs: list[tuple[str, Scalar | None]] = []
    if d.kind == "webPageIncident":
        carried.append("third_party_hosted_content")
        attrs.append(("thirdPartyHostedContent", d.third_party_hosted_content))
    unsupported(d, carried, where, d.kind)
    out.start("internetDetails")
    out.start(d.kind, attrs, where)
    for tag, name, emit in children:
        emit(out, tag, getattr(d, name), f"{where}.{name}")
    out.leaf("additionalInfo", d.additional_info, f"{where}.additional_info")
    out.end()
    out.end()


def _law_enforcement(out: XmlOut, le: LawEnforcement, where: str) -> None:
    out.start("lawEnforcement")
    out.leaf("agencyName", le.agency_name, f"{where}.agency_name")
    out.leaf("caseNumber", le.case_number, f"{where}.case_number")
    if le.officer is not None:
        write_contact(out, "officerContact", le.officer, f"{where}.officer")
    out.leaf("reportedToLe", le.reported_to_le, f"{where}.reported_to_le")
    out.leaf(
        "servedLegalProcessDomestic",
        le.served_legal_process_domestic,
        f"{where}.served_legal_process_domestic",
    )
    if le.flea_country is not None and le.served_legal_process_international is None:
        raise ValueError(
            f"{where}.flea_country: needs served_legal_process_international to sit on"
        )
    out.leaf(
        "servedLegalProcessInternational",
        le.served_legal_process_international,
        f"{where}.served_legal_process_international",
        [("fleaCountry", le.flea_country)],
    )
    out.end()


def _reporter(out: XmlOut, rep: Reporter, where: str) -> None:
    out.start("reporter")
    write_person_details(out, "reportingPerson", rep.reporting_person, f"{where}.reporting_person")
    if rep.contact_person is not None:
        write_contact(out, "contactPerson", rep.contact_person, f"{where}.contact_person")
    out.leaf("companyTemplate", rep.company_template, f"{where}.company_template")
    out.leaf("termsOfService", rep.terms_of_service, f"{where}.terms_of_service")
    out.leaf("legalURL", rep.legal_url, f"{where}.legal_url")
    out.end()
