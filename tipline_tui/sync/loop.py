"""Sync in the background: a round every few seconds, backing off while the hub is down.

Network errors and 5xx back off exponentially with jitter (so a fleet of
analysts does not hammer a hub that is coming back); a refusal (bad token,
wrong role) stops retrying until the analyst asks again. Anything else that
raises (a hub answering garbage, a full disk, a bug) becomes the `failed`
state, a backoff and a logged traceback: the loop itself never stops. A page
that cannot be written leaves the store as it was (page and cursor commit
together), so the retry pulls it again. Every change of state is
reported through `on_status`, which the TUI turns into its badge.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tipline_tui.store import sync_state
from tipline_tui.store.problems import describe_failure

if TYPE_CHECKING:  # the app imports this module for SyncStatus; httpx waits for a hub
    from tipline_tui.sync.client import SyncClient

INTERVAL = 5.0
BACKOFF_BASE = 1.0
BACKOFF_MAX = 60.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncStatus:
    online: bool = False
    offline_since: int | None = None
    pending: int = 0
    conflicts: int = 0
    rejected: int = 0
    local_only: int = 0
    last_error: str | None = None
    refused: bool = False
    failed: bool = False  # an unexpected error (not the network, not a refusal): see the log
    store_problem: str | None = None  # the store could not be written: why, in words
    pulled_total: int = 0  # changes pulled so far: when it grows, the screens reload


def backoff_delay(failures: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after `failures` failures in a row: exponential, capped, jittered."""
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(0, failures - 1))
    return ceiling * (0.5 + rng() / 2)


class SyncLoop:
    def __init__(
        self,
        client: SyncClient,
        *,
        on_status: Callable[[SyncStatus], None] = lambda status: None,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        ready: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.client = client
        self.ready = ready  # awaited before the first round (the demo seeds its hub first)
        self.on_status = on_status
        self.interval = interval
        self.clock = clock
        self.rng = rng
        self.status = SyncStatus()
        self._wake = asyncio.Event()
        self._ready_done = ready is None
        self.failures = 0

    def poke(self) -> None:
        """Sync soon (an action was just queued), and retry even after a refusal."""
        self._wake.set()

    def _set(self, status: SyncStatus) -> None:
        if status != self.status:
            self.status = status
            self.on_status(status)

    async def round(self) -> float:
        """One round; returns how long to wait before the next. Never raises an Exception."""
        try:
            return await self._round()
        except Exception as exc:  # whatever it is, the next round may go better
            log.exception("sync round failed")
            self.failures += 1
            # a full disk or damaged store in words (its SQL and values stay in the log)
            words = describe_failure(exc, self.client.store.path.name)
            self._set(
                replace(
                    self.status,
                    online=False,
                    offline_since=self.status.offline_since or int(self.clock()),
                    last_error=words or f"{type(exc).__name__}: {exc}",
                    refused=False,
                    failed=True,
                    store_problem=words,
                )
            )
            return backoff_delay(self.failures, self.rng)

    async def _round(self) -> float:
        from tipline_tui.sync.client import HubRefused, HubUnavailable

        if not self._ready_done and self.ready is not None:
            await self.ready()
            self._ready_done = True
        try:
            result = await self.client.sync_once()
        except HubUnavailable as exc:
            self.failures += 1
            since = self.status.offline_since or int(self.clock())
            counts = await self.client.store.run_read(sync_state.counts)
            self._set(
                replace(
                    self.status,
                    online=False,
                    offline_since=since,
                    last_error=str(exc),
                    refused=False,
                    failed=False,
                    store_problem=None,
                    pending=counts.pending,
                    conflicts=counts.conflicts,
                    rejected=counts.rejected,
                    local_only=counts.local_only,
                )
            )
            return backoff_delay(self.failures, self.rng)
        except HubRefused as exc:
            self.failures += 1
            self._set(
                replace(
                    self.status,
                    online=False,
                    last_error=str(exc),
                    refused=True,
                    failed=False,
                    store_problem=None,
                )
            )
            return BACKOFF_MAX * 10  # waits for a poke
        self.failures = 0
        c = result.counts
        self._set(
            SyncStatus(
                online=True,
                pending=c.pending,
                conflicts=c.conflicts,
                rejected=c.rejected,
                local_only=c.local_only,
                pulled_total=self.status.pulled_total + result.pulled,
            )
        )
        return self.interval

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()  # a poke during the round wakes the next wait at once
            delay = await self.round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
