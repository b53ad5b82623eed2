"""One page of the change feed, built in one place.

`GET /v1/changes` serves these pages and the snapshot keeper applies them
straight to its store, so the two can never disagree about what a page holds.
A page is bounded by bytes as well as by count (PAGE_BYTES): rows are read one
batch at a time and the page ends before the change that would pass the budget,
but always holds at least one change, so a client can always move on.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from tipline_tui.domain.limits import PAGE_BYTES, wire_bytes
from tipline_tui.domain.wire import ChangeDict, ChangesPage
from tipline_tui.hub.tables import Change, table_of

__all__ = ["changes_page", "head_seq"]

_change = table_of(Change)
_BATCH = 64  # rows fetched at a time: a page of large changes never loads them all


def changes_page(
    conn: Connection, since: int, limit: int, budget: int = PAGE_BYTES.value
) -> ChangesPage:
    """Changes with seq > `since` in seq order: {"changes", "next", "more"} (the wire page)."""
    result = conn.execution_options(yield_per=_BATCH).execute(
        select(_change.c.seq, _change.c.kind, _change.c.at, _change.c.payload)
        .where(_change.c.seq > since)
        .order_by(_change.c.seq)
        .limit(limit + 1)
    )
    changes: list[ChangeDict] = []
    used, more = 0, False
    try:
        for r in result:
            payload = r.payload or {}
            change: ChangeDict = {"seq": r.seq, "kind": r.kind, "at": r.at, "payload": payload}
            size = wire_bytes(change)
            if len(changes) == limit or (changes and used + size > budget):
                more = True
                break
            changes.append(change)
            used += size
    finally:
        result.close()
    return {
        "changes": changes,
        "next": changes[-1]["seq"] if changes else since,
        "more": more,
    }


def head_seq(conn: Connection) -> int:
    """The newest seq of the feed (0 while it is empty)."""
    newest = select(_change.c.seq).order_by(_change.c.seq.desc()).limit(1)
    return int(conn.execute(newest).scalar() or 0)
