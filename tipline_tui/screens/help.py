"""Every key, listed from the bindings themselves so the list cannot drift.

The app hands over its bindings with the keys the user's [keys] table gives them
(keymap.remapped), so help shows the keys as mapped.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def key_names(keys_text: str) -> str:
    """Keys as a person reads them: question_mark,escape -> ?, esc."""
    keys = [k.strip() for k in keys_text.split(",")]
    names = {
        "slash": "/",
        "question_mark": "?",
        "pagedown": "PgDn",
        "pageup": "PgUp",
        "escape": "esc",
        "shift+tab": "shift+tab",
    }
    return ", ".join(names.get(k, k) for k in keys)


def help_text(
    sections: Iterable[tuple[str, Iterable[BindingType]]], palette_keys: str = "ctrl+p"
) -> Text:
    text = Text()
    for title, bindings in sections:
        text.append(f"{title}\n", style="bold underline")
        for binding in bindings:
            if not isinstance(binding, Binding):
                continue
            text.append(f"  {key_names(binding.key):<22}", style="bold")
            text.append(f"{binding.description}\n")
        text.append("\n")
    text.append(f"{key_names(palette_keys)} opens the command palette with these commands.\n")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close")]

    def __init__(
        self, sections: list[tuple[str, Iterable[BindingType]]], *, palette_keys: str = "ctrl+p"
    ) -> None:
        super().__init__()
        self.sections = sections
        self.palette_keys = palette_keys

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text(self.sections, self.palette_keys), markup=False)
