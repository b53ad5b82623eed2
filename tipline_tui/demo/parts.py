"""Builders for the pieces of a synthetic report: persons, details, files, contacts.

Each takes the report's own Random and returns fresh objects, so no two
reports share a mutable part.
"""

from __future__ import annotations

from random import Random

from tipline_tui.demo.clock import DAY, compact, iso_utc
from tipline_tui.demo.identity import (
    Identity,
    doc_ipv4,
    email_variant,
    fictional_phone,
    format_phone,
    screen_name_variant,
    stranger_phone,
)
from tipline_tui.demo.names import (
    ADDITIONAL_INFO,
    CHAT_CLIENTS,
    CHAT_ROOMS,
    CONSOLES,
    CONTENT_TEXTS,
    EMAIL_DOMAINS,
    EMAIL_TYPES,
    ESPS,
    EVENT_NAMES,
    EVENT_WEIGHTS,
    FIRST_NAMES,
    GAMES,
    HANDLE_NOUNS,
    HANDLE_WORDS,
    LE_AGENCIES,
    NEWSGROUPS,
    NON_INTERNET_PLACES,
    OTHER_HANDLE_WORDS,
    P2P_CLIENTS,
    PHONE_TYPES,
    PROFILE_BIOS,
    SCHOOLS,
    SURNAMES,
    Esp,
)
from tipline_tui.demo.pick import Table, one
from tipline_tui.demo.places import (
    COUNTRY_NAMES,
    DEMO_COUNTRIES,
    INTL_PLACES,
    STREETS,
    US_PLACES,
    Place,
)
from tipline_tui.domain.enums import FILE_ANNOTATIONS, IncidentType, PersonRole
from tipline_tui.domain.enums import InternetDetailKind as K
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
    Reporter,
)

_EVENTS = Table(EVENT_NAMES, EVENT_WEIGHTS)
_US_ONLY = Table([p for p, _ in US_PLACES], [w for _, w in US_PLACES])
_CLASSIFICATION = Table(("A1", "A2", "B1", "B2", None), (35, 15, 25, 10, 15))
_RELEVANCE = Table(("Reported", "Supplemental Reported", None), (85, 10, 5))
# Annotations a non-viral file may carry, most common first; viral/potentialMeme come separately.
_FILE_NOTES = Table(
    [a for a in FILE_ANNOTATIONS if a not in ("viral", "potentialMeme")],
    (3, 30, 6, 3, 2, 4, 6, 10),
)
_FILE_NOTE_ORDER = {a: i for i, a in enumerate(FILE_ANNOTATIONS)}
_MISLEADING_HOSTS = (
    "kids-cartoons.example.net",
    "free-games-for-kids.example.org",
    "homework-help.example.com",
    "toy-store.example.net",
)
_FIRST_PLACE = {p.country: p for p, _ in reversed(INTL_PLACES)}
_ESP_AREA = ("415", "206", "512", "312", "646", "617", "404", "303", "305", "614")


def _esp_contacts() -> dict[str, tuple[tuple[str, str, str, str], ...]]:
    """Two trust-and-safety contacts per ESP, fixed by position, no randomness needed."""
    out = {}
    for k, esp in enumerate(ESPS):
        contacts = []
        for j in range(2):
            first = FIRST_NAMES[(k * 7 + j * 13) % len(FIRST_NAMES)]
            last = SURNAMES[(k * 5 + j * 11) % len(SURNAMES)]
            email = f"{first}.{last}@{esp.slug}.example.com".lower()
            phone = f"+1 {_ESP_AREA[k % len(_ESP_AREA)]} 555 01{(k * 10 + j) % 100:02d}"
            contacts.append((first, last, email, phone))
        out[esp.slug] = tuple(contacts)
    return out


_CONTACTS = _esp_contacts()


# ------------------------------------------------------------------ people


def ip_events(rng: Random, ident: Identity, t: int, n: int) -> list[IpCaptureEvent]:
    """Logins and uploads from the identity's addresses, now and then through a proxy."""
    events = []
    for _ in range(n):
        proxy = rng.random() < 0.05
        if proxy:
            ip = doc_ipv4(rng)
        elif ident.ipv6 is not None and rng.random() < 0.3:
            ip = ident.ipv6
        else:
            ip = one(rng, ident.ipv4)
        events.append(
            IpCaptureEvent(
                ip_address=ip,
                event_name=_EVENTS.draw(rng) if rng.random() < 0.9 else None,
                date_time=iso_utc(t - int(rng.random() * 14 * DAY)),
                possible_proxy=True if proxy else (False if rng.random() < 0.3 else None),
                port=1024 + int(rng.random() * 64000) if rng.random() < 0.4 else None,
            )
        )
    return events


def home_address(ident: Identity, kind: str | None = "Home") -> Address:
    place = ident.place
    assert place is not None
    return place_address(place, ident.street, ident.zip_code, kind)


def place_address(
    place: Place, street: str | None, zip_code: str | None, kind: str | None
) -> Address:
    us = place.country == "US"
    return Address(
        address=street,
        city=place.city,
        zip_code=zip_code,
        state=place.state if us else None,
        non_usa_state=None if us else place.region,
        country=place.country,
        type=kind,
    )


def estimated(rng: Random, place: Place, t: int) -> EstimatedLocation:
    return EstimatedLocation(
        city=place.city if rng.random() < 0.85 else None,
        region=place.region,
        country_code=place.country,
        verified=False if rng.random() < 0.6 else None,
        timestamp=iso_utc(t - int(rng.random() * 3 * DAY)) if rng.random() < 0.4 else None,
    )


def reported_person(
    rng: Random, ident: Identity, esp: Esp, platform: str, t: int, pool: int | None = None
) -> Person:
    """The identity as this ESP saw it: a few identifiers, spelled this report's way.

    `pool` is the run's number of people: handles stay one person's (`screen_name_variant`).
    """
    details = PersonDetails()
    if rng.random() < 0.35:
        details.first_name = ident.first if rng.random() < 0.9 else ident.first[0]
        details.last_name = ident.last
    if rng.random() < 0.55:
        details.emails.append(Email(email_variant(rng, ident), verified=_maybe_bool(rng)))
        if rng.random() < 0.12:
            details.emails.append(Email(email_variant(rng, ident), type=one(rng, EMAIL_TYPES)))
    if ident.phone is not None and rng.random() < 0.3:
        value, code = format_phone(rng, ident.phone)
        details.phones.append(Phone(value, type=one(rng, PHONE_TYPES), country_calling_code=code))
    place = ident.place
    if place is not None and rng.random() < 0.12:
        details.addresses.append(home_address(ident, "Home" if rng.random() < 0.7 else "Billing"))
    if ident.age is not None and rng.random() < 0.15:
        details.age = ident.age
    person = Person(role=PersonRole.REPORTED.value, person=details)
    screen = screen_name_variant(rng, ident, pool)
    if rng.random() < 0.9:
        person.screen_name = screen
    if rng.random() < 0.85:
        person.esp_identifier = ident.esp_id(esp)
    if rng.random() < 0.6:
        person.esp_service = platform
    r = rng.random()
    if r < 0.45:
        person.display_names.append(ident.display_name)
    elif r < 0.6:
        person.display_names.append(ident.alt_display_name)
    if rng.random() < 0.3:
        person.profile_urls.append(f"https://{esp.slug}.example.com/u/{screen}")
    if rng.random() < 0.7:
        person.ip_capture_events = ip_events(rng, ident, t, 1 + int(rng.random() * 3))
    if ident.devices and rng.random() < 0.3:
        kind, value = one(rng, ident.devices)
        person.device_ids.append(DeviceId(kind, value, event_name="Login", date_time=iso_utc(t)))
    if place is not None and rng.random() < 0.45:
        person.estimated_location = estimated(rng, place, t)
    if rng.random() < 0.1:
        person.profile_bio = one(rng, PROFILE_BIOS)
    if rng.random() < 0.3:
        person.permanently_disabled = AccountDisabled(
            True,
            disabled_date=iso_utc(t + int(rng.random() * DAY)),
            user_notified=rng.random() < 0.5,
        )
    if rng.random() < 0.04:
        person.associated_accounts.append(_associated(rng, ident, esp, pool))
    if rng.random() < 0.05:
        person.additional_info.append(one(rng, ADDITIONAL_INFO))
    return person


def _associated(rng: Random, ident: Identity, esp: Esp, pool: int | None) -> AssociatedAccount:
    other = one(rng, ident.esps)
    if other is esp:
        other = one(rng, ESPS)
    details = PersonDetails()
    if rng.random() < 0.6:
        details.emails.append(Email(email_variant(rng, ident)))
    return AssociatedAccount(
        type="Linked",
        platform=other.platforms[0],
        person=details,
        esp_service=other.platforms[0],
        esp_identifier=ident.esp_id(other),
        screen_name=screen_name_variant(rng, ident, pool),
    )


def _maybe_bool(rng: Random) -> bool | None:
    r = rng.random()
    return True if r < 0.3 else False if r < 0.4 else None


def other_person(rng: Random, role: str, place: Place | None, t: int) -> Person:
    """A victim or intended recipient: not in the identity pool, never named."""
    person = Person(role=role)
    if rng.random() < 0.75:
        low = 9 if role == PersonRole.VICTIM.value else 11
        person.person.age = low + int(rng.random() * (18 - low))
    if rng.random() < 0.45:
        word, noun = one(rng, OTHER_HANDLE_WORDS), one(rng, HANDLE_NOUNS)
        person.screen_name = f"{word}{noun}{int(rng.random() * 10_000)}"
    if rng.random() < 0.25:
        person.esp_identifier = str(100_000_000 + int(rng.random() * 800_000_000))
    if place is not None and rng.random() < 0.3:
        person.estimated_location = estimated(rng, place, t)
    if role == PersonRole.VICTIM.value and rng.random() < 0.1:
        person.school_name = one(rng, SCHOOLS)
    return person


# ------------------------------------------------------------------ internet details


def _throwaway_email(rng: Random) -> str:
    word, noun = one(rng, HANDLE_WORDS), one(rng, HANDLE_NOUNS)
    return f"{word}{noun}{int(rng.random() * 1000)}@{one(rng, EMAIL_DOMAINS)}"


def _incident_phone(rng: Random, ident: Identity | None) -> Phone | None:
    """The number in a cell-phone incident: the person's own, a stranger's, or none known.

    A pool person whose place has no fictional number left has no phone on record,
    so the ESP reports the incident without one (phoneNumber is optional).
    """
    if ident is None:
        phone = stranger_phone(rng)
    elif ident.phone is None:
        return None
    else:
        phone = ident.phone
    value, code = format_phone(rng, phone)
    return Phone(value, type="Mobile", country_calling_code=code)


def _web_page(rng: Random, d: InternetDetail, esp: Esp, incident: str) -> None:
    if incident == IncidentType.MISLEADING_DOMAIN:
        d.urls.append(f"https://{one(rng, _MISLEADING_HOSTS)}/")
        return
    for _ in range(1 + int(rng.random() * 2.5)):
        d.urls.append(f"https://{esp.slug}.example.com/p/{rng.getrandbits(40):010x}")
    if rng.random() < 0.2:
        d.urls.append(f"https://files.example.net/s/{rng.getrandbits(48):012x}")
        d.third_party_hosted_content = True


def _non_internet(rng: Random, d: InternetDetail, ident: Identity | None) -> None:
    d.location_name = one(rng, NON_INTERNET_PLACES)
    place = ident.place if ident is not None and ident.place is not None else None
    if place is None:
        place = _US_ONLY.draw(rng)
    street = f"{1 + int(rng.random() * 9899)} {one(rng, STREETS)}"
    zip_code = place.postcode
    if place.country == "US":
        zip_code = f"{place.postcode}{int(rng.random() * 100):02d}"
    d.addresses.append(place_address(place, street, zip_code, None))


def _peer_to_peer(rng: Random, d: InternetDetail, ident: Identity | None, t: int) -> None:
    d.client = one(rng, P2P_CLIENTS)
    if ident is not None:
        d.ip_capture_events = ip_events(rng, ident, t, 1 + int(rng.random() * 3))
        for e in d.ip_capture_events:
            e.event_name = "Upload" if rng.random() < 0.6 else "Other"
            e.port = 6881 + int(rng.random() * 119)
    else:
        d.ip_capture_events.append(IpCaptureEvent(doc_ipv4(rng), "Upload", iso_utc(t)))
    d.file_names = "; ".join(file_name(rng, t) for _ in range(1 + int(rng.random() * 3)))


def internet_detail(
    rng: Random, kind: str, esp: Esp, ident: Identity | None, t: int, incident: str
) -> InternetDetail:
    """One internetDetails element of `kind`, filled the way such a report would be."""
    d = InternetDetail(kind=kind)
    if kind == K.WEB_PAGE:
        _web_page(rng, d, esp, incident)
    elif kind in (K.EMAIL, K.NEWSGROUP):
        if kind == K.NEWSGROUP:
            d.name = one(rng, NEWSGROUPS)
        value = email_variant(rng, ident) if ident is not None else _throwaway_email(rng)
        d.emails.append(Email(value))
        if rng.random() < 0.6:
            d.content = one(rng, CONTENT_TEXTS)
    elif kind == K.CHAT_IM:
        d.chat_client = one(rng, CHAT_CLIENTS)
        if rng.random() < 0.5:
            d.chat_room_name = one(rng, CHAT_ROOMS).format(n=int(rng.random() * 9000) + 100)
        if rng.random() < 0.7:
            d.content = one(rng, CONTENT_TEXTS)
    elif kind == K.ONLINE_GAMING:
        d.game_name = one(rng, GAMES)
        d.console = one(rng, CONSOLES)
        if rng.random() < 0.5:
            d.content = one(rng, CONTENT_TEXTS)
    elif kind == K.CELL_PHONE:
        d.phone = _incident_phone(rng, ident)
        place = ident.place if ident is not None else None
        if place is not None and rng.random() < 0.5:
            d.latitude = round(place.lat + (rng.random() - 0.5) * 0.1, 5)
            d.longitude = round(place.lon + (rng.random() - 0.5) * 0.1, 5)
    elif kind == K.NON_INTERNET:
        _non_internet(rng, d, ident)
    elif kind == K.PEER_TO_PEER:
        _peer_to_peer(rng, d, ident, t)
    if rng.random() < 0.15:
        d.additional_info = one(rng, ADDITIONAL_INFO)
    return d


# ------------------------------------------------------------------ files


def file_name(rng: Random, t: int) -> str:
    r = int(rng.random() * 5)
    if r == 0:
        return f"IMG_{int(rng.random() * 10000):04d}.jpg"
    if r == 1:
        return f"VID_{compact(t - int(rng.random() * 30 * DAY))}.mp4"
    if r == 2:
        return f"image{int(rng.random() * 1000)}.png"
    if r == 3:
        return f"upload_{rng.getrandbits(24):06x}.jpg"
    return f"Screenshot_{compact(t - int(rng.random() * 30 * DAY))}.png"


def file_details(
    rng: Random,
    esp: Esp,
    t: int,
    ident: Identity | None,
    hashes: tuple[str, str] | None,
    name: str | None,
    annotations: list[str],
) -> FileDetails:
    """Metadata of one file; `hashes` reuses a known file (viral or re-uploaded)."""
    file_id = f"{rng.getrandbits(128):032x}"
    if hashes is None:
        hashes = (f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(160):040x}")
    md5, sha1 = hashes
    f = FileDetails(
        file_id=file_id,
        file_name=name or file_name(rng, t),
        hashes=[FileHash("MD5", md5)] + ([FileHash("SHA1", sha1)] if rng.random() < 0.7 else []),
        industry_classification=_CLASSIFICATION.draw(rng),
        file_relevance=_RELEVANCE.draw(rng),
    )
    if not annotations and rng.random() < 0.12:
        annotations = [_FILE_NOTES.draw(rng)]
        if rng.random() < 0.2:
            extra = _FILE_NOTES.draw(rng)
            if extra not in annotations:
                annotations.append(extra)
    f.annotations = sorted(annotations, key=_FILE_NOTE_ORDER.__getitem__)
    r = rng.random()
    f.file_viewed_by_esp = True if r < 0.55 else False if r < 0.85 else None
    if f.file_viewed_by_esp:
        r = rng.random()
        f.exif_viewed_by_esp = True if r < 0.2 else False if r < 0.6 else None
    elif f.file_viewed_by_esp is False and rng.random() < 0.5:
        f.exif_viewed_by_esp = False
    r = rng.random()
    f.publicly_available = True if r < 0.2 else False if r < 0.7 else None
    if rng.random() < 0.3:
        f.original_file_name = file_name(rng, t)
    if rng.random() < 0.8:
        f.uploaded_to_esp_timestamp = iso_utc(t - int(rng.random() * 2 * DAY))
    if rng.random() < 0.3:
        f.location_of_file = f"https://cdn.{esp.slug}.example.com/f/{file_id[:12]}"
    if ident is not None and rng.random() < 0.3:
        f.ip_capture_event = IpCaptureEvent(one(rng, ident.ipv4), "Upload", iso_utc(t))
    if f.exif_viewed_by_esp and rng.random() < 0.5:
        f.details.append(
            FileMetadataGroup(
                "EXIF",
                [NameValue("Make", "DemoCam"), NameValue("Model", "Example X1 (demo)")],
            )
        )
    return f


# ------------------------------------------------------------------ reporter, law enforcement


def reporter(rng: Random, esp: Esp) -> Reporter:
    """The ESP's trust-and-safety contact who filed the report."""
    first, last, email, phone = one(rng, _CONTACTS[esp.slug])
    rep = Reporter(
        reporting_person=PersonDetails(
            first_name=first,
            last_name=last,
            emails=[Email(email, type="Work")],
            phones=[Phone(phone, type="Work")],
        ),
        legal_url=f"https://{esp.slug}.example.com/legal/law-enforcement",
    )
    if rng.random() < 0.3:
        rep.company_template = f"{esp.name} standard report template (synthetic)"
    if rng.random() < 0.2:
        rep.terms_of_service = f"{esp.name} terms prohibit child exploitation (synthetic)"
    return rep


def law_enforcement(rng: Random, ident: Identity | None, t: int) -> LawEnforcement:
    """A block saying police already know: domestic, or a foreign agency with fleaCountry."""
    place = ident.place if ident is not None else None
    international = rng.random() < (0.8 if place is not None and place.country != "US" else 0.3)
    if place is not None and place.country != "US":
        country = place.country
    else:
        country = one(rng, DEMO_COUNTRIES)
    if international:
        agency = f"National Police of {COUNTRY_NAMES[country]} (demo)"
    else:
        agency = one(rng, LE_AGENCIES)
    le = LawEnforcement(
        agency_name=agency,
        case_number=f"DEMO-{iso_utc(t)[:4]}-{int(rng.random() * 1_000_000):06d}",
        reported_to_le=True,
        served_legal_process_domestic=(True if rng.random() < 0.5 else None)
        if not international
        else None,
        served_legal_process_international=True if international else None,
        flea_country=country if international else None,
    )
    if rng.random() < 0.5:
        first, last = one(rng, FIRST_NAMES), one(rng, SURNAMES)
        office = _FIRST_PLACE[country] if international else _US_ONLY.draw(rng)
        phone = fictional_phone(rng, office)
        le.officer = ContactPerson(
            first_name=first,
            last_name=last,
            emails=[Email(f"{first}.{last}@police.example.org".lower(), type="Work")],
            phones=[Phone(format_phone(rng, phone)[0], type="Work")] if phone else [],
        )
    return le
