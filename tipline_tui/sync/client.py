"""Talk to the hub: pull the change feed into the store, push the outbox.

One round is `sync_once`: pull every page (each page and its cursor in one
transaction), then push pending actions in batches and settle their answers.
A network fault or a 5xx raises HubUnavailable and leaves everything queued;
4xx (bad token, wrong role) raises HubRefused: retrying will not help.

Pages and answers are written on the store's plain (sync) engine in a worker
thread, one transaction per call: through aiosqlite every statement would be
a round trip between threads, and applying a page of reports runs thousands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tipline_tui.domain.wire import (
    ROLE_HEADER,
    SCHEMA_HEADER,
    SEQ_HEADER,
    WAIT_HEADER,
    AnswerBatch,
    ChangesPage,
)
from tipline_tui.store import hub_account, snapshot, sync_state
from tipline_tui.store.engine import Store, create_private_file
from tipline_tui.store.migrations import SCHEMA_VERSION
from tipline_tui.sync.hub_url import SyncConfigError as SyncConfigError  # re-exported
from tipline_tui.sync.hub_url import SyncError as SyncError  # re-exported
from tipline_tui.sync.hub_url import check_hub_url as check_hub_url  # re-exported

log = logging.getLogger(__name__)

PAGE = 1000
CHUNK = 4 << 20  # bytes of a snapshot written to disk at a time, off the event loop
T = TypeVar("T")
TIMEOUT = httpx.Timeout(20.0, connect=5.0)


class HubUnavailable(SyncError):
    """The hub could not be reached or failed (5xx): try again later."""


class HubRefused(SyncError):
    """The hub refused us (401/403/4xx): the settings need fixing, retrying will not help."""


@dataclass(frozen=True, slots=True)
class HubConfig:
    url: str
    token: str
    insecure: bool = False

    def __repr__(self) -> str:  # the token never reaches a log or a traceback
        return f"HubConfig(url={self.url!r}, token='***', insecure={self.insecure})"


@dataclass(frozen=True, slots=True)
class PushAnswer:
    """What one long-poll said: whether the hub pushes at all, and whether the feed moved."""

    supported: bool
    moved: bool


@dataclass(frozen=True, slots=True)
class RoundResult:
    pulled: int
    pushed: int
    counts: sync_state.SyncCounts


class SyncClient:
    def __init__(
        self,
        store: Store,
        config: HubConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.clock = clock
        self.hub_role: str | None = None  # what the hub last said this account's role is
        base = (
            config.url
            if transport is not None
            else check_hub_url(config.url, insecure=config.insecure)
        )
        self.http = httpx.AsyncClient(
            base_url=base,
            headers={"Authorization": f"Bearer {config.token}"},
            transport=transport,
            timeout=TIMEOUT,
            verify=True,  # https is always verified
        )

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        return self._json(await self._request(method, path, **kw))

    async def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            response = await self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise HubUnavailable(f"hub unreachable: {type(exc).__name__}") from None
        self._check_status(response)
        self.hub_role = response.headers.get(ROLE_HEADER) or self.hub_role
        return response

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise HubUnavailable("the hub sent something that is not JSON") from None

    @staticmethod
    def _check_status(response: httpx.Response) -> None:
        """5xx and 429 -> HubUnavailable (try again later); other 4xx -> HubRefused."""
        if response.status_code >= 500:
            raise HubUnavailable(f"hub error {response.status_code}")
        if response.status_code == 429:  # throttled after refused tokens: back off, retry
            raise HubUnavailable("the hub asks us to wait (too many refused attempts)")
        if response.status_code in (401, 403):
            raise HubRefused(
                "the hub refused the token (check [hub] token in settings)"
                if response.status_code == 401
                else "the hub says this account's role may not do that"
            )
        if response.status_code >= 400:
            raise HubRefused(f"the hub refused the request ({response.status_code})")

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(conn, *args)` in one write transaction, in a worker thread (the loop stays free)."""

        def run() -> T:
            with self.store.write() as conn:
                return fn(conn, *args)

        return await asyncio.to_thread(run)

    async def _download(self, temp: Path) -> int | None:
        """Stream `GET /v1/snapshot` into `temp` (0600); its seq, or None if there is none.

        Raises HubUnavailable for a network fault, HubRefused for 401/403.
        """
        try:
            async with self.http.stream("GET", "/v1/snapshot") as response:
                if response.status_code == 404:
                    log.debug("no snapshot on the hub: pulling the feed from 0")
                    return None
                if response.status_code >= 400:
                    await response.aread()
                    self._check_status(response)
                schema = response.headers.get(SCHEMA_HEADER)
                if schema != str(SCHEMA_VERSION):
                    log.debug("snapshot schema %s, not ours: pulling the feed", schema)
                    return None
                seq = int(response.headers.get(SEQ_HEADER, "-1"))
                await asyncio.to_thread(create_private_file, temp)
                with temp.open("r+b") as out:  # no fsync: a crash leaves a temp file, not a store
                    buffer = bytearray()
                    async for chunk in response.aiter_bytes():
                        buffer += chunk
                        if len(buffer) >= CHUNK:
                            await asyncio.to_thread(out.write, bytes(buffer))
                            buffer.clear()
                    await asyncio.to_thread(out.write, bytes(buffer))
                return seq
        except httpx.HTTPError as exc:
            raise HubUnavailable(f"hub unreachable: {type(exc).__name__}") from None
        except ValueError:
            log.debug("the hub's X-Tipline-Seq is not a number: pulling the feed")
            return None

    async def bootstrap(self) -> int:
        """A brand-new store starts from the hub's snapshot; return its tips (0: none used).

        Anything wrong with the snapshot (none yet, another schema, a failed
        check) is not an error: the page pull does the whole job instead. The
        store is changed only by the final copy, never by a half download.
        """
        if not await asyncio.to_thread(snapshot.is_brand_new, self.store):
            return 0
        path = self.store.path
        temp = path.with_name(f".{path.name}.snapshot-{os.getpid()}.tmp")
        await asyncio.to_thread(snapshot.remove_with_sidecars, temp)
        try:
            seq = await self._download(temp)
            if seq is None:
                return 0
            try:
                return await asyncio.to_thread(snapshot.install_snapshot, self.store, temp, seq)
            except snapshot.SnapshotError as exc:
                log.debug("snapshot not used (%s): pulling the feed", exc)
                return 0
        finally:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(snapshot.remove_with_sidecars, temp)

    async def pull(self) -> int:
        """Pull every page since the stored cursor; each page commits with its cursor.

        A brand-new store (cursor 0, nothing in it) first installs the hub's
        snapshot, if it has one, and pulls only what came after it; the
        snapshot's tips count in the total.
        """
        total = 0
        if await self.store.run_read(sync_state.cursor) == 0:
            total += await self.bootstrap()
        since = await self.store.run_read(sync_state.cursor)
        fetch = asyncio.ensure_future(self._page(since))
        try:
            while True:
                page = await fetch
                changes = page.get("changes", [])
                next_seq = int(page.get("next", since))
                more = bool(page.get("more")) and bool(changes)
                if more:  # the hub serves the next page while this one is written
                    fetch = asyncio.ensure_future(self._page(next_seq))
                if changes or next_seq != since:
                    total += await self._write(sync_state.apply_changes, changes, next_seq)
                since = next_seq
                if not more:
                    if self.hub_role:
                        await self._write(hub_account.remember_hub_role, self.hub_role)
                    return total
        finally:
            if not fetch.done():  # a write failed: the page fetched ahead is not wanted
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, SyncError):
                    await fetch

    async def _page(self, since: int) -> ChangesPage:
        """One page as parsed: typed by the wire schema, never validated (a page is large)."""
        page: ChangesPage = await self._call(
            "GET", "/v1/changes", params={"since": since, "limit": PAGE}
        )
        return page

    async def wait_for_change(
        self, since: int, wait: float, on_open: Callable[[bool], None] = lambda pushes: None
    ) -> PushAnswer:
        """Long-poll `GET /v1/changes?wait=`: returns when a change after `since` is on the
        hub, or after `wait` s. A pushing hub sends its headers at once, with X-Tipline-Wait
        (`on_open(True)` then); a hub without it does not push (`on_open(False)`)."""
        params = {"since": since, "limit": 1, "wait": int(wait)}
        try:
            async with self.http.stream(
                "GET", "/v1/changes", params=params, timeout=httpx.Timeout(wait + 15.0, connect=5.0)
            ) as response:
                supported = WAIT_HEADER in response.headers
                if response.status_code < 400:
                    on_open(supported)
                await response.aread()
        except httpx.HTTPError as exc:
            raise HubUnavailable(f"hub unreachable: {type(exc).__name__}") from None
        self._check_status(response)
        page: ChangesPage = self._json(response)
        return PushAnswer(supported, bool(page.get("changes")))

    async def push(self) -> int:
        """Push pending actions in order, a batch at a time; settle each answer."""
        total = 0
        while True:
            batch = await self.store.run_read(sync_state.pending_actions)
            if not batch:
                return total
            body: AnswerBatch = await self._call("POST", "/v1/actions", json={"actions": batch})
            answers = body.get("results", [])
            if len(answers) != len(batch):
                raise HubUnavailable("the hub answered a different number of actions")
            now = int(self.clock())
            await self._write(sync_state.record_answers, answers, now)
            total += len(answers)

    async def sync_once(self) -> RoundResult:
        """Push first (so the pull brings back our own applied changes), then pull."""
        pushed = await self.push()
        pulled = await self.pull()
        return RoundResult(pulled, pushed, await self.store.run_read(sync_state.counts))

    async def aclose(self) -> None:
        await self.http.aclose()
