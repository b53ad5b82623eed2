"""Waiting for an event, never for a guessed time: the one polling helper of the tests.

Each returns as soon as its condition holds, so a fast machine does not wait,
and gives up only after a generous TIMEOUT, so a slow one does not fail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from textual.pilot import Pilot

T = TypeVar("T")

TIMEOUT = 30.0  # seconds; only ever reached when the awaited thing never happens
INTERVAL = 0.01


def wait_until(
    condition: Callable[[], T], *, what: str, timeout: float = TIMEOUT, interval: float = INTERVAL
) -> T:
    """Poll `condition` from a plain thread until it is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(interval)


async def until(
    condition: Callable[[], T],
    *,
    what: str,
    pilot: Pilot | None = None,
    timeout: float = TIMEOUT,
    interval: float = INTERVAL,
) -> T:
    """`wait_until` inside an event loop: the loop (and the app, given `pilot`) runs meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)
        if pilot is not None:
            await pilot.pause()  # and let the app handle what the wait let through


SYNC_GROUP = "sync"  # the app's endless workers (hub sync, demo feed): never finished


async def idle(pilot: Pilot, *, timeout: float = TIMEOUT) -> None:
    """Return once no worker but the endless sync loop runs, and the screen has caught up.

    Every other worker is waited for, triage ones too: a prompt is opened from the key
    handler and its worker starts only once answered, so none waits on a key. A finishing
    worker may start another (an action reloads the tip, which then looks for related
    reports), so this goes round until a pass finds nothing running.
    """
    app = pilot.app
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        busy = [w for w in app.workers if w.group != SYNC_GROUP and not w.is_finished]
        if not busy:
            return
        try:
            await asyncio.wait_for(
                app.workers.wait_for_complete(busy), max(deadline - time.monotonic(), 0)
            )
        except TimeoutError:
            names = ", ".join(sorted({w.group for w in busy}))
            message = f"gave up after {timeout:g} s waiting for workers: {names}"
            raise AssertionError(message) from None
