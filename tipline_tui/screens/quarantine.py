"""Quarantined documents and every reason each was refused, shown literally."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from tipline_tui.domain.intake import QuarantinedDocument
from tipline_tui.domain.literal import literal
from tipline_tui.session import SessionNode, failed
from tipline_tui.widgets.fitting_footer import FittingFooter
from tipline_tui.widgets.format import plural, utc_text
from tipline_tui.widgets.indented import IndentedContent

PREVIEW_BYTES = 4000


def describe(doc: QuarantinedDocument) -> Text:
    text = Text()
    text.append(f"#{doc.id} ", style="bold")
    text.append(literal(doc.file_name, multiline=False), style="bold")
    text.append(f"\nreceived {utc_text(doc.received_at)}, {doc.size:,} bytes\n")
    text.append(f"sha256 {doc.sha256}\n\n")
    text.append(f"{plural(len(doc.problems), 'problem')}\n", style="bold underline")
    for problem in doc.problems:
        text.append(f"  {literal(problem, multiline=False)}\n")
    content = doc.content or b""
    text.append("\nDocument", style="bold underline")
    shown = "" if len(content) <= PREVIEW_BYTES else f" (first {PREVIEW_BYTES:,} bytes)"
    text.append(f"{shown}; `tipline quarantine {doc.id} --raw` gives the original bytes\n")
    text.append(literal(content[:PREVIEW_BYTES].decode("utf-8", errors="replace")))
    return text


class DocumentList(OptionList):
    """The quarantined documents; enter opens the highlighted one (and says so in the footer)."""

    BINDINGS = [Binding("enter", "select", "Open", id="quarantine.open")]


class QuarantineScreen(SessionNode, Screen[None]):
    """The list above, the highlighted document's detail below; enter gives the detail
    the whole screen (to read a long document), esc goes back to the list."""

    BINDINGS = [Binding("escape,backspace", "back", "Back", id="quarantine.back")]

    def compose(self) -> ComposeResult:
        yield Static("Quarantine: loading…", id="quarantine-title", markup=False)
        yield DocumentList(id="quarantine-list")
        with VerticalScroll(id="quarantine-detail"):
            yield Static("", id="quarantine-text", markup=False)
        yield FittingFooter()

    def on_mount(self) -> None:
        self.load()

    @work(
        exclusive=True,
        group="quarantine",
        description="Loading the quarantine",
        exit_on_error=False,
    )
    async def load(self) -> None:
        documents = await self.session.service.list_quarantine()
        title = self.query_one("#quarantine-title", Static)
        title.update(f"Quarantine: {plural(len(documents), 'document')} that could not be imported")
        options = self.query_one(OptionList)
        for doc in documents:
            first = literal(doc.problems[0], multiline=False) if doc.problems else ""
            prompt = Text(f"#{doc.id} {literal(doc.file_name, multiline=False)}: {first}")
            options.add_option(Option(prompt, id=str(doc.id)))
        if documents:
            options.highlighted = 0  # the first document's detail shows at once
        else:
            self.query_one("#quarantine-text", Static).update("Nothing is quarantined.")
        options.focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if failed(event, "quarantine"):
            title = self.query_one("#quarantine-title", Static)
            title.update("Quarantine: could not be loaded — see the log.")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        """The detail takes the whole screen and the keys, to scroll a long document."""
        if self.query_one(OptionList).highlighted is None:
            return
        self.add_class("-reading")
        self.query_one("#quarantine-detail").focus()

    def action_back(self) -> None:
        if self.has_class("-reading"):
            self.remove_class("-reading")
            self.query_one(OptionList).focus()
        else:
            self.app.pop_screen()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.show(int(event.option.id))

    @work(
        exclusive=True,
        group="quarantine-one",
        description="Loading the quarantined document",
        exit_on_error=False,
    )
    async def show(self, quarantine_id: int) -> None:
        doc = await self.session.service.get_quarantined(quarantine_id)
        if doc is not None:
            self.query_one("#quarantine-text", Static).update(IndentedContent.of(describe(doc)))
