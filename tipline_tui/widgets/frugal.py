"""Fewer bytes to the terminal: over SSH every repaint is paid for in bytes.

Measured with `bench/terminal_bytes.py`. Textual writes each run of text as
`ESC[<style>m text ESC[0m`; a colour that means "the terminal's default" is
still spelled out (`39;49`), neighbours of one style are written apart, the
footer rebuilds itself on every focus change, and a focus change repaints the
whole screen. Each helper here removes one of those costs without changing
what is drawn.
"""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
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


__all__ = ["QuietFooter", "TerseStyles", "quiet_focus_repaint"]
