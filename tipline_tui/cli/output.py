"""What every command prints the same way: one-line errors with their exit codes, inert text."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence

from tipline_tui.cli.exits import FILE_OR_RESULT, USAGE_OR_STORE
from tipline_tui.domain.literal import literal

# C1 and bidirectional controls: json.dumps leaves them raw (C0 it escapes itself)
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def fail(message: str) -> int:
    """A usage or state problem (no such tip, a bad store): one line, exit 2."""
    print(f"tipline: {message}", file=sys.stderr)
    return USAGE_OR_STORE


def file_error(message: str) -> int:
    """A file that cannot be read or written: one line, exit 1."""
    print(f"tipline: {message}", file=sys.stderr)
    return FILE_OR_RESULT


def warn(message: str) -> None:
    print(f"tipline: {message}", file=sys.stderr, flush=True)


def one_line(value: str | None) -> str:
    """Untrusted text shown literally on one line: it cannot drive the terminal."""
    return literal(value, multiline=False)


def maybe_line(value: str | None) -> str | None:
    return None if value is None else one_line(value)


def safe_json(value: object) -> str:
    """JSON that cannot drive a terminal: every control character is a \\u escape.

    json.dumps escapes C0 controls itself; C1 and bidi controls it leaves raw
    (they may only occur inside strings, where an escape means the same).
    """
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def compact_value(value: object, limit: int = 160) -> str:
    """A before/after value in one compact, inert line."""
    text = "-" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_secret(lines: list[str]) -> None:
    for line in lines:
        print(line)
    print("(shown once: the hub keeps only a hash of it)", file=sys.stderr)


def print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for r in [header, *rows]:
        cells = [one_line(c).ljust(w) for c, w in zip(r, widths, strict=False)]
        print("  ".join([*cells, r[-1]]).rstrip())
