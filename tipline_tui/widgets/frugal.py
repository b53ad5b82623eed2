"""Fewer bytes to the terminal: over SSH every repaint is paid for in bytes.

Measured with `bench/terminal_bytes.py`. Textual writes each run of text as
`ESC[<style>m text ESC[0m`; a colour that means "the terminal's default" is
still spelled out (`39;49`), neighbours of one style are written apart, the
footer rebuilds itself on every focus change, a focus change repaints the
whole screen, and a pushed or popped screen is painted several times over with
the same cells. Each helper here removes one of those costs without changing
what is drawn.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rich.cells import get_character_cell_size
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
# Within a piece: a style (SGR), any other escape, or text.
_TOKEN = re.compile(r"\x1b\[([0-9;:]*)m|(\x1b)|([^\x1b]+)")

# The style written since the last reset (None: not known), the character ("" for the right
# half of a wide character).
Cell = tuple[str | None, str]


@dataclass
class _Run:
    """Part of a piece that starts with the style reset and ends so (or ends the piece)."""

    x: int
    text: str
    cells: list[Cell]
    neutral: bool  # leaves the style as it found it: may be left out


class ScreenMemory:
    """What each terminal cell last received, so that writing it again can be left out.

    Textual repaints a whole screen several times when one is pushed or popped
    (on resume, after its children mount, when the screen below settles), once
    row by row and once widget by widget, with the same cells. A frame here keeps
    only the runs of text (one style each) that would change a cell; what it
    leaves out between two kept runs on a row is replaced by a cursor move when
    that is shorter. Anything this cannot follow (a clear, the alternate screen,
    text without a cursor move or running onto another row) forgets all.
    """

    def __init__(self) -> None:
        self._cells: dict[int, list[Cell | None]] = {}  # row: cells by column (1-based)
        # the style the terminal holds after the last frame (None: not known until a reset)
        self._style: str | None = ""

    def forget(self) -> None:
        self._cells.clear()
        self._style = None

    def frame(self, data: str) -> str:
        """`data` without the runs that would leave the terminal showing the same.

        What follows the last piece (the end of a synchronized update, the cursor shown
        again) is always kept, and so is the final cursor move: dropping them would leave
        a terminal holding its display, or the cursor elsewhere.
        """
        tail = _HARMLESS_TAIL.search(data)
        end = tail.start() if tail is not None else len(data)
        return self._pieces_of(data[:end]) + data[end:]

    def _pieces_of(self, data: str) -> str:
        moves = list(_MOVE.finditer(data))
        if not moves or not _HARMLESS.fullmatch(data, 0, moves[0].start()):
            if not _HARMLESS.fullmatch(data):
                self.forget()
            return data
        texts = [
            data[move.end() : after.start() if after else len(data)]
            for move, after in zip(moves, [*moves[1:], None], strict=True)
        ]
        if any("\r" in text or "\n" in text.rstrip("\n") or text.count("\n") > 1 for text in texts):
            self.forget()  # text running onto another row: cannot tell which
            return data
        kept = [data[: moves[0].start()]]
        last = len(moves) - 1
        for index, (move, text) in enumerate(zip(moves, texts, strict=True)):
            y, x = int(move.group(1)), int(move.group(2))
            if not text.strip("\n"):  # only moves the cursor: the last one places it
                if index == last:
                    kept.append(move.group(0) + text)
                continue
            kept.append(self._piece(y, x, move.group(0), text.rstrip("\n")))
        return "".join(kept)

    def _piece(self, y: int, x: int, move: str, text: str) -> str:
        """The runs of one piece that change a cell; a move before each one that does not
        follow the last, unless writing the unchanged runs between is shorter."""
        runs = self._runs(x, text)
        if runs is None:  # an escape this does not follow: send it, forget the row
            self._cells.pop(y, None)
            self._style = None
            return move + text
        row = self._cells.setdefault(y, [])
        out: list[str] = []
        skipped: list[str] = []  # unchanged runs since the last one written
        for run in runs:
            end = run.x + len(run.cells)
            changed = (
                not run.neutral
                or row[run.x : end] != run.cells
                or any(cell[0] is None for cell in run.cells)
            )
            self._remember(row, run)
            if not changed:
                skipped.append(run.text)
                continue
            jump = move if not (out or skipped) else f"\x1b[{y};{run.x}H"
            between = "".join(skipped)
            if out and len(between) <= len(jump):
                out.append(between)
            elif skipped or not out:
                out.append(jump)
            out.append(run.text)
            skipped = []
        return "".join(out)

    def _runs(self, x: int, text: str) -> list[_Run] | None:
        """`text` cut where the style is reset, each part with the cells it writes."""
        runs: list[_Run] = []
        cells: list[Cell] = []
        start, style = 0, self._style
        begin = style
        for match in _TOKEN.finditer(text):
            params, other, char = match.groups()
            if other is not None:
                return None
            if params is None:
                if not _add_cells(cells, style, char):
                    return None
                continue
            if style == "" and cells:  # plain text so far: a run of its own
                runs.append(_Run(x, text[start : match.start()], cells, True))
                x, start, cells, begin = x + len(cells), match.start(), [], style
            style = _styled(style, params)
            if style == "":  # a reset closes the run
                runs.append(_Run(x, text[start : match.end()], cells, begin == ""))
                x, start, cells, begin = x + len(cells), match.end(), [], style
        if start < len(text):
            runs.append(_Run(x, text[start:], cells, begin == "" and style == ""))
        self._style = style
        return runs

    @staticmethod
    def _remember(row: list[Cell | None], run: _Run) -> None:
        """Write the run's cells. A wide character it cuts in half at either end leaves the
        other half unknown (a terminal blanks it), so that half is written again next time."""
        first, end = run.x, run.x + len(run.cells)
        if first == end:  # only styles, no text
            return
        if len(row) <= end:
            row.extend([None] * (end + 1 - len(row)))
        before, last = row[first], row[end - 1]
        if before is not None and before[1] == "" and run.cells[0][1] != "":
            row[first - 1] = None
        if last is not None and last[1][:1] and get_character_cell_size(last[1][0]) == 2:
            row[end] = None
        row[first:end] = run.cells


def _add_cells(cells: list[Cell], style: str | None, text: str) -> bool:
    """Append the cells `text` writes in `style`; False for what this cannot place (a
    combining mark on a cell written before)."""
    if text.isascii() and text.isprintable():  # the common case: one cell a character
        cells.extend([(style, char) for char in text])
        return True
    for char in text:
        width = get_character_cell_size(char)
        if width == 0 and not cells:
            return False
        if width == 0:
            cells[-1] = (cells[-1][0], cells[-1][1] + char)
        else:
            cells.extend([(style, char)] + [(style, "")] * (width - 1))
    return True


def _styled(style: str | None, params: str) -> str | None:
    """The style after `ESC[params m`: a leading 0 (or nothing) resets, the rest adds up.

    Equal results always mean equal styles; equal styles may differ here (only costing a
    write that was not needed)."""
    codes = params.split(";")
    if codes[0] in ("", "0"):
        style, codes = "", codes[1:]
    added = ";".join(codes)
    if style is None:
        return None
    return f"{style};{added}" if style and added else (style or added)


class FrameWatcher:
    """Mixed into the terminal driver: calls back once a frame has been written, for what
    must wait until the terminal shows it (the app loads the rest of itself then)."""

    _after_frame: list[Callable[[], None]]

    def after_next_frame(self, callback: Callable[[], None]) -> None:
        self._after_frame.append(callback)

    def _frame_written(self, data: str) -> None:
        if self._after_frame and _MOVE.search(data):  # cells, not a mode switch
            callbacks, self._after_frame = self._after_frame, []
            for callback in callbacks:
                callback()


def screen_memory_driver(driver_class: type[Driver]) -> type[Driver]:
    """`driver_class` writing only the cells that changed (see `ScreenMemory`)."""

    class ScreenMemoryDriver(FrameWatcher, driver_class):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._screen_memory = ScreenMemory()
            self._remembered_size: tuple[int, int] | None = None
            self._after_frame = []

        def write(self, data: str) -> None:
            size = self._get_terminal_size()
            if size != self._remembered_size:  # a resized terminal may have reflowed
                self._screen_memory.forget()
                self._remembered_size = size
            super().write(self._screen_memory.frame(data))
            self._frame_written(data)

        def start_application_mode(self) -> None:
            self._screen_memory.forget()
            super().start_application_mode()

        def stop_application_mode(self) -> None:
            self._screen_memory.forget()
            super().stop_application_mode()

    ScreenMemoryDriver.__name__ = f"ScreenMemory{driver_class.__name__}"
    return ScreenMemoryDriver


__all__ = [
    "FrameWatcher",
    "QuietFooter",
    "ScreenMemory",
    "TerseStyles",
    "quiet_focus_repaint",
    "screen_memory_driver",
]
