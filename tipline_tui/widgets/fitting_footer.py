"""A footer that shows only the key hints that fit, most important first.

Textual's footer lays every hint in one row and cuts the row at the edge
("/ Searc"), so at 80 columns the last hint shown is half a word. This one
keeps whole hints: it ranks them by the screen's own order of importance
and hides those that no longer fit; the help screen (`?`) lists every key.

Keys the user remapped ([keys] in settings.toml) show as mapped, in the place
their binding has by default: Textual's keymap moves a remapped binding to the
end of its screen's list, and the footer would follow it there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widget import Widget

from tipline_tui.widgets.frugal import QuietFooter

PALETTE_ACTION = "command_palette"


def hint_width(key_display: str, description: str, *, palette: bool = False) -> int:
    """Cells one hint takes in the footer's default (not compact) style."""
    width = cell_len(key_display) + 2 + (cell_len(description) + 1 if description else 0)
    return width + 2 if palette else width  # the palette's border and right padding


def choose_hints(
    hints: Sequence[tuple[str, int]], importance: Sequence[str], width: int
) -> set[str]:
    """The actions whose hints are shown: most important first while they fit `width`;
    hints not named in `importance` come after, the command palette last."""

    def rank(hint: tuple[str, int]) -> tuple[int, int]:
        action = hint[0]
        if action in importance:
            return 0, importance.index(action)
        return (2, 0) if action == PALETTE_ACTION else (1, 0)

    shown: set[str] = set()
    for action, needed in sorted(hints, key=rank):
        if needed <= width:
            shown.add(action)
            width -= needed
    return shown


class FittingFooter(QuietFooter):
    """Footer whose hints are never cut: those that do not fit are left out whole
    (and, as QuietFooter, rebuilt only when its keys change)."""

    def __init__(self, importance: Sequence[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.importance = tuple(importance)

    def compose(self) -> ComposeResult:
        hints = list(super().compose())
        order = self._default_order()

        def place(hint: Widget) -> tuple[bool, int]:
            action = getattr(hint, "action", None)
            return action == PALETTE_ACTION, order.get(action or "", len(order))

        yield from sorted(hints, key=place)

    def _default_order(self) -> dict[str, int]:
        """Each action's place among the screen's bindings before any keymap, as Textual
        lists active bindings: the focused widget's first, then up to the app."""
        order: dict[str, int] = {}
        for node, _ in self.screen._modal_binding_chain:
            for bindings in node._bindings.key_to_bindings.values():
                for binding in bindings:
                    if binding.show:  # as the footer: a hidden ctrl+q does not place quit
                        order.setdefault(binding.action, len(order))
        return order

    async def recompose(self) -> None:
        await super().recompose()
        self.fit_hints()

    def on_resize(self) -> None:
        self.fit_hints()

    def fit_hints(self) -> None:
        # by CSS type name: Textual does not export FooterKey (key, key_display, description)
        keys: list[Any] = list(self.query("FooterKey"))
        widths = [
            (
                key.action,
                hint_width(
                    key.key_display,
                    key.description,
                    palette=key.has_class("-command-palette"),
                ),
            )
            for key in keys
        ]
        shown = choose_hints(widths, self.importance, self.size.width)
        for key in keys:
            key.display = key.action in shown
