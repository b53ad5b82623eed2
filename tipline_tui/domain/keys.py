"""Canonical matching keys per identifier, for finding prior reports about the same people.

`identifiers.normalise` gives one plain key per value for exact lookup. Here each value
gets several keys, from exact to loose, each with a strength: how strongly sharing that
key suggests the same person before rarity weighting (a key shared by thousands of
reports says little whatever its strength). The keys of one identifier are nested views
of it (reports sharing a "name" usually share its "skeleton" and "stem" too), so a
matcher should take the strongest key two identifiers share, not add them up. Key types
are deliberately shared between screen and display names: a display name that repeats a
handle is evidence, at the weaker of the two strengths.

This runs for every identifier of every stored report, so text is folded with
precompiled `str.translate` tables rather than regular expressions, and the one slow
step (phone parsing) is memoised.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from tipline_tui.domain.enums import IdentifierKind


@dataclass(frozen=True, slots=True)
class Key:
    """One canonical key; strength in (0, 1] before rarity weighting."""

    type: str
    value: str
    strength: float


# ------------------------------------------------------------------ text folding


class _CategoryTable(dict[int, int | str | None]):
    """A translate table that deletes characters by Unicode category, filled as met.

    Deciding per code point once and caching it keeps `str.translate` fast without
    building a table over all of Unicode at import.
    """

    def __init__(self, drop: frozenset[str], extra: dict[int, int | str | None]) -> None:
        super().__init__(extra)
        self._drop = drop

    def __missing__(self, cp: int) -> int | None:
        cat = unicodedata.category(chr(cp))
        value = None if cat in self._drop or cat[0] in self._drop else cp
        self[cp] = value
        return value


# Separators in names: punctuation, spaces, controls and format characters (zero-width
# joiners and spaces are an evasion trick), and ASCII-ish symbols (~ | ^ $ +). Emoji and
# other symbols (So) stay in "name" so an all-emoji name still has a key.
_NAME_DROP = frozenset({"P", "Z", "C", "Sk", "Sm", "Sc"})
# "@" and "$" inside a handle are letters in disguise (d@rk, ca$h): kept, and de-leeted later.
_NAME_EXTRA: dict[int, int | str | None] = {0x0640: None, ord("@"): "@", ord("$"): "$"}
_DROP_NAME = _CategoryTable(_NAME_DROP, _NAME_EXTRA)  # 0x0640 Arabic tatweel: decoration
# Looser forms also drop emoji and optional marks: Latin diacritics left uncomposed (and
# "Zalgo" stacks), Hebrew points and Arabic harakat, which writers often omit. Other
# marks stay: Devanagari vowel signs are spelling, not decoration.
_OPTIONAL_MARKS = (
    (0x0300, 0x036F), (0x0591, 0x05C7), (0x064B, 0x065F), (0x0670, 0x0670),
    (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F),
)  # fmt: skip
_LOOSE_EXTRA = _NAME_EXTRA | {cp: None for lo, hi in _OPTIONAL_MARKS for cp in range(lo, hi + 1)}
_DROP_LOOSE = _CategoryTable(_NAME_DROP | {"So"}, _LOOSE_EXTRA)


def _by_name(script: str, letters: dict[str, str]) -> dict[str, str]:
    """Look-alikes spelled by Unicode name: a literal Cyrillic a reads as a Latin one in review."""
    return {unicodedata.lookup(f"{script} {name}"): latin for name, latin in letters.items()}


# Look-alikes of Latin letters. Capitals are mapped before casefolding, because
# casefolding would turn them into letters that no longer look Latin (Greek Tau -> tau).
_UPPER_HOMOGLYPHS = {
    **_by_name("GREEK CAPITAL LETTER", {
        "ALPHA": "a", "BETA": "b", "EPSILON": "e", "ZETA": "z", "ETA": "h", "IOTA": "i",
        "KAPPA": "k", "MU": "m", "NU": "n", "OMICRON": "o", "RHO": "p", "TAU": "t",
        "UPSILON": "y", "CHI": "x",
    }),
    **_by_name("CYRILLIC CAPITAL LETTER", {
        "A": "a", "VE": "b", "IE": "e", "KA": "k", "EM": "m", "EN": "h", "O": "o",
        "ER": "p", "ES": "c", "TE": "t", "U": "y", "HA": "x", "DZE": "s", "JE": "j",
        "BYELORUSSIAN-UKRAINIAN I": "i", "STRAIGHT U": "y", "QA": "q", "WE": "w",
    }),
    **_by_name("CYRILLIC LETTER", {"PALOCHKA": "l"}),
}  # fmt: skip
_LOWER_HOMOGLYPHS = {
    **_by_name("CYRILLIC SMALL LETTER", {
        "A": "a", "IE": "e", "O": "o", "ER": "p", "ES": "c", "U": "y", "HA": "x",
        "BYELORUSSIAN-UKRAINIAN I": "i", "JE": "j", "DZE": "s", "KOMI DE": "d", "SHHA": "h",
        "QA": "q", "WE": "w", "STRAIGHT U": "y", "PALOCHKA": "l",
    }),
    **_by_name("GREEK SMALL LETTER", {
        "ALPHA": "a", "OMICRON": "o", "RHO": "p", "IOTA": "i", "NU": "v", "KAPPA": "k",
        "CHI": "x", "UPSILON": "u", "GAMMA": "y",
    }),
    **_by_name("GREEK", {"LUNATE SIGMA SYMBOL": "c", "LETTER YOT": "j"}),
    **_by_name("LATIN SMALL LETTER", {
        "ALPHA": "a", "SCRIPT G": "g", "IOTA": "i", "DOTLESS I": "i", "DOTLESS J": "j",
        "L WITH STROKE": "l", "O WITH STROKE": "o", "D WITH STROKE": "d",
        "H WITH STROKE": "h", "L WITH MIDDLE DOT": "l", "TONE SIX": "b",
    }),
}  # fmt: skip


def _accent_folds() -> dict[str, str]:
    """Precomposed Latin/Greek/Cyrillic letters with marks -> their base letter."""
    folds: dict[str, str] = {}
    for lo, hi in ((0xC0, 0x250), (0x370, 0x530), (0x1E00, 0x1F00)):
        for cp in range(lo, hi):
            decomposed = unicodedata.normalize("NFD", chr(cp))
            base = decomposed[0]
            if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
                folds[chr(cp)] = _LOWER_HOMOGLYPHS.get(base, base)
    return folds


def _digit_folds() -> dict[str, str]:
    """Arabic-Indic, Persian, Devanagari and Bengali digits -> ASCII, so digit suffixes compare."""
    return {chr(start + d): str(d) for start in (0x0660, 0x06F0, 0x0966, 0x09E6) for d in range(10)}


_SKELETON_UPPER = str.maketrans(_UPPER_HOMOGLYPHS)
_SKELETON_LOWER = str.maketrans({**_accent_folds(), **_digit_folds(), **_LOWER_HOMOGLYPHS})
_LEET_SYMBOLS = str.maketrans({"@": "a", "$": "s"})
_LEET_LETTERS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
_LEET_DIGITS = str.maketrans(_LEET_LETTERS)
_ASCII_DIGITS = "0123456789"

_MIN_NAME = 4  # shorter names ("bob", "ace") collide by chance: exact key only

# strengths: (name, skeleton, de-leet, stem)
_SCREEN = (0.9, 0.8, 0.7, 0.4)
_DISPLAY = (0.5, 0.45, 0.4, 0.2)


def _nfkc(raw: str) -> str:
    return raw if raw.isascii() else unicodedata.normalize("NFKC", raw)


def _name_form(raw: str) -> str:
    """NFKC + casefold with separators removed: "Dark_Wolf 77" -> "darkwolf77"."""
    return _nfkc(raw).strip().lstrip("@").casefold().translate(_DROP_NAME)


def _deleet(word: str) -> str:
    """De-leet a word; its trailing digits only if it is visibly leeted ("p4nd4", not "wolf77")."""
    body = word.rstrip(_ASCII_DIGITS)
    stem = body.translate(_LEET_DIGITS)
    tail = word[len(body) :]
    return stem + (tail.translate(_LEET_DIGITS) if stem != body else tail)


def _leet_readings(folded: str) -> list[tuple[str, str]]:
    """(de-leeted word, number suffix) readings of a folded name that still has separators.

    A digit run after a separator is a number ("p4nd4_1909"). Run straight on, trailing
    digits are usually a number too ("darkwolf77"), but someone who leets the word may
    leet its last letters as well ("p4nd477" for panda77, "m4gp138" for magpie8): then
    every reading of the leading leet digits as letters is given too.
    """
    head = folded.rstrip(_ASCII_DIGITS)
    suffix = folded[len(head) :]
    if head and suffix and not head[-1].isalnum():
        return [(_deleet(head.translate(_DROP_LOOSE)), suffix)]
    plain = folded.translate(_DROP_LOOSE)
    body = plain.rstrip(_ASCII_DIGITS)
    suffix = plain[len(body) :]
    stem = body.translate(_LEET_DIGITS)
    readings = [(stem, suffix)]
    if stem != body:
        for i, digit in enumerate(suffix):
            if digit not in _LEET_LETTERS:
                break
            readings.append((stem + suffix[: i + 1].translate(_LEET_DIGITS), suffix[i + 1 :]))
    return readings


def _name_keys(raw: str, strengths: tuple[float, float, float, float]) -> list[Key]:
    """name, look-alike skeleton, de-leeted skeleton and digit-less stem, strongest first.

    The looser keys are emitted even when they equal the name, because the other
    report's spelling may be the one that needed folding: "dark_wolf" must carry the
    skeleton "darkwolf" for "dark_wolf" spelled with Cyrillic a and o to find it.
    """
    text = _nfkc(raw).strip().lstrip("@")
    name = text.casefold().translate(_DROP_NAME)
    if not name:
        return []
    s_name, s_skel, s_leet, s_stem = strengths
    keys = [Key("name", name, s_name)]
    if len(name) < _MIN_NAME:  # early exit: every looser key is shorter still
        return keys
    folded = text.translate(_SKELETON_UPPER).casefold().translate(_SKELETON_LOWER)
    skeleton = folded.translate(_DROP_LOOSE)
    if len(skeleton) >= _MIN_NAME:
        keys.append(Key("skeleton", skeleton, s_skel))
    # Readings never coincide (the second reads a digit as a letter), so no de-duplication;
    # all de-leet keys go before all stems to keep the list strongest first.
    readings = _leet_readings(folded.translate(_LEET_SYMBOLS))
    for stem, suffix in readings:
        if len(stem) + len(suffix) >= _MIN_NAME:
            keys.append(Key("deleet", stem + suffix, s_leet))
    for stem, _ in readings:
        if len(stem) >= _MIN_NAME:
            keys.append(Key("stem", stem, s_stem))
    return keys


# ------------------------------------------------------------------ email

_GMAIL = frozenset({"gmail.com", "googlemail.com"})
# Shared by millions: a common domain says nothing. The reserved example domains are
# here because the synthetic data uses them for almost everyone.
_COMMON_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "yahoo.co.uk",
        "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "msn.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com",
        "pm.me", "gmx.com", "gmx.de", "web.de", "mail.ru", "yandex.ru", "qq.com",
        "163.com", "zoho.com", "example.com", "example.org", "example.net",
    }
)  # fmt: skip
_RESERVED_SUFFIXES = (".example.com", ".example.org", ".example.net")
_GENERIC_LOCALS = frozenset(
    {
        "info", "admin", "administrator", "support", "contact", "noreply", "donotreply",
        "postmaster", "hostmaster", "webmaster", "abuse", "sales", "hello", "office",
        "mail", "email", "help", "billing", "security", "privacy", "legal", "team",
        "test", "tips", "enquiries", "inquiries", "service", "notifications",
    }
)  # fmt: skip
_LOCAL_SEPARATORS = str.maketrans("", "", ".-_")
_GMAIL_DOTS = str.maketrans("", "", ".")
_MIN_LOCAL = 4


def _split_email(raw: str) -> tuple[str, str | None]:
    """(local, domain) casefolded; domain None when the value has no usable @."""
    text = _nfkc(raw).strip()
    if "<" in text and text.endswith(">"):  # "Name <addr@host>"
        text = text[text.rindex("<") + 1 : -1].strip()
    if text[:7].casefold() == "mailto:":
        text = text[7:]
    text = text.casefold()
    local, at, domain = text.rpartition("@")
    if not at:
        return text, None
    return local, _idna(domain.strip().strip("."))


def _idna(domain: str) -> str:
    """ASCII (punycode) form of a domain, so bücher.example == xn--bcher-kva.example."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def _untagged(local: str) -> str:
    head = local.split("+", 1)[0]
    return head or local


def _canonical_local(local: str) -> str:
    """The local part as a cross-domain handle: no +tag, no dots, dashes or underscores."""
    return _untagged(local).translate(_LOCAL_SEPARATORS)


def _local_key(local: str) -> Key | None:
    canon = _canonical_local(local)
    if len(canon) < _MIN_LOCAL or canon in _GENERIC_LOCALS:
        return None
    return Key("email_local", canon, 0.35)


def _email_keys(raw: str) -> list[Key]:
    """Exact address, untagged address, local part alone, and a rare domain alone.

    Gmail ignores dots and +tags, so those are folded into the exact key. Elsewhere a
    +tag usually reaches the same mailbox but need not, so the untagged address is a
    separate, slightly weaker key that every address carries (the untagged spelling in
    another report must find the tagged one).
    """
    local, domain = _split_email(raw)
    if domain is None or not domain:  # no usable domain: the value is a handle at best
        local_key = _local_key(local)
        return [local_key] if local_key else []
    keys: list[Key] = []
    rare_domain = domain not in _COMMON_DOMAINS and not domain.endswith(_RESERVED_SUFFIXES)
    if not local:
        return [Key("email_domain", domain, 0.05)] if rare_domain else []
    if domain in _GMAIL:
        keys.append(Key("email", f"{_untagged(local).translate(_GMAIL_DOTS)}@gmail.com", 1.0))
    else:
        keys.append(Key("email", f"{local}@{domain}", 1.0))
        keys.append(Key("email_base", f"{_untagged(local)}@{domain}", 0.9))
    local_key = _local_key(local)
    if local_key is not None:
        keys.append(local_key)
    if rare_domain:
        keys.append(Key("email_domain", domain, 0.05))
    return keys


# ------------------------------------------------------------------ phone

_DEFAULT_REGION = "US"
_REGION_ALIASES = {"UK": "GB"}
_E164 = phonenumbers.PhoneNumberFormat.E164
_POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE


class _DigitsTable(dict[int, int | None]):
    """Keeps decimal digits of any script, as ASCII; deletes everything else."""

    def __missing__(self, cp: int) -> int | None:
        digit = unicodedata.digit(chr(cp), None)
        value = None if digit is None else ord("0") + digit
        self[cp] = value
        return value


_DIGITS_ONLY = _DigitsTable()


@lru_cache(maxsize=256)
def _regions(hints: tuple[str, ...]) -> tuple[str, ...]:
    """Hints as phonenumbers regions, then the default; accepts "GB", "uk", "+44", "44"."""
    out: list[str] = []
    for hint in hints:
        code = hint.strip().upper()
        code = _REGION_ALIASES.get(code, code)
        if code.lstrip("+").isdigit():
            code = phonenumbers.region_code_for_country_code(int(code.lstrip("+")))
        if code in phonenumbers.SUPPORTED_REGIONS and code not in out:
            out.append(code)
    if _DEFAULT_REGION not in out:
        out.append(_DEFAULT_REGION)
    return tuple(out)


@lru_cache(maxsize=1 << 16)
def _e164(raw: str, regions: tuple[str, ...]) -> str | None:
    """E.164 form: a number valid in some hinted region, else the first merely possible.

    Possible (right length) is enough: fictional ranges such as UK 07700 900xxx are
    never *valid*. Local-only numbers (no area code) are not accepted as E.164.
    """
    possible: str | None = None
    for region in (None,) if raw.lstrip().startswith("+") else regions:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number_with_reason(number) != _POSSIBLE:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, _E164)
        if possible is None:
            possible = phonenumbers.format_number(number, _E164)
    return possible


def _phone_keys(raw: str, country_hints: Sequence[str]) -> list[Key]:
    """E.164 plus the last seven digits (a number written without its area code)."""
    text = _nfkc(raw).strip()
    digits = text.translate(_DIGITS_ONLY)
    if len(digits) < 3:
        return []
    e164 = _e164(text, _regions(tuple(country_hints)))
    if e164 is not None:
        keys = [Key("e164", e164, 1.0)]
        if len(e164) >= 8:
            keys.append(Key("last7", e164[-7:], 0.3))
        return keys
    if len(digits) < 7:
        return []
    return [Key("digits", digits, 0.6), Key("last7", digits[-7:], 0.3)]


# ------------------------------------------------------------------ ip

IP_STRENGTH = 0.7
NET_STRENGTH = 0.15
LOCAL_IP_STRENGTH = 0.2
LOCAL_NET_STRENGTH = 0.03

# Addresses that many unrelated people share (home routers, carrier NAT, loopback,
# link-local) are weak evidence. Documentation ranges (192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24, 2001:db8::/32) keep normal strength on purpose: no real traffic comes
# from them, and the synthetic data uses nothing else. (Python's `is_private` counts them
# as private, which is why the ranges are listed here instead.)
_LOCAL_V4 = tuple(
    (int(net.network_address), int(net.broadcast_address))
    for net in map(
        ipaddress.IPv4Network,
        (
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "224.0.0.0/3",  # multicast and reserved, up to 255.255.255.255
        ),
    )
)
_LOCAL_V4_FIRST = frozenset(lo >> 24 for lo, _ in _LOCAL_V4)
_LOCAL_V6 = tuple(
    (int(net.network_address), int(net.broadcast_address))
    for net in map(ipaddress.IPv6Network, ("::/127", "fc00::/7", "fe80::/10", "ff00::/8"))
)
_MASK24 = 0xFFFFFF00
_MASK64 = ((1 << 64) - 1) << 64


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse an address, tolerating [brackets], a :port after IPv4, and a %zone."""
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _ipv4_fast(text: str) -> int | None:
    """Dotted-quad IPv4 as an int without building an ipaddress object (most IPs are v4).

    Strict like `ipaddress`: four decimal octets, no leading zeros (which some tools
    read as octal).
    """
    parts = text.split(".")
    if len(parts) != 4:
        return None
    n = 0
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 3:
            return None
        if len(part) > 1 and part[0] == "0":
            return None
        octet = int(part)
        if octet > 255:
            return None
        n = n << 8 | octet
    return n


def _ip_keys(raw: str) -> list[Key]:
    """The address and its /24 (IPv4) or /64 (IPv6, one household or host) network."""
    text = _nfkc(raw).strip()
    n = _ipv4_fast(text)
    if n is not None:
        value, version = text, 4
    else:
        address = _parse_ip(text)
        if address is None:
            return []
        n, value, version = int(address), address.compressed, address.version
    if version == 4:
        first = n >> 24
        local = (first in _LOCAL_V4_FIRST or first >= 224) and any(
            lo <= n <= hi for lo, hi in _LOCAL_V4
        )
        net = n & _MASK24
        net_key = Key(
            "net24",
            f"{net >> 24}.{net >> 16 & 255}.{net >> 8 & 255}.0/24",
            LOCAL_NET_STRENGTH if local else NET_STRENGTH,
        )
    else:
        local = any(lo <= n <= hi for lo, hi in _LOCAL_V6)
        net_key = Key(
            "net64",
            f"{ipaddress.IPv6Address(n & _MASK64).compressed}/64",
            LOCAL_NET_STRENGTH if local else NET_STRENGTH,
        )
    return [Key("ip", value, LOCAL_IP_STRENGTH if local else IP_STRENGTH), net_key]


# ------------------------------------------------------------------ scoped ids

_TYPE_SEPARATORS = str.maketrans("", "", " \t-_")
_DEVICE_SEPARATORS = str.maketrans("", "", " \t-:.")
_WHITESPACE = str.maketrans("", "", " \t\r\n")
# Hashes of the empty file: every upload that failed links to every other one.
_EMPTY_FILE = frozenset(
    {
        "d41d8cd98f00b204e9800998ecf8427e",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
)
_HASH_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


def _split_scoped(raw: str) -> tuple[str, str]:
    scope, sep, value = _nfkc(raw).strip().partition(":")
    if not sep:
        return "", scope.strip()
    return scope.strip().casefold(), value.strip()


def _esp_keys(raw: str) -> list[Key]:
    """An account number means nothing without its service: "service:identifier"."""
    service, value = _split_scoped(raw)
    if not value:
        return []
    return [Key("esp_id", f"{service.translate(_TYPE_SEPARATORS)}:{value.casefold()}", 1.0)]


def _device_keys(raw: str) -> list[Key]:
    """A "type:value" device id with the value's formatting removed (MAC colons, UUID dashes)."""
    kind, value = _split_scoped(raw)
    kind = kind.translate(_TYPE_SEPARATORS)
    value = value.casefold().translate(_DEVICE_SEPARATORS)
    # An all-zero id is what iOS reports when ad tracking is limited: shared by millions.
    if not value or not value.strip("0"):
        return []
    if kind == "imei" and value.isdigit() and 14 <= len(value) <= 16:
        value = value[:14]  # the 15th digit is a check digit, 16-digit IMEISV adds a version
    return [Key("device", f"{kind}:{value}", 1.0)]


def _hash_keys(raw: str) -> list[Key]:
    """A "md5:abcd..." key. A shared file is weaker than a shared account: viral files travel."""
    kind, value = _split_scoped(raw)
    value = value.casefold().translate(_WHITESPACE)
    if not value or value in _EMPTY_FILE:
        return []
    kind = kind.translate(_TYPE_SEPARATORS) or _HASH_BY_LENGTH.get(len(value), "")
    return [Key("hash", f"{kind}:{value}", 0.6)]


# ------------------------------------------------------------------ public API

_BUILDERS: dict[str, Callable[[str], list[Key]]] = {
    IdentifierKind.EMAIL: _email_keys,
    IdentifierKind.SCREEN_NAME: lambda raw: _name_keys(raw, _SCREEN),
    IdentifierKind.DISPLAY_NAME: lambda raw: _name_keys(raw, _DISPLAY),
    IdentifierKind.ESP_ID: _esp_keys,
    IdentifierKind.IP: _ip_keys,
    IdentifierKind.DEVICE_ID: _device_keys,
    IdentifierKind.FILE_HASH: _hash_keys,
}


def identifier_keys(kind: str, raw: str, *, country_hints: Sequence[str] = ()) -> list[Key]:
    """Canonical keys for one identifier value, de-duplicated, strongest first.

    `country_hints` (ISO 3166 alpha-2 codes, or calling codes such as "+44") say where a
    phone number written without its country code is likely from; "US" is tried last.
    Blank or unusable values give []. An unknown kind is a programming error.
    """
    if not raw or raw.isspace():
        return []
    if kind == IdentifierKind.PHONE:
        return _phone_keys(raw, country_hints)
    try:
        builder = _BUILDERS[kind]
    except KeyError:
        raise ValueError(f"unknown identifier kind {kind!r}") from None
    # Each builder emits distinct keys, strongest first, so nothing is sorted here.
    return builder(raw)


# A handle key is the name key's value, this mark, then the service: the handles of one
# name on every service sit together in the index, so they can be counted as accounts.
SCOPE_MARK = "\x1f"


def handle_keys(service: str, raw: str) -> list[Key]:
    """A screen name as an account of one service, and the look-alikes of it there.

    The same handle on another service is often someone else; on one service it is
    one account. A look-alike of it on the same service (leetspeak, homoglyphs) is
    the classic way back after a ban, so it is nearly as strong.
    """
    scope = service.strip().casefold()
    if not scope:
        return []
    keys: list[Key] = []
    alike: set[str] = set()  # emitted even when equal to the handle, as _name_keys does
    for key in _name_keys(raw, _SCREEN):
        if key.type == "name":
            keys.append(Key("handle", f"{key.value}{SCOPE_MARK}{scope}", 1.0))
        elif key.type in ("skeleton", "deleet") and key.value not in alike:
            alike.add(key.value)
            keys.append(Key("handle_alike", f"{key.value}{SCOPE_MARK}{scope}", 0.8))
    return keys


def email_account(raw: str) -> str:
    """One spelling per mailbox (lower-cased, no +tag), to count the addresses behind a key."""
    local, domain = _split_email(raw)
    return f"{_untagged(local)}@{domain or ''}"


def fuzzy_text(kind: str, raw: str) -> str | None:
    """What the fuzzy matcher compares for this identifier, or None if it is not fuzzy-matched.

    Names: the folded name without separators. Email: the canonical local part (no
    +tag, dots, dashes or underscores), None when it is generic or too short to mean
    anything ("info", "bob"). Phones, IPs and the scoped ids match exactly or not at all.
    """
    if kind in (IdentifierKind.SCREEN_NAME, IdentifierKind.DISPLAY_NAME):
        return _name_form(raw) or None
    if kind == IdentifierKind.EMAIL:
        if not raw or raw.isspace():
            return None
        key = _local_key(_split_email(raw)[0])
        return key.value if key is not None else None
    return None
