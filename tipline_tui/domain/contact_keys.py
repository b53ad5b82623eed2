"""Email and phone keys: exact, untagged and local-part keys for addresses; E.164 for phones.

Phone parsing is the one slow step of key building, so it is memoised. Where a number
written without its country code is from is read here too (phone_country_hints), so
every tip's phones are keyed by the same rules, stored or new.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from tipline_tui.domain.key import Key, nfkc

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


def split_email(raw: str) -> tuple[str, str | None]:
    """(local, domain) casefolded; domain None when the value has no usable @."""
    text = nfkc(raw).strip()
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


def untagged(local: str) -> str:
    head = local.split("+", 1)[0]
    return head or local


def _canonical_local(local: str) -> str:
    """The local part as a cross-domain handle: no +tag, no dots, dashes or underscores."""
    return untagged(local).translate(_LOCAL_SEPARATORS)


def local_part_key(local: str) -> Key | None:
    canon = _canonical_local(local)
    if len(canon) < _MIN_LOCAL or canon in _GENERIC_LOCALS:
        return None
    return Key("email_local", canon, 0.35)


def email_keys(raw: str) -> list[Key]:
    """Exact address, untagged address, local part alone, and a rare domain alone.

    Gmail ignores dots and +tags, so those are folded into the exact key. Elsewhere a
    +tag usually reaches the same mailbox but need not, so the untagged address is a
    separate, slightly weaker key that every address carries (the untagged spelling in
    another report must find the tagged one).
    """
    local, domain = split_email(raw)
    if domain is None or not domain:  # no usable domain: the value is a handle at best
        local_key = local_part_key(local)
        return [local_key] if local_key else []
    keys: list[Key] = []
    rare_domain = domain not in _COMMON_DOMAINS and not domain.endswith(_RESERVED_SUFFIXES)
    if not local:
        return [Key("email_domain", domain, 0.05)] if rare_domain else []
    if domain in _GMAIL:
        keys.append(Key("email", f"{untagged(local).translate(_GMAIL_DOTS)}@gmail.com", 1.0))
    else:
        keys.append(Key("email", f"{local}@{domain}", 1.0))
        keys.append(Key("email_base", f"{untagged(local)}@{domain}", 0.9))
    local_key = local_part_key(local)
    if local_key is not None:
        keys.append(local_key)
    if rare_domain:
        keys.append(Key("email_domain", domain, 0.05))
    return keys


# ------------------------------------------------------------------ phone

_DEFAULT_REGION = "US"
_REGION_ALIASES = {"UK": "GB"}


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
    import phonenumbers  # ~50 ms: here, so that reading keys (related search) never loads it

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
    import phonenumbers

    e164 = phonenumbers.PhoneNumberFormat.E164
    possible: str | None = None
    for region in (None,) if raw.lstrip().startswith("+") else regions:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, e164)
        if possible is None:
            possible = phonenumbers.format_number(number, e164)
    return possible


# International call prefixes written before a country code: 00 (most of the world) and
# 011 (the NANP). "001 518 555 0168" is +1 518 555 0168 whatever country it was dialled from.
_IDD_PREFIXES = ("011", "00")


def _international(text: str, digits: str) -> str:
    """A number written after an international call prefix, as "+" and its digits."""
    if text.startswith("+"):
        return text
    for prefix in _IDD_PREFIXES:
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 8:
            return "+" + digits[len(prefix) :]
    return text


def _calling_code_region(code: str | None) -> str | None:
    """The main region of a calling code given beside a number ("+44", "44", "1")."""
    digits = (code or "").strip().lstrip("+")
    if not digits.isdigit():
        return None
    import phonenumbers

    region = phonenumbers.region_code_for_country_code(int(digits))
    return None if region == phonenumbers.UNKNOWN_REGION else region


@lru_cache(maxsize=1 << 12)
def phone_region(raw: str, calling_code: str | None = None) -> str | None:
    """The country a number names itself: its +code or international prefix, else the
    calling code written beside it; None for a national number with neither."""
    text = nfkc(raw).strip()
    text = _international(text, text.translate(_DIGITS_ONLY))
    if text.startswith("+"):
        import phonenumbers

        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            return None
        return _calling_code_region(str(number.country_code))
    return _calling_code_region(calling_code)


def phone_country_hints(
    named: Iterable[str],
    phones: Iterable[tuple[str, str | None]],
    esp: Iterable[str] = (),
) -> list[str]:
    """Where the report's numbers written without a country code are likely from, in order.

    `named`: the countries the report gives for its people and incident (addresses, the
    ESP's location estimates); then the countries of the report's other phones that say
    theirs (`phones`: value and calling code); then `esp`, the reporting ESP's own
    countries (its reporting person's addresses and phones). NANP is tried after all.
    """
    hints = [code.strip().upper() for code in named if len(code.strip()) == 2]
    hints += [region for value, code in phones if (region := phone_region(value, code))]
    hints += [code.strip().upper() for code in esp if len(code.strip()) == 2]
    return list(dict.fromkeys(hints))


def phone_keys(
    raw: str, country_hints: Sequence[str], calling_code: str | None = None
) -> list[Key]:
    """E.164 plus the last seven digits (a number written without its area code).

    A national number is read with the calling code written beside it, else as the
    hints say (see phone_country_hints), else as NANP; international prefixes
    ("001 ...", "00 44 ...", "+1.") are understood.
    """
    text = nfkc(raw).strip()
    digits = text.translate(_DIGITS_ONLY)
    if len(digits) < 3:
        return []
    text = _international(text, digits)
    own = None if text.startswith("+") else _calling_code_region(calling_code)
    e164 = _e164(text, (own,)) if own else None
    if e164 is None:
        e164 = _e164(text, _regions(tuple(country_hints)))
    if e164 is not None:
        keys = [Key("e164", e164, 1.0)]
        if len(e164) >= 8:
            keys.append(Key("last7", e164[-7:], 0.3))
        return keys
    if len(digits) < 7:
        return []
    return [Key("digits", digits, 0.6), Key("last7", digits[-7:], 0.3)]
