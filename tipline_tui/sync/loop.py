"""Sync in the background: pulled the moment the hub says so, else a round every few seconds.

With `push`, one long-poll (`GET /v1/changes?wait=`) stays open beside the rounds: when
it answers that the feed moved, a round runs at once, so a new tip lands within a
second of the hub committing it. Rounds then run only every PUSH_SAFETY seconds (the
outbox is pushed on every poke anyway). When the long-poll fails (the hub restarted, a
proxy cut it, an older hub that does not push) the loop says so (`push="down"`, the
badge says "polling", the log says why), polls every `interval` seconds again, and
tries the long-poll again later, with backoff.

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
from typing import TYPE_CHECKING, Literal

from tipline_tui.domain.jurisdiction_signals import load_phone_geodata
from tipline_tui.store import sync_state
from tipline_tui.store.problems import describe_failure

if TYPE_CHECKING:  # the app imports this module for SyncStatus; httpx waits for a hub
    from tipline_tui.sync.client import SyncClient

INTERVAL = 5.0
BACKOFF_BASE = 1.0
BACKOFF_MAX = 60.0
PUSH_WAIT = 25.0  # seconds a long-poll waits on the hub; under any proxy's idle timeout
PUSH_SAFETY = 60.0  # seconds between rounds while the long-poll works
PUSH_RETRY_MAX = 30.0  # the longest wait before trying a broken long-poll again
PUSH_RETRY_OLD_HUB = 300.0  # a hub that does not push is asked again this often

PushState = Literal["off", "connecting", "live", "down"]

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
    last_change_at: float | None = None  # when a change last arrived (the clock's seconds)
    push: PushState = "off"  # the long-poll: not used, opening, working, broken (polling)
    push_problem: str | None = None  # why the long-poll is down, in words


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
        push: bool = False,
        push_wait: float = PUSH_WAIT,
    ) -> None:
        self.client = client
        self.ready = ready  # awaited before the first round (the demo seeds its hub first)
        self.on_status = on_status
        self.interval = interval
        self.clock = clock
        self.rng = rng
        self.push = push
        self.push_wait = push_wait
        self.status = SyncStatus(push="connecting" if push else "off")
        self._wake = asyncio.Event()
        self._round_done = asyncio.Event()
        self._push_retry = asyncio.Event()  # a round got through: try the long-poll again now
        self._retry_after_round = False
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
        before = self.status
        self._set(
            SyncStatus(
                online=True,
                pending=c.pending,
                conflicts=c.conflicts,
                rejected=c.rejected,
                local_only=c.local_only,
                pulled_total=before.pulled_total + result.pulled,
                last_change_at=self.clock() if result.pulled else before.last_change_at,
                push=before.push,
                push_problem=before.push_problem,
            )
        )
        if self._retry_after_round:  # the hub answers again (restarted): so may the long-poll
            self._push_retry.set()
        return PUSH_SAFETY if self.status.push == "live" else self.interval

    async def run_forever(self) -> None:
        listener = asyncio.ensure_future(self._listen_forever()) if self.push else None
        warm_up: asyncio.Future[None] | None = None
        try:
            while True:
                self._wake.clear()  # a poke during the round wakes the next wait at once
                delay = await self.round()
                self._round_done.set()
                if warm_up is None:  # after the first round, beside the next ones
                    warm_up = asyncio.ensure_future(asyncio.to_thread(load_phone_geodata))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    # ------------------------------------------------------------------ the push channel

    async def _listen_forever(self) -> None:
        """Keep one long-poll open; never raises (a broken one falls back to polling)."""
        from tipline_tui.sync.client import HubRefused

        failures = 0
        if not self._ready_done:
            await self._round_done.wait()  # the first round has the hub ready (the demo)
        while True:
            self._retry_after_round = False
            try:
                delay = await self._listen_once()
                failures = 0
            except HubRefused as exc:  # the rounds say so too; ask again much later
                self._push_down(str(exc))
                delay = PUSH_RETRY_OLD_HUB
            except Exception as exc:  # the network, the hub, a bug: poll, and try again
                failures += 1
                log.debug("long-poll failed", exc_info=True)
                self._push_down(str(exc) or type(exc).__name__)
                delay = min(PUSH_RETRY_MAX, backoff_delay(failures, self.rng))
                self._retry_after_round = True
            if delay:
                self._push_retry.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._push_retry.wait(), timeout=delay)

    async def _listen_once(self) -> float:
        """One long-poll; how long to wait before the next."""
        since = await self.client.store.run_read(sync_state.cursor)
        started = time.monotonic()
        answer = await self.client.wait_for_change(since, self.push_wait, self._push_opened)
        if not answer.supported:
            self._push_down("the hub does not push (an older hub)")
            return PUSH_RETRY_OLD_HUB
        self._push_state("live", None)
        if answer.moved:  # pull now, and long-poll again from where that round got to
            self._round_done.clear()
            self.poke()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._round_done.wait(), timeout=self.push_wait)
            return 0.0
        # back at once with nothing new (a hub shutting down): not a busy loop
        return 1.0 if time.monotonic() - started < 1.0 else 0.0

    def _push_opened(self, pushes: bool) -> None:
        if pushes:  # the hub is holding the long-poll: news will come at once
            self._push_state("live", None)

    def _push_down(self, why: str) -> None:
        if self.status.push != "down":
            log.warning("push channel down (%s): polling every %g s", why, self.interval)
            self.poke()  # the round waiting PUSH_SAFETY runs now, then every interval
        self._push_state("down", why)

    def _push_state(self, state: PushState, problem: str | None) -> None:
        if state == "live" and self.status.push == "down":
            log.warning("push channel back: pulling as soon as the hub has news")
        self._set(replace(self.status, push=state, push_problem=problem))
