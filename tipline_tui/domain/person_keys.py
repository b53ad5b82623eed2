"""Full name and date of birth keys: how law enforcement deconflicts people.

The same birth date with a fuzzy full name (a slipped letter, another script, first and
last swapped) is strong evidence of one person; a full name alone is weak (common names
are shared by many); the same name with another birth date is evidence against.

Names in other scripts compare in a common Latin form through anyascii, a maintained
transliteration library (Cyrillic "Дерек Ванс" reads "Derek Vans"), not hand-written
tables. A person's name and birth date travel together in one identifier value
("Derek Vance, born 1981-08-21") so the pair is never split across a report's people.
"""

from __future__ import annotations

import re

from anyascii import anyascii

from tipline_tui.domain.key import Key, nfkc

FULL_NAME = "full_name"  # the identifier kind: "First Last" or "First Last, born YYYY-MM-DD"
BORN = ", born "

DOB_STRENGTH = 0.8  # same birth date and a name that agrees: strong
SCRIPT_STRENGTH = 0.7  # ... when one of the names is in another script: a little less sure
NAME_STRENGTH = 0.1  # a full name alone never shows a tip by itself (under MIN_SCORE)
NAMES_AGREE = 75.0  # similarity of each Latin word (0..100) for a fuzzy name, one script
ACROSS_SCRIPTS = 60.0  # ... and when one name was transliterated

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def normalise_dob(text: str | None) -> str | None:
    """A birth date as YYYY-MM-DD, from ISO (with or without time), M/D/YYYY or YYYYMMDD."""
    if not text:
        return None
    text = nfkc(text).strip()
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _US_DATE.fullmatch(text):
        month, day, year = match.groups()
    elif match := _COMPACT_DATE.fullmatch(text):
        year, month, day = match.groups()
    else:
        return None
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def full_name_value(first: str | None, last: str | None, dob: str | None) -> str | None:
    """The identifier value for a person's full name (and birth date), None without both names."""
    if not first or not last or first.isspace() or last.isspace():
        return None
    name = f"{first.strip()} {last.strip()}"
    born = normalise_dob(dob)
    return f"{name}{BORN}{born}" if born else name


def split_full_name(raw: str) -> tuple[str, str | None]:
    """(name, birth date or None) of a full-name identifier value."""
    name, sep, born = raw.rpartition(BORN)
    if sep and normalise_dob(born) == born:
        return name, born
    return raw, None


def _latin_words(name: str) -> list[str]:
    latin = anyascii(nfkc(name)).casefold()
    return "".join(c if c.isalpha() else " " for c in latin).split()


def latin_name(name: str) -> str:
    """The name in Latin letters, lower case, its words sorted: first/last order is not kept."""
    return " ".join(sorted(_latin_words(name)))


def other_script(a: str, b: str) -> bool:
    """True when exactly one of two names needed transliterating (not mere accents)."""
    return _script_of(a) != _script_of(b)


def _script_of(name: str) -> bool:
    return any(c.isalpha() and ord(c) > 0x24F for c in name)


def names_agree(a: str, b: str) -> float | None:
    """How alike two names are (0..100) in their Latin forms, or None if they differ.

    Compared in both word orders (first and last swapped). Across scripts the bar is
    lower: transliteration back and forth loses letters ("Fauxman" -> "Фауксман" ->
    "Fauksman"), and the caller has already matched the birth date.
    """
    wa, wb = _latin_words(a), _latin_words(b)
    if not wa or not wb:
        return None
    cutoff = ACROSS_SCRIPTS if other_script(a, b) else NAMES_AGREE
    score = max(_aligned(wa, wb, cutoff), _aligned(wa, wb[::-1], cutoff))
    return score or None


def _aligned(wa: list[str], wb: list[str], cutoff: float) -> float:
    """Word by word when both have as many words (each must agree: twins differ in one)."""
    from rapidfuzz import fuzz  # here: opening the queue needs no rapidfuzz

    if len(wa) != len(wb):
        return fuzz.ratio(" ".join(wa), " ".join(wb), score_cutoff=cutoff)
    return min(fuzz.ratio(x, y, score_cutoff=cutoff) for x, y in zip(wa, wb, strict=True))


def full_name_keys(raw: str) -> list[Key]:
    """The birth date (matched only with a name that agrees) and the Latin full name."""
    name, born = split_full_name(nfkc(raw).strip())
    keys: list[Key] = []
    if born:
        keys.append(Key("dob", born, DOB_STRENGTH))
    latin = latin_name(name)
    if " " in latin:
        keys.append(Key("fullname", latin, NAME_STRENGTH))
    return keys
