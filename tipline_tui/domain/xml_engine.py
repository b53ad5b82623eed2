"""A table-driven walk that checks an element tree against Shapes and builds domain objects.

A Shape says, for one complex type, which children and attributes may appear,
how many times, which are required, how each is converted and how the results
become a dataclass. The walk collects every problem instead of stopping at the
first; child order is not enforced, maximum counts are. An element whose
subtree had a problem builds nothing (the document is refused anyway), so
builders only ever see complete, valid values.

Problems are recorded with the element they concern and a lazy path, a chain
of (parent, tag, position) tuples; paths are rendered and lines looked up
only when there is something to report, so a good document costs neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from tipline_tui.domain.limits import TEXT_CHARS
from tipline_tui.domain.xml_problems import show
from tipline_tui.domain.xml_values import XML_SPACE, Converter, Invalid

# (parent path, tag, 1-based position among same-named siblings, 0 for one that is missing);
# the root's parent is None.
Path = tuple[Any, str, int]
Values = dict[str, Any]
_TEXT_CHARS = TEXT_CHARS.value  # read in the hot loop: a plain int
Check = Callable[[Element, Path, "Context", dict[str, int], Values], None]


class Context:
    """What one parse carries through the walk: the clock limit and the problems so far."""

    __slots__ = ("latest", "problems")

    def __init__(self, latest: datetime) -> None:
        self.latest = latest  # capture times after this are in the future
        self.problems: list[tuple[Path, str, Element]] = []

    def add(self, path: Path, message: str, element: Element) -> None:
        self.problems.append((path, message, element))


@dataclass(slots=True)
class Child:
    """One child element a Shape allows: where its value goes and how it is read.

    `shape` is set for complex children, else `convert` reads the text (None:
    the text as it is). `many` allows repeats; `as_list` collects into a list
    even when only one may appear; `spread` merges a child's built dict into
    the parent's values.
    """

    key: str
    convert: Converter | None = None
    shape: Shape | None = None
    many: bool = False
    as_list: bool = False
    required: bool = False
    spread: bool = False


_SET, _APPEND, _SPREAD = 0, 1, 2
# What walk() reads per child, flattened: (key, convert, shape, many, how to store).
_Row = tuple[str, Converter | None, "Shape | None", bool, int]


@dataclass(slots=True)
class Attr:
    key: str
    convert: Converter | None = None
    required: bool = False


def _as_dict(values: Values) -> Values:
    return values


@dataclass(slots=True)
class Shape:
    """A complex type: its children, attributes, optional simple content and what it builds:
    `make(**values)` (usually a dataclass) when set, else `build(values)`."""

    name: str
    children: dict[str, Child] = field(default_factory=dict)
    attrs: dict[str, Attr] = field(default_factory=dict)
    content: Child | None = None  # simple content: the text's key and converter
    build: Callable[[Values], Any] = _as_dict
    make: Callable[..., Any] | None = None  # when set, called with the values as keywords
    check: Check | None = None
    required: tuple[str, ...] = ()
    required_attrs: tuple[str, ...] = ()
    rows: dict[str, _Row] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.required = tuple(tag for tag, c in self.children.items() if c.required)
        self.required_attrs = tuple(name for name, a in self.attrs.items() if a.required)
        self.rows = {
            tag: (
                c.key,
                c.convert,
                c.shape,
                c.many,
                _SPREAD if c.spread else _APPEND if c.as_list else _SET,
            )
            for tag, c in self.children.items()
        }


def _ignorable(name: str, value: str) -> bool:
    """Namespace declarations and schema-location hints any XSD validator accepts."""
    if name == "xmlns":
        return value == ""  # a default namespace would put every element outside the schema
    return name.startswith("xmlns:") or name in (
        "xsi:schemaLocation",
        "xsi:noNamespaceSchemaLocation",
    )


def _attributes(element: Element, shape: Shape, path: Path, ctx: Context, values: Values) -> None:
    attrs = shape.attrs
    attrib = element.attrib
    for name, value in attrib.items():
        spec = attrs.get(name)
        if spec is None:
            if name == "xmlns" and value:
                message = f"default namespace {show(value)} not allowed: the schema has none"
                ctx.add((path, "@" + name, 1), message, element)
            elif not _ignorable(name, value):
                ctx.add((path, "@" + name, 1), f"unexpected attribute {name}", element)
            continue
        if len(value) > _TEXT_CHARS:
            ctx.add((path, "@" + name, 1), TEXT_CHARS.crossed(len(value)), element)
            continue
        try:
            values[spec.key] = value if spec.convert is None else spec.convert(value, ctx)
        except Invalid as bad:
            ctx.add((path, "@" + name, 1), str(bad), element)
    for name in shape.required_attrs:
        if name not in attrib:
            ctx.add((path, "@" + name, 1), "required attribute missing", element)


def _not_simple(element: Element, path: Path, ctx: Context) -> None:
    inner = element[0]
    ctx.add(
        (path, inner.tag, 1),
        f"unexpected element <{inner.tag}>: <{element.tag}> holds text only",
        inner,
    )


def _stray_text(element: Element, path: Path, ctx: Context, at: Element) -> None:
    ctx.add(path, f"unexpected text in <{element.tag}>, which holds elements only", at)


def _simple_content(
    element: Element, content: Child, path: Path, ctx: Context, values: Values
) -> None:
    """An element that holds text only: its text converted into `values`."""
    if len(element):
        _not_simple(element, path, ctx)
        return
    text = element.text or ""
    if len(text) > _TEXT_CHARS:
        ctx.add(path, TEXT_CHARS.crossed(len(text)), element)
        return
    try:
        values[content.key] = text if content.convert is None else content.convert(text, ctx)
    except Invalid as bad:
        ctx.add(path, str(bad), element)


# The hot loop of the parser: kept flat (no call per child), with rows unpacked from tuples.
def walk(element: Element, shape: Shape, path: Path, ctx: Context) -> Any:
    """Check `element` against `shape`; its built value, or None if anything in it was wrong."""
    before = len(ctx.problems)
    values: Values = {}
    if shape.required_attrs or element.keys():
        _attributes(element, shape, path, ctx, values)
    counts: dict[str, int] = {}
    if shape.content is not None:
        _simple_content(element, shape.content, path, ctx, values)
    else:
        if element.text and element.text.strip(XML_SPACE):
            _stray_text(element, path, ctx, element)
        rows = shape.rows
        for child in element:
            tag = child.tag
            n = counts[tag] = counts.get(tag, 0) + 1
            if child.tail and child.tail.strip(XML_SPACE):
                _stray_text(element, path, ctx, child)
            row = rows.get(tag)
            if row is None:
                ctx.add((path, tag, n), f"unexpected element <{tag}>", child)
                continue
            key, convert, sub, many, how = row
            if n > 1 and not many:
                ctx.add((path, tag, n), f"<{tag}> may appear only once here", child)
                continue
            if sub is None:
                if child.keys():
                    _attributes(child, _NO_ATTRS, (path, tag, n), ctx, values)
                if len(child):
                    _not_simple(child, (path, tag, n), ctx)
                    continue
                value: Any = child.text or ""
                if len(value) > _TEXT_CHARS:  # the one place leaf text is read
                    ctx.add((path, tag, n), TEXT_CHARS.crossed(len(value)), child)
                    continue
                if convert is not None:
                    try:
                        value = convert(value, ctx)
                    except Invalid as bad:
                        ctx.add((path, tag, n), str(bad), child)
                        continue
            else:
                value = walk(child, sub, (path, tag, n), ctx)
                if value is None:
                    continue
            if how == _SET:
                values[key] = value
            elif how == _APPEND:
                values.setdefault(key, []).append(value)
            else:
                values.update(value)
        for tag in shape.required:
            if tag not in counts:
                ctx.add((path, tag, 0), "required element missing", element)
    if shape.check is not None:
        shape.check(element, path, ctx, counts, values)
    if len(ctx.problems) != before:
        return None
    return shape.make(**values) if shape.make is not None else shape.build(values)


_NO_ATTRS = Shape("simple element")


def render(path: Path | None, roots: dict[str, Shape]) -> str:
    """`report/personOrUserReported[2]/ipCaptureEvent[1]/dateTime`: repeatable elements are
    always numbered, others only when they appear more than once."""
    segments: list[tuple[str, int]] = []
    while path is not None:
        path, tag, n = path
        segments.append((tag, n))
    segments.reverse()
    return render_segments(segments, roots)


def render_segments(segments: Iterable[tuple[str, int]], roots: dict[str, Shape]) -> str:
    parts: list[str] = []
    shape: Shape | None = None
    for depth, (tag, n) in enumerate(segments):
        if tag.startswith("@"):
            parts.append(tag)
            continue
        spec = shape.children.get(tag) if shape is not None else None
        if depth == 0:
            shape = roots.get(tag)
        elif spec is not None:
            shape = spec.shape
        else:
            shape = None
        numbered = n > 1 or (n == 1 and spec is not None and spec.many)
        parts.append(f"{tag}[{n}]" if numbered else tag)
    return "/".join(parts)
