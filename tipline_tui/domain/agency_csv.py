"""The agency directory as a CSV file: read with every problem named, written back the same way.

An operator keeps the directory in a spreadsheet, so the format is plain CSV
with a header (`kind,name,state,country,contact,takes_urgent`, in any order).
A file is accepted whole or not at all: parse_agencies() reports every
problem with its line so one round of fixes is enough.

Country codes are checked against the regions of Google's libphonenumber
(the `phonenumbers` package, already a dependency and kept current with ITU
and ISO changes), less the two ITU-only codes that are not ISO 3166-1 (AC
Ascension, TA Tristan da Cunha). XK (Kosovo, user-assigned but used by the
EU and the CyberTipline schema) is accepted; ISO codes of places without a
telephone numbering plan (AQ, BV, HM, ...) are not, which an agency cannot
need.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from functools import cache

from tipline_tui.domain.agency import Agency
from tipline_tui.domain.enums import US_STATES, AgencyKind

COLUMNS = ("kind", "name", "state", "country", "contact", "takes_urgent")
_STATES = frozenset(US_STATES)
_KINDS = {kind.value: kind for kind in AgencyKind}
_US_KINDS = {AgencyKind.ICAC, AgencyKind.LOCAL, AgencyKind.FEDERAL}
_TRUE = {"", "yes", "true", "1"}
_FALSE = {"no", "false", "0"}
_TRUE_FALSE_TEXT = "yes, no, true, false, 1 or 0 (blank means yes)"
# C0/C1 controls, DEL, and bidirectional controls that make text read differently than stored.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class AgencyFileError(ValueError):
    """A directory file that cannot be imported; `problems` lists every one.

    Each problem reads "LINE: message", ready to follow a file name the way
    compilers print errors (`agencies.csv:7: unknown kind 'icak'`).
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problems: " + "; ".join(problems[:3]))
        self.problems = problems


@cache
def countries() -> frozenset[str]:
    """Country codes an agency may name; read when a file is parsed, so that writing the
    directory out (`tipline agencies export`) does not load phonenumbers."""
    import phonenumbers

    return frozenset(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA"}


def _shown(value: str, limit: int = 40) -> str:
    """A value quoted for a message, shortened, controls replaced so the message stays one line."""
    value = _CONTROL.sub("?", value)
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _header(fields: list[str], line: int) -> tuple[dict[str, int], list[str]]:
    """Column positions from the header line, and what is wrong with it."""
    names = [f.strip().lower() for f in fields]
    problems: list[str] = []
    if not set(names) & set(COLUMNS):
        expected = ",".join(COLUMNS)
        return {}, [f"{line}: the first line must be a header naming the columns {expected}"]
    positions: dict[str, int] = {}
    for i, name in enumerate(names):
        if name not in COLUMNS:
            problems.append(
                f"{line}: unknown column {_shown(fields[i])} (columns are {', '.join(COLUMNS)})"
            )
        elif name in positions:
            problems.append(f"{line}: column {name!r} appears twice")
        else:
            positions[name] = i
    missing = [c for c in COLUMNS if c not in positions]
    if missing:
        problems.append(
            f"{line}: missing column{'s' if len(missing) > 1 else ''} " + ", ".join(missing)
        )
    return positions, problems


def _agency(values: dict[str, str], line: int, problems: list[str]) -> Agency | None:
    """One row as an Agency, appending its problems; None if it has any."""
    start = len(problems)
    for column, value in values.items():
        if _CONTROL.search(value):
            problems.append(
                f"{line}: {column} contains control characters (line breaks, tabs, escapes or "
                "direction overrides are not allowed)"
            )
    kind_text = values["kind"].strip().lower()
    kind = _KINDS.get(kind_text)
    if kind is None:
        shown = _shown(values["kind"]) if kind_text else "blank"
        problems.append(f"{line}: unknown kind {shown} (kinds are {', '.join(_KINDS)})")
    name = values["name"].strip()
    if not name:
        problems.append(f"{line}: name is empty")
    state = values["state"].strip().upper() or None
    if state is not None and state not in _STATES:
        problems.append(f"{line}: {_shown(values['state'])} is not a US state or territory code")
    country = values["country"].strip().upper() or None
    if country is not None and country not in countries():
        problems.append(f"{line}: {_shown(values['country'])} is not a two-letter ISO country code")
    if kind in (AgencyKind.ICAC, AgencyKind.LOCAL) and state is None:
        problems.append(f"{line}: {_a(kind.value)} agency needs a US state")
    if kind in _US_KINDS and country not in (None, "US"):
        problems.append(
            f"{line}: {_a(kind.value)} agency is in the US, not {_shown(country or '')}"
        )
    if kind is AgencyKind.INTERNATIONAL:
        if country is None or country == "US":
            problems.append(f"{line}: an international partner needs a country other than US")
        if state is not None:
            problems.append(f"{line}: an international partner takes no US state")
    urgent_text = values["takes_urgent"].strip().lower()
    if urgent_text not in _TRUE | _FALSE:
        problems.append(
            f"{line}: takes_urgent is {_shown(values['takes_urgent'])}; use {_TRUE_FALSE_TEXT}"
        )
    if len(problems) > start or kind is None:
        return None
    return Agency(
        kind=kind.value,
        name=name,
        state=state,
        country=country,
        contact=values["contact"].strip() or None,
        takes_urgent=urgent_text in _TRUE,
    )


def parse_agencies(text: str) -> list[Agency]:
    """Every agency in a directory file, or AgencyFileError naming every problem by line.

    Codes are taken in any case and stored upper-case, kinds lower-case;
    surrounding spaces are dropped; blank lines are skipped.
    """
    text = text.removeprefix("\ufeff")  # spreadsheets write a byte-order mark
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[str] = []
    agencies: list[Agency] = []
    positions: dict[str, int] | None = None
    names: dict[str, int] = {}
    ended = 0  # the physical line the previous record ended on
    try:
        for fields in reader:
            line, ended = ended + 1, reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if positions is None:
                positions, header_problems = _header(fields, line)
                if header_problems:
                    raise AgencyFileError(header_problems)
                continue
            if len(fields) != len(COLUMNS):
                problems.append(f"{line}: {len(fields)} fields where the header has {len(COLUMNS)}")
                continue
            values = {column: fields[i] for column, i in positions.items()}
            agency = _agency(values, line, problems)
            folded = values["name"].strip().casefold()
            if folded and folded in names:
                problems.append(
                    f"{line}: duplicate name {_shown(values['name'].strip())} "
                    f"(also on line {names[folded]})"
                )
                continue
            if folded:
                names[folded] = line
            if agency is not None:
                agencies.append(agency)
    except csv.Error as exc:
        problems.append(f"{ended + 1}: not valid CSV ({exc}); nothing after it was read")
    if positions is None and not problems:
        problems.append(
            f"1: the file is empty; the first line must be a header: {','.join(COLUMNS)}"
        )
    if problems:
        raise AgencyFileError(problems)
    return agencies


def format_agencies(agencies: Iterable[Agency]) -> str:
    """The directory as CSV that parse_agencies() reads back unchanged (export, edit, import)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for a in agencies:
        writer.writerow(
            [
                a.kind,
                a.name,
                a.state or "",
                a.country or "",
                a.contact or "",
                "yes" if a.takes_urgent else "no",
            ]
        )
    return out.getvalue()
