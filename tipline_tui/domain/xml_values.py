"""Checks and conversions for the schema's simple types, one small function each.

Every converter takes the element's text exactly as sent and returns the value
the domain keeps, or raises Invalid with a message for the ESP. Strings are
returned untouched. Typed values (booleans, numbers, date-times) may carry the
surrounding whitespace XSD ignores for those types; a date-time is kept as the
text sent without that whitespace. Patterns use [0-9], never \\d, which in
Python also matches other scripts' digits.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import date as _date
from typing import TYPE_CHECKING, Any

from tipline_tui.domain.xml_problems import show

if TYPE_CHECKING:
    from tipline_tui.domain.xml_engine import Context

Converter = Callable[[str, "Context"], Any]

XML_SPACE = " \t\n\r"
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
_MAX_INTEGER_DIGITS = 25  # longer text is out of any range here; int() of huge text is slow

_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_DOUBLE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_SPECIAL_DOUBLES = {"INF": float("inf"), "-INF": float("-inf"), "NaN": float("nan")}
_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\Z"
)
_CALLING_CODE = re.compile(r"\+[0-9]{1,3}\Z")
_EXTENSION = re.compile(r"[0-9]+\Z")


class Invalid(Exception):
    """A value that does not fit its type; the message says why, for the ESP."""


def limited(limit: int) -> Converter:
    """xs:string with the length limit the API documentation sets."""

    def check(text: str, ctx: Context) -> str:
        if len(text) > limit:
            raise Invalid(f"{len(text)} characters long; the limit is {limit}")
        return text

    return check


def boolean(text: str, ctx: Context) -> bool:
    value = _BOOLEANS.get(text)
    if value is None:
        value = _BOOLEANS.get(text.strip(XML_SPACE))
        if value is None:
            raise Invalid(f"{show(text)} is not a boolean (true, false, 1 or 0)")
    return value


def flag(text: str, ctx: Context) -> bool:
    """An annotation flag: xs:boolean fixed to true, so empty means true and false is refused."""
    if not text.strip(XML_SPACE):
        return True
    if not boolean(text, ctx):
        raise Invalid("the schema fixes this flag to true; leave the element out instead of false")
    return True


def _integer(text: str, low: int, high: int, what: str) -> int:
    digits = text.strip(XML_SPACE)
    if len(digits) > _MAX_INTEGER_DIGITS or not _INTEGER.match(digits):
        raise Invalid(f"{show(text)} is not {what}")
    value = int(digits)
    if not low <= value <= high:
        raise Invalid(f"{value} is out of range for {what} ({low} to {high})")
    return value


def ranged_int(low: int, high: int, what: str) -> Converter:
    def check(text: str, ctx: Context) -> int:
        return _integer(text, low, high, what)

    return check


xs_long = ranged_int(LONG_MIN, LONG_MAX, "an integer (xs:long)")
# The schema's xs:int elements are all narrower: ages and ports.
age = ranged_int(0, 150, "an age in years")
port = ranged_int(0, 65535, "a port number")


def ranged_double(low: float, high: float, what: str) -> Converter:
    def check(text: str, ctx: Context) -> float:
        lexical = text.strip(XML_SPACE)
        special = _SPECIAL_DOUBLES.get(lexical)
        if special is None and not _DOUBLE.match(lexical):
            raise Invalid(f"{show(text)} is not a number")
        value = float(lexical) if special is None else special
        if not low <= value <= high:  # NaN fails this too
            raise Invalid(f"{lexical} is out of range for {what} ({low:g} to {high:g})")
        return value

    return check


latitude = ranged_double(-90.0, 90.0, "a latitude")
longitude = ranged_double(-180.0, 180.0, "a longitude")


def enumeration(allowed: frozenset[str], what: str) -> Converter:
    """A value from a closed list; short lists are spelt out in the message."""
    listing = ", ".join(sorted(repr(v) for v in allowed))
    listing = f" (one of {listing})" if len(listing) <= 120 else ""

    def check(text: str, ctx: Context) -> str:
        if text in allowed:
            return text
        raise Invalid(f"{show(text)} is not an allowed {what}{listing}")

    return check


_ZONE = r"(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?\Z"
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?" + _ZONE)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}" + _ZONE)
_END_OF_DAY = re.compile(r"24:00:00(?:\.0+)?\Z")
_DATE_TIME_EXAMPLE = "an ISO 8601 date-time such as 2024-05-01T13:45:00Z"
_ONE_DAY = timedelta(days=1)


def _moment(text: str) -> tuple[str, datetime]:
    """The lexical form (the regex) and the instant it names (fromisoformat checks the ranges)."""
    lexical = text.strip(XML_SPACE)
    match = _DATE_TIME.match(lexical)
    if match is None:
        raise Invalid(f"{show(text)} is not {_DATE_TIME_EXAMPLE}")
    if match.group(2) is None:
        raise Invalid(f"date-time must include a time zone (Z or +hh:mm): {show(text)}")
    try:
        return lexical, datetime.fromisoformat(lexical)
    except ValueError:
        pass
    # XSD allows 24:00:00, the first instant of the next day; Python does not.
    zone = match.group(2)
    if _END_OF_DAY.match(lexical, 11, len(lexical) - len(zone)):
        try:
            return lexical, datetime.fromisoformat(lexical[:11] + "00:00:00" + zone) + _ONE_DAY
        except ValueError:
            pass
        except OverflowError:  # 9999-12-31T24:00:00: past any clock
            return lexical, datetime.max.replace(tzinfo=UTC)
    raise Invalid(f"{show(text)} is not {_DATE_TIME_EXAMPLE}")


def date_time(text: str, ctx: Context) -> str:
    """xs:dateTime with a zone; kept as the text sent."""
    return _moment(text)[0]


def capture_time(text: str, ctx: Context) -> str:
    """A capture time must be in the past (give or take the clock skew Context allows)."""
    lexical, moment = _moment(text)
    if moment > ctx.latest:
        raise Invalid(f"capture time {lexical} is in the future")
    return lexical


def date(text: str, ctx: Context) -> str:
    """xs:date (the zone is optional there); kept as the text sent."""
    lexical = text.strip(XML_SPACE)
    match = _DATE.match(lexical)
    try:
        if match is None:
            raise ValueError(lexical)
        _date.fromisoformat(lexical[:10])
    except ValueError:
        raise Invalid(f"{show(text)} is not an ISO 8601 date such as 2009-06-30") from None
    return lexical


def ip_address(text: str, ctx: Context) -> str:
    """An IPv4 or IPv6 address, kept as sent (the common IPv4 case skips the ipaddress module)."""
    if _IPV4.match(text):
        return text
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise Invalid(f"{show(text)} is not an IPv4 or IPv6 address") from None
    return text


def calling_code(text: str, ctx: Context) -> str:
    if not _CALLING_CODE.match(text):
        raise Invalid(f"{show(text)} is not a country calling code such as +44")
    return text


def extension(text: str, ctx: Context) -> str:
    if not _EXTENSION.match(text):
        raise Invalid(f"{show(text)} is not a phone extension (digits only)")
    return text
