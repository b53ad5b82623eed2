"""Small modal prompts for triage: pick a priority, type a line, confirm a step.

Each returns its answer through `dismiss` (None when cancelled), so the
screen that asked decides what to do with it.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tipline_tui.domain.triage import TriageError
from tipline_tui.widgets.key_hint import key_hint

PRIORITY_KEYS = {"e": "E", "1": "1", "2": "2", "3": "3", "i": "info"}
PRIORITY_TEXT = {
    "E": "E: imminent danger",
    "1": "priority 1",
    "2": "priority 2",
    "3": "priority 3",
    "info": "information only",
}


class PriorityPicker(ModalScreen[str | None]):
    """One key chooses: e, 1, 2, 3 or i."""

    BINDINGS = [
        *[
            Binding(key, f"choose('{value}')", f"Priority {value}", id=f"pick.{value}")
            for key, value in PRIORITY_KEYS.items()
        ],
        Binding("escape,q", "dismiss(None)", "Cancel", id="pick.cancel"),
    ]

    def __init__(self, subject: str) -> None:
        super().__init__()
        self.subject = subject

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Static(f"Priority for {self.subject}", classes="prompt-title", markup=False)
            yield Static(self._choices(), markup=False)

    def _choices(self) -> str:
        lines = [
            f"{key_hint(self.app, f'pick.{value}', key)}  {PRIORITY_TEXT[value]}"
            for key, value in PRIORITY_KEYS.items()
        ]
        return "\n".join([*lines, "", f"{key_hint(self.app, 'pick.cancel', 'esc')}  cancel"])

    def action_choose(self, value: str) -> None:
        self.dismiss(value)


class TextPrompt(ModalScreen[str | None]):
    """One line of input, checked before it is accepted; enter accepts, esc cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="prompt.cancel")]

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        hint: str = "",
        placeholder: str = "",
        check: Callable[[str], object] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.hint = hint
        self.placeholder = placeholder
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Static(self.title_text, classes="prompt-title", markup=False)
            if self.hint:
                yield Static(self.hint, classes="prompt-hint", markup=False)
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-error", markup=False)
            yield Static("enter  save    esc  cancel", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        if self.check is not None:
            try:
                self.check(event.value)
            except TriageError as exc:
                self.query_one("#prompt-error", Static).update(f"! {exc}")
                return
        self.dismiss(event.value)


class ConfirmPrompt(ModalScreen[bool]):
    """Yes or no before a step that is easy to take by mistake; y confirms, n or esc keeps.

    Pushed from the key handler that asks, so a `y` typed in the same burst
    answers it, as the dispatch dialog's `y` does.
    """

    BINDINGS = [
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes"),
        Binding("n,escape,q", "dismiss(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, body: str, *, yes: str, no: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt", id="confirm"):
            yield Static(self.title_text, classes="prompt-title", markup=False)
            yield Static(self.body, id="confirm-body", markup=False)
            yes = key_hint(self.app, "confirm.yes", "y")
            no = key_hint(self.app, "confirm.no", "esc")
            yield Static(f"{yes}  {self.yes}    {no}  {self.no}", id="confirm-keys", markup=False)
