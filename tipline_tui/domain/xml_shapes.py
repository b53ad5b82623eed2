"""The CyberTipline schema as Shapes: every element and attribute, and the field it fills.

Read against ../shared/spec/report-tree.txt: one Shape per complex type, children
in the schema's order (order is not enforced, counts are). Length limits are the
ones the API documentation sets; the schema itself has none.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tipline_tui.domain import xml_codes as codes
from tipline_tui.domain import xml_values as v
from tipline_tui.domain.enums import FILE_ANNOTATIONS as FILE_ANNOTATION_ORDER
from tipline_tui.domain.enums import REPORT_ANNOTATIONS as REPORT_ANNOTATION_ORDER
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
    NameValue,
    Person,
    PersonDetails,
    Phone,
    Report,
    Reporter,
)
from tipline_tui.domain.xml_engine import Attr, Child, Shape, Values
from tipline_tui.domain.xml_rules import (
    check_file_details,
    check_internet_details,
    check_report,
)

_NAME = v.limited(100)
_IP_EVENT_NAME = v.enumeration(codes.IP_CAPTURE_TYPES, "event name (ipCaptureType)")
_COUNTRY = v.enumeration(codes.COUNTRIES, "country code")


def _leaf(key: str, convert: v.Converter | None = None, **options: Any) -> Child:
    return Child(key, convert, **options)


def _node(key: str, shape: Shape, **options: Any) -> Child:
    return Child(key, shape=shape, **options)


def _many(key: str, convert: v.Converter | None = None) -> Child:
    return Child(key, convert, many=True, as_list=True)


def _many_nodes(key: str, shape: Shape) -> Child:
    return Child(key, shape=shape, many=True, as_list=True)


# ------------------------------------------------------------------ small shared types

EMAIL = Shape(
    "email",
    content=_leaf("value"),
    attrs={
        "type": Attr("type", v.enumeration(codes.EMAIL_TYPES, "email type")),
        "verified": Attr("verified", v.boolean),
        "verificationDate": Attr("verification_date", v.date_time),
    },
    make=Email,
)

PHONE = Shape(
    "phone",
    content=_leaf("value"),
    attrs={
        "type": Attr("type", v.enumeration(codes.PHONE_TYPES, "phone type")),
        "verified": Attr("verified", v.boolean),
        "verificationDate": Attr("verification_date", v.date_time),
        "countryCallingCode": Attr("country_calling_code", v.calling_code),
        "extension": Attr("extension", v.extension),
    },
    make=Phone,
)

ADDRESS = Shape(
    "address",
    children={
        "address": _leaf("address"),
        "city": _leaf("city"),
        "zipCode": _leaf("zip_code"),
        "state": _leaf("state", v.enumeration(codes.STATES, "US state code")),
        "nonUsaState": _leaf("non_usa_state"),
        "country": _leaf("country", _COUNTRY),
    },
    attrs={"type": Attr("type", v.enumeration(codes.ADDRESS_TYPES, "address type"))},
    make=Address,
)

IP_CAPTURE_EVENT = Shape(
    "ipCaptureEvent",
    children={
        "ipAddress": _leaf("ip_address", v.ip_address, required=True),
        "eventName": _leaf("event_name", _IP_EVENT_NAME),
        "dateTime": _leaf("date_time", v.capture_time),
        "possibleProxy": _leaf("possible_proxy", v.boolean),
        "port": _leaf("port", v.port),
    },
    make=IpCaptureEvent,
)

DEVICE_ID = Shape(
    "deviceId",
    children={
        "idType": _leaf("id_type", required=True),
        "idValue": _leaf("id_value", v.limited(2083), required=True),
        "eventName": _leaf("event_name", _IP_EVENT_NAME),
        "dateTime": _leaf("date_time", v.capture_time),
    },
    make=DeviceId,
)

_CONTACT_CHILDREN = {
    "firstName": _leaf("first_name", _NAME),
    "lastName": _leaf("last_name", _NAME),
    "phone": _many_nodes("phones", PHONE),
    "email": _many_nodes("emails", EMAIL),
    "address": _many_nodes("addresses", ADDRESS),
}

PERSON = Shape(
    "person",
    children={
        **_CONTACT_CHILDREN,
        "age": _leaf("age", v.age),
        "dateOfBirth": _leaf("date_of_birth", v.date),
    },
    make=PersonDetails,
)

CONTACT_PERSON = Shape(
    "contactPerson",
    children=_CONTACT_CHILDREN,
    make=ContactPerson,
)

_DISABLED_ATTRS = {
    "disabledDate": Attr("disabled_date", v.date_time),
    "userNotified": Attr("user_notified", v.boolean),
    "userNotifiedDate": Attr("user_notified_date", v.date_time),
}

TEMPORARILY_DISABLED = Shape(
    "accountTemporarilyDisabled",
    content=_leaf("disabled", v.boolean),
    attrs={**_DISABLED_ATTRS, "reenabledDate": Attr("reenabled_date", v.date_time)},
    make=AccountDisabled,
)

PERMANENTLY_DISABLED = Shape(
    "accountPermanentlyDisabled",
    content=_leaf("disabled", v.boolean),
    attrs=_DISABLED_ATTRS,
    make=AccountDisabled,
)

ESTIMATED_LOCATION = Shape(
    "estimatedLocation",
    children={
        "city": _leaf("city"),
        "region": _leaf("region"),
        "countryCode": _leaf("country_code", _COUNTRY),
    },
    attrs={
        "verified": Attr("verified", v.boolean),
        "timestamp": Attr("timestamp", v.date_time),
    },
    make=EstimatedLocation,
)

# ------------------------------------------------------------------ associated accounts

ACCOUNT_PLATFORM = Shape(
    "associatedAccount/platform",
    content=_leaf("platform", v.limited(256)),
    attrs={"thirdPartyUser": Attr("platform_third_party_user", v.boolean)},
)

_PERSON_PREFIX = "person."


def _build_account(values: Values) -> AssociatedAccount:
    """The account's name, birth date and contacts go to its PersonDetails."""
    person = {
        key[len(_PERSON_PREFIX) :]: values.pop(key)
        for key in [k for k in values if k.startswith(_PERSON_PREFIX)]
    }
    return AssociatedAccount(person=PersonDetails(**person), **values)


ASSOCIATED_ACCOUNT = Shape(
    "associatedAccount",
    children={
        "platform": _node("platform", ACCOUNT_PLATFORM, spread=True),
        "firstName": _leaf("person.first_name", _NAME),
        "middleName": _leaf("middle_name", _NAME),
        "lastName": _leaf("person.last_name", _NAME),
        "approximateAge": _leaf("approximate_age", v.age),
        "dateOfBirth": _leaf("person.date_of_birth", v.date),
        "phone": _many_nodes("person.phones", PHONE),
        "email": _many_nodes("person.emails", EMAIL),
        "allEmailsReported": _leaf("all_emails_reported", v.boolean),
        "address": _many_nodes("person.addresses", ADDRESS),
        "espService": _leaf("esp_service"),
        "espIdentifier": _leaf("esp_identifier"),
        "profileUrl": _many("profile_urls"),
        "screenName": _leaf("screen_name"),
        "displayName": _many("display_names"),
        "profileBio": _leaf("profile_bio"),
        "groupIdentifier": _leaf("group_identifier"),
        "compromisedAccount": _leaf("compromised_account", v.boolean),
        "accountTemporarilyDisabled": _node("temporarily_disabled", TEMPORARILY_DISABLED),
        "accountPermanentlyDisabled": _node("permanently_disabled", PERMANENTLY_DISABLED),
        "ipCaptureEvent": _many_nodes("ip_capture_events", IP_CAPTURE_EVENT),
        "deviceId": _many_nodes("device_ids", DEVICE_ID),
        "priorCTReport": _many("prior_ct_reports", v.xs_long),
        "additionalInfo": _leaf("additional_info"),
    },
    attrs={
        "type": Attr(
            "type",
            v.enumeration(codes.ASSOCIATED_ACCOUNT_TYPES, "associated account type"),
            required=True,
        )
    },
    build=_build_account,
)

# ------------------------------------------------------------------ persons


def _person_shape(role: str, tag: str, own: dict[str, Child], many_info: bool = False) -> Shape:
    """personOrUserReported, intendedRecipient and victim share most of their children."""
    children = {
        **own,
        "espIdentifier": _leaf("esp_identifier"),
        "espService": _leaf("esp_service"),
        "compromisedAccount": _leaf("compromised_account", v.boolean),
        "screenName": _leaf("screen_name"),
        "displayName": _many("display_names"),
        "profileUrl": _many("profile_urls"),
        "profileBio": _leaf("profile_bio"),
        "ipCaptureEvent": _many_nodes("ip_capture_events", IP_CAPTURE_EVENT),
        "deviceId": _many_nodes("device_ids", DEVICE_ID),
        "priorCTReports": _many("prior_ct_reports", v.xs_long),
        "accountTemporarilyDisabled": _node("temporarily_disabled", TEMPORARILY_DISABLED),
        "accountPermanentlyDisabled": _node("permanently_disabled", PERMANENTLY_DISABLED),
        "estimatedLocation": _node("estimated_location", ESTIMATED_LOCATION),
        "allEmailsReported": _leaf("all_emails_reported", v.boolean),
        "additionalInfo": Child("additional_info", many=many_info, as_list=True),
    }
    return Shape(tag, children=children, make=partial(Person, role=role))


REPORTED = _person_shape(
    "reported",
    "personOrUserReported",
    {
        "personOrUserReportedPerson": _node("person", PERSON),
        "vehicleDescription": _leaf("vehicle_description"),
        "thirdPartyUserReported": _leaf("third_party_user_reported", v.boolean),
        "groupIdentifier": _leaf("group_identifier"),
        "associatedAccount": _many_nodes("associated_accounts", ASSOCIATED_ACCOUNT),
    },
)

RECIPIENT = _person_shape(
    "recipient",
    "intendedRecipient",
    {
        "intendedRecipientPerson": _node("person", PERSON),
        "groupIdentifier": _leaf("group_identifier"),
    },
    many_info=True,
)

VICTIM = _person_shape(
    "victim",
    "victim",
    {
        "victimPerson": _node("person", PERSON, required=True),
        "schoolName": _leaf("school_name"),
        "associatedAccount": _many_nodes("associated_accounts", ASSOCIATED_ACCOUNT),
    },
)

# ------------------------------------------------------------------ internet details

_INFO = {"additionalInfo": _leaf("additional_info")}
_CONTENT = {"content": _leaf("content")}
_EMAILS = {"emailAddress": _many_nodes("emails", EMAIL)}


def _incident(kind: str, children: dict[str, Child], **options: Any) -> Shape:
    return Shape(
        kind,
        children={**children, **_INFO},
        make=partial(InternetDetail, kind=kind),
        **options,
    )


INCIDENTS = {
    shape.name: shape
    for shape in (
        _incident(
            "webPageIncident",
            {"url": _many("urls")},
            attrs={"thirdPartyHostedContent": Attr("third_party_hosted_content", v.boolean)},
        ),
        _incident("emailIncident", {**_EMAILS, **_CONTENT}),
        _incident("newsgroupIncident", {"name": _leaf("name"), **_EMAILS, **_CONTENT}),
        _incident(
            "chatImIncident",
            {
                "chatClient": _leaf("chat_client"),
                "chatRoomName": _leaf("chat_room_name"),
                **_CONTENT,
            },
        ),
        _incident(
            "onlineGamingIncident",
            {"gameName": _leaf("game_name"), "console": _leaf("console"), **_CONTENT},
        ),
        _incident(
            "cellPhoneIncident",
            {
                "phoneNumber": _node("phone", PHONE),
                "latitude": _leaf("latitude", v.latitude),
                "longitude": _leaf("longitude", v.longitude),
            },
        ),
        _incident(
            "nonInternetIncident",
            {
                "locationName": _leaf("location_name"),
                "incidentAddress": _many_nodes("addresses", ADDRESS),
            },
        ),
        _incident(
            "peer2peerIncident",
            {
                "client": _leaf("client"),
                "ipCaptureEvent": _many_nodes("ip_capture_events", IP_CAPTURE_EVENT),
                "fileNames": _leaf("file_names"),
            },
        ),
    )
}

INTERNET_DETAILS = Shape(
    "internetDetails",
    children={kind: _node("detail", shape) for kind, shape in INCIDENTS.items()},
    check=check_internet_details,
    build=lambda values: values["detail"],
)

# ------------------------------------------------------------------ the report

LAW_ENFORCEMENT = Shape(
    "lawEnforcement",
    children={
        "agencyName": _leaf("agency_name", v.limited(255), required=True),
        "caseNumber": _leaf("case_number", v.limited(100)),
        "officerContact": _node("officer", CONTACT_PERSON),
        "reportedToLe": _leaf("reported_to_le", v.boolean),
        "servedLegalProcessDomestic": _leaf("served_legal_process_domestic", v.boolean),
        "servedLegalProcessInternational": _node(
            "served_legal_process_international",
            Shape(
                "servedLegalProcessInternational",
                content=_leaf("served_legal_process_international", v.boolean),
                attrs={"fleaCountry": Attr("flea_country", _COUNTRY)},
            ),
            spread=True,
        ),
    },
    make=LawEnforcement,
)

REPORTER = Shape(
    "reporter",
    children={
        "reportingPerson": _node("reporting_person", PERSON, required=True),
        "contactPerson": _node("contact_person", CONTACT_PERSON),
        "companyTemplate": _leaf("company_template"),
        "termsOfService": _leaf("terms_of_service"),
        "legalURL": _leaf("legal_url"),
    },
    make=Reporter,
)


def _true_flags(values: Values) -> list[str]:
    """Annotation flags present (all true: the schema fixes them so), in document order."""
    return [name for name, value in values.items() if value]


REPORT_ANNOTATIONS = Shape(
    "reportAnnotations",
    children={name: _leaf(name, v.flag) for name in REPORT_ANNOTATION_ORDER},
    build=_true_flags,
)

INCIDENT_SUMMARY = Shape(
    "incidentSummary",
    children={
        "incidentType": _leaf(
            "incident_type", v.enumeration(codes.INCIDENT_TYPES, "incident type"), required=True
        ),
        "platform": _leaf("platform", v.limited(256)),
        "escalateToHighPriority": _leaf("escalate_to_high_priority", v.limited(3000)),
        "reportAnnotations": _node("report_annotations", REPORT_ANNOTATIONS),
        "incidentDateTime": _leaf("incident_date_time", v.date_time, required=True),
        "incidentDateTimeDescription": _leaf("incident_date_time_description", v.limited(3000)),
    },
)

BATCHED_REPORT = Shape(
    "batchedReport",
    attrs={
        "reason": Attr(
            "batched_reason",
            v.enumeration(codes.BATCHED_REPORT_REASONS, "batched report reason"),
            required=True,
        )
    },
)

REPORT = Shape(
    "report",
    children={
        "batchedReport": _node("batched_reason", BATCHED_REPORT, spread=True),
        "incidentSummary": _node("summary", INCIDENT_SUMMARY, required=True, spread=True),
        "internetDetails": _many_nodes("internet_details", INTERNET_DETAILS),
        "lawEnforcement": _node("law_enforcement", LAW_ENFORCEMENT),
        "reporter": _node("reporter", REPORTER, required=True),
        "personOrUserReported": _many_nodes("persons", REPORTED),
        "intendedRecipient": _many_nodes("persons", RECIPIENT),
        "victim": _many_nodes("persons", VICTIM),
        "additionalInfo": _leaf("additional_info"),
    },
    check=check_report,
    make=Report,
)

# ------------------------------------------------------------------ fileDetails


def _build_file_details(values: Values) -> FileDetails:
    """A top-level potentialMeme=true is the same annotation as fileAnnotations/potentialMeme."""
    if values.pop("potential_meme", False):
        values["annotations"] = ["potentialMeme"]
    return FileDetails(**values)


FILE_ANNOTATIONS = Shape(
    "fileAnnotations",
    children={name: _leaf(name, v.flag) for name in FILE_ANNOTATION_ORDER},
    build=_true_flags,
)

DETAILS = Shape(
    "details",
    children={
        "nameValuePair": Child(
            "pairs",
            shape=Shape(
                "nameValue",
                children={
                    "name": _leaf("name", required=True),
                    "value": _leaf("value", required=True),
                },
                make=NameValue,
            ),
            many=True,
            as_list=True,
            required=True,
        )
    },
    attrs={"type": Attr("type", v.enumeration(codes.METADATA_TYPES, "metadata type"))},
    make=partial(FileMetadataGroup, type=None),
)

FILE_DETAILS = Shape(
    "fileDetails",
    children={
        "reportId": _leaf("report_id", v.xs_long, required=True),
        "fileId": _leaf("file_id", required=True),
        "fileName": _leaf("file_name"),
        "originalFileName": _leaf("original_file_name", v.limited(2056)),
        "uploadedToEspTimestamp": _leaf("uploaded_to_esp_timestamp", v.date_time),
        "locationOfFile": _leaf("location_of_file"),
        "fileViewedByEsp": _leaf("file_viewed_by_esp", v.boolean),
        "exifViewedByEsp": _leaf("exif_viewed_by_esp", v.boolean),
        "publiclyAvailable": _leaf("publicly_available", v.boolean),
        "fileRelevance": _leaf(
            "file_relevance", v.enumeration(codes.FILE_RELEVANCES, "file relevance")
        ),
        "potentialMeme": _leaf("potential_meme", v.boolean),
        "fileAnnotations": _node("annotations", FILE_ANNOTATIONS),
        "industryClassification": _leaf(
            "industry_classification",
            v.enumeration(codes.FILE_CLASSIFICATIONS, "industry classification"),
        ),
        "originalFileHash": _many_nodes(
            "hashes",
            Shape(
                "hash",
                content=_leaf("value"),
                attrs={"hashType": Attr("hash_type", required=True)},
                make=FileHash,
            ),
        ),
        "ipCaptureEvent": _node("ip_capture_event", IP_CAPTURE_EVENT),
        "deviceId": _many_nodes("device_ids", DEVICE_ID),
        "details": _many_nodes("details", DETAILS),
        "additionalInfo": _many("additional_info"),
    },
    check=check_file_details,
    build=_build_file_details,
)

ROOTS = {"report": REPORT, "fileDetails": FILE_DETAILS}
