"""Jurisdiction signals: every place a tip points to, each with a strength and a reason.

Each signal has a strength in 0..1, roughly "how likely this alone puts the
offender in that place". Signals for the same place combine as a noisy-OR
(independent pieces of evidence: 1 - prod(1 - s)), and every signal at a US
state also counts for "US". The reporter's own address is never a signal: it
says where the ESP is, not where the offence or the offender is.

Strengths, and why:
- legal process served internationally (`fleaCountry`) 0.9: a police force of
  that country is already investigating; the strongest hint the report can carry.
- address of a reported person 0.8: what the ESP knows of where the person lives
  (often billing or verified data).
- coordinates of a cell-phone incident 0.7: a measured position, but resolved
  here through coarse bounding boxes (see `jurisdiction_places`).
- an incident's own address (non-internet incident) 0.7: where it happened.
- estimated location 0.6: the ESP's IP or device based guess.
- phone with a state (US area code) 0.5, with a country only 0.4: numbers travel
  with people (mobile numbers keep their area code after a move).
- address of a victim or intended recipient 0.5: the child's location matters
  for protection, but the case usually goes where the offender is.
- IP geolocation 0.4, 0.2 when the ESP marked it a possible proxy: VPNs,
  carrier NAT and database error make it weak alone.
Victims' and recipients' phones count at three quarters of a reported person's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from tipline_tui.domain.enums import PersonRole
from tipline_tui.domain.jurisdiction_places import (
    COUNTRY_ALIASES,
    GeoIp,
    Place,
    place_of,
    place_of_coordinates,
    state_name,
    us_state,
)
from tipline_tui.domain.literal import literal
from tipline_tui.domain.report import Address, Person, Phone, Report


@dataclass(frozen=True, slots=True)
class Signal:
    """One piece of evidence: its kind, the place, how strong, and why (shown literally)."""

    source: (
        str  # "legal_process" | "address" | "estimated_location" | "phone" | "coordinates" | "ip"
    )
    place: Place
    strength: float
    reason: str


# ------------------------------------------------------------------ strengths

LEGAL_PROCESS = 0.9
ADDRESS_REPORTED = 0.8
ADDRESS_INCIDENT = 0.7
ADDRESS_OTHER = 0.5
COORDINATES = 0.7
ESTIMATED_LOCATION = 0.6
PHONE_STATE = 0.5
PHONE_COUNTRY = 0.4
OTHER_PERSON_FACTOR = 0.75
IP = 0.4
IP_PROXY = 0.2


def _role_words(role: str) -> str:
    return {
        PersonRole.REPORTED.value: "reported person",
        PersonRole.VICTIM.value: "victim",
        PersonRole.RECIPIENT.value: "intended recipient",
    }.get(role, role)


def _text(value: str | None) -> str:
    return literal(value, multiline=False).strip()


def _address_signal(address: Address, strength: float, whose: str) -> Signal | None:
    place = place_of(address.country, address.state)
    if place is None and us_state(address.state):
        place = Place("US", us_state(address.state))  # a US state given without a country
    if place is None:
        return None
    region = address.state if place.country == "US" else address.non_usa_state
    parts = [_text(p) for p in (address.city, region, place.country) if p and _text(p)]
    return Signal("address", place, strength, f"address of {whose}: {', '.join(parts)}")


def _country_hints(report: Report) -> tuple[str, ...]:
    """Countries the report names (not the reporter's), to read numbers written without +code."""
    hints: list[str] = []
    for person in report.persons:
        hints += [a.country for a in person.person.addresses if a.country]
        if person.estimated_location and person.estimated_location.country_code:
            hints.append(person.estimated_location.country_code)
    for detail in report.internet_details:
        hints += [a.country for a in detail.addresses if a.country]
    out: list[str] = []
    for hint in hints:
        code = COUNTRY_ALIASES.get(hint.strip().upper(), hint.strip().upper())
        if code in phonenumbers.SUPPORTED_REGIONS and code not in out:
            out.append(code)
    if "US" not in out:
        out.append("US")
    return tuple(out)


def _parse_phone(phone: Phone, hints: tuple[str, ...]) -> phonenumbers.PhoneNumber | None:
    """The number as the ESP meant it: its own +code first, then the report's countries."""
    raw = (phone.value or "").strip()
    if not raw:
        return None
    cc = (phone.country_calling_code or "").strip()
    attempts: list[tuple[str, str | None]] = []
    if raw.startswith("+"):
        attempts.append((raw, None))
    elif cc.lstrip("+").isdigit():
        attempts.append((f"+{cc.lstrip('+')} {raw}", None))
    attempts += [(raw, region) for region in hints]
    possible = None
    for text, region in attempts:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
        if possible is None and phonenumbers.is_possible_number(number):
            possible = number
    return possible


def load_phone_geodata() -> None:
    """Load the phone geocoder's data now (about 2 s of imports): a long-running client
    calls this once, off its event loop, so the first tip with a phone number, maybe an
    urgent one, is not held up by it."""
    from phonenumbers import geocoder  # noqa: F401


def _phone_signal(number: phonenumbers.PhoneNumber, factor: float, whose: str) -> Signal | None:
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    label = f"phone {shown}{whose}"
    if phonenumbers.is_valid_number(number):
        region = phonenumbers.region_code_for_number(number)
    elif number.country_code is not None and number.country_code != 1:
        # possible but not valid (fictional ranges such as UK 07700 900xxx): the
        # country code still names the country; +1 is shared by many, so not there
        region = phonenumbers.region_code_for_country_code(number.country_code)
    else:
        return None
    place = place_of(region)
    if place is None:
        return None
    if number.country_code == 1 and place.country == "US":
        # offline geocoder: "New York, NY", "Florida", "Washington D.C." for US area codes
        area = phonenumbers.national_significant_number(number)[:3]
        state = place.state or _state_from_geocoder(number)
        if state:
            return Signal(
                "phone",
                Place("US", state),
                PHONE_STATE * factor,
                f"{label}: area code {area}, {state_name(state)}",
            )
        return Signal("phone", Place("US"), PHONE_COUNTRY * factor, f"{label}: US, area {area}")
    from phonenumbers import geocoder

    name = geocoder.country_name_for_number(number, "en") or place.country
    return Signal("phone", place, PHONE_COUNTRY * factor, f"{label}: {name}")


def _state_from_geocoder(number: phonenumbers.PhoneNumber) -> str | None:
    """The US state phonenumbers' offline geocoder names for a +1 number ("New York, NY",
    "Florida"), read only when the number's region (a territory such as PR is a state
    already) does not say; only the geocoder's +1 data is loaded (us_phone_areas.py)."""
    from tipline_tui.domain.us_phone_areas import area_description

    text = area_description(number)
    if not text:
        return None
    tail = text.rsplit(",", 1)[-1].strip()
    return us_state(tail) or us_state(text)


def _ip_signal(raw: str, geoip: GeoIp, proxy: bool | None, whose: str) -> Signal | None:
    text = raw.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]  # [v6]:port
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]  # v4:port
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    found = geoip(str(address))
    # whatever the database says, in this module's terms: PR as US-PR, unknown states dropped
    place = place_of(found.country, found.state) if found is not None else None
    if place is None:
        return None
    strength = IP_PROXY if proxy else IP
    note = ", possible proxy" if proxy else ""
    return Signal(
        "ip", place, strength, f"IP {address}{whose}{note}: geolocated to {place.label()}"
    )


def _person_signals(person: Person) -> Iterable[Signal | None]:
    reported = person.role == PersonRole.REPORTED.value
    whose = _role_words(person.role)
    for address in person.person.addresses:
        yield _address_signal(address, ADDRESS_REPORTED if reported else ADDRESS_OTHER, whose)
    loc = person.estimated_location
    if loc is not None:
        place = place_of(loc.country_code, loc.region)
        if place is not None:
            parts = [_text(p) for p in (loc.city, loc.region, loc.country_code) if _text(p)]
            verified = " (verified)" if loc.verified else ""
            strength = ESTIMATED_LOCATION if reported else ESTIMATED_LOCATION * OTHER_PERSON_FACTOR
            yield Signal(
                "estimated_location",
                place,
                strength,
                f"estimated location of {whose}: {', '.join(parts)}{verified}",
            )


def jurisdiction_signals(report: Report, *, geoip: GeoIp | None = None) -> list[Signal]:
    """Every place the report points to, strongest first; duplicates kept once."""
    found: list[Signal | None] = []
    law = report.law_enforcement
    if law is not None and law.flea_country:
        place = place_of(law.flea_country)
        if place is not None:
            found.append(
                Signal(
                    "legal_process",
                    place,
                    LEGAL_PROCESS,
                    f"legal process served internationally (fleaCountry {place.country})",
                )
            )
    hints = _country_hints(report)
    for person in report.persons:
        if person.role in (PersonRole.REPORTED, PersonRole.VICTIM, PersonRole.RECIPIENT):
            found += _person_signals(person)
    for detail in report.internet_details:
        for address in detail.addresses:
            found.append(_address_signal(address, ADDRESS_INCIDENT, "the incident"))
        if detail.latitude is not None and detail.longitude is not None:
            where = place_of_coordinates(detail.latitude, detail.longitude)
            if where is not None:
                place, how = where
                found.append(
                    Signal(
                        "coordinates",
                        place,
                        COORDINATES,
                        f"cell-phone incident at {detail.latitude:.4f}, "
                        f"{detail.longitude:.4f}: {how}",
                    )
                )
    found += _phone_signals(report, hints)
    if geoip is not None:
        for raw, proxy, whose in report_ips(report):
            found.append(_ip_signal(raw, geoip, proxy, whose))
    best: dict[tuple[str, Place, str], Signal] = {}
    for signal in found:
        if signal is None:
            continue
        key = (signal.source, signal.place, signal.reason)
        if key not in best or best[key].strength < signal.strength:
            best[key] = signal
    return sorted(best.values(), key=lambda s: (-s.strength, s.place.label(), s.reason))


def _phone_signals(report: Report, hints: tuple[str, ...]) -> list[Signal | None]:
    """One signal per number: a number both a person's and the incident's counts once."""
    phones: list[tuple[Phone, float, str]] = []
    for person in report.persons:
        if person.role == PersonRole.REPORTED.value:
            phones += [(p, 1.0, "") for p in person.person.phones]
        elif person.role in (PersonRole.VICTIM, PersonRole.RECIPIENT):
            whose = f" ({_role_words(person.role)})"
            phones += [(p, OTHER_PERSON_FACTOR, whose) for p in person.person.phones]
    for detail in report.internet_details:
        if detail.phone is not None:
            phones.append((detail.phone, 1.0, " (cell-phone incident)"))
    best: dict[str, Signal] = {}
    for phone, factor, whose in phones:
        number = _parse_phone(phone, hints)
        if number is None:
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        signal = _phone_signal(number, factor, whose)
        if signal is not None and (e164 not in best or best[e164].strength < signal.strength):
            best[e164] = signal
    return list(best.values())


def report_ips(report: Report) -> Iterable[tuple[str, bool | None, str]]:
    """IP addresses of reported people (and their linked accounts), incidents and uploads."""
    seen: set[str] = set()
    events = []
    for person in report.persons:
        if person.role == PersonRole.REPORTED.value:
            events += [(e, " (reported person)") for e in person.ip_capture_events]
            for account in person.associated_accounts:
                events += [(e, " (linked account)") for e in account.ip_capture_events]
    for detail in report.internet_details:
        events += [(e, " (incident)") for e in detail.ip_capture_events]
    for file in report.files:
        if file.ip_capture_event is not None:
            events.append((file.ip_capture_event, " (file upload)"))
    for event, whose in events:
        if event.ip_address and event.ip_address not in seen:
            seen.add(event.ip_address)
            yield event.ip_address, event.possible_proxy, whose
