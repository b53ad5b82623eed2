"""CyberTipline XML for people and their contact details: persons, reporters' contacts, accounts.

Also the small shared types (emails, phones, addresses, IP capture events, device ids)
that incidents and file details write too.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from tipline_tui.domain.report import (
    AccountDisabled,
    Address,
    AssociatedAccount,
    ContactPerson,
    DeviceId,
    Email,
    EstimatedLocation,
    IpCaptureEvent,
    Person,
    PersonDetails,
    Phone,
)
from tipline_tui.domain.xml_out import Row, XmlOut, is_set, leaf, leaves, unsupported


def write_emails(out: XmlOut, tag: str, emails: list[Email], where: str) -> None:
    for i, e in enumerate(emails):
        attrs = [
            ("type", e.type),
            ("verified", e.verified),
            ("verificationDate", e.verification_date),
        ]
        out.leaf(tag, e.value, f"{where}[{i}]", attrs)


def write_phones(out: XmlOut, tag: str, phones: list[Phone], where: str) -> None:
    for i, p in enumerate(phones):
        attrs = [
            ("type", p.type),
            ("verified", p.verified),
            ("verificationDate", p.verification_date),
            ("countryCallingCode", p.country_calling_code),
            ("extension", p.extension),
        ]
        out.leaf(tag, p.value, f"{where}[{i}]", attrs)


def write_addresses(out: XmlOut, tag: str, addresses: list[Address], where: str) -> None:
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


def write_ip_events(out: XmlOut, tag: str, events: list[IpCaptureEvent], where: str) -> None:
    for i, e in enumerate(events):
        write_ip_event(out, tag, e, f"{where}[{i}]")


def write_ip_event(out: XmlOut, tag: str, e: IpCaptureEvent | None, where: str) -> None:
    if e is None:
        return
    out.start(tag)
    out.leaf("ipAddress", e.ip_address, f"{where}.ip_address")
    out.leaf("eventName", e.event_name, f"{where}.event_name")
    out.leaf("dateTime", e.date_time, f"{where}.date_time")
    out.leaf("possibleProxy", e.possible_proxy, f"{where}.possible_proxy")
    out.leaf("port", e.port, f"{where}.port")
    out.end()


def write_device_ids(out: XmlOut, tag: str, devices: list[DeviceId], where: str) -> None:
    for i, d in enumerate(devices):
        w = f"{where}[{i}]"
        out.start(tag)
        out.leaf("idType", d.id_type, f"{w}.id_type")
        out.leaf("idValue", d.id_value, f"{w}.id_value")
        out.leaf("eventName", d.event_name, f"{w}.event_name")
        out.leaf("dateTime", d.date_time, f"{w}.date_time")
        out.end()


# ------------------------------------------------------------------ persons


def _at_most_one(out: XmlOut, tag: str, values: Any, where: str) -> None:
    if len(values) > 1:
        raise ValueError(f"{where}: this element allows one {tag}, got {len(values)}")
    out.leaves(tag, values, where)


def _person_if_any(out: XmlOut, tag: str, details: PersonDetails, where: str) -> None:
    if any(is_set(getattr(details, f.name)) for f in fields(details)):
        write_person_details(out, tag, details, where)


def _disabled_temporarily(out: XmlOut, tag: str, value: AccountDisabled | None, where: str) -> None:
    _disabled(out, tag, value, where, permanent=False)


def _disabled_permanently(out: XmlOut, tag: str, value: AccountDisabled | None, where: str) -> None:
    _disabled(out, tag, value, where, permanent=True)


def _disabled(
    out: XmlOut, tag: str, value: AccountDisabled | None, where: str, *, permanent: bool
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


def _estimated(out: XmlOut, tag: str, loc: EstimatedLocation | None, where: str) -> None:
    if loc is None:
        return
    out.start(tag, [("verified", loc.verified), ("timestamp", loc.timestamp)], where)
    out.leaf("city", loc.city, f"{where}.city")
    out.leaf("region", loc.region, f"{where}.region")
    out.leaf("countryCode", loc.country_code, f"{where}.country_code")
    out.end()


def _accounts(out: XmlOut, tag: str, accounts: list[AssociatedAccount], where: str) -> None:
    for i, account in enumerate(accounts):
        _associated(out, tag, account, f"{where}[{i}]")


def write_person_details(out: XmlOut, tag: str, p: PersonDetails, where: str) -> None:
    out.start(tag)
    out.leaf("firstName", p.first_name, f"{where}.first_name")
    out.leaf("lastName", p.last_name, f"{where}.last_name")
    write_phones(out, "phone", p.phones, f"{where}.phones")
    write_emails(out, "email", p.emails, f"{where}.emails")
    write_addresses(out, "address", p.addresses, f"{where}.addresses")
    out.leaf("age", p.age, f"{where}.age")
    out.leaf("dateOfBirth", p.date_of_birth, f"{where}.date_of_birth")
    out.end()


# Each role's element and its children in sequence order: (tag, Person field, how to write it).
_SHARED_HEAD: tuple[Row, ...] = (
    ("espIdentifier", "esp_identifier", leaf),
    ("espService", "esp_service", leaf),
    ("compromisedAccount", "compromised_account", leaf),
    ("screenName", "screen_name", leaf),
    ("displayName", "display_names", leaves),
    ("profileUrl", "profile_urls", leaves),
    ("profileBio", "profile_bio", leaf),
    ("ipCaptureEvent", "ip_capture_events", write_ip_events),
    ("deviceId", "device_ids", write_device_ids),
)
_DISABLED_TAIL: tuple[Row, ...] = (
    ("accountTemporarilyDisabled", "temporarily_disabled", _disabled_temporarily),
    ("accountPermanentlyDisabled", "permanently_disabled", _disabled_permanently),
    ("estimatedLocation", "estimated_location", _estimated),
    ("allEmailsReported", "all_emails_reported", leaf),
)
ROLES: dict[str, tuple[str, tuple[Row, ...]]] = {
    "reported": (
        "personOrUserReported",
        (
            ("personOrUserReportedPerson", "person", _person_if_any),
            ("vehicleDescription", "vehicle_description", leaf),
            *_SHARED_HEAD,
            ("thirdPartyUserReported", "third_party_user_reported", leaf),
            ("priorCTReports", "prior_ct_reports", leaves),
            ("groupIdentifier", "group_identifier", leaf),
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
            ("priorCTReports", "prior_ct_reports", leaves),
            ("groupIdentifier", "group_identifier", leaf),
            *_DISABLED_TAIL,
            ("additionalInfo", "additional_info", leaves),
        ),
    ),
    "victim": (
        "victim",
        (
            ("victimPerson", "person", write_person_details),
            *_SHARED_HEAD,
            ("schoolName", "school_name", leaf),
            ("priorCTReports", "prior_ct_reports", leaves),
            *_DISABLED_TAIL,
            ("associatedAccount", "associated_accounts", _accounts),
            ("additionalInfo", "additional_info", _at_most_one),
        ),
    ),
}


def write_person(out: XmlOut, person: Person, where: str) -> None:
    element, rows = ROLES[person.role]
    unsupported(person, ["role", *(name for _, name, _ in rows)], where, element)
    out.start(element)
    for tag, name, emit in rows:
        emit(out, tag, getattr(person, name), f"{where}.{name}")
    out.end()


def write_contact(out: XmlOut, tag: str, c: ContactPerson, where: str) -> None:
    out.start(tag)
    out.leaf("firstName", c.first_name, f"{where}.first_name")
    out.leaf("lastName", c.last_name, f"{where}.last_name")
    write_phones(out, "phone", c.phones, f"{where}.phones")
    write_emails(out, "email", c.emails, f"{where}.emails")
    write_addresses(out, "address", c.addresses, f"{where}.addresses")
    out.end()


def _associated(out: XmlOut, tag: str, a: AssociatedAccount, where: str) -> None:
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
    write_phones(out, "phone", p.phones, f"{where}.person.phones")
    write_emails(out, "email", p.emails, f"{where}.person.emails")
    out.leaf("allEmailsReported", a.all_emails_reported, f"{where}.all_emails_reported")
    write_addresses(out, "address", p.addresses, f"{where}.person.addresses")
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
    write_ip_events(out, "ipCaptureEvent", a.ip_capture_events, f"{where}.ip_capture_events")
    write_device_ids(out, "deviceId", a.device_ids, f"{where}.device_ids")
    out.leaves("priorCTReport", a.prior_ct_reports, f"{where}.prior_ct_reports")
    out.leaf("additionalInfo", a.additional_info, f"{where}.additional_info")
    out.end()
