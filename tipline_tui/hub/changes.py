"""One page of the change feed, built in one place.

`GET /v1/changes` serves these pages and the snapshot keeper applies them
straight to its store, so the two can never disagree about what a page holds.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from tipline_tui.domain.wire import ChangesPage
from tipline_tui.hub.tables import Change, table_of

__all__ = ["changes_page", "head_seq"]

_change = table_of(Change)


def changes_page(conn: Connection, since: int, limit: int) -> ChangesPage:
    """Changes with seq > `since` in seq order: {"changes", "next", "more"} (the wire page)."""
    rows = conn.execute(
        select(_change.c.seq, _change.c.kind, _change.c.at, _change.c.payload)
        .where(_change.c.seq > since)
        .order_by(_change.c.seq)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "changes": [
            {"seq": r.seq, "kind": r.kind, "at": r.at, "payload": r.payload or {}} for r in rows
        ],
        "next": rows[-1].seq if rows else since,
        "more": more,
    }


def head_seq(conn: Connection) -> int:
    """The newest seq of the feed (0 while it is empty)."""
    newest = select(_change.c.seq).order_by(_change.c.seq.desc()).limit(1)
    return int(conn.execute(newest).scalar() or 0)
