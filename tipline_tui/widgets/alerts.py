"""Reaching the person, not just the window: desktop notification escapes.

OSC 9 (iTerm2, WezTerm, Windows Terminal, kitty, foot, Ghostty...) and OSC 777 `notify`
(urxvt, foot, WezTerm, Ghostty, VTE terminals such as GNOME Terminal) ask the terminal for a
system notification; they travel over SSH like any output, and a terminal that knows
neither ignores both (an OSC string ends at its BEL and shows nothing). Inside tmux they
are wrapped in tmux's passthrough (`ESC P tmux; ... ESC \\`), which tmux 3.3+ forwards
to the outer terminal when `set -g allow-passthrough on` and drops otherwise.

The text is only ever "urgent tip #N": a notification may show on a locked screen or a
shared display, so no report text goes into it. Control characters are removed anyway.
"""

from __future__ import annotations

import re

__all__ = ["notification_escapes"]

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f;]")
TITLE = "tipline"


def _clean(text: str) -> str:
    return _UNSAFE.sub(" ", text)[:80]


def notification_escapes(text: str, *, tmux: bool = False) -> str:
    """OSC 9 and OSC 777 for `text`, wrapped for tmux's passthrough when `tmux`."""
    body = _clean(text)
    escapes = [f"\x1b]9;{body}\x07", f"\x1b]777;notify;{TITLE};{body}\x07"]
    if tmux:  # inside the passthrough every ESC is doubled
        return "".join(f"\x1bPtmux;{e.replace(chr(27), chr(27) * 2)}\x1b\\" for e in escapes)
    return "".join(escapes)
