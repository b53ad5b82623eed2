"""Actions the hub did not take: the analyst sees theirs and the hub's, and chooses.

`h` keeps the hub's state (it is already shown on the tip); `m` sends the
analyst's action again, based on the hub's current version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tipline_tui.domain.literal import literal
from tipline_tui.session import SessionNode
from tipline_tui.widgets.fitting_footer import FittingFooter
from tipline_tui.widgets.format import plural, utc_text

if TYPE_CHECKING:
    from tipline_tui.store.sync_state import Conflict


def _values(values: dict[str, Any]) -> str:
    shown = {k: v for k, v in values.items() if k not in ("contents",)}
    return literal(", ".join(f"{k} {v}" for k, v in shown.items()) or "-", multiline=False)


def conflict_prompt(c: Conflict) -> Text:
    text = Text()
    what = "REJECTED" if not c.hubs else "CONFLICT"
    text.append(f"{what} tip #{c.report_id}  {c.kind}", style="bold")
    text.append(f"  {utc_text(c.created_at)} by {literal(c.analyst, multiline=False)}\n")
    text.append(f"   yours: {_values(c.mine)}\n")
    text.append(f"   hub's: {_values(c.hubs)}\n")
    text.append(f"   why:   {literal(c.reason or '-', multiline=False)}")
    return text


class ConflictsScreen(SessionNode, Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", id="conflicts.back"),
        Binding("h", "resolve(False)", "Keep the hub's", id="conflicts.hub"),
        Binding("m", "resolve(True)", "Send mine again", id="conflicts.mine"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("Sync conflicts and rejected actions", id="conflicts-title", markup=False)
        yield OptionList(id="conflicts-list")
        yield FittingFooter()

    def on_mount(self) -> None:
        self.load()

    @work(
        exclusive=True, group="conflicts", description="Loading the conflicts", exit_on_error=False
    )
    async def load(self) -> None:
        found = await self.session.service.conflicts()
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options([Option(conflict_prompt(c), id=str(c.outbox_id)) for c in found])
        if found:
            listing.highlighted = 0
        title = self.query_one("#conflicts-title", Static)
        title.update(
            f"{plural(len(found), 'action')} the hub did not take: "
            "h keeps the hub's, m sends yours again"
            if found
            else "No conflicts: every action reached the hub or is still on its way."
        )
        listing.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()

    @work(
        exclusive=True,
        group="conflicts-resolve",
        description="Resolving the conflict",
        exit_on_error=False,
    )
    async def action_resolve(self, keep_mine: bool) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is None:
            return
        option = listing.get_option_at_index(listing.highlighted)
        session = self.session
        await session.service.resolve_conflict(
            int(option.id or 0), keep_mine=keep_mine, analyst=session.analyst, now=session.now()
        )
        if keep_mine:
            session.poke_sync()
        self.load()
