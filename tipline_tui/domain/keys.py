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

from collections.abc import Callable, Sequence

from tipline_tui.domain.contact_keys import (
    email_keys,
    local_part_key,
    phone_keys,
    split_email,
    untagged,
)
from tipline_tui.domain.enums import IdentifierKind
from tipline_tui.domain.ip_keys import ip_keys
from tipline_tui.domain.key import SCOPE_MARK, Key, nfkc
from tipline_tui.domain.name_keys import DISPLAY, SCREEN, name_form, name_keys
from tipline_tui.domain.person_keys import FULL_NAME, full_name_keys

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
    scope, sep, value = nfkc(raw).strip().partition(":")
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
    IdentifierKind.EMAIL: email_keys,
    IdentifierKind.SCREEN_NAME: lambda raw: name_keys(raw, SCREEN),
    IdentifierKind.DISPLAY_NAME: lambda raw: name_keys(raw, DISPLAY),
    IdentifierKind.ESP_ID: _esp_keys,
    IdentifierKind.IP: ip_keys,
    IdentifierKind.DEVICE_ID: _device_keys,
    IdentifierKind.FILE_HASH: _hash_keys,
    FULL_NAME: full_name_keys,
}


def identifier_keys(
    kind: str, raw: str, *, country_hints: Sequence[str] = (), calling_code: str | None = None
) -> list[Key]:
    """Canonical keys for one identifier value, de-duplicated, strongest first.

    `country_hints` (ISO 3166 alpha-2 codes, or calling codes such as "+44") say where a
    phone number written without its country code is likely from; "US" is tried last.
    `calling_code` is the one written beside the number, if any: it comes first.
    Blank or unusable values give []. An unknown kind is a programming error.
    """
    if not raw or raw.isspace():
        return []
    if kind == IdentifierKind.PHONE:
        return phone_keys(raw, country_hints, calling_code)
    try:
        builder = _BUILDERS[kind]
    except KeyError:
        raise ValueError(f"unknown identifier kind {kind!r}") from None
    # Each builder emits distinct keys, strongest first, so nothing is sorted here.
    return builder(raw)


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
    alike: set[str] = set()  # emitted even when equal to the handle, as name_keys does
    for key in name_keys(raw, SCREEN):
        if key.type == "name":
            keys.append(Key("handle", f"{key.value}{SCOPE_MARK}{scope}", 1.0))
        elif key.type in ("skeleton", "deleet") and key.value not in alike:
            alike.add(key.value)
            keys.append(Key("handle_alike", f"{key.value}{SCOPE_MARK}{scope}", 0.8))
    return keys


def email_account(raw: str) -> str:
    """One spelling per mailbox (lower-cased, no +tag), to count the addresses behind a key."""
    local, domain = split_email(raw)
    return f"{untagged(local)}@{domain or ''}"


def fuzzy_text(kind: str, raw: str) -> str | None:
    """What the fuzzy matcher compares for this identifier, or None if it is not fuzzy-matched.

    Names: the folded name without separators. Email: the canonical local part (no
    +tag, dots, dashes or underscores), None when it is generic or too short to mean
    anything ("info", "bob"). Phones, IPs and the scoped ids match exactly or not at all.
    """
    if kind in (IdentifierKind.SCREEN_NAME, IdentifierKind.DISPLAY_NAME):
        return name_form(raw) or None
    if kind == IdentifierKind.EMAIL:
        if not raw or raw.isspace():
            return None
        key = local_part_key(split_email(raw)[0])
        return key.value if key is not None else None
    return None
