"""The queue's reads for the app, before and after its engine exists.

The queue's first page is what an analyst waits for at start-up, and SQLAlchemy
with aiosqlite costs more to import than the rest of that wait (issue 13). So
the readers of `store/queue.py`, written once as SQL, first run on a bare
sqlite3 read (`Store.plain_read`) in a worker thread; once the app has loaded
the rest of itself it calls `use_engine`, and the same readers then run on the
store's async engine, like every other read of the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from tipline_tui.domain.views import QueueCounts, QueueFilter, QueueRow, QueueSort
from tipline_tui.store import queue
from tipline_tui.store.engine import Store
from tipline_tui.store.sql_rows import ReadConnection, one_value

T = TypeVar("T")


class QueueReads:
    """The queue's windows and counts on `store`, through whichever connection is cheap now."""

    def __init__(self, store: Store, *, engine: bool = False) -> None:
        self.store = store
        self.on_engine = engine
        self._engine_ready = asyncio.Event()

    def use_engine(self) -> None:
        """From now on read through the store's async engine (the app has loaded it)."""
        self.on_engine = True
        self._engine_ready.set()

    async def _read(self, reader: Callable[..., T], *args: Any, at_once: bool = False) -> T:
        """`reader` on the engine, else on a plain read: `at_once` in this thread (a window
        is a few index steps, and so is drawn in the very first frame), else in a worker
        thread (a count may read the whole table)."""
        if self.on_engine:
            return await self.store.run_read(reader, *args)
        if at_once:
            return self._plain(reader, *args)
        return await asyncio.to_thread(self._plain, reader, *args)

    def _plain(self, reader: Callable[..., T], *args: Any) -> T:
        with self.store.plain_read() as conn:
            return reader(conn, *args)

    async def window(
        self,
        sort: QueueSort,
        filt: QueueFilter,
        *,
        after: tuple[int, ...] | None = None,
        before: tuple[int, ...] | None = None,
        limit: int = 100,
    ) -> list[QueueRow]:
        def read(conn: ReadConnection) -> list[QueueRow]:
            return queue.fetch_window(conn, sort, filt, after=after, before=before, limit=limit)

        return await self._read(read, at_once=True)

    async def around(
        self, sort: QueueSort, filt: QueueFilter, report_id: int, limit: int = 100
    ) -> tuple[list[QueueRow], int, int] | None:
        """Rows around a tip, its position in that window, and the window's first index."""

        def read(conn: ReadConnection) -> tuple[list[QueueRow], int, int] | None:
            found = queue.fetch_around(conn, sort, filt, report_id, limit=limit)
            if found is None:
                return None
            rows, at = found
            first = queue.count_before(conn, sort, filt, rows[0].sort_key(sort))
            return rows, at, first

        return await self._read(read)

    async def counts(self, filt: QueueFilter | None = None) -> QueueCounts:
        """Counts wait for the engine: a count may read the whole table, and the first
        paint needs none (the position shows "1/…" until it comes)."""
        await self._engine_ready.wait()
        return await self._read(queue.queue_counts, filt)


def meta_value(conn: ReadConnection, key: str) -> str | None:
    """One value of the store's meta table (the first paint reads `exercise`)."""
    found = one_value(conn, "SELECT value FROM meta WHERE key = ?", [key])
    return None if found is None else str(found)
