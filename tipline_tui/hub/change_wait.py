"""Waiting for the change feed to move: what lets `GET /v1/changes?wait=S` answer at once.

One `ChangeWaiter` per hub app keeps the newest seq it knows (`head`). A long-poll waits
on it, holding no database connection: the waiter alone reads the head, in one short
read, when it is woken and while anyone waits:

- at once, when a write transaction of this process commits (a SQLAlchemy commit marks
  the pooled connection; its check-in, after the commit, wakes the waiter): the same
  process's changes reach a waiting client in milliseconds;
- every RECHECK seconds (250 ms) while someone waits: changes committed by ANOTHER hub
  process on the same PostgreSQL database (README "Running several hub processes") are
  seen within that, whatever process the client waits on.

So a hundred waiting analysts cost four small reads a second, not a connection each.
A graceful shutdown (`stop_waiting`) ends every wait at once, so a restart is not held
up by clients waiting out their long-polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from typing import Any

from sqlalchemy import event

from tipline_tui.hub.changes import head_seq
from tipline_tui.hub.db import HubDB

__all__ = ["MAX_WAIT", "RECHECK", "ChangeWaiter", "stop_waiting", "waiter_of"]

log = logging.getLogger(__name__)

RECHECK = 0.25  # seconds between head reads while someone waits (other processes' commits)
MAX_WAIT = 60  # the longest `wait` a client may ask for
_COMMITTED = "tipline_committed"  # marks a pooled connection whose transaction committed

_waiters: weakref.WeakSet[ChangeWaiter] = weakref.WeakSet()
_watched_engines: weakref.WeakSet[Any] = weakref.WeakSet()


def _watch_commits(hub: HubDB) -> None:
    """Wake this process's waiters whenever one of `hub`'s transactions has committed."""
    engine = hub.engine
    if engine in _watched_engines:
        return
    _watched_engines.add(engine)

    def committed(conn: Any) -> None:  # before the commit itself: only a mark
        if conn.get_execution_options().get("hub_write"):  # reads commit too: not news
            conn.info[_COMMITTED] = True

    def checked_in(_dbapi: Any, record: Any) -> None:  # after it: the change is readable
        if record.info.pop(_COMMITTED, False):
            for waiter in list(_waiters):
                if waiter.hub.engine is engine:
                    waiter.poke_threadsafe()

    event.listen(engine, "commit", committed)
    event.listen(engine.pool, "checkin", checked_in)


class ChangeWaiter:
    """The newest seq of one hub's feed, and a way to wait until it passes a cursor."""

    def __init__(self, hub: HubDB, loop: asyncio.AbstractEventLoop) -> None:
        self.hub = hub
        self.loop = loop
        self.head = 0
        self.waiting = 0
        self.stopped = False
        self._moved = asyncio.Event()  # set (and replaced) whenever `head` may have moved
        self._poked = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        _watch_commits(hub)
        _waiters.add(self)

    def poke_threadsafe(self) -> None:
        """Read the head again soon: callable from any thread (a commit in a worker thread)."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            self.loop.call_soon_threadsafe(self._poked.set)

    def stop(self) -> None:
        """End every wait now and any to come (the server is shutting down)."""
        self.stopped = True
        self._announce()

    def _announce(self) -> None:
        self._moved.set()
        self._moved = asyncio.Event()

    async def wait_beyond(self, since: int, timeout: float) -> bool:
        """Wait up to `timeout` s until the feed holds a seq > `since`; whether it does.

        A client that hangs up cancels this (Starlette's streaming response listens).
        """
        deadline = time.monotonic() + timeout
        self.waiting += 1
        self._start_reader()
        try:
            while self.head <= since and not self.stopped:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                moved = self._moved
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(moved.wait(), timeout=min(left, RECHECK))
        finally:
            self.waiting -= 1
        return self.head > since

    def _start_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = self.loop.create_task(self._read_while_waited())

    async def _read_while_waited(self) -> None:
        """Read the head on every poke and every RECHECK, until nobody has waited for a bit."""
        idle = 0
        while idle < 4:
            self._poked.clear()  # a commit from now on reads again after this read
            try:
                head = await asyncio.to_thread(self._read_head)
            except Exception:  # a database hiccup: the waits time out, the clients poll
                log.warning("reading the feed's head failed", exc_info=True)
                head = self.head
            if head != self.head:
                self.head = head
                self._announce()
            idle = idle + 1 if self.waiting == 0 else 0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), timeout=RECHECK)

    def _read_head(self) -> int:
        with self.hub.read() as conn:
            return head_seq(conn)


def waiter_of(state: Any, hub: HubDB) -> ChangeWaiter:
    """The app's waiter (`state` is `app.state`), made on first use on the running loop."""
    waiter: ChangeWaiter | None = getattr(state, "change_waiter", None)
    if waiter is None or waiter.hub is not hub:
        waiter = ChangeWaiter(hub, asyncio.get_running_loop())
        state.change_waiter = waiter
    return waiter


def stop_waiting(loop: asyncio.AbstractEventLoop) -> None:
    """End the long-polls of the server running on `loop`: it is shutting down."""
    for waiter in list(_waiters):
        if waiter.loop is loop:
            waiter.stop()
