"""A strict XML writer: elements in the order written, text and attributes escaped exactly.

A string is written exactly (a CR or an attribute newline is escaped as a character
reference so no parser normalises it away), and a value XML cannot carry raises
ValueError naming the field instead of being dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from typing import Any

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Everything outside XML 1.0's Char production (C0 controls but tab/LF/CR,
# surrogates, U+FFFE/U+FFFF) cannot appear in a document, not even escaped.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)

Scalar = str | bool | int | float
Attrs = Sequence[tuple[str, Scalar | None]]


class XmlOut:
    """An indented document built in order; a complex element with no children self-closes."""

    def __init__(self) -> None:
        self._parts: list[str] = [_DECLARATION]
        self._open: list[tuple[str, int]] = []

    def start(self, tag: str, attrs: Attrs = (), where: str = "") -> None:
        self._parts.append(f"{self._indent()}<{tag}{_attrs(attrs, where)}>\n")
        self._open.append((tag, len(self._parts)))

    def end(self) -> None:
        tag, mark = self._open.pop()
        if mark == len(self._parts):  # nothing inside: <tag/>
            self._parts[-1] = self._parts[-1][:-2] + "/>\n"
        else:
            self._parts.append(f"{self._indent()}</{tag}>\n")

    def leaf(self, tag: str, value: Scalar | None, where: str, attrs: Attrs = ()) -> None:
        """A simple-content element, left out when `value` is None."""
        if value is None:
            return
        text = _lexical(value, where).translate(_TEXT_ESCAPES)
        self._parts.append(f"{self._indent()}<{tag}{_attrs(attrs, where)}>{text}</{tag}>\n")

    def leaves(self, tag: str, values: Iterable[Scalar], where: str) -> None:
        for i, value in enumerate(values):
            self.leaf(tag, value, f"{where}[{i}]")

    def document(self) -> bytes:
        assert not self._open, self._open
        return "".join(self._parts).encode("utf-8")

    def _indent(self) -> str:
        return "  " * len(self._open)


def _lexical(value: Scalar, where: str) -> str:
    """The XSD lexical form: true/false, decimal ints, INF/NaN doubles, strings as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "INF" if value > 0 else "-INF"
        return repr(value)
    bad = _NOT_XML_CHAR.search(value)
    if bad is not None:
        raise ValueError(
            f"{where}: character U+{ord(bad.group()):04X} at offset {bad.start()} "
            "cannot be written in XML 1.0"
        )
    return value


def _attrs(attrs: Attrs, where: str) -> str:
    return "".join(
        f' {name}="{_lexical(value, f"{where}@{name}").translate(_ATTR_ESCAPES)}"'
        for name, value in attrs
        if value is not None
    )


def is_set(value: Any) -> bool:
    return value is not None and value != []


def unsupported(obj: Any, carried: Iterable[str], where: str, element: str) -> None:
    """Refuse data the target element has no place for, rather than losing it silently."""
    known = set(carried)
    for f in fields(obj):
        if f.name not in known and is_set(getattr(obj, f.name)):
            raise ValueError(f"{where}.{f.name}: a {element} element has no place for it")


# How one child is written: (out, tag, value, where). Tables of (tag, field, emit) rows
# below list each element's children in the schema's sequence order.
Emit = Callable[["XmlOut", str, Any, str], None]
Row = tuple[str, str, Emit]


def leaf(out: XmlOut, tag: str, value: Any, where: str) -> None:
    out.leaf(tag, value, where)


def leaves(out: XmlOut, tag: str, values: Any, where: str) -> None:
    out.leaves(tag, values, where)
