"""The incoming tip queue: urgent first, keyboard-driven, any size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker

from tipline_tui.domain.oncall import UnclaimedUrgent
from tipline_tui.domain.views import (
    PRIORITY_FILTERS,
    STATUS_FILTERS,
    QueueCounts,
    QueueFilter,
    QueueRow,
    QueueSort,
)
from tipline_tui.screens.triage import TRIAGE_BINDINGS, TriageMixin, TriageState
from tipline_tui.session import SyncChanged, failed
from tipline_tui.widgets.fitting_footer import FittingFooter
from tipline_tui.widgets.key_hint import key_hint
from tipline_tui.widgets.queue_header import count_pieces, header_texts, sync_pieces, view_pieces
from tipline_tui.widgets.queue_table import QueueTable

if TYPE_CHECKING:
    from tipline_tui.store.queue_reads import QueueReads

# what a first run shows: every way tips get into a store (the table wraps it to its width)
EMPTY_STORE_TEXT = (
    "No tips in this store yet. Three ways to get some:\n"
    "  tipline demo          try the app on synthetic tips, in a throwaway copy\n"
    "  tipline import PATH   import CyberTipline report XML (files or folders)\n"
    "  hub sync              set TIPLINE_HUB_URL and TIPLINE_HUB_TOKEN (or [hub] in "
    "settings.toml); tips then arrive by themselves"
)

# the footer's hints, most important first: what is left out at 80 columns is in help (?)
FOOTER_IMPORTANCE = (
    "select",
    "help",
    "triage_claim",
    "triage_priority('E')",
    "triage_assign",
    "triage_dispatch",
    "search",
    "quit",
    "cycle_sort",
    "cycle_status",
    "toggle_urgent",
    "cycle_priority",
    "toggle_on_call",
)


@dataclass(frozen=True)
class StoreQueueSource:
    """The queue as the table sees it: one sort and filter over the store's queue reads."""

    reads: QueueReads
    sort: QueueSort
    filt: QueueFilter

    async def window(
        self,
        *,
        after: tuple[int, ...] | None = None,
        before: tuple[int, ...] | None = None,
        limit: int,
    ) -> list[QueueRow]:
        return await self.reads.window(
            self.sort, self.filt, after=after, before=before, limit=limit
        )

    async def around(self, report_id: int, limit: int) -> tuple[list[QueueRow], int, int] | None:
        return await self.reads.around(self.sort, self.filt, report_id, limit)

    async def count(self) -> int:
        counts = await self.reads.counts(self.filt)
        return counts.matching or 0

    def key(self, row: QueueRow) -> tuple[int, ...]:
        return row.sort_key(self.sort)


T = TypeVar("T")


def _cycle(options: Sequence[T], current: T) -> T:
    return options[(options.index(current) + 1) % len(options)]


class QueueScreen(TriageMixin, Screen[None]):
    BINDINGS = [
        *TRIAGE_BINDINGS,
        Binding("O", "toggle_on_call", "On-call", id="queue.oncall"),
        Binding("C", "conflicts", "Sync conflicts", show=False, id="queue.conflicts"),
        Binding("slash", "search", "Search", id="queue.search"),
        Binding("s", "cycle_sort", "Sort", id="queue.sort"),
        Binding("f", "cycle_status", "Status", id="queue.status"),
        Binding("p", "cycle_priority", "Priority", id="queue.priority"),
        Binding("u", "toggle_urgent", "Urgent", id="queue.urgent"),
        Binding("r", "reload", "Reload", show=False, id="queue.reload"),
        Binding("Q", "quarantine", "Quarantine", show=False, id="queue.quarantine"),
        Binding(
            "escape", "clear_search", "Clear search and selection", show=False, id="queue.clear"
        ),
    ]

    def __init__(self, *, demo: bool = False, on_call: bool = False) -> None:
        super().__init__()
        self.demo = demo
        self.sort = QueueSort.URGENCY
        self.on_call = on_call
        self.filt = QueueFilter()
        self.counts: QueueCounts | None = None
        self.quarantined = 0
        self.pending = 0
        self.waiting: list[UnclaimedUrgent] | None = None  # unclaimed urgent tips (on call)
        self._shown_header: tuple[Text, Text] | None = None
        self._search_timer: Timer | None = None
        self._shown_once = False
        self._rows_shown = False  # the first rows (or the empty queue's words) have shown

    def compose(self) -> ComposeResult:
        with Horizontal(id="queue-header"):
            yield Static(id="queue-counts", markup=False)
            yield Static(id="sync-badge", markup=False)
            yield Static(id="queue-position", markup=False)
        yield QueueTable(
            clock=self.session.clock,
            limits=self.session.time_limits,
            empty_text=EMPTY_STORE_TEXT,
            id="queue",
        )
        yield Input(placeholder="search id, platform, ESP, screen name, email", id="search")
        yield FittingFooter(FOOTER_IMPORTANCE)

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def on_mount(self) -> None:
        self.query_one("#search").display = False
        self.table.focus()
        self.reload()
        # the badge's "online · 12s" and on call the oldest tip's age move with the clock:
        # a tick rewrites only what changed (a few bytes), never the whole header
        self.set_interval(1.0, self._show_header)

    def on_screen_resume(self) -> None:
        # Textual also resumes a screen when it is first shown; on_mount loads that time
        if self._shown_once:
            self.reload(keep_cursor=True)
        self._shown_once = True

    def reload(self, *, keep_cursor: bool = False, keep_id: int | None = None) -> None:
        row = self.table.cursor_row
        keep = row.id if keep_cursor and row is not None else keep_id
        if self.on_call:
            # cut-offs move with the clock: recomputed on every load
            cutoffs = self.session.time_limits.cutoffs(self.session.now())
            self.filt = replace(self.filt, on_call=tuple(cutoffs.items()))
        elif self.filt.on_call is not None:
            self.filt = replace(self.filt, on_call=None)
        if self.on_call:
            self.table.empty_text = "Nothing urgent or overdue. On-call is quiet."
        else:
            self.table.empty_text = (
                "No tips match this filter." if self._filtered() else EMPTY_STORE_TEXT
            )
        self.table.load(StoreQueueSource(self.session.queue, self.sort, self.filt), keep_id=keep)
        self.refresh_counts()

    def _filtered(self) -> bool:
        return self.filt != QueueFilter(status=self.filt.status) or self.filt.status != "open"

    @work(exclusive=True, group="counts", description="Counting the tips", exit_on_error=False)
    async def refresh_counts(self) -> None:
        self.counts = await self.session.queue.counts(QueueFilter())
        self._show_header()
        service = await self.session.loaded_service()  # after the first paint
        self.quarantined = await service.quarantine_count()
        self.pending = await service.pending_actions()
        self.waiting = await service.unclaimed_urgent()
        self._show_header()

    def on_sync_changed(self, message: SyncChanged) -> None:
        """The sync state changed; new rows show at once."""
        if message.pulled and self.is_current:
            self.reload(keep_cursor=True)
        self._show_header()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if failed(event, "counts"):
            self.query_one("#queue-counts", Static).update("Could not count the tips: see the log")
            self._shown_header = None

    def _show_header(self) -> None:
        """Counts, what the rows are (filter and sort) and sync, fitted to the width."""
        position = self.query_one("#queue-position").styles.width
        # the position and the space before it (the space before sync is the fit's)
        width = self.size.width - (int(position.value) if position else 0) - 1
        now = self.session.clock()
        exercise = bool(self.session.exercise)
        groups = [
            count_pieces(self.counts, self.quarantined),
            view_pieces(self.sort, self.filt, on_call=self.on_call, waiting=self.waiting, now=now),
            sync_pieces(
                self.session.sync_status,
                self.pending,
                now,
                exercise=exercise,
                conflicts_key=key_hint(self.app, "queue.conflicts", "C"),
            ),
        ]
        lead, sync = header_texts(groups, max(width, 20), demo=self.demo, exercise=exercise)
        shown = self._shown_header or (None, None)
        if lead != shown[0]:
            self.query_one("#queue-counts", Static).update(lead)
        if sync != shown[1]:
            self.query_one("#sync-badge", Static).update(sync)
        self._shown_header = (lead, sync)

    def on_resize(self) -> None:
        self._show_header()

    @on(QueueTable.Highlighted)
    def _show_position(self, event: QueueTable.Highlighted) -> None:
        if self.table.loaded and not self._rows_shown:
            self._rows_shown = True
            self.session.queue_shown()
        total = "…" if event.total is None else f"{event.total:,}"
        shown = f"{event.index + 1:,}/{total}" if event.row is not None else f"0/{total}"
        if self.table.marked:
            shown = f"{len(self.table.marked)} sel {shown}"
        position = self.query_one("#queue-position", Static)
        # as wide as the longest position this total gives, so the header around it is
        # fitted again only when the total's digits or a selection change that
        wide = len(shown) - len(f"{event.index + 1:,}") + len(total)
        if position.styles.width is None or position.styles.width.value != wide:
            position.styles.width = wide
            self.call_after_refresh(self._show_header)
        position.update(shown)

    @on(QueueTable.Selected)
    def _open(self, event: QueueTable.Selected) -> None:
        self.session.open_tip(event.row.id)

    def _set(self, filt: QueueFilter, *, keep_cursor: bool = False) -> None:
        self.filt = filt
        self._show_header()
        self.reload(keep_cursor=keep_cursor)

    def action_cycle_sort(self) -> None:
        self.sort = _cycle(tuple(QueueSort), self.sort)
        self._show_header()
        self.reload(keep_cursor=True)

    def action_cycle_status(self) -> None:
        self._set(replace(self.filt, status=_cycle(STATUS_FILTERS, self.filt.status)))

    def action_cycle_priority(self) -> None:
        self._set(replace(self.filt, priority=_cycle(PRIORITY_FILTERS, self.filt.priority)))

    def action_toggle_urgent(self) -> None:
        self._set(replace(self.filt, urgent_only=not self.filt.urgent_only))

    def action_quarantine(self) -> None:
        from tipline_tui.screens.quarantine import QuarantineScreen

        self.app.push_screen(QuarantineScreen())

    def action_reload(self) -> None:
        self.reload(keep_cursor=True)

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    def action_conflicts(self) -> None:
        from tipline_tui.screens.conflicts import ConflictsScreen

        self.app.push_screen(ConflictsScreen())

    def action_toggle_on_call(self) -> None:
        self.on_call = not self.on_call
        self._show_header()
        self.reload()

    # the triage keys act on the selected tips, else the one under the cursor
    def triage_ids(self) -> list[int]:
        if self.table.marked:
            return sorted(self.table.marked)
        row = self.table.cursor_row
        return [] if row is None else [row.id]

    def triage_state(self) -> TriageState | None:
        row = self.table.cursor_row
        if row is None or self.table.marked:
            return None
        return TriageState(row.claimed_by, row.status, row.priority, escalated=row.escalated)

    def after_triage(self) -> None:
        self.table.clear_marks()
        self.reload(keep_cursor=True)

    def after_reopen(self, report_ids: list[int]) -> None:
        self.table.clear_marks()
        self.reload(keep_id=report_ids[0])  # undone: the cursor is back on the tip

    def show_stored_state(self) -> None:
        self.reload(keep_cursor=True)

    def action_clear_search(self) -> None:
        self.table.clear_marks()
        search = self.query_one("#search", Input)
        search.display = False
        self.table.focus()
        if self._search_timer is not None:
            self._search_timer.stop()  # a search still being typed is cleared with the rest
        if self.filt.search or search.value:
            search.value = ""
            # the tip the cursor is on is the one the analyst found: it stays under the cursor
            self._set(replace(self.filt, search=""), keep_cursor=True)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        value = event.value
        self._search_timer = self.set_timer(0.2, lambda: self._apply_search(value))

    def _apply_search(self, value: str) -> None:
        # clearing sets the value too: its Changed finds the search already applied
        if value != self.filt.search:
            self._set(replace(self.filt, search=value))

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        if event.value != self.filt.search:
            self._set(replace(self.filt, search=event.value))
        self.table.focus()
