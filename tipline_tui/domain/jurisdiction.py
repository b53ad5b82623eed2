"""Jurisdiction suggestion: where a tip's signals point, and which agencies should get it.

Pure: no I/O. IP geolocation is the one lookup that needs a database, so it is
injected (`GeoIp`); without it IP addresses are simply not signals.

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
  here through coarse bounding boxes (see `_BOXES`).
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
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from tipline_tui.domain.agency import Agency
from tipline_tui.domain.enums import US_STATES, AgencyKind, PersonRole
from tipline_tui.domain.literal import literal
from tipline_tui.domain.report import Address, Person, Phone, Report


@dataclass(frozen=True, slots=True)
class Place:
    """Where a signal points: a country, and for the US optionally a state or territory."""

    country: str  # ISO 3166-1 alpha-2, upper case
    state: str | None = None  # US state/territory postal code when country == "US"

    def label(self) -> str:
        return f"{self.country}-{self.state}" if self.state else self.country


@dataclass(frozen=True, slots=True)
class Signal:
    """One piece of evidence: its kind, the place, how strong, and why (shown literally)."""

    source: (
        str  # "legal_process" | "address" | "estimated_location" | "phone" | "coordinates" | "ip"
    )
    place: Place
    strength: float
    reason: str


@dataclass(frozen=True, slots=True)
class AgencyChoice:
    """An agency to refer to: score (place strength x rank of its kind there) and why."""

    agency: Agency
    score: float
    reasons: tuple[str, ...]


class Outcome(StrEnum):
    """Stored at intake as report.jurisdiction_outcome; NONE stays with the clearinghouse."""

    SUGGESTED = "suggested"
    CONFLICT = "conflict"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Everything an analyst needs to choose: outcome, evidence, places and agencies.

    For SUGGESTED, `places[0]` is the suggested place (a US state when one is known);
    for CONFLICT the summary names every contending place and `agencies` serves each.
    """

    outcome: Outcome
    signals: tuple[Signal, ...]  # every signal found, strongest first
    places: tuple[tuple[Place, float], ...]  # best first (see `locate`)
    agencies: tuple[AgencyChoice, ...]  # best first; empty for NONE
    summary: str
    legal_process: str | None = None


GeoIp = Callable[[str], Place | None]

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

CONFLICT_RATIO = 0.65
"""A runner-up at least this share of the best makes a conflict.

0.65 rather than 0.6 so that one phone area code elsewhere (0.5) does not
contest a reported person's address (0.8): numbers move with people. Two
independent signals elsewhere (phone and estimated location: 0.8) do.
"""

# agency rank within a place: multiplied by the place's strength
_RANK_ICAC = 1.0
_RANK_LOCAL = 0.8
_RANK_FEDERAL_STATE = 0.5  # behind the state's own task force and locals
_RANK_FEDERAL_US = 0.7  # US with no state: federal agencies are the natural first stop
_RANK_PARTNER = 1.0
_RANK_FEDERAL_ABROAD = 0.5  # HSI, which has attachés abroad

_SOURCE_WORDS = {
    "legal_process": "legal process",
    "estimated_location": "estimated location",
}

# ------------------------------------------------------------------ places

_STATE_NAMES = {
    "AK": "Alaska", "AL": "Alabama", "AR": "Arkansas", "AZ": "Arizona", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DC": "District of Columbia", "DE": "Delaware",
    "FL": "Florida", "GA": "Georgia", "GU": "Guam", "HI": "Hawaii", "IA": "Iowa", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "MA": "Massachusetts", "MD": "Maryland", "ME": "Maine", "MI": "Michigan", "MN": "Minnesota",
    "MO": "Missouri", "MS": "Mississippi", "MT": "Montana", "NC": "North Carolina",
    "ND": "North Dakota", "NE": "Nebraska", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NV": "Nevada", "NY": "New York", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "PR": "Puerto Rico", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VA": "Virginia", "VI": "U.S. Virgin Islands", "VT": "Vermont", "WA": "Washington",
    "WI": "Wisconsin", "WV": "West Virginia", "WY": "Wyoming",
}  # fmt: skip
_STATE_BY_NAME = {name.casefold(): code for code, name in _STATE_NAMES.items()} | {
    "washington d.c.": "DC",
    "washington, d.c.": "DC",
    "virgin islands": "VI",
}
_US_CODES = frozenset(US_STATES)
# codes in the schema's country list that are not places: anonymous proxy, satellite,
# other, Asia/Pacific, Europe
_NOT_PLACES = frozenset({"A1", "A2", "O1", "AP", "EU", "ZZ", "XX"})
_COUNTRY_ALIASES = {"UK": "GB", "USA": "US"}
# territories with their own ISO country code: those with a postal code among US_STATES
# become US states (PR has an ICAC; GU and VI have federal cover), the rest plain US
_US_TERRITORIES = frozenset({"PR", "GU", "VI"})
_US_WITHOUT_STATE_CODE = frozenset({"AS", "MP", "UM"})


def state_name(code: str) -> str:
    """English name of a US state or territory code (the code itself if unknown)."""
    return _STATE_NAMES.get(code, code)


def _us_state(text: str | None) -> str | None:
    """A US state code from a postal code or a name, else None."""
    if not text:
        return None
    value = text.strip()
    if value.upper() in _US_CODES:
        return value.upper()
    return _STATE_BY_NAME.get(value.casefold())


def _place(country: str | None, state: str | None = None) -> Place | None:
    """A Place from report codes; US territories with their own ISO code become US states."""
    if not country:
        return None
    code = country.strip().upper()
    code = _COUNTRY_ALIASES.get(code, code)
    if len(code) != 2 or not code.isalpha() or code in _NOT_PLACES:
        return None
    if code in _US_TERRITORIES:
        return Place("US", code)
    if code in _US_WITHOUT_STATE_CODE:
        return Place("US")
    if code == "US":
        return Place("US", _us_state(state))
    return Place(code)


# ------------------------------------------------------------------ coordinates

# (south, west, north, east) in degrees. Rough bounding boxes, not borders: a point
# resolves only when it falls in exactly one country's boxes; inside the US, in exactly
# one state's box (several states' boxes: the US only). Limits: boxes overlap along
# every border, so points near one are left to the country or skipped; Canada's boxes
# cover the Great Lakes, so most of the US north-east beside them (Detroit, Buffalo,
# Toronto) resolves to nothing; Alaska's Aleutians west of 180 are missing; only these
# countries are known.
_STATE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "AL": (30.14, -88.47, 35.01, -84.89), "AK": (51.2, -179.15, 71.4, -129.98),
    "AZ": (31.33, -114.82, 37.0, -109.04), "AR": (33.0, -94.62, 36.5, -89.64),
    "CA": (32.53, -124.41, 42.01, -114.13), "CO": (36.99, -109.06, 41.0, -102.04),
    "CT": (40.98, -73.73, 42.05, -71.79), "DE": (38.45, -75.79, 39.84, -75.05),
    "DC": (38.79, -77.12, 39.0, -76.91), "FL": (24.4, -87.63, 31.0, -80.03),
    "GA": (30.36, -85.61, 35.0, -80.84), "HI": (18.91, -160.25, 22.24, -154.81),
    "ID": (41.99, -117.24, 49.0, -111.04), "IL": (36.97, -91.51, 42.51, -87.49),
    "IN": (37.77, -88.1, 41.76, -84.78), "IA": (40.38, -96.64, 43.5, -90.14),
    "KS": (36.99, -102.05, 40.0, -94.59), "KY": (36.5, -89.57, 39.15, -81.96),
    "LA": (28.93, -94.04, 33.02, -88.82), "ME": (43.06, -71.08, 47.46, -66.95),
    "MD": (37.91, -79.49, 39.72, -75.05), "MA": (41.24, -73.51, 42.89, -69.93),
    "MI": (41.7, -90.42, 48.31, -82.41), "MN": (43.5, -97.24, 49.38, -89.49),
    "MS": (30.17, -91.66, 35.0, -88.1), "MO": (35.99, -95.77, 40.61, -89.1),
    "MT": (44.36, -116.05, 49.0, -104.04), "NE": (40.0, -104.05, 43.0, -95.31),
    "NV": (35.0, -120.01, 42.0, -114.04), "NH": (42.7, -72.56, 45.31, -70.61),
    "NJ": (38.93, -75.56, 41.36, -73.89), "NM": (31.33, -109.05, 37.0, -103.0),
    "NY": (40.5, -79.76, 45.02, -71.86), "NC": (33.84, -84.32, 36.59, -75.46),
    "ND": (45.94, -104.05, 49.0, -96.55), "OH": (38.4, -84.82, 41.98, -80.52),
    "OK": (33.62, -103.0, 37.0, -94.43), "OR": (41.99, -124.57, 46.29, -116.46),
    "PA": (39.72, -80.52, 42.27, -74.69), "RI": (41.15, -71.91, 42.02, -71.12),
    "SC": (32.03, -83.35, 35.22, -78.54), "SD": (42.48, -104.06, 45.95, -96.44),
    "TN": (34.98, -90.31, 36.68, -81.65), "TX": (25.84, -106.65, 36.5, -93.51),
    "UT": (37.0, -114.05, 42.0, -109.04), "VT": (42.73, -73.44, 45.02, -71.46),
    "VA": (36.54, -83.68, 39.47, -75.24), "WA": (45.54, -124.85, 49.0, -116.92),
    "WV": (37.2, -82.64, 40.64, -77.72), "WI": (42.49, -92.89, 47.31, -86.25),
    "WY": (40.99, -111.06, 45.01, -104.05), "PR": (17.88, -67.95, 18.52, -65.22),
}  # fmt: skip
_COUNTRY_BOXES: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "CA": (
        (49.0, -141.0, 83.1, -52.6),  # north of the 49th parallel
        (45.0, -95.2, 62.6, -52.6),  # Ontario and Quebec north of 45
        (41.68, -83.2, 45.0, -74.3),  # southern Ontario: overlaps the Great Lakes states
    ),
    "MX": ((14.53, -118.4, 25.8, -86.7), (25.8, -117.2, 31.3, -106.5), (25.8, -106.5, 29.5, -99.5)),
    "GB": ((49.9, -8.65, 60.86, 1.77),),
    "IE": ((51.42, -10.48, 55.39, -5.99),),
    "FR": ((41.33, -5.14, 51.09, 9.56),),
    "DE": ((47.27, 5.87, 55.06, 15.04),),
    "AU": ((-43.7, 113.3, -10.6, 153.6),),
    "BR": ((-33.75, -73.99, 5.27, -34.79),),
    "IN": ((6.75, 68.1, 35.5, 97.4),),
    "PH": ((4.6, 116.9, 21.1, 126.6),),
    "JP": ((24.2, 122.9, 45.6, 153.99),),
    "NG": ((4.27, 2.69, 13.89, 14.68),),
}


def _inside(lat: float, lon: float, box: tuple[float, float, float, float]) -> bool:
    south, west, north, east = box
    return south <= lat <= north and west <= lon <= east


def place_of_coordinates(lat: float, lon: float) -> tuple[Place, str] | None:
    """The place a point falls in by the bounding-box table, and how; None if unsure."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    states = [s for s, box in _STATE_BOXES.items() if _inside(lat, lon, box)]
    countries = {
        c for c, boxes in _COUNTRY_BOXES.items() if any(_inside(lat, lon, b) for b in boxes)
    }
    if states:
        countries.add("US")
    if len(countries) != 1:
        return None
    country = countries.pop()
    if country != "US":
        return Place(country), f"inside the box of {country}"
    if len(states) == 1:
        return Place("US", states[0]), f"inside the box of {state_name(states[0])} only"
    return Place("US"), f"in the boxes of {', '.join(sorted(states))}: US, state unsure"


# ------------------------------------------------------------------ signals


def _role_words(role: str) -> str:
    return {
        PersonRole.REPORTED.value: "reported person",
        PersonRole.VICTIM.value: "victim",
        PersonRole.RECIPIENT.value: "intended recipient",
    }.get(role, role)


def _text(value: str | None) -> str:
    return literal(value, multiline=False).strip()


def _address_signal(address: Address, strength: float, whose: str) -> Signal | None:
    place = _place(address.country, address.state)
    if place is None and _us_state(address.state):
        place = Place("US", _us_state(address.state))  # a US state given without a country
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
        code = _COUNTRY_ALIASES.get(hint.strip().upper(), hint.strip().upper())
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


def _phone_signal(number: phonenumbers.PhoneNumber, factor: float, whose: str) -> Signal | None:
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    label = f"phone {shown}{whose}"
    if phonenumbers.is_valid_number(number):
        region = phonenumbers.region_code_for_number(number)
    elif number.country_code != 1:
        # possible but not valid (fictional ranges such as UK 07700 900xxx): the
        # country code still names the country; +1 is shared by many, so not there
        region = phonenumbers.region_code_for_country_code(number.country_code)
    else:
        return None
    place = _place(region)
    if place is None:
        return None
    if number.country_code == 1 and place.country == "US":
        # offline geocoder: "New York, NY", "Florida", "Washington D.C." for US area codes
        area = phonenumbers.national_significant_number(number)[:3]
        from phonenumbers import geocoder  # its data takes ~0.4 s to load: only when needed

        text = geocoder.description_for_number(number, "en", region="US")
        state = place.state or _state_from_geocoder(text)
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


def _state_from_geocoder(text: str) -> str | None:
    if not text:
        return None
    tail = text.rsplit(",", 1)[-1].strip()
    return _us_state(tail) or _us_state(text)


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
    place = _place(found.country, found.state) if found is not None else None
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
        place = _place(loc.country_code, loc.region)
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
        place = _place(law.flea_country)
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
        for raw, proxy, whose in _ips(report):
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


def _ips(report: Report) -> Iterable[tuple[str, bool | None, str]]:
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


def _noisy_or(strengths: Iterable[float]) -> float:
    miss = 1.0
    for s in strengths:
        miss *= 1.0 - min(max(s, 0.0), 1.0)
    return 1.0 - miss


# ------------------------------------------------------------------ locating


def _scores(signals: Sequence[Signal]) -> tuple[dict[str, float], dict[Place, float]]:
    """Combined strength per country (all its signals) and per US state (its own)."""
    by_country: dict[str, list[float]] = {}
    by_state: dict[Place, list[float]] = {}
    for s in signals:
        by_country.setdefault(s.place.country, []).append(s.strength)
        if s.place.state:
            by_state.setdefault(s.place, []).append(s.strength)
    return (
        {c: _noisy_or(v) for c, v in by_country.items()},
        {p: _noisy_or(v) for p, v in by_state.items()},
    )


def _ranked_places(
    signals: Sequence[Signal],
) -> tuple[tuple[tuple[Place, float], ...], list[Place]]:
    """Places best first, and the contenders (one: suggested; more: a conflict).

    Countries are ordered by combined strength; within a country its states come first
    (strongest first), then the country itself: a state is the more specific answer and
    the country's figure already includes it.
    """
    countries, states = _scores(signals)
    ordered: list[tuple[Place, float]] = []
    contenders: list[Place] = []
    if not countries:
        return (), contenders
    top = max(countries.values())
    for country, score in sorted(countries.items(), key=lambda kv: (-kv[1], kv[0])):
        own = sorted(
            ((p, v) for p, v in states.items() if p.country == country),
            key=lambda pv: (-pv[1], pv[0].label()),
        )
        ordered += own
        ordered.append((Place(country), score))
        if score < CONFLICT_RATIO * top:
            continue
        if own:
            best_state = own[0][1]
            contenders += [p for p, v in own if v >= CONFLICT_RATIO * best_state]
        else:
            contenders.append(Place(country))
    return tuple(ordered), contenders


def locate(
    report: Report, *, geoip: GeoIp | None = None
) -> tuple[Outcome, tuple[tuple[Place, float], ...]]:
    """Outcome and ranked places, without agencies: cheap enough to run at intake."""
    signals = jurisdiction_signals(report, geoip=geoip)
    places, contenders = _ranked_places(signals)
    return _outcome(contenders), places


def _outcome(contenders: Sequence[Place]) -> Outcome:
    if not contenders:
        return Outcome.NONE
    return Outcome.CONFLICT if len(contenders) > 1 else Outcome.SUGGESTED


# ------------------------------------------------------------------ agencies


def _supports(signal: Signal, place: Place) -> bool:
    """Whether a signal counts for a place: same place, or the bare country of a state."""
    if signal.place == place:
        return True
    return place.state is not None and signal.place == Place(place.country)


def _has_international_reach(agency: Agency) -> bool:
    """Federal agencies that work abroad. The directory has no field for it, so by name: HSI."""
    return bool(re.search(r"\bHSI\b|homeland security investigations", agency.name, re.I))


def _candidates(
    place: Place, score: float, agencies: Sequence[Agency]
) -> list[tuple[Agency, float, str]]:
    out: list[tuple[Agency, float, str]] = []
    label = place.label()
    for agency in agencies:
        kind = (agency.kind or "").lower()
        state = (agency.state or "").upper() or None
        country = (agency.country or "").upper() or None
        if place.country == "US":
            if place.state and state == place.state and kind == AgencyKind.ICAC:
                out.append((agency, score * _RANK_ICAC, f"ICAC task force for {label}"))
            elif place.state and state == place.state and kind == AgencyKind.LOCAL:
                out.append((agency, score * _RANK_LOCAL, f"local agency in {label}"))
            elif kind == AgencyKind.FEDERAL and country in (None, "US"):
                rank = _RANK_FEDERAL_STATE if place.state else _RANK_FEDERAL_US
                why = "after the state's own agencies" if place.state else "no state known"
                out.append((agency, score * rank, f"federal agency for {label} ({why})"))
        elif kind == AgencyKind.INTERNATIONAL and country == place.country:
            out.append((agency, score * _RANK_PARTNER, f"international partner for {label}"))
        elif kind == AgencyKind.FEDERAL and _has_international_reach(agency):
            out.append(
                (
                    agency,
                    score * _RANK_FEDERAL_ABROAD,
                    f"federal agency with reach abroad, for {label}",
                )
            )
    return out


def _rank_agencies(
    contenders: Sequence[Place],
    scores: dict[Place, float],
    signals: Sequence[Signal],
    agencies: Sequence[Agency],
    urgent: bool,
) -> tuple[AgencyChoice, ...]:
    best: dict[int, tuple[Agency, float, list[str]]] = {}
    for place in contenders:
        evidence = [s.reason for s in signals if _supports(s, place)]
        for agency, score, why in _candidates(place, scores[place], agencies):
            key = id(agency)
            if key not in best:
                best[key] = (agency, score, [])
            kept, top, reasons = best[key]
            reasons += [r for r in (why, *evidence) if r not in reasons]
            best[key] = (kept, max(top, score), reasons)
    order = sorted(
        best.values(),
        key=lambda item: (
            urgent and not item[0].takes_urgent,
            -round(item[1], 9),
            item[0].name.casefold(),
        ),
    )
    return tuple(
        AgencyChoice(agency, round(score, 3), tuple(reasons)) for agency, score, reasons in order
    )


def _legal_process_note(report: Report) -> str | None:
    law = report.law_enforcement
    if law is None:
        return None
    if law.served_legal_process_international or law.flea_country:
        country = _place(law.flea_country)
        where = f" (fleaCountry {country.country})" if country else ""
        return f"legal process served internationally{where}"
    if law.served_legal_process_domestic:
        return "legal process served domestically"
    return None


def _none_summary(report: Report, geoip: GeoIp | None) -> str:
    text = "no jurisdiction can be determined: no address, phone, location or legal process"
    if geoip is None and any(True for _ in _ips(report)):
        text += " (IP addresses present; IP geolocation not configured)"
    return text


def suggest(
    report: Report,
    agencies: Sequence[Agency],
    *,
    geoip: GeoIp | None = None,
    urgent: bool = False,
) -> Suggestion:
    """Signals, places and ranked agencies for a tip, each with its reasons.

    `urgent` puts agencies that take urgent referrals first: an imminent-danger tip
    must go where someone answers now, even if a better-placed agency does not.
    """
    signals = jurisdiction_signals(report, geoip=geoip)
    places, contenders = _ranked_places(signals)
    outcome = _outcome(contenders)
    legal = _legal_process_note(report)
    if outcome is Outcome.NONE:
        return Suggestion(outcome, tuple(signals), places, (), _none_summary(report, geoip), legal)
    scores = dict(places)
    choices = _rank_agencies(contenders, scores, signals, agencies, urgent)
    if outcome is Outcome.CONFLICT:
        summary = "conflict: " + " vs ".join(p.label() for p in contenders)
    else:
        place = contenders[0]
        sources = dict.fromkeys(
            _SOURCE_WORDS.get(s.source, s.source) for s in signals if _supports(s, place)
        )
        summary = f"{place.label()} ({', '.join(sources)})"
    return Suggestion(outcome, tuple(signals), places, choices, summary, legal)
