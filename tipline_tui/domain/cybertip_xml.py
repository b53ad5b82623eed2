"""Parse CyberTipline XML (`<report>`, `<fileDetails>`) into domain objects, or refuse it.

The public face of the parser. Whatever the bytes, the only exception is
ReportParseError, listing every problem found with its element path and line.
The pieces: xml_reader (safe bytes -> element tree), xml_shapes (the schema
as a table), xml_engine (the walk that checks and builds), xml_values (simple
types), xml_rules (rules spanning elements), xml_codes (the enumerations).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element

from tipline_tui.domain.report import FileDetails, Report
from tipline_tui.domain.xml_engine import Context, Shape, render, render_segments, walk
from tipline_tui.domain.xml_problems import Problem, ReportParseError
from tipline_tui.domain.xml_reader import MAX_DOCUMENT_BYTES, Refused, careful, read
from tipline_tui.domain.xml_shapes import FILE_DETAILS, REPORT, ROOTS

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "Problem",
    "ReportParseError",
    "parse_document",
    "parse_file_details",
    "parse_report",
]

CLOCK_SKEW = timedelta(minutes=5)
MAX_LISTED_PROBLEMS = 100  # a hostile document can have 200,000; the first hundred tell enough
INTERNAL_ERROR = "internal error: the parser failed on this document"


def parse_document(data: bytes, *, now: datetime | None = None) -> Report | FileDetails:
    """A `<report>` or a `<fileDetails>` document, told apart by its root element."""
    return _parse(data, now, ROOTS)


def parse_report(data: bytes, *, now: datetime | None = None) -> Report:
    """A `<report>` document; any other root is refused."""
    result: Report = _parse(data, now, {"report": REPORT})
    return result


def parse_file_details(data: bytes, *, now: datetime | None = None) -> FileDetails:
    """A `<fileDetails>` document; FileDetails.report_id comes from its reportId."""
    result: FileDetails = _parse(data, now, {"fileDetails": FILE_DETAILS})
    return result


def _parse(data: bytes, now: datetime | None, accepted: dict[str, Shape]) -> Any:
    try:
        return _parse_checked(data, now, accepted)
    except ReportParseError:
        raise
    except Refused as refused:
        raise _error(refused) from None
    except Exception as exc:  # a bug, not the input's fault: still refuse the document, never crash
        raise ReportParseError([Problem("", f"{INTERNAL_ERROR} ({type(exc).__name__})")]) from exc


def _error(refused: Refused) -> ReportParseError:
    path = render_segments(refused.open_elements, ROOTS)
    return ReportParseError([Problem(path, refused.message, refused.line)])


def _parse_checked(data: bytes, now: datetime | None, accepted: dict[str, Shape]) -> Any:
    if type(data) is not bytes:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ReportParseError([Problem("", "a document must be given as bytes")])
        data = bytes(data)
    root = read(data)
    shape = accepted.get(root.tag)
    if shape is None:
        expected = " or ".join(f"<{tag}>" for tag in accepted)
        raise ReportParseError(
            [Problem("", f"wrong root element <{root.tag}>; expected {expected}", _root_line(data))]
        )
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ctx = Context(moment + CLOCK_SKEW)
    result = walk(root, shape, (None, root.tag, 1), ctx)
    if ctx.problems:
        raise ReportParseError(_placed(data, root, ctx))
    return result


def _root_line(data: bytes) -> int | None:
    lines = careful(data)[1]
    return lines[0] if lines else None


def _placed(data: bytes, root: Element, ctx: Context) -> list[Problem]:
    """Problems in line order with their paths rendered and lines found (by a second,
    line-noting parse); past MAX_LISTED_PROBLEMS only their number is told."""
    lines = careful(data)[1]
    order = {id(element): i for i, element in enumerate(root.iter())}
    found = sorted(
        ((lines[order[id(element)]], path, message) for path, message, element in ctx.problems),
        key=lambda problem: problem[0],
    )
    placed = [
        Problem(render(path, ROOTS), message, line)
        for line, path, message in found[:MAX_LISTED_PROBLEMS]
    ]
    if len(found) > MAX_LISTED_PROBLEMS:
        placed.append(Problem("", f"{len(found) - MAX_LISTED_PROBLEMS:,} more problems not listed"))
    return placed
