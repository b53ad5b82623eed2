"""The fictional people behind the reports, and how their identifiers vary.

An identity is a pure function of (seed, number), so any report can be
generated on its own and the pool never has to be held in memory whole.
Each report then shows the identity through one platform's eyes: a
username spelled a little differently, an email with a +tag, a phone
written another way. That variation is what the related-reports matcher
must see through, and the ground truth says who was really who.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from tipline_tui.demo.names import (
    DEVICE_TYPES,
    EMAIL_DOMAIN_WEIGHTS,
    EMAIL_DOMAINS,
    ESPS,
    FIRST_NAMES,
    HANDLE_NOUNS,
    HANDLE_WORDS,
    NICKNAMES,
    SURNAMES,
    Esp,
)
from tipline_tui.demo.pick import Table, one
from tipline_tui.demo.places import INTL_PLACES, STREETS, US_PLACES, Place

_DOC_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")
_LEET = str.maketrans({"o": "0", "i": "1", "e": "3", "a": "4", "s": "5"})
_SEPARATORS = ("", "", "", "_", ".", "-")
_ACCOUNT_SPACE = 9_000_000_000
_ACCOUNT_STEP = 7_368_787  # coprime with _ACCOUNT_SPACE: distinct numbers, distinct accounts

_US_TABLE = Table([p for p, _ in US_PLACES], [w for _, w in US_PLACES])
_INTL_TABLE = Table([p for p, _ in INTL_PLACES], [w for _, w in INTL_PLACES])
_DOMAIN_TABLE = Table(EMAIL_DOMAINS, EMAIL_DOMAIN_WEIGHTS)
_ESP_TABLE = Table(range(len(ESPS)), [e.weight for e in ESPS])


@dataclass(frozen=True, slots=True)
class Identity:
    """One fictional person. Immutable: reports build fresh objects from it."""

    number: int
    first: str
    last: str
    handle: tuple[str, str, str]  # word, noun, digits ("" for none)
    handle_sep: str
    handle_case: int  # 0 lower, 1 Title, 2 UPPER
    email_locals: tuple[str, ...]
    email_domains: tuple[str, str]  # usual, alternate
    place: Place | None
    street: str | None
    zip_code: str | None
    phone: tuple[str, str, str] | None  # plan, area code, subscriber digits
    ipv4: tuple[str, ...]
    ipv6: str | None
    devices: tuple[tuple[str, str], ...]
    esps: tuple[Esp, ...]
    uid: int  # distinct per identity, so account numbers never collide
    display_name: str
    alt_display_name: str
    age: int | None
    files: tuple[tuple[str, str], ...]  # (md5, sha1) the person re-uploads

    @property
    def screen_name(self) -> str:
        """The canonical spelling of the handle."""
        return _join(self.handle, self.handle_sep, self.handle_case)

    def esp_id(self, esp: Esp) -> str:
        """The account number this identity has on `esp` (stable across reports)."""
        return str(1_000_000_000 + (self.uid + esp.salt * 7919) % _ACCOUNT_SPACE)


def _join(parts: tuple[str, str, str], sep: str, case: int) -> str:
    word, noun, digits = parts
    if case == 1:
        word, noun = word.title(), noun.title()
    text = f"{word}{sep}{noun}"
    if digits:
        text = f"{text}{sep if len(digits) > 2 else ''}{digits}"
    return text.upper() if case == 2 else text


def doc_ipv4(rng: Random) -> str:
    """An address from the three IPv4 documentation networks (RFC 5737)."""
    return f"{one(rng, _DOC_NETS)}{1 + int(rng.random() * 254)}"


def doc_ipv6(rng: Random) -> str:
    """An address in 2001:db8::/32 (RFC 3849)."""
    a, b, c = rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16)
    return f"2001:db8:{a:x}:{b:x}::{c:x}"


def device_value(rng: Random, kind: str) -> str:
    """A fake device id: test-range IMEIs, documentation MACs, random ids."""
    if kind == "IMEI":
        return f"001010{rng.getrandbits(30) % 1_000_000_000:09d}"
    if kind == "Android ID":
        return f"{rng.getrandbits(64):016x}"
    if kind == "MAC":
        return f"00:00:5E:00:53:{rng.getrandbits(8):02X}"
    h = f"{rng.getrandbits(128):032X}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Number blocks reserved for fiction, per place: (plan, area code, block prefix, free digits).
# NANP: 555-0100..0199 in each of the place's area codes. UK: Ofcom's drama numbers
# (020 7946 0xxx, 0161 496 0xxx, 0141/0131 496 0xxx, 01632 960xxx). Australia: ACMA's
# fictitious landline blocks (0x 5550 xxxx, 0x 7010 xxxx). 07700 900xxx is kept for
# people outside the pool (strangers' numbers in incident details), so those never
# collide with a pool person's number.
_GB_BLOCKS = {
    "London": (("gb", "20", "79460", 3),),
    "Manchester": (("gb", "161", "4960", 3), ("gb", "1632", "960", 3)),
    "Glasgow": (("gb", "141", "4960", 3), ("gb", "131", "4960", 3)),
}
_AU_BLOCKS = {
    "Sydney": (("au", "2", "5550", 4), ("au", "2", "7010", 4)),
    "Melbourne": (("au", "3", "5550", 4), ("au", "3", "7010", 4)),
}
_STRANGER_BLOCK = ("gb", "7700", "900", 3)

Block = tuple[str, str, str, int]


def phone_blocks(place: Place | None) -> tuple[Block, ...]:
    """The fictional number blocks a person living at `place` can have a number in."""
    if place is None or place.phone_plan is None:
        return ()
    if place.phone_plan == "nanp":
        return tuple(("nanp", area, "01", 2) for area in place.area_codes)
    table = _GB_BLOCKS if place.phone_plan == "gb" else _AU_BLOCKS
    return table.get(place.city, ())


def _block_number(blocks: tuple[Block, ...], k: int) -> tuple[str, str, str] | None:
    for plan, area, prefix, width in blocks:
        if k < 10**width:
            return plan, area, f"{prefix}{k:0{width}d}"
        k -= 10**width
    return None


def fictional_phone(rng: Random, place: Place | None) -> tuple[str, str, str] | None:
    """Any number of `place`'s fictional blocks (for office lines; may repeat)."""
    blocks = phone_blocks(place)
    if not blocks:
        return None
    return _block_number(blocks, int(rng.random() * sum(10 ** b[3] for b in blocks)))


def stranger_phone(rng: Random) -> tuple[str, str, str]:
    """A number for someone outside the identity pool: never a pool person's number."""
    plan, area, prefix, width = _STRANGER_BLOCK
    return plan, area, f"{prefix}{int(rng.random() * 10**width):0{width}d}"


class _PhoneBook:
    """Fictional numbers handed out in identity order: one person, one number.

    Real numbers belong to one subscriber; drawing from the 100-number NANP
    blocks at random made thousands of distinct fictional people share a
    number. Identity n gets the next free number of its place's blocks, so
    the answer depends only on (seed, n), never on the size of the store;
    when a place's blocks are used up, later people have no phone on record.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.slots: list[int] = []  # per identity number: its index in its place's blocks
        self.used: dict[tuple[Block, ...], int] = {}

    def number_of(self, number: int, place: Place | None) -> tuple[str, str, str] | None:
        while len(self.slots) <= number:
            blocks = phone_blocks(_place_draw(self.seed, len(self.slots))[0])
            k = self.used.get(blocks, 0)
            self.used[blocks] = k + 1
            self.slots.append(k)
        return _block_number(phone_blocks(place), self.slots[number])


_PHONE_BOOKS: dict[int, _PhoneBook] = {}


def _phone_book(seed: int) -> _PhoneBook:
    book = _PHONE_BOOKS.get(seed)
    if book is None:
        if len(_PHONE_BOOKS) > 8:
            _PHONE_BOOKS.clear()
        book = _PHONE_BOOKS[seed] = _PhoneBook(seed)
    return book


def _place_draw(seed: int, number: int) -> tuple[Place | None, str | None, str | None]:
    """Where identity `number` lives (its own random stream, so the phone book can ask cheaply)."""
    rng = Random(f"tipline-demo/place/{seed}/{number}")
    r = rng.random()
    place = _US_TABLE.draw(rng) if r < 0.70 else _INTL_TABLE.draw(rng) if r < 0.88 else None
    street = zip_code = None
    if place is not None:
        street = f"{1 + int(rng.random() * 9899)} {one(rng, STREETS)}"
        zip_code = (
            f"{place.postcode}{int(rng.random() * 100):02d}"
            if place.country == "US"
            else place.postcode
        )
    return place, street, zip_code


# Handles are unique per person, as a platform guarantees: identity n takes word/noun
# combination n (permuted) in round n // combinations; round 0 has no digits, later
# rounds a number (or a birth year) no other person with that combination has.
_COMBOS = len(HANDLE_WORDS) * len(HANDLE_NOUNS)
_COMBO_STEP = 7919  # prime, coprime with _COMBOS
_DIGIT_FORMS = tuple(str(i) for i in range(100)) + tuple(str(1900 + i) for i in range(100))
_DIGIT_STEP = 77  # coprime with len(_DIGIT_FORMS)


def _handle(number: int) -> tuple[str, str, str]:
    round_, j = divmod(number, _COMBOS)
    combo = (j * _COMBO_STEP + round_ * 1009) % _COMBOS
    word, noun = HANDLE_WORDS[combo // len(HANDLE_NOUNS)], HANDLE_NOUNS[combo % len(HANDLE_NOUNS)]
    if round_ == 0:
        digits = ""
    elif round_ <= len(_DIGIT_FORMS):
        digits = _DIGIT_FORMS[(round_ * _DIGIT_STEP + combo) % len(_DIGIT_FORMS)]
    else:
        digits = str(2000 + round_)
    return word, noun, digits


_WORD_INDEX = {w: i for i, w in enumerate(HANDLE_WORDS)}
_NOUN_INDEX = {n: i for i, n in enumerate(HANDLE_NOUNS)}
_FORM_INDEX = {form: i for i, form in enumerate(_DIGIT_FORMS)}
_COMBO_INVERSE = pow(_COMBO_STEP, -1, _COMBOS)
_DIGIT_INVERSE = pow(_DIGIT_STEP, -1, len(_DIGIT_FORMS))


def handle_owner(word: str, noun: str, digits: str) -> int | None:
    """Whose canonical handle (word, noun, digits) is, if anyone's: `_handle` inverted."""
    combo = _WORD_INDEX[word] * len(HANDLE_NOUNS) + _NOUN_INDEX[noun]
    if not digits:
        round_ = 0
    elif digits in _FORM_INDEX:
        round_ = (_FORM_INDEX[digits] - combo) * _DIGIT_INVERSE % len(_DIGIT_FORMS)
        round_ = round_ or len(_DIGIT_FORMS)
    elif digits.isdigit() and str(int(digits)) == digits and int(digits) > 2000 + len(_DIGIT_FORMS):
        round_ = int(digits) - 2000
    else:
        return None
    j = (combo - round_ * 1009) * _COMBO_INVERSE % _COMBOS
    return round_ * _COMBOS + j


def handle_claimant(word: str, noun: str, digits: str, pool: int) -> int | None:
    """Who of `pool` people may write this handle: one person per handle, as on a platform.

    A handle is its canonical owner's when that person is in the pool. Otherwise it is
    free for the first person (lowest number) whose own handle `screen_name_variant` can
    turn into it (a number bumped by 1-9, or one digit appended), so that no two people
    of a run ever write one handle, and the answer is a pure function of the arguments.
    """
    owner = handle_owner(word, noun, digits)
    if owner is not None and owner < pool:
        return owner
    sources = [digits[:-1]] if digits else []
    if digits.isdigit() and str(int(digits)) == digits:
        sources += [str(int(digits) - k) for k in range(1, 10) if int(digits) - k >= 0]
    claimants = [
        n for source in sources if (n := handle_owner(word, noun, source)) is not None and n < pool
    ]
    return min(claimants, default=None)


def make_identity(seed: int, number: int) -> Identity:
    """Identity `number` of the pool for `seed`; the same every time it is asked for."""
    rng = Random(f"tipline-demo/identity/{seed}/{number}")
    first, last = one(rng, FIRST_NAMES), one(rng, SURNAMES)
    handle = _handle(number)
    style = rng.random()
    locals_ = [
        # the identity number keeps addresses unique, as a real provider does: distinct
        # people never share one mailbox (40 x 25 names alone would collide constantly)
        f"{first}.{last}{number}".lower() if style < 0.4 else f"{first[0]}{last}{number}".lower(),
    ]
    if style >= 0.7:
        locals_[0] = _join(handle, "", 0)
    if rng.random() < 0.3:
        locals_.append(f"{handle[0]}.{handle[1]}{number}")
    usual = _DOMAIN_TABLE.draw(rng)
    alternate = _DOMAIN_TABLE.draw(rng)
    place, street, zip_code = _place_draw(seed, number)
    ipv4 = tuple(doc_ipv4(rng) for _ in range(1 + (rng.random() < 0.4)))
    ipv6 = doc_ipv6(rng) if rng.random() < 0.3 else None
    devices = tuple(
        (kind, device_value(rng, kind))
        for kind in (one(rng, DEVICE_TYPES) for _ in range(int(rng.random() * 3)))
    )
    esps: list[Esp] = []
    for _ in range(1 + int(rng.random() * 3)):
        esp = ESPS[_ESP_TABLE.draw(rng)]
        if esp not in esps:
            esps.append(esp)
    files = tuple(
        (f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(160):040x}")
        for _ in range(int(rng.random() * 4))
    )
    display = f"{first} {last}" if rng.random() < 0.5 else f"{first} {last[0]}."
    return Identity(
        number=number,
        first=first,
        last=last,
        handle=handle,
        handle_sep=one(rng, _SEPARATORS),
        handle_case=0 if rng.random() < 0.7 else 1 if rng.random() < 0.8 else 2,
        email_locals=tuple(locals_),
        email_domains=(usual, alternate),
        place=place,
        street=street,
        zip_code=zip_code,
        phone=_phone_book(seed).number_of(number, place),
        ipv4=ipv4,
        ipv6=ipv6,
        devices=devices,
        esps=tuple(esps),
        uid=((number + 1) * _ACCOUNT_STEP + seed * 1_000_003) % _ACCOUNT_SPACE,
        display_name=display,
        alt_display_name=f"{one(rng, NICKNAMES)} {one(rng, HANDLE_NOUNS).title()}",
        age=19 + int(rng.random() * 45) if rng.random() < 0.8 else None,
        files=files,
    )


# ------------------------------------------------------------------ variants


def screen_name_variant(rng: Random, ident: Identity, pool: int | None = None) -> str:
    """The handle as this report spells it: often canonical, sometimes altered.

    With `pool` (the run's number of people), a number changed into a handle that is
    another person's (see `handle_claimant`) is kept as it was: one handle, one person.
    """
    if rng.random() < 0.45:
        return ident.screen_name
    word, noun, digits = ident.handle
    r = rng.random()
    if r < 0.2 and digits:
        digits = str(int(digits) + 1 + int(rng.random() * 9))
    elif r < 0.3:
        digits = ""
    elif r < 0.4:
        digits = f"{digits}{int(rng.random() * 10)}"
    if pool is not None and handle_claimant(word, noun, digits, pool) != ident.number:
        digits = ident.handle[2]
    sep = one(rng, _SEPARATORS) if rng.random() < 0.5 else ident.handle_sep
    case = int(rng.random() * 3) if rng.random() < 0.4 else ident.handle_case
    text = _join((word, noun, digits), sep, case)
    if rng.random() < 0.2:
        text = text.translate(_LEET) if case != 2 else text.lower().translate(_LEET).upper()
    return text


def email_variant(rng: Random, ident: Identity) -> str:
    """An address of the identity, with case, dots, +tags or the other domain varied."""
    local = ident.email_locals[0 if rng.random() < 0.85 else -1]
    domain = ident.email_domains[0 if rng.random() < 0.85 else 1]
    r = rng.random()
    if r < 0.12:
        local = local[:1].upper() + local[1:]
    elif r < 0.2:
        local = local.title()
    elif r < 0.3:
        local = local.replace(".", "") if "." in local else f"{local[:3]}.{local[3:]}"
    elif r < 0.4:
        local = f"{local}+{one(rng, ('tips', 'demo', 'games', '1', 'x'))}"
    if rng.random() < 0.04:
        domain = domain.title()
    return f"{local}@{domain}"


def format_phone(rng: Random, phone: tuple[str, str, str]) -> tuple[str, str | None]:
    """The number written one of the ways people write it, and its calling code if given."""
    plan, area, sub = phone
    forms: tuple[tuple[str, str | None], ...]
    r = int(rng.random() * 7)
    if plan == "nanp":
        line = f"555-{sub}"
        forms = (
            (f"({area}) {line}", None),
            (f"{area}-{line}", None),
            (f"{area}.555.{sub}", None),
            (f"+1 {area} 555 {sub}", None),
            (f"{area}555{sub}", "+1"),
            (f"+1{area}555{sub}", None),
            (f"1-{area}-{line}", None),
        )
    elif plan == "gb":
        forms = (
            (f"+44 {area} {sub}", None),
            (f"0{area} {sub}", None),
            (f"0{area}{sub}", "+44"),
            (f"+44{area}{sub}", None),
            (f"(0{area}) {sub}", None),
            (f"0{area} {sub[:3]} {sub[3:]}", None),
            (f"{area} {sub}", "+44"),
        )
    else:
        forms = (
            (f"+61 {area} {sub[:4]} {sub[4:]}", None),
            (f"0{area} {sub[:4]} {sub[4:]}", None),
            (f"0{area}{sub}", "+61"),
            (f"+61{area}{sub}", None),
            (f"(0{area}) {sub[:4]} {sub[4:]}", None),
            (f"0{area} {sub}", None),
            (f"{area} {sub[:4]} {sub[4:]}", "+61"),
        )
    return forms[r]
