"""Bytes to an element tree with expat, refusing anything that could hurt the reader.

No DOCTYPE is accepted (so no entity can be declared: no expansion bombs, no
external entities, nothing is ever fetched), the size is checked before parsing,
and nesting depth and element count are capped.

Two passes, for speed: the fast pass wires expat straight to the C TreeBuilder
(no Python code runs per element) and so has no line numbers; the careful pass
runs Python handlers that note each element's line, enforce the depth and count
limits as they go and know which elements are open when expat stops. The
careful pass runs only when something is wrong (or the document might exceed
the element cap), so a good document never pays for it.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_ELEMENTS = 200_000

_ERR = expat.errors
_CODE = _ERR.codes  # message -> number
_BAD_BYTES = {_CODE[_ERR.XML_ERROR_INVALID_TOKEN], _CODE[_ERR.XML_ERROR_PARTIAL_CHAR]}
_UNKNOWN_ENCODING = _CODE[_ERR.XML_ERROR_UNKNOWN_ENCODING]
_INCORRECT_ENCODING = _CODE[_ERR.XML_ERROR_INCORRECT_ENCODING]
_NO_ELEMENTS = _CODE[_ERR.XML_ERROR_NO_ELEMENTS]
_UNDEFINED_ENTITY = _CODE[_ERR.XML_ERROR_UNDEFINED_ENTITY]
_DECLARED_ENCODING = re.compile(r"""<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,64})["']""")
# The encodings expat itself knows. For any other name pyexpat would fall back on
# Python's codecs (odd ones included, such as unicode_escape), so others are refused.
SUPPORTED_ENCODINGS = frozenset(
    {"utf-8", "utf-16", "utf-16le", "utf-16be", "iso-8859-1", "us-ascii"}
)
_USUAL_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_UTF16_STARTS = {
    b"\xff\xfe": "utf-16-le",
    b"\xfe\xff": "utf-16-be",
    b"<\x00": "utf-16-le",
    b"\x00<": "utf-16-be",
}


class Refused(Exception):
    """The bytes are not a document we will read; `open_elements` says where expat stopped."""

    def __init__(
        self, message: str, line: int | None = None, open_elements: tuple[tuple[str, int], ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.open_elements = open_elements


class _Stop(Exception):
    """Raised inside an expat handler to end the parse at once."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _declared_encoding(data: bytes) -> str | None:
    """The encoding named in the XML declaration, read in the byte order the start shows."""
    head = data[:512]
    codec = _UTF16_STARTS.get(head[:2], "latin-1")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    found = _DECLARED_ENCODING.match(head.decode(codec, "replace").lstrip("\ufeff"))
    return found.group(1) if found else None


def _check(data: bytes) -> None:
    """Refusals decided before expat sees a byte: size, emptiness, an encoding expat lacks."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Refused(f"document is {len(data):,} bytes; the limit is {MAX_DOCUMENT_BYTES:,} bytes")
    if not data:
        raise Refused("empty document")
    if data.startswith(_USUAL_DECLARATION):
        return
    name = _declared_encoding(data)
    if name is not None and name.lower() not in SUPPORTED_ENCODINGS:
        raise Refused(_unsupported(name), 1)


def _unsupported(name: str) -> str:
    return (
        f"unknown or unsupported declared encoding {name!r}; "
        "send UTF-8 (or UTF-16, ISO-8859-1, US-ASCII)"
    )


def _refuse_doctype(*_args: object) -> None:
    raise _Stop("DTD/DOCTYPE not allowed")


def _refuse_external(*_args: object) -> int:
    raise _Stop("external entities are not allowed")


def _new_parser() -> expat.XMLParserType:
    """An expat parser that stops at any DOCTYPE or entity declaration.

    Refusing the DOCTYPE is enough (nothing can be declared without one); the
    entity handlers refuse as well, in case a later expat reports them otherwise.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.buffer_size = 65536
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.UnparsedEntityDeclHandler = _refuse_doctype
    parser.NotationDeclHandler = _refuse_doctype
    parser.ExternalEntityRefHandler = _refuse_external
    return parser


def _translate(data: bytes, error: expat.ExpatError) -> tuple[str, int]:
    """An ESP-readable message for an expat error, and its line."""
    code, line, column = error.code, error.lineno, error.offset + 1
    if code in _BAD_BYTES:
        text = "invalid byte for the declared encoding or not well-formed XML"
    elif code == _UNKNOWN_ENCODING:
        return _unsupported(_declared_encoding(data) or "?"), line
    elif code == _INCORRECT_ENCODING:
        text = "the declared encoding does not match the document's bytes"
    elif code == _NO_ELEMENTS and not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"):
        return "empty document", line
    elif code == _UNDEFINED_ENTITY:
        text = "undefined entity (only &lt; &gt; &amp; &quot; &apos; and &#...; are allowed)"
    else:
        text = f"not well-formed XML: {_ERR.messages.get(code, str(error))}"
    return f"{text} at column {column}", line


def read(data: bytes) -> Element:
    """The fast pass: the document's root element, or Refused."""
    _check(data)
    # Every element takes at least 4 bytes ("<a/>"), so only a big document can pass the cap;
    # one with more "<" bytes than the cap allows is read by the careful pass, which counts.
    if len(data) > 4 * MAX_ELEMENTS and data.count(b"<") > MAX_ELEMENTS:
        root, _lines = careful(data)
        return root
    parser = _new_parser()
    builder = TreeBuilder()
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except _Stop as stop:
        raise Refused(stop.message, parser.CurrentLineNumber) from None
    except (LookupError, ValueError):  # pyexpat's codec fallback; _check should prevent it
        raise Refused(_unsupported(_declared_encoding(data) or "?"), 1) from None
    except expat.ExpatError:
        careful(data)  # raises Refused with the open elements and the same error
        raise Refused("not well-formed XML") from None  # pragma: no cover - careful raised
    return builder.close()


def careful(data: bytes) -> tuple[Element, list[int]]:
    """The careful pass: the root and every element's start line in document order."""
    _check(data)
    parser = _new_parser()
    builder = TreeBuilder()
    lines: list[int] = []
    open_tags: list[str] = []
    open_counts: list[dict[str, int]] = [{}]
    positions: list[int] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        line = parser.CurrentLineNumber
        lines.append(line)
        counts = open_counts[-1]
        n = counts[tag] = counts.get(tag, 0) + 1
        open_tags.append(tag)
        positions.append(n)
        open_counts.append({})
        if len(lines) > MAX_ELEMENTS:
            raise _Stop(f"more than {MAX_ELEMENTS:,} elements", line)
        if len(open_tags) > MAX_DEPTH:
            raise _Stop(f"elements nested more than {MAX_DEPTH} deep", line)
        builder.start(tag, attrs)

    def end(tag: str) -> None:
        open_tags.pop()
        positions.pop()
        open_counts.pop()
        builder.end(tag)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except _Stop as stop:
        line = parser.CurrentLineNumber if stop.line is None else stop.line
        raise Refused(stop.message, line, tuple(zip(open_tags, positions, strict=True))) from None
    except (LookupError, ValueError):
        raise Refused(_unsupported(_declared_encoding(data) or "?"), 1) from None
    except expat.ExpatError as error:
        message, line = _translate(data, error)
        raise Refused(message, line, tuple(zip(open_tags, positions, strict=True))) from None
    return builder.close(), lines
