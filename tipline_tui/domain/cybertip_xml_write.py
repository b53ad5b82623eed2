"""Write domain reports back out as CyberTipline XML (`<report>`, `<fileDetails>`).

Used for test fixtures, round-trip tests of the parser and the intake benchmark,
so it is strict: elements come in the schema's xs:sequence order (the XSD rejects
any other), strings are written exactly (a CR or an attribute newline is escaped
as a character reference so no parser normalises it away), and a value the XML
cannot carry raises ValueError naming the field instead of being dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from typing import Any

from tipline_tui.domain.enums import FILE_ANNOTATIONS, REPORT_ANNOTATIONS
from tipline_tui.domain.report import (
    AccountDisabled,
    Address,
    AssociatedAccount,
    ContactPerson,
    DeviceId,
    Email,
    EstimatedLocation,
    FileDetails,
    InternetDetail,
    IpCaptureEvent,
    LawEnforcement,
    Person,
    PersonDetails,
    Phone,
    Report,
    Reporter,
)

__all__ = ["file_details_to_xml", "report_to_xml"]

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Everything outside XML 1.0's Char production (C0 controls but tab/LF/CR,
# surrogates, U+FFFE/U+FFFF) cannot appear in a document, not even escaped.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)

_Scalar = str | bool | int | float
_Attrs = Sequence[tuple[str, _Scalar | None]]


def report_to_xml(report: Report) -> bytes:
    """A complete `<report>` document; esp_name, received_at, hub_id and files are not in it."""
    out = _Out()
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
        if person.role not in _ROLES:
            raise ValueError(f"persons[{i}].role: {person.role!r} is not reported/recipient/victim")
    for role in _ROLES:  # the schema's order: every reported person, then recipients, victims
        for i, person in indexed:
            if person.role == role:
                _person(out, person, f"persons[{i}]")
    out.leaf("additionalInfo", report.additional_info, "additional_info")
    out.end()
    return out.document()


def file_details_to_xml(details: FileDetails, report_id: int) -> bytes:
    """A `<fileDetails>` document for the file, filed under `report_id` (not details.report_id)."""
    w = "file_details"
    out = _Out()
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
    _ip_event(out, "ipCaptureEvent", details.ip_capture_event, f"{w}.ip_capture_event")
    _device_ids(out, "deviceId", details.device_ids, f"{w}.device_ids")
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


# ------------------------------------------------------------------ output


class _Out:
    """An indented document built in order; a complex element with no children self-closes."""

    def __init__(self) -> None:
        self._parts: list[str] = [_DECLARATION]
        self._open: list[tuple[str, int]] = []

    def start(self, tag: str, attrs: _Attrs = (), where: str = "") -> None:
        self._parts.append(f"{self._indent()}<{tag}{_attrs(attrs, where)}>\n")
        self._open.append((tag, len(self._parts)))

    def end(self) -> None:
        tag, mark = self._open.pop()
        if mark == len(self._parts):  # nothing inside: <tag/>
            self._parts[-1] = self._parts[-1][:-2] + "/>\n"
        else:
            self._parts.append(f"{self._indent()}</{tag}>\n")

    def leaf(self, tag: str, value: _Scalar | None, where: str, attrs: _Attrs = ()) -> None:
        """A simple-content element, left out when `value` is None."""
        if value is None:
            return
        text = _lexical(value, where).translate(_TEXT_ESCAPES)
        self._parts.append(f"{self._indent()}<{tag}{_attrs(attrs, where)}>{text}</{tag}>\n")

    def leaves(self, tag: str, values: Iterable[_Scalar], where: str) -> None:
        for i, value in enumerate(values):
            self.leaf(tag, value, f"{where}[{i}]")

    def document(self) -> bytes:
        assert not self._open, self._open
        return "".join(self._parts).encode("utf-8")

    def _indent(self) -> str:
        return "  " * len(self._open)


def _lexical(value: _Scalar, where: str) -> str:
    """The XSD lexical form: true/false, decimal ints, INF/NaN doubles, strings as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "INF" if value > 0 else "-INF"
        return repr(value)
    bad = _NOT_XML_CHAR.search(value)
    if bad is not None:
        raise ValueError(
            f"{where}: character U+{ord(bad.group()):04X} at offset {bad.start()} "
            "cannot be written in XML 1.0"
        )
    return value


def _attrs(attrs: _Attrs, where: str) -> str:
    return "".join(
        f' {name}="{_lexical(value, f"{where}@{name}").translate(_ATTR_ESCAPES)}"'
        for name, value in attrs
        if value is not None
    )


def _is_set(value: Any) -> bool:
    return value is not None and value != []


def _unsupported(obj: Any, carried: Iterable[str], where: str, element: str) -> None:
    """Refuse data the target element has no place for, rather than losing it silently."""
    known = set(carried)
    for f in fields(obj):
        if f.name not in known and _is_set(getattr(obj, f.name)):
            raise ValueError(f"{where}.{f.name}: a {element} element has no place for it")


# ------------------------------------------------------------------ shared small types

# How one child is written: (out, tag, value, where). Tables of (tag, field, emit) rows
# below list each element's children in the schema's sequence order.
_Emit = Callable[["_Out", str, Any, str], None]
_Row = tuple[str, str, _Emit]


def _leaf(out: _Out, tag: str, value: Any, where: str) -> None:
    out.leaf(tag, value, where)


def _leaves(out: _Out, tag: str, values: Any, where: str) -> None:
    out.leaves(tag, values, where)


def _emails(out: _Out, tag: str, emails: list[Email], where: str) -> None:
    for i, e in enumerate(emails):
        attrs = [
            ("type", e.type),
            ("verified", e.verified),
            ("verificationDate", e.verification_date),
        ]
        out.leaf(tag, e.value, f"{where}[{i}]", attrs)


def _phones(out: _Out, tag: str, phones: list[Phone], where: str) -> None:
    for i, p in enumerate(phones):
        attrs = [
            ("type", p.type),
            ("verified", p.verified),
            ("verificationDate", p.verification_date),
            ("countryCallingCode", p.country_calling_code),
            ("extension", p.extension),
        ]
        out.leaf(tag, p.value, f"{where}[{i}]", attrs)


def _addresses(out: _Out, tag: str, addresses: list[Address], where: str) -> None:
    for i, a in enumerate(addresses):
        w = f"{where}[{i}]"
        out.start(tag, [("type", a.type)], w)
        out.leaf("address", a.address, f"{w}.address")
        out.leaf("city", a.city, f"{w}.city")
        out.leaf("zipCode", a.zip_code, f"{w}.zip_code")
        out.leaf("state", a.state, f"{w}.state")
        out.leaf("nonUsaState", a.non_usa_state, f"{w}.non_usa_state")
        out.leaf("country", a.country, f"{w}.country")
        out.end()


def _ip_events(out: _Out, tag: str, events: list[IpCaptureEvent], where: str) -> None:
    for i, e in enumerate(events):
        _ip_event(out, tag, e, f"{where}[{i}]")


def _ip_event(out: _Out, tag: str, e: IpCaptureEvent | None, where: str) -> None:
    if e is None:
        return
    out.start(tag)
    out.leaf("ipAddress", e.ip_address, f"{where}.ip_address")
    out.leaf("eventName", e.event_name, f"{where}.event_name")
    out.leaf("dateTime", e.date_time, f"{where}.date_time")
    out.leaf("possibleProxy", e.possible_proxy, f"{where}.possible_proxy")
    out.leaf("port", e.port, f"{where}.port")
    out.end()


def _device_ids(out: _Out, tag: str, devices: list[DeviceId], where: str) -> None:
    for i, d in enumerate(devices):
        w = f"{where}[{i}]"
        out.start(tag)
        out.leaf("idType", d.id_type, f"{w}.id_type")
        out.leaf("idValue", d.id_value, f"{w}.id_value")
        out.leaf("eventName", d.event_name, f"{w}.event_name")
        out.leaf("dateTime", d.date_time, f"{w}.date_time")
        out.end()


# ------------------------------------------------------------------ report parts


def _incident_summary(out: _Out, report: Report) -> None:
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


def _flags(out: _Out, tag: str, names: list[str], allowed: Sequence[str], where: str) -> None:
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


def _phone(out: _Out, tag: str, phone: Phone | None, where: str) -> None:
    if phone is not None:
        _phones(out, tag, [phone], where)


_CONTENT: _Row = ("content", "content", _leaf)
# For each internetDetails choice, its children but the trailing additionalInfo.
_DETAIL_CHILDREN: dict[str, tuple[_Row, ...]] = {
    "webPageIncident": (("url", "urls", _leaves),),
    "emailIncident": (("emailAddress", "emails", _emails), _CONTENT),
    "newsgroupIncident": (("name", "name", _leaf), ("emailAddress", "emails", _emails), _CONTENT),
    "chatImIncident": (
        ("chatClient", "chat_client", _leaf),
        ("chatRoomName", "chat_room_name", _leaf),
        _CONTENT,
    ),
    "onlineGamingIncident": (
        ("gameName", "game_name", _leaf),
        ("console", "console", _leaf),
        _CONTENT,
    ),
    "cellPhoneIncident": (
        ("phoneNumber", "phone", _phone),
        ("latitude", "latitude", _leaf),
        ("longitude", "longitude", _leaf),
    ),
    "nonInternetIncident": (
        ("locationName", "location_name", _leaf),
        ("incidentAddress", "addresses", _addresses),
    ),
    "peer2peerIncident": (
        ("client", "client", _leaf),
        ("ipCaptureEvent", "ip_capture_events", _ip_events),
        ("fileNames", "file_names", _leaf),
    ),
}


def _internet_detail(out: _Out, d: InternetDetail, where: str) -> None:
    children = _DETAIL_CHILDREN.get(d.kind)
    if children is None:
        raise ValueError(f"{where}.kind: {d.kind!r} is not an internetDetails choice")
    carried = ["kind", "additional_info", *(name for _, name, _ in children)]
    attrs: list[tuple[str, _Scalar | None]] = []
    if d.kind == "webPageIncident":
        carried.append("third_party_hosted_content")
        attrs.append(("thirdPartyHostedContent", d.third_party_hosted_content))
    _unsupported(d, carried, where, d.kind)
    out.start("internetDetails")
    out.start(d.kind, attrs, where)
    for tag, name, emit in children:
        emit(out, tag, getattr(d, name), f"{where}.{name}")
    out.leaf("additionalInfo", d.additional_info, f"{where}.additional_info")
    out.end()
    out.end()


def _law_enforcement(out: _Out, le: LawEnforcement, where: str) -> None:
    out.start("lawEnforcement")
    out.leaf("agencyName", le.agency_name, f"{where}.agency_name")
    out.leaf("caseNumber", le.case_number, f"{where}.case_number")
    if le.officer is not None:
        _contact(out, "officerContact", le.officer, f"{where}.officer")
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


def _reporter(out: _Out, rep: Reporter, where: str) -> None:
    out.start("reporter")
    _person_details(out, "reportingPerson", rep.reporting_person, f"{where}.reporting_person")
    if rep.contact_person is not None:
        _contact(out, "contactPerson", rep.contact_person, f"{where}.contact_person")
    out.leaf("companyTemplate", rep.company_template, f"{where}.company_template")
    out.leaf("termsOfService", rep.terms_of_service, f"{where}.terms_of_service")
    out.leaf("legalURL", rep.legal_url, f"{where}.legal_url")
    out.end()


# ------------------------------------------------------------------ persons


def _at_most_one(out: _Out, tag: str, values: Any, where: str) -> None:
    if len(values) > 1:
        raise ValueError(f"{where}: this element allows one {tag}, got {len(values)}")
    out.leaves(tag, values, where)


def _person_if_any(out: _Out, tag: str, details: PersonDetails, where: str) -> None:
    if any(_is_set(getattr(details, f.name)) for f in fields(details)):
        _person_details(out, tag, details, where)


def _disabled_temporarily(out: _Out, tag: str, value: AccountDisabled | None, where: str) -> None:
    _disabled(out, tag, value, where, permanent=False)


def _disabled_permanently(out: _Out, tag: str, value: AccountDisabled | None, where: str) -> None:
    _disabled(out, tag, value, where, permanent=True)


def _disabled(
    out: _Out, tag: str, value: AccountDisabled | None, where: str, *, permanent: bool
) -> None:
    if value is None:
        return
    if permanent and value.reenabled_date is not None:
        raise ValueError(f"{where}.reenabled_date: a permanent disablement has no reenabledDate")
    attrs = [
        ("disabledDate", value.disabled_date),
        ("userNotified", value.user_notified),
        ("userNotifiedDate", value.user_notified_date),
    ]
    if not permanent:
        attrs.append(("reenabledDate", value.reenabled_date))
    out.leaf(tag, value.disabled, f"{where}.disabled", attrs)


def _estimated(out: _Out, tag: str, loc: EstimatedLocation | None, where: str) -> None:
    if loc is None:
        return
    out.start(tag, [("verified", loc.verified), ("timestamp", loc.timestamp)], where)
    out.leaf("city", loc.city, f"{where}.city")
    out.leaf("region", loc.region, f"{where}.region")
    out.leaf("countryCode", loc.country_code, f"{where}.country_code")
    out.end()


def _accounts(out: _Out, tag: str, accounts: list[AssociatedAccount], where: str) -> None:
    for i, account in enumerate(accounts):
        _associated(out, tag, account, f"{where}[{i}]")


def _person_details(out: _Out, tag: str, p: PersonDetails, where: str) -> None:
    out.start(tag)
    out.leaf("firstName", p.first_name, f"{where}.first_name")
    out.leaf("lastName", p.last_name, f"{where}.last_name")
    _phones(out, "phone", p.phones, f"{where}.phones")
    _emails(out, "email", p.emails, f"{where}.emails")
    _addresses(out, "address", p.addresses, f"{where}.addresses")
    out.leaf("age", p.age, f"{where}.age")
    out.leaf("dateOfBirth", p.date_of_birth, f"{where}.date_of_birth")
    out.end()


# Each role's element and its children in sequence order: (tag, Person field, how to write it).
_SHARED_HEAD: tuple[_Row, ...] = (
    ("espIdentifier", "esp_identifier", _leaf),
    ("espService", "esp_service", _leaf),
    ("compromisedAccount", "compromised_account", _leaf),
    ("screenName", "screen_name", _leaf),
    ("displayName", "display_names", _leaves),
    ("profileUrl", "profile_urls", _leaves),
    ("profileBio", "profile_bio", _leaf),
    ("ipCaptureEvent", "ip_capture_events", _ip_events),
    ("deviceId", "device_ids", _device_ids),
)
_DISABLED_TAIL: tuple[_Row, ...] = (
    ("accountTemporarilyDisabled", "temporarily_disabled", _disabled_temporarily),
    ("accountPermanentlyDisabled", "permanently_disabled", _disabled_permanently),
    ("estimatedLocation", "estimated_location", _estimated),
    ("allEmailsReported", "all_emails_reported", _leaf),
)
_ROLES: dict[str, tuple[str, tuple[_Row, ...]]] = {
    "reported": (
        "personOrUserReported",
        (
            ("personOrUserReportedPerson", "person", _person_if_any),
            ("vehicleDescription", "vehicle_description", _leaf),
            *_SHARED_HEAD,
            ("thirdPartyUserReported", "third_party_user_reported", _leaf),
            ("priorCTReports", "prior_ct_reports", _leaves),
            ("groupIdentifier", "group_identifier", _leaf),
            *_DISABLED_TAIL,
            ("associatedAccount", "associated_accounts", _accounts),
            ("additionalInfo", "additional_info", _at_most_one),
        ),
    ),
    "recipient": (
        "intendedRecipient",
        (
            ("intendedRecipientPerson", "person", _person_if_any),
            *_SHARED_HEAD,
            ("priorCTReports", "prior_ct_reports", _leaves),
            ("groupIdentifier", "group_identifier", _leaf),
            *_DISABLED_TAIL,
            ("additionalInfo", "additional_info", _leaves),
        ),
    ),
    "victim": (
        "victim",
        (
            ("victimPerson", "person", _person_details),
            *_SHARED_HEAD,
            ("schoolName", "school_name", _leaf),
            ("priorCTReports", "prior_ct_reports", _leaves),
            *_DISABLED_TAIL,
            ("associatedAccount", "associated_accounts", _accounts),
            ("additionalInfo", "additional_info", _at_most_one),
        ),
    ),
}


def _person(out: _Out, person: Person, where: str) -> None:
    element, rows = _ROLES[person.role]
    _unsupported(person, ["role", *(name for _, name, _ in rows)], where, element)
    out.start(element)
    for tag, name, emit in rows:
        emit(out, tag, getattr(person, name), f"{where}.{name}")
    out.end()


def _contact(out: _Out, tag: str, c: ContactPerson, where: str) -> None:
    out.start(tag)
    out.leaf("firstName", c.first_name, f"{where}.first_name")
    out.leaf("lastName", c.last_name, f"{where}.last_name")
    _phones(out, "phone", c.phones, f"{where}.phones")
    _emails(out, "email", c.emails, f"{where}.emails")
    _addresses(out, "address", c.addresses, f"{where}.addresses")
    out.end()


def _associated(out: _Out, tag: str, a: AssociatedAccount, where: str) -> None:
    p = a.person
    if p.age is not None:
        raise ValueError(f"{where}.person.age: an associatedAccount has approximateAge, not age")
    if a.platform is None and a.platform_third_party_user is not None:
        raise ValueError(
            f"{where}.platform_third_party_user: needs platform, the element it sits on"
        )
    out.start(tag, [("type", a.type)], where)
    out.leaf(
        "platform",
        a.platform,
        f"{where}.platform",
        [("thirdPartyUser", a.platform_third_party_user)],
    )
    out.leaf("firstName", p.first_name, f"{where}.person.first_name")
    out.leaf("middleName", a.middle_name, f"{where}.middle_name")
    out.leaf("lastName", p.last_name, f"{where}.person.last_name")
    out.leaf("approximateAge", a.approximate_age, f"{where}.approximate_age")
    out.leaf("dateOfBirth", p.date_of_birth, f"{where}.person.date_of_birth")
    _phones(out, "phone", p.phones, f"{where}.person.phones")
    _emails(out, "email", p.emails, f"{where}.person.emails")
    out.leaf("allEmailsReported", a.all_emails_reported, f"{where}.all_emails_reported")
    _addresses(out, "address", p.addresses, f"{where}.person.addresses")
    out.leaf("espService", a.esp_service, f"{where}.esp_service")
    out.leaf("espIdentifier", a.esp_identifier, f"{where}.esp_identifier")
    out.leaves("profileUrl", a.profile_urls, f"{where}.profile_urls")
    out.leaf("screenName", a.screen_name, f"{where}.screen_name")
    out.leaves("displayName", a.display_names, f"{where}.display_names")
    out.leaf("profileBio", a.profile_bio, f"{where}.profile_bio")
    out.leaf("groupIdentifier", a.group_identifier, f"{where}.group_identifier")
    out.leaf("compromisedAccount", a.compromised_account, f"{where}.compromised_account")
    _disabled_temporarily(
        out, "accountTemporarilyDisabled", a.temporarily_disabled, f"{where}.temporarily_disabled"
    )
    _disabled_permanently(
        out, "accountPermanentlyDisabled", a.permanently_disabled, f"{where}.permanently_disabled"
    )
    _ip_events(out, "ipCaptureEvent", a.ip_capture_events, f"{where}.ip_capture_events")
    _device_ids(out, "deviceId", a.device_ids, f"{where}.device_ids")
    out.leaves("priorCTReport", a.prior_ct_reports, f"{where}.prior_ct_reports")
    out.leaf("additionalInfo", a.additional_info, f"{where}.additional_info")
    out.end()
