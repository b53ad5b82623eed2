"""Make untrusted report text safe to draw, without changing what it says.

ESPs and the public write report text. Control characters could drive the
terminal; bidirectional overrides could make text read differently than it
is stored. Controls are dropped (newline and tab kept where asked), and
bidi controls are shown as visible tags so an analyst sees they are there.
"""

from __future__ import annotations

import re

_BIDI = {
    "\u061c": "ALM",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
}
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_MULTILINE = re.compile(f"[{_CONTROLS}]")
_ONE_LINE = re.compile(f"[{_CONTROLS}\t\n]")
_BIDI_RE = re.compile("[" + "".join(_BIDI) + "]")


def _show_bidi(match: re.Match[str]) -> str:
    return f"<{_BIDI[match.group()]}>"


def literal(text: str | None, *, multiline: bool = True) -> str:
    """`text` with controls removed and bidi controls made visible.

    With `multiline=False`, newlines and tabs become spaces so a value fits one
    table cell. The result is plain text; callers must still draw it without
    markup (Content/Text, or markup=False).
    """
    if not text:
        return ""
    if multiline:
        cleaned = _MULTILINE.sub("", text.replace("\r\n", "\n"))
    else:
        cleaned = _ONE_LINE.sub(lambda m: " " if m.group() in "\t\n" else "", text)
    return _BIDI_RE.sub(_show_bidi, cleaned)
