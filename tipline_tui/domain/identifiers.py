"""Identifiers a report carries, with a normalised form for exact lookup.

The normalisation here is deliberately plain (case, spacing, address syntax);
fuzzy and provider-specific rules belong to the related-reports matcher.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace

from tipline_tui.domain.enums import IdentifierKind, PersonRole
from tipline_tui.domain.person_keys import FULL_NAME, full_name_value
from tipline_tui.domain.report import (
    DeviceId,
    Email,
    IpCaptureEvent,
    Person,
    PersonDetails,
    Phone,
    Report,
)

_NON_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True, slots=True)
class Identifier:
    kind: str
    raw: str
    norm: str
    role: str
    when: str | None = None  # when it was seen (an IP's capture time), for time-scoped keys
    calling_code: str | None = None  # the country calling code given beside a phone number


def normalise(kind: str, raw: str) -> str:
    """The exact-match key for an identifier value of a given kind."""
    value = unicodedata.normalize("NFKC", raw).strip()
    if kind == IdentifierKind.EMAIL:
        return value.casefold()
    if kind == IdentifierKind.PHONE:
        return _NON_DIGITS.sub("", value)
    if kind == IdentifierKind.IP:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return value.casefold()
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return address.compressed
    if kind in (IdentifierKind.FILE_HASH, IdentifierKind.DEVICE_ID):
        return value.casefold()
    return value.casefold()


def _ident(
    kind: IdentifierKind, raw: str | None, role: str, when: str | None = None
) -> Iterator[Identifier]:
    if raw is not None and raw.strip():
        yield Identifier(kind.value, raw, normalise(kind, raw), role, when)


def _full_name(details: PersonDetails, role: str) -> Iterator[Identifier]:
    """A person's full name with their birth date: together they tell people apart."""
    value = full_name_value(details.first_name, details.last_name, details.date_of_birth)
    if value is not None:
        yield Identifier(FULL_NAME, value, normalise(FULL_NAME, value), role)


def _emails(emails: list[Email], role: str) -> Iterator[Identifier]:
    for email in emails:
        yield from _ident(IdentifierKind.EMAIL, email.value, role)


def _phones(phones: list[Phone], role: str) -> Iterator[Identifier]:
    for phone in phones:
        code = phone.country_calling_code
        for ident in _ident(IdentifierKind.PHONE, phone.value, role):
            yield replace(ident, calling_code=code)


def _ips(events: list[IpCaptureEvent], role: str) -> Iterator[Identifier]:
    for event in events:
        yield from _ident(IdentifierKind.IP, event.ip_address, role, event.date_time)


def _devices(devices: list[DeviceId], role: str) -> Iterator[Identifier]:
    for device in devices:
        raw = f"{device.id_type}:{device.id_value}"
        yield from _ident(IdentifierKind.DEVICE_ID, raw, role)


def person_identifiers(person: Person) -> Iterator[Identifier]:
    """Every identifier of one person, including their associated accounts."""
    role = person.role
    yield from _full_name(person.person, role)
    yield from _emails(person.person.emails, role)
    yield from _phones(person.person.phones, role)
    yield from _ident(IdentifierKind.SCREEN_NAME, person.screen_name, role)
    for name in person.display_names:
        yield from _ident(IdentifierKind.DISPLAY_NAME, name, role)
    if person.esp_identifier:
        scoped = f"{person.esp_service or ''}:{person.esp_identifier}"
        yield Identifier(
            IdentifierKind.ESP_ID.value, person.esp_identifier, normalise("esp_id", scoped), role
        )
    yield from _ips(person.ip_capture_events, role)
    yield from _devices(person.device_ids, role)
    for account in person.associated_accounts:
        sub = PersonRole.ASSOCIATED.value
        yield from _full_name(account.person, sub)
        yield from _emails(account.person.emails, sub)
        yield from _phones(account.person.phones, sub)
        yield from _ident(IdentifierKind.SCREEN_NAME, account.screen_name, sub)
        for name in account.display_names:
            yield from _ident(IdentifierKind.DISPLAY_NAME, name, sub)
        yield from _ips(account.ip_capture_events, sub)
        yield from _devices(account.device_ids, sub)


def report_identifiers(report: Report) -> list[Identifier]:
    """All identifiers in a report, de-duplicated by (kind, norm, role)."""
    found: list[Identifier] = []
    for person in report.persons:
        found.extend(person_identifiers(person))
    for detail in report.internet_details:
        found.extend(_emails(detail.emails, "incident"))
        if detail.phone is not None:
            found.extend(_phones([detail.phone], "incident"))
        found.extend(_ips(detail.ip_capture_events, "incident"))
    for file in report.files:
        for file_hash in file.hashes:
            raw = f"{file_hash.hash_type}:{file_hash.value}"
            found.extend(_ident(IdentifierKind.FILE_HASH, raw, "file"))
        if file.ip_capture_event is not None:
            found.extend(_ips([file.ip_capture_event], "file"))
        found.extend(_devices(file.device_ids, "file"))
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for ident in found:
        key = (ident.kind, ident.norm, ident.role)
        if key not in seen:
            seen.add(key)
            unique.append(ident)
    return unique
