"""What one ESP may send the hub: the limits of the README's "Limits" table, in one place.

Why these bound each other: a finished report becomes ONE feed change (its XML and
every fileDetails document, as JSON text), and a feed page can be no smaller than
one change. So a report's documents are capped well below the change cap, with room
for the worst JSON escaping, and every client can always take the next page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHANGE_BYTES",
    "FILES_PER_REPORT",
    "FILE_DETAILS_PER_REPORT",
    "JSON_WORST_GROWTH",
    "PAGE_BYTES",
    "REPORT_BYTES",
    "TEXT_CHARS",
    "Limit",
    "wire_bytes",
]


@dataclass(frozen=True, slots=True)
class Limit:
    """A named bound: refusals name it, so an ESP's log says which limit it crossed."""

    name: str
    value: int
    unit: str

    def crossed(self, actual: int) -> str:
        """The words a refusal carries: the limit by name, its value, what was sent."""
        return (
            f"limit '{self.name}' is {self.value:,} {self.unit}; "
            f"this would make {actual:,} {self.unit}"
        )


# The longest field the API documents is 3,000 characters (descriptions); free text the
# schema leaves unbounded (additionalInfo, nameValuePair/value) gets 64 Ki: twenty times
# that, some 30 pages of prose. A 9.9 MB value is a file's content, which belongs in /upload.
TEXT_CHARS = Limit("text node", 65_536, "characters")

# A report describes one incident; a batched report carries exactly one file. 1,000 files
# covers the largest collections ESPs report at once, and keeps the finish receipt (one
# <fileId> per file) and the report's rows small. File bytes never enter the feed.
FILES_PER_REPORT = Limit("files per report", 1_000, "files")

# fileDetails is sent at most once per file, so it can never outnumber the files.
FILE_DETAILS_PER_REPORT = Limit("fileDetails per report", FILES_PER_REPORT.value, "documents")

# Report XML plus every fileDetails, as stored. A rich report is tens of KB and a
# fileDetails a few KB, so 1 MiB holds a report with hundreds of described files.
REPORT_BYTES = Limit("report bytes", 1024 * 1024, "bytes")

# JSON can grow text at most threefold (stored ASCII-escaped, a 2-byte UTF-8 character
# becomes \uXXXX); served (UTF-8, as `wire_bytes` counts) at most twofold (" becomes \").
JSON_WORST_GROWTH = 3

# No feed change may be larger: what every client must be able to hold at once.
CHANGE_BYTES = Limit("feed change bytes", 4 * 1024 * 1024, "bytes")

# A feed page stops adding changes before passing this (it always holds at least one).
PAGE_BYTES = Limit("feed page bytes", CHANGE_BYTES.value, "bytes")

# The envelope of a report change (ids, keys, separators) beside its documents.
_ENVELOPE_ROOM = 64 * 1024 + 8 * FILE_DETAILS_PER_REPORT.value
assert REPORT_BYTES.value * JSON_WORST_GROWTH + _ENVELOPE_ROOM < CHANGE_BYTES.value


def wire_bytes(value: Any) -> int:
    """Bytes `value` takes as the feed serves it (compact UTF-8 JSON): what limits count."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
