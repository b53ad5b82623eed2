"""The queue's header line, fitted to the terminal's width.

The header says what the queue is showing (the filter and sort) and whether
sync is working, so an empty queue is never a mystery. Every piece has
shorter forms; when the line is too wide the least important piece gives
way first (a count before the filter, an abbreviation before a drop), so at
80 columns everything that explains the rows stays, and at 60 it still does
in short words.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text

from tipline_tui.domain.literal import literal
from tipline_tui.domain.oncall import UnclaimedUrgent
from tipline_tui.domain.views import QueueCounts, QueueFilter, QueueSort
from tipline_tui.widgets.format import age_text

if TYPE_CHECKING:
    from tipline_tui.sync.loop import SyncStatus

STRONG = "bold"
ALARM = "reverse bold"


@dataclass(frozen=True)
class Piece:
    """One thing the header says, in forms from longest to shortest ("" drops it)."""

    name: str
    forms: tuple[str, ...]
    style: str = ""


# the order in which pieces give way: each name steps that piece to its next form
SHRINK_ORDER = (
    "hub",
    "sort",
    "filter",
    "total",
    "unassigned",
    "pending",
    "conflicts",
    "sync",
    "quarantined",
    "urgent",
    "sort",
    "sync",
    "online",
    "unclaimed",
    "filter",
    "sort",
    "pending",
    "quarantined",
    "conflicts",
    "urgent",
    "unclaimed",
    "online",
)
JOIN = " · "  # between pieces of a group
GROUP_JOIN = " │ "  # between groups

_SORT_FORMS = {
    QueueSort.URGENCY: ("sorted by urgency", "by urgency", "urgency", ""),
    QueueSort.AGE: ("sorted oldest first", "oldest first", "oldest", ""),
    QueueSort.RECEIVED: ("sorted newest first", "newest first", "newest", ""),
}


def count_pieces(counts: QueueCounts | None, quarantined: int) -> list[Piece]:
    if counts is None:
        return []
    return [
        Piece("total", (f"{counts.total:,} tips", "")),
        Piece(
            "urgent",
            (f"{counts.urgent:,} urgent", f"{counts.urgent:,} urg", ""),
            STRONG if counts.urgent else "",
        ),
        Piece("unassigned", (f"{counts.unassigned:,} unassigned", "")),
        *(
            [
                Piece(
                    "quarantined",
                    (f"{quarantined:,} quarantined", f"{quarantined:,} quar", ""),
                    STRONG,
                )
            ]
            if quarantined
            else []
        ),
    ]


def view_pieces(
    sort: QueueSort,
    filt: QueueFilter,
    *,
    on_call: bool,
    waiting: Sequence[UnclaimedUrgent] | None = None,
    now: float = 0.0,
) -> list[Piece]:
    """What the rows are: the filter (never dropped, only shortened) and the sort; on call,
    how many urgent tips nobody has claimed (`waiting`) and how long the oldest has waited."""
    search = literal(filt.search.strip(), multiline=False)
    found = f" /{search}" if search else ""
    short_found = f" /{search[:8]}…" if len(search) > 9 else found
    if on_call:
        return [
            Piece("filter", (f"ON-CALL{found}", f"ON-CALL{found}", f"ON-CALL{short_found}"), ALARM),
            *([] if waiting is None else [unclaimed_piece(waiting, now)]),
        ]
    words = [filt.status or "all"]
    if filt.priority:
        words.append(f"pri {filt.priority}")
    if filt.urgent_only:
        words.append("urgent")
    shown = " ".join(words)
    return [
        Piece(
            "filter",
            (f"showing: {shown}{found}", f"{shown}{found}", f"{shown}{short_found}"),
            STRONG if shown != "open" or search else "",
        ),
        Piece("sort", _SORT_FORMS[sort]),
    ]


def unclaimed_piece(waiting: Sequence[UnclaimedUrgent], now: float) -> Piece:
    """'2 unclaimed, oldest 14m': urgent tips nobody has taken yet (never dropped)."""
    if not waiting:
        return Piece("unclaimed", ("none unclaimed", "0 unclaimed", "0 uncl"))
    count = len(waiting)
    age = age_text(now - waiting[0].received_at)
    return Piece(
        "unclaimed",
        (
            f"{count:,} unclaimed, oldest {age}",
            f"{count:,} unclaimed {age}",
            f"{count:,} uncl {age}",
        ),
        ALARM,
    )


def sync_pieces(
    status: SyncStatus | None,
    pending: int,
    now: float | None = None,
    *,
    exercise: bool = False,
    conflicts_key: str = "C",
) -> list[Piece]:
    """Whether the hub is reachable, when the last change came, and what waits for it
    (an exercise has no hub); `conflicts_key` is the key that opens the conflicts, as mapped."""
    if exercise:
        return [Piece("hub", ("practice: nothing is sent", "practice", ""))]
    if status is None:
        if not pending:
            return [Piece("hub", ("no hub", ""))]
        return [Piece("pending", (f"no hub: {pending:,} queued", f"{pending:,} queued"), STRONG)]
    pieces = [_state_piece(status, now)]
    if status.pending:
        pieces.append(
            Piece("pending", (f"{status.pending:,} pending", f"{status.pending:,} pend", ""))
        )
    problems = status.conflicts + status.rejected
    if problems:
        pieces.append(
            Piece(
                "conflicts",
                (
                    f"{problems:,} conflicts ({conflicts_key})",
                    f"{problems:,} confl ({conflicts_key})",
                    f"{problems:,} confl",
                ),
                STRONG,
            )
        )
    return pieces


def since_text(seconds: float) -> str:
    """How long ago, always three cells wide (' 2s', '45s', '12m'): a tick every second
    rewrites those cells only, never the header around them."""
    return f"{age_text(seconds):>3}"


def _state_piece(status: SyncStatus, now: float | None) -> Piece:
    if status.online:
        word = "polling" if status.push == "down" else "online"
        keep = "polling" if status.push == "down" else ""  # falling back is never hidden
        if status.last_change_at is None or now is None:
            return Piece("online", (word, word, keep), STRONG if keep else "")
        since = since_text(now - status.last_change_at)
        return Piece("online", (f"{word} · {since}", word, keep), STRONG if keep else "")
    if status.refused:
        return Piece("sync", ("REFUSED", "REFUSED"), ALARM)
    if status.failed and status.store_problem:
        problem = literal(status.store_problem, multiline=False)
        return Piece("sync", (f"SYNC ERROR: {problem}", "SYNC ERROR", "SYNC ERR"), ALARM)
    if status.failed:
        return Piece("sync", ("SYNC ERROR (see the log)", "SYNC ERROR", "SYNC ERR"), ALARM)
    since = time.strftime("%H:%M", time.gmtime(status.offline_since or 0))
    return Piece("sync", (f"OFFLINE since {since}", f"OFFLINE {since}", "OFFLINE"), ALARM)


def _width(pieces: Sequence[Piece], levels: dict[str, int]) -> int:
    shown = [cell_len(p.forms[levels[p.name]]) for p in pieces]
    widths = [w for w in shown if w]
    return sum(widths) + len(JOIN) * max(0, len(widths) - 1)


def fit(
    groups: Sequence[Sequence[Piece]], width: int, *, last_gap: int
) -> list[list[tuple[str, str]]]:
    """Each group's pieces as (text, style), in the longest forms that fit `width` together.

    Pieces within a group are joined by JOIN, groups by GROUP_JOIN, and `last_gap` cells
    always come before the last group (its widget's margin); pieces give way in
    SHRINK_ORDER, and what still does not fit is cut by the widget that shows it.
    """
    levels = {p.name: 0 for group in groups for p in group}

    def total() -> int:
        used = [_width(g, levels) for g in groups]
        gaps = len(GROUP_JOIN) * max(0, len([u for u in used[:-1] if u]) - 1)
        return sum(used) + gaps + last_gap

    forms = {p.name: len(p.forms) for group in groups for p in group}
    taken: list[str] = []
    for name in SHRINK_ORDER:
        if total() <= width:
            break
        if name in forms and levels[name] + 1 < forms[name]:
            levels[name] += 1
            taken.append(name)
    # a later step may have made room for an earlier one: give back what fits again
    for name in reversed(taken):
        levels[name] -= 1
        if total() > width:
            levels[name] += 1
    return [
        [(p.forms[levels[p.name]], p.style) for p in group if p.forms[levels[p.name]]]
        for group in groups
    ]


def _styled(group: Sequence[tuple[str, str]]) -> Text:
    text = Text()
    for position, (words, style) in enumerate(group):
        if position:
            text.append(JOIN)
        text.append(words, style=style)
    return text


def header_texts(
    groups: Sequence[Sequence[Piece]], width: int, *, demo: bool, exercise: bool = False
) -> tuple[Text, Text]:
    """The header in two parts: what the queue shows (DEMO first in the demo, EXERCISE in
    a training exercise), and the last group (sync, shown at the right), fitted together
    into `width` cells."""
    lead = Text(no_wrap=True, overflow="ellipsis")
    badge = " DEMO " if demo else " EXERCISE " if exercise else ""
    if badge:
        lead.append(badge, style=ALARM)
        lead.append(" ")
        width -= len(badge) + 1
    *view, last = fit(groups, width, last_gap=1)  # the sync badge's left margin
    for index, group in enumerate(g for g in view if g):
        if index:
            lead.append(GROUP_JOIN)
        lead.append_text(_styled(group))
    return lead, _styled(last)
