"""The tip queue: a virtual table that holds only a window of rows.

Rows come from an async `QueueSource` in keyset windows; the widget keeps a
bounded buffer around the cursor and fetches more before the cursor reaches
its edge. It draws through the Line API, and a cursor move repaints only the
two lines that changed; passing the bottom or top edge scrolls by half a page
(as mutt does) so the whole table repaints rarely. Every cell is untrusted
text and goes through `literal` before it is drawn.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from tipline_tui.domain.enums import WAITING_STATUSES, incident_short
from tipline_tui.domain.literal import literal
from tipline_tui.domain.triage import TimeLimits, clock_text
from tipline_tui.domain.views import QueueRow
from tipline_tui.session import ReportsFailures
from tipline_tui.widgets.format import age_text, priority_text

# every segment carries a style, if only an empty one: Textual's NO_COLOR (monochrome) filter
# reads each segment's style and crashed on one without
PLAIN = Style()


class QueueSource(Protocol):
    async def window(
        self,
        *,
        after: tuple[int, ...] | None = None,
        before: tuple[int, ...] | None = None,
        limit: int,
    ) -> list[QueueRow]: ...

    async def around(
        self, report_id: int, limit: int
    ) -> tuple[list[QueueRow], int, int] | None: ...

    async def count(self) -> int: ...

    def key(self, row: QueueRow) -> tuple[int, ...]: ...


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    right: bool = False


NARROW = 72  # below this the age column gives way: the limit column still says what is late
AGE = 2  # the age column's place in `layout` and in a row's cells (after the cursor marker)


def layout(width: int) -> list[Column]:
    """Column widths for a table `width` cells wide (80 is the smallest we design for;
    below NARROW the age column is left out and the jurisdiction keeps room for a place)."""
    fixed = [
        Column("", 1),
        Column("id", 7, True),
        Column("age", 4, True),
        Column("pri", 4),
        Column("!", 2),
        Column("limit", 8, True),
        Column("type", 7),
        Column("status", 8),
    ]
    if width < NARROW:
        del fixed[AGE]
    used = sum(c.width for c in fixed) + len(fixed) + 1  # one space between columns
    flexible = max(10, width - used)
    jurisdiction = max(flexible - flexible // 2, min(12, flexible - 4))
    return [
        *fixed[:-1],
        Column("platform/ESP", flexible - jurisdiction),
        fixed[-1],
        Column("jurisdiction", jurisdiction),
    ]


_OUTCOME_TEXT = {"none": "none found", "conflict": "conflict?", "suggested": "suggested"}
# a referred tip's status is how far its referral has got (the agency is in the next column)
_REFERRAL_TEXT = {"queued": "queued", "sent": "sent", "acknowledged": "ack'd", "failed": "FAILED"}


def status_text(row: QueueRow) -> str:
    """A status that reads whole in the column's eight cells."""
    if row.status == "claimed" and row.claimed_by:  # who has it says more than "claimed"
        return f"@{row.claimed_by}"
    if row.status == "referred" and row.referral_status:
        return _REFERRAL_TEXT.get(row.referral_status, row.referral_status)
    return row.status


def jurisdiction_text(row: QueueRow) -> str:
    """The agency it is assigned to, else where its signals point: a place ("US-NY"),
    the places that contend ("US-NY/US-CA?"), or that none was found."""
    if row.jurisdiction:
        return row.jurisdiction
    places = (row.jurisdiction_place or "").split()
    if row.jurisdiction_outcome == "suggested" and places:
        return places[0]
    if row.jurisdiction_outcome == "conflict" and places:
        return "/".join(places) + "?"
    return _OUTCOME_TEXT.get(row.jurisdiction_outcome or "", "-")


def row_cells(row: QueueRow, now: float, limits: TimeLimits | None = None) -> list[str]:
    urgent = row.urgency_rank == 0
    source = " / ".join(literal(v, multiline=False) for v in (row.platform, row.esp_name) if v)
    clock = ""
    if limits is not None and row.status in WAITING_STATUSES:
        clock = clock_text(now, limits.deadline(row.received_at, row.priority, row.escalated))
    status = status_text(row)
    jurisdiction = jurisdiction_text(row)
    return [
        str(row.id),
        age_text(now - row.received_at),
        priority_text(row.priority),
        "!!" if urgent else "",
        clock,
        incident_short(row.incident_type),
        source,
        literal(status, multiline=False),
        literal(jurisdiction, multiline=False),
    ]


def message_lines(message: str, width: int) -> list[str]:
    """`message` wrapped to `width`: a wrapped line keeps its own indent, and one that
    continues a command line lines up under the command's description."""
    out: list[str] = []
    for line in message.splitlines():
        body = line.lstrip(" ")
        indent = line[: len(line) - len(body)]
        gap = body.find("   ")  # "tipline demo      try the app…": the description's column
        hang = (
            indent + " " * (gap + len(body[gap:]) - len(body[gap:].lstrip())) if gap > 0 else indent
        )
        out += textwrap.wrap(
            body, max(10, width), initial_indent=indent, subsequent_indent=hang
        ) or [""]
    return out


def _fit(text: str, column: Column) -> str:
    if cell_len(text) > column.width:
        return set_cell_size(text, column.width - 1) + "…" if column.width > 1 else text[:1]
    if column.right:
        return " " * (column.width - cell_len(text)) + text
    return set_cell_size(text, column.width)


class QueueTable(ReportsFailures, Widget, can_focus=True):
    """Keyboard-driven view over a queue of any size."""

    DEFAULT_CSS = """
    QueueTable { height: 1fr; }
    """

    # priority: run as the app reads each key, in the order typed, like the triage keys;
    # else `j c` typed in one read could claim the row j was leaving (c runs first)
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, priority=True, id="queue.down"),
        Binding("up,k", "cursor_up", "Up", show=False, priority=True, id="queue.up"),
        Binding(
            "pagedown", "page_down", "Page down", show=False, priority=True, id="queue.pagedown"
        ),
        Binding("pageup", "page_up", "Page up", show=False, priority=True, id="queue.pageup"),
        Binding("home,g", "first", "First tip", show=False, priority=True, id="queue.first"),
        Binding("end,G", "last", "Last tip", show=False, priority=True, id="queue.last"),
        Binding("enter", "select", "Open", priority=True, id="queue.open"),
        Binding(
            "space", "toggle_mark", "Select for bulk", show=False, priority=True, id="queue.mark"
        ),
    ]

    BUFFER_LIMIT = 600

    class Highlighted(Message):
        """The cursor is on `row`, at `index` of `total` (None while counting)."""

        def __init__(self, row: QueueRow | None, index: int, total: int | None) -> None:
            super().__init__()
            self.row, self.index, self.total = row, index, total

    class Selected(Message):
        def __init__(self, row: QueueRow) -> None:
            super().__init__()
            self.row = row

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        limits: TimeLimits | None = None,
        empty_text: str = "No tips.",
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self.clock = clock
        self.limits = limits
        self.marked: set[int] = set()
        self.empty_text = empty_text
        self._source: QueueSource | None = None
        self._rows: list[QueueRow] = []
        self._base = 0  # queue index of _rows[0]
        self._cursor = 0  # queue index of the cursor
        self._top = 0  # queue index of the first visible row
        self._total: int | None = None
        self._at_start = True
        self._at_end = True
        self._loaded = False
        self._failed = False  # the last load raised: say so instead of "loading…"
        self._generation = 0
        self._fetching: set[str] = set()
        self._keep_id: int | None = None  # the row a pending reload keeps the cursor on

    # ------------------------------------------------------------------ data

    @property
    def page_height(self) -> int:
        return max(1, self.size.height - 1)  # line 0 is the column header

    @property
    def window_limit(self) -> int:
        return max(100, self.page_height * 4)

    @property
    def cursor_row(self) -> QueueRow | None:
        return self._row_at(self._cursor)

    @property
    def total(self) -> int | None:
        return self._total

    @property
    def loaded(self) -> bool:
        """Rows (or that there are none) have come: the table no longer says "loading…"."""
        return self._loaded

    def _loaded_source(self) -> QueueSource:
        """The source the running fetch was started for (`load` sets it first)."""
        assert self._source is not None
        return self._source

    def _row_at(self, index: int) -> QueueRow | None:
        offset = index - self._base
        return self._rows[offset] if 0 <= offset < len(self._rows) else None

    def load(self, source: QueueSource, *, keep_id: int | None = None) -> None:
        """Show `source` from its start, or around `keep_id` if it is still in the queue."""
        self._source = source
        self._generation += 1
        self._fetching.clear()
        self._keep_id = keep_id
        self._load(self._generation, keep_id)
        self._count(self._generation)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "queue-load":
            self._failed = True
            self.refresh()

    # Workers through @work: the coroutine is made when the worker starts, so a load replaced
    # before it starts (exclusive, by group) leaves nothing un-awaited behind.
    @work(
        group="queue-count", description="Counting the queue", exclusive=True, exit_on_error=False
    )
    async def _count(self, generation: int) -> None:
        total = await self._loaded_source().count()
        if generation == self._generation:
            self._total = total
            self._post_highlight()

    @work(group="queue-load", description="Loading the queue", exclusive=True, exit_on_error=False)
    async def _load(self, generation: int, keep_id: int | None) -> None:
        source = self._loaded_source()
        limit = self.window_limit
        while keep_id is not None:
            found = await source.around(keep_id, limit)
            if generation != self._generation:
                return
            if self._keep_id != keep_id:  # the cursor moved while this loaded: follow it
                keep_id = self._keep_id
                continue
            self._keep_id = None
            if found is not None:
                rows, at, first = found
                self._replace(
                    rows,
                    first,
                    first + at,
                    at_start=first == 0,
                    at_end=len(rows) - at - 1 < limit - limit // 2 - 1,
                )
                return
            break
        rows = await source.window(limit=limit)
        if generation == self._generation:
            self._replace(rows, 0, 0, at_start=True, at_end=len(rows) < limit)

    def _replace(
        self, rows: list[QueueRow], base: int, cursor: int, *, at_start: bool, at_end: bool
    ) -> None:
        self._rows, self._base, self._at_start, self._at_end = rows, base, at_start, at_end
        self._loaded, self._failed = True, False
        self._cursor = cursor
        self._top = max(base, cursor - self.page_height // 2) if cursor else 0
        if at_end:
            self._top = max(0, min(self._top, base + len(rows) - self.page_height))
        self.refresh()
        self._post_highlight()
        self._maybe_prefetch()

    def _maybe_prefetch(self) -> None:
        if not self._rows or self._source is None:
            return
        margin = self.page_height * 2
        if not self._at_end and self._base + len(self._rows) - self._cursor < margin:
            self._start_fetch("after")
        if not self._at_start and self._cursor - self._base < margin:
            self._start_fetch("before")

    def _start_fetch(self, direction: str) -> None:
        if direction in self._fetching:
            return
        self._fetching.add(direction)
        self._fetch(direction, self._generation)

    @work(group="queue-fetch", description="Loading more of the queue", exit_on_error=False)
    async def _fetch(self, direction: str, generation: int) -> None:
        source = self._loaded_source()
        limit = self.window_limit
        try:
            if direction == "after":
                rows = await source.window(after=source.key(self._rows[-1]), limit=limit)
            else:
                rows = await source.window(before=source.key(self._rows[0]), limit=limit)
        finally:
            self._fetching.discard(direction)
        if generation != self._generation:
            return
        visible = range(self._top, self._top + self.page_height)
        was_missing = any(self._row_at(i) is None for i in visible)
        old_top = self._top
        if direction == "after":
            self._rows.extend(rows)
            self._at_end = len(rows) < limit
            self._trim(keep="end")
        else:
            self._rows[:0] = rows
            self._base -= len(rows)
            self._at_start = len(rows) < limit
            if self._at_start and self._base != 0:
                # the queue changed under us: re-anchor indexes on the true start
                shift = self._base
                self._base, self._cursor, self._top = 0, self._cursor - shift, self._top - shift
            self._trim(keep="start")
        # a prefetch beyond the visible rows changes nothing on screen: no repaint
        if was_missing or self._top != old_top:
            self.refresh()
            self._post_highlight()
        self._maybe_prefetch()

    def _trim(self, keep: str) -> None:
        excess = len(self._rows) - self.BUFFER_LIMIT
        if excess <= 0:
            return
        if keep == "end":
            drop = min(excess, max(0, self._top - self._base - self.page_height))
            del self._rows[:drop]
            self._base += drop
            self._at_start = self._at_start and drop == 0
        else:
            last_needed = self._top + self.page_height * 2 - self._base
            drop = min(excess, max(0, len(self._rows) - last_needed))
            if drop:
                del self._rows[len(self._rows) - drop :]
                self._at_end = False

    # --------------------------------------------------------------- cursor

    def _last_loaded(self) -> int:
        return self._base + len(self._rows) - 1

    def _move_to(self, index: int, *, top: int | None = None) -> None:
        """Put the cursor on `index` (and the first shown row at `top`, for a page move);
        repaint the whole table when the rows shown change, else just the two cursor lines."""
        if not self._rows:
            return
        index = max(self._base, min(index, self._last_loaded()))
        old_cursor, old_top = self._cursor, self._top
        if top is not None:
            self._top = top
        self._cursor = index
        height = self.page_height
        if index >= self._top + height:
            self._top = max(index - height + 1, self._top + height // 2)
        elif index < self._top:
            self._top = min(index, self._top - height // 2)
        if self._at_end:
            self._top = min(self._top, max(0, self._last_loaded() - height + 1))
        self._top = max(self._top, 0)
        if self._top != old_top:
            self.refresh()
        elif old_cursor != index:
            self._refresh_line(old_cursor)
            self._refresh_line(index)
        if old_cursor != index:
            if self._keep_id is not None:  # a reload is on its way: it keeps this row now
                self._keep_id = self._rows[index - self._base].id
            self._post_highlight()
        self._maybe_prefetch()

    def _refresh_line(self, index: int) -> None:
        y = index - self._top + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _post_highlight(self) -> None:
        self.post_message(self.Highlighted(self.cursor_row, self._cursor, self._total))

    def action_cursor_down(self) -> None:
        self._move_to(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._move_to(self._cursor - 1)

    def action_page_down(self) -> None:
        height = self.page_height
        target = self._cursor + height
        self._move_to(target, top=self._top + height if target <= self._last_loaded() else None)

    def action_page_up(self) -> None:
        height = self.page_height
        self._move_to(self._cursor - height, top=max(0, self._top - height))

    def action_first(self) -> None:
        if self._at_start and self._base == 0:
            self._move_to(0)
        elif self._source is not None:
            self.load(self._source)

    def action_last(self) -> None:
        if self._at_end:
            self._move_to(self._last_loaded())
        elif self._source is not None:
            self._generation += 1
            self._load_last(self._generation)

    @work(group="queue-load", description="Loading the queue", exclusive=True, exit_on_error=False)
    async def _load_last(self, generation: int) -> None:
        source = self._loaded_source()
        rows = await source.window(before=(), limit=self.window_limit)
        total = await source.count()
        if generation != self._generation or not rows:
            return
        self._total = total
        base = total - len(rows)
        self._replace(rows, base, total - 1, at_start=base == 0, at_end=True)

    def action_toggle_mark(self) -> None:
        """Select or unselect the tip under the cursor for a bulk action, then move on."""
        row = self.cursor_row
        if row is None:
            return
        self.marked.symmetric_difference_update({row.id})
        self._refresh_line(self._cursor)
        self._move_to(self._cursor + 1)
        self._post_highlight()

    def clear_marks(self) -> None:
        if self.marked:
            self.marked.clear()
            self.refresh()
            self._post_highlight()

    def action_select(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.Selected(row))

    # --------------------------------------------------------------- render

    def on_mount(self) -> None:
        # ages are shown to the minute at best: one repaint a minute keeps them live
        self.set_interval(60, self.refresh)

    def on_resize(self) -> None:
        self._move_to(self._cursor)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        columns = layout(width)
        if y == 0:
            text = " ".join(_fit(c.title, c) for c in columns)
            return Strip([Segment(set_cell_size(text, width), Style(bold=True, underline=True))])
        index = self._top + y - 1
        row = self._row_at(index)
        if row is None:
            return self._message_line(y - 1, width)
        cells = row_cells(row, self.clock(), self.limits)
        marker = "*" if row.id in self.marked else ">" if index == self._cursor else " "
        texts = [marker, *cells]
        if len(columns) < len(texts):
            del texts[AGE]
        line = set_cell_size(
            " ".join(_fit(t, c) for t, c in zip(texts, columns, strict=True)), width
        )
        urgent = cells[3] == "!!" or cells[4].startswith("LATE")
        style = Style(reverse=index == self._cursor, bold=urgent)
        return Strip([Segment(line, style)], width)

    def _message_line(self, line: int, width: int) -> Strip:
        """Line `line` of what the table says instead of rows (blank below it)."""
        if self._failed:
            message = "The queue could not be loaded: see the log."
        elif not self._loaded:
            message = "loading…"
        elif not self._rows:
            message = self.empty_text
        else:
            message = ""
        lines = message_lines(message, width - 2) if line < self.size.height else []
        text = f" {lines[line]}" if line < len(lines) else ""
        return Strip([Segment(set_cell_size(text, width), PLAIN)], width)
