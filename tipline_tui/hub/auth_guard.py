"""What keeps refused credentials from slowing everyone else down.

Every credential check that is not a recent success costs a scrypt derivation
(tens of milliseconds of CPU), so a flood of wrong tokens could starve the
analysts. Three things bound that, all in memory, one `AuthGuard` per app:

- a cache of verified tokens, keyed by a SHA-256 of kind, name and secret
  (never the secret itself), for `TOKEN_TTL` seconds: a valid analyst pays for
  scrypt once a minute, not once a request; disabling an account forgets it;
- token buckets by source address and by account name: each check that has
  to derive a key takes a token from both (a success gives them back), so a
  client sending refused credentials soon gets 429 with Retry-After instead
  of another derivation;
- the derivations run in worker threads, at most `KDF_THREADS` at a time, so
  the event loop (and every cached analyst) keeps a core;
- a 429 is sent `THROTTLED_DELAY` seconds late (a sleep, no CPU): a flooder that
  ignores Retry-After then gets one answer a second per connection, not hundreds,
  each of which would cost the event loop as much as an analyst's request.

Both kinds of refusal (unknown account, wrong secret) take the same path
through the buckets and the derivation, so neither is told apart by timing.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import anyio
import anyio.to_thread
from anyio import CapacityLimiter

from tipline_tui.hub.tables import Account

__all__ = [
    "BUCKET_SIZE",
    "KDF_THREADS",
    "REFILL_SECONDS",
    "THROTTLED_DELAY",
    "TOKEN_TTL",
    "AuthGuard",
    "RefusalThrottle",
    "VerifiedTokens",
]

TOKEN_TTL = 60.0
"""Seconds a verified token is trusted without scrypt (also the longest a secret
replaced from the command line, or an account disabled by another hub process, keeps working)."""
BUCKET_SIZE = 10
"""Key derivations a source address (or an account name) may have refused in a burst."""
REFILL_SECONDS = 5.0
"""Then one more every this many seconds."""
KDF_THREADS = 1
"""Key derivations running at once: the rest wait, and the event loop keeps a core."""
THROTTLED_DELAY = 1.0
"""Seconds a throttled request waits before its 429."""
MAX_KEYS = 10_000

T = TypeVar("T")


class RefusalThrottle:
    """Token buckets by key; full buckets are forgotten, so memory follows the abusers."""

    def __init__(
        self,
        size: int = BUCKET_SIZE,
        refill_seconds: float = REFILL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._size = float(size)
        self._refill = refill_seconds
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, as of)
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        tokens, since = self._buckets.get(key, (self._size, now))
        return min(self._size, tokens + (now - since) / self._refill)

    def take(self, keys: Sequence[str]) -> float | None:
        """Take a token from every key's bucket; else the seconds until each has one."""
        with self._lock:
            now = self._clock()
            levels = [self._level(key, now) for key in keys]
            if any(level < 1 for level in levels):
                return max((1 - level) * self._refill for level in levels)
            for key, level in zip(keys, levels, strict=True):
                self._buckets[key] = (level - 1, now)
            if len(self._buckets) > MAX_KEYS:
                self._prune(now)
            return None

    def refund(self, keys: Sequence[str]) -> None:
        """Give back what `take` took: the credentials were good."""
        with self._lock:
            now = self._clock()
            for key in keys:
                self._buckets[key] = (min(self._size, self._level(key, now) + 1), now)

    def _prune(self, now: float) -> None:
        for key in [k for k in self._buckets if self._level(k, now) >= self._size]:
            del self._buckets[key]
        while len(self._buckets) > MAX_KEYS:  # all busy: the oldest entries go
            del self._buckets[next(iter(self._buckets))]


class VerifiedTokens:
    """Recently verified tokens -> their account, for `ttl` seconds."""

    def __init__(
        self, ttl: float = TOKEN_TTL, size: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._seen: dict[bytes, tuple[Account, float]] = {}
        self._lock = threading.Lock()  # the disable route runs in a worker thread

    @staticmethod
    def _key(kind: str, name: str, secret: str) -> bytes:
        return hashlib.sha256(f"{kind}\x00{name}\x00{secret}".encode()).digest()

    def get(self, kind: str, name: str, secret: str) -> Account | None:
        key = self._key(kind, name, secret)
        with self._lock:
            found = self._seen.get(key)
            if found is None:
                return None
            if found[1] <= self._clock():
                del self._seen[key]
                return None
            return found[0]

    def put(self, kind: str, name: str, secret: str, account: Account) -> None:
        key = self._key(kind, name, secret)
        with self._lock:
            self._seen.pop(key, None)
            if len(self._seen) >= self._size:
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = (account, self._clock() + self._ttl)

    def forget(self, name: str) -> None:
        """Drop every token of the account `name` (disabled: its next request is checked)."""
        with self._lock:
            for key in [k for k, (account, _) in self._seen.items() if account.name == name]:
                del self._seen[key]


class AuthGuard:
    """One app's throttle, token cache and key-derivation threads."""

    def __init__(
        self,
        throttle: RefusalThrottle | None = None,
        tokens: VerifiedTokens | None = None,
        kdf_threads: int = KDF_THREADS,
        throttled_delay: float = THROTTLED_DELAY,
    ) -> None:
        self.throttle = throttle or RefusalThrottle()
        self.tokens = tokens or VerifiedTokens()
        self.throttled_delay = throttled_delay
        self._kdf_threads = kdf_threads
        self._limiter: CapacityLimiter | None = None  # made on the loop, on first use

    @staticmethod
    def keys(address: str, kind: str, name: str) -> list[str]:
        """The buckets a check draws on: its source address and the account it names."""
        named = hashlib.sha256(f"{kind}\x00{name}".encode()).hexdigest()[:32]
        return [f"addr:{address}", f"name:{named}"]

    @staticmethod
    def pair_keys(address: str, kind: str, name: str) -> list[str]:
        """One bucket for this account name from this address (ESP intake's throttle)."""
        named = hashlib.sha256(f"{kind}\x00{name}".encode()).hexdigest()[:32]
        return [f"pair:{address}:{named}"]

    async def derive(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` in a worker thread, at most `kdf_threads` at a time."""
        if self._limiter is None:
            self._limiter = CapacityLimiter(self._kdf_threads)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def throttled(self, wait: float) -> str:
        """Hold a throttled request `throttled_delay` seconds; its Retry-After value."""
        await anyio.sleep(self.throttled_delay)
        return str(max(1, math.ceil(wait - self.throttled_delay)))
