"""Every key, listed from the bindings themselves so the list cannot drift."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def _key_names(binding: Binding) -> str:
    keys = [k.strip() for k in binding.key.split(",")]
    names = {
        "slash": "/",
        "question_mark": "?",
        "pagedown": "PgDn",
        "pageup": "PgUp",
        "escape": "esc",
        "shift+tab": "shift+tab",
    }
    return ", ".join(names.get(k, k) for k in keys)


def help_text(sections: Iterable[tuple[str, Iterable[BindingType]]]) -> Text:
    text = Text()
    for title, bindings in sections:
        text.append(f"{title}\n", style="bold underline")
        for binding in bindings:
            if not isinstance(binding, Binding):
                continue
            text.append(f"  {_key_names(binding):<22}", style="bold")
            text.append(f"{binding.description}\n")
        text.append("\n")
    text.append("ctrl+p opens the command palette with these commands.\n")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close")]

    def __init__(self, sections: list[tuple[str, Iterable[BindingType]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text(self.sections), markup=False)
