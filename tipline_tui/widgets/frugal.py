"""Fewer bytes to the terminal: over SSH every repaint is paid for in bytes.

Measured with `bench/terminal_bytes.py`. Textual writes each run of text as
`ESC[<style>m text ESC[0m`; a colour that means "the terminal's default" is
still spelled out (`39;49`), neighbours of one style are written apart, the
footer rebuilds itself on every focus change, and a focus change repaints the
whole screen. Each helper here removes one of those costs without changing
what is drawn.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.driver import Driver
from textual.filter import LineFilter
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widgets import Footer


@lru_cache(4096)
def _without_default_colours(style: Style) -> Style:
    """The style minus colours that say "the terminal's default": after the reset Textual
    writes behind every run, the terminal is already there."""
    color, bgcolor = style.color, style.bgcolor
    default_fg = color is not None and color.is_default
    default_bg = bgcolor is not None and bgcolor.is_default
    if not (default_fg or default_bg):
        return style
    kept = Style(color=None if default_fg else color, bgcolor=None if default_bg else bgcolor)
    terse = style.without_color + kept
    if style._meta:  # click targets and offsets ride on the style's meta: keep them
        terse += Style.from_meta(style.meta)
    return terse


class TerseStyles(LineFilter):
    """Drop default colours and join neighbouring runs of one style; what shows is the same."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        joined: list[Segment] = []
        for segment in segments:
            text, style, control = segment
            if control:
                joined.append(segment)
                continue
            if style is not None:
                style = _without_default_colours(style)
            last = joined[-1] if joined else None
            if last is not None and not last.control and last.style == style:
                joined[-1] = Segment(last.text + text, style)
            else:
                joined.append(Segment(text, style))
        return joined


class QuietFooter(Footer):
    """Textual's footer, rebuilt only when the keys it shows change.

    The stock footer rebuilds (and so rewrites its whole line) on every focus
    change and screen switch, and under a dialog that also redraws the dialog.
    """

    _shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        keys = tuple(
            (key, b.binding, b.enabled, b.tooltip) for key, b in screen.active_bindings.items()
        )
        shown = (screen.app.app_focus, screen is self.screen, keys)
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)


def quiet_focus_repaint() -> None:
    """A focus change repaints the focused and blurred widgets only, not the whole screen.

    Textual 8 declares `Screen.focused` a repainting reactive, so moving focus
    (every pane switch in a report) rewrote all 1,920 cells; the widgets whose
    look depends on focus are restyled (and so repainted) by Textual anyway.
    """
    focused = Screen.__dict__.get("focused")
    if isinstance(focused, Reactive):
        focused._repaint = False


# Textual writes each row (or part of one) after a cursor move `ESC[row;colH`.
_MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
# What may come before the first move without touching a cell: pointer-shape and other OSC
# strings, synchronized-output and cursor-visibility switches, the bell.
_HARMLESS = re.compile(r"(?:\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[\?(?:25|2026)[hl]|\x07)*")

_HARMLESS_TAIL = re.compile(_HARMLESS.pattern + r"\Z")

Row = tuple[tuple[int, str], ...]


class RowMemory:
    """What each terminal row last received, so that writing it again can be left out.

    Textual repaints a whole screen several times when one is pushed or popped
    (on resume, after its children mount, when the screen below settles), each
    time with the same rows. Writing a row's pieces again over what they wrote
    last time changes nothing, so a frame keeps only the rows whose pieces
    differ from the last ones that row received. Anything this cannot follow
    (a clear, the alternate screen, text without a cursor move) forgets all.
    """

    def __init__(self) -> None:
        self._rows: dict[int, Row] = {}

    def forget(self) -> None:
        self._rows.clear()

    def frame(self, data: str) -> str:
        """`data` without the rows the terminal already shows exactly so.

        What follows the last row (the end of a synchronized update, the cursor shown again)
        is always kept: dropping it with an unchanged row would leave the terminal holding
        its display for an update that never ends.
        """
        tail = _HARMLESS_TAIL.search(data)
        end = tail.start() if tail is not None else len(data)
        return self._rows_of(data[:end]) + data[end:]

    def _rows_of(self, data: str) -> str:
        moves = list(_MOVE.finditer(data))
        if not moves or not _HARMLESS.fullmatch(data, 0, moves[0].start()):
            if not _HARMLESS.fullmatch(data):
                self.forget()
            return data
        pieces: list[tuple[int, int, str]] = []
        for move, after in zip(moves, [*moves[1:], None], strict=True):
            text = data[move.end() : after.start() if after else len(data)]
            if "\r" in text or "\n" in text.rstrip("\n") or text.count("\n") > 1:
                self.forget()  # text running onto another row: cannot tell which
                return data
            pieces.append((int(move.group(1)), int(move.group(2)), text))
        rows: dict[int, list[tuple[int, str]]] = {}
        for y, x, text in pieces:
            if text.strip("\n"):
                rows.setdefault(y, []).append((x, text))
        unchanged = {y for y, row in rows.items() if self._rows.get(y) == tuple(row)}
        for y, row in rows.items():
            self._rows[y] = tuple(row)
        kept = [data[: moves[0].start()]]
        for move, (y, _, text) in zip(moves, pieces, strict=True):
            if y not in unchanged or not text.strip("\n"):
                kept.append(move.group(0) + text)
        return "".join(kept)


def row_memory_driver(driver_class: type[Driver]) -> type[Driver]:
    """`driver_class` writing only the rows that changed (see `RowMemory`)."""

    class RowMemoryDriver(driver_class):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._row_memory = RowMemory()
            self._remembered_size: tuple[int, int] | None = None

        def write(self, data: str) -> None:
            size = self._get_terminal_size()
            if size != self._remembered_size:  # a resized terminal may have reflowed
                self._row_memory.forget()
                self._remembered_size = size
            super().write(self._row_memory.frame(data))

        def start_application_mode(self) -> None:
            self._row_memory.forget()
            super().start_application_mode()

        def stop_application_mode(self) -> None:
            self._row_memory.forget()
            super().stop_application_mode()

    RowMemoryDriver.__name__ = f"RowMemory{driver_class.__name__}"
    return RowMemoryDriver


__all__ = ["QuietFooter", "RowMemory", "TerseStyles", "quiet_focus_repaint", "row_memory_driver"]
