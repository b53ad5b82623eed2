"""Connection limits for `tipline hub serve`: no client can hold the hub's sockets for long.

uvicorn times out idle keep-alive connections but not a client that sends its headers one
byte at a time, nor one that stops halfway through a body, and it accepts every connection
it can. Each such client holds a file descriptor; enough of them and `accept()` fails with
EMFILE, which CPython's accept loop logs thousands of times a second. So the hub's HTTP
protocol here adds three rules on top of uvicorn's:

- a request's headers must arrive within `header_timeout` of its first byte (or of the
  connection opening): a slow drip of header bytes does not keep the connection alive;
- a body that stops arriving for `body_idle_timeout` ends the connection (reading paused by
  the hub itself, while the app has not yet asked for more, does not count);
- beyond `max_connections` open at once, a new connection is answered 503 with Retry-After
  and closed at once, so descriptors stay below the process's limit.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from tipline_tui.hub.change_wait import stop_waiting

log = logging.getLogger(__name__)

# the listen queue; also how many connections asyncio accepts in one go before any protocol
# can refuse one, so it is part of what the descriptor reserve must cover
LISTEN_BACKLOG = 64
# descriptors kept back from connections: one accept batch, the database pool, evidence files
# being written, snapshot building, log files and the listening socket
RESERVED_DESCRIPTORS = LISTEN_BACKLOG + 96
MAX_CONNECTIONS_CEILING = 4096
BUSY_TEXT = b"hub busy: too many open connections, try again in a moment\n"
BUSY_ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Retry-After: 1\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: " + str(len(BUSY_TEXT)).encode() + b"\r\n"
    b"Connection: close\r\n\r\n" + BUSY_TEXT
)


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a client may take and how many may be connected (README "Limits")."""

    max_connections: int
    header_timeout: float = 10.0
    keep_alive_timeout: int = 5
    body_idle_timeout: float = 30.0
    backlog: int = LISTEN_BACKLOG


def default_max_connections(reserve: int = RESERVED_DESCRIPTORS) -> int:
    """What the process's descriptor limit allows once the hub's own files are kept back."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS_CEILING
    return max(1, min(MAX_CONNECTIONS_CEILING, soft - reserve))


def guarded_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol with `limits` enforced; pass it as uvicorn's `http`."""

    class GuardedProtocol(_GuardedH11Protocol):
        connection_limits = limits

    return GuardedProtocol


class _GuardedH11Protocol(H11Protocol):
    connection_limits: ConnectionLimits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_deadline: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.connection_limits.max_connections:
            self._refused = True
            log.warning(
                "refusing a connection: %d open, the limit is %d",
                len(self.connections),
                self.connection_limits.max_connections,
            )
            transport.write(BUSY_ANSWER)
            transport.close()
            return
        super().connection_made(transport)
        self._arm(self.connection_limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._refused:
            return
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        waiting_for_headers = self.conn.their_state is h11.IDLE
        super().data_received(data)
        self._after_read(waiting_for_headers)

    def shutdown(self) -> None:
        # long-polls (GET /v1/changes?wait=) answer now: a restart is not held up by them
        stop_waiting(self.loop)
        super().shutdown()

    def on_response_complete(self) -> None:
        self._disarm()  # uvicorn's keep-alive timer takes over between requests
        super().on_response_complete()

    def _after_read(self, was_waiting_for_headers: bool) -> None:
        state = self.conn.their_state
        if state is h11.IDLE:
            # headers still incomplete: the deadline counts from their first byte, not the last
            if not was_waiting_for_headers or self._read_deadline is None:
                self._arm(self.connection_limits.header_timeout)
        elif state is h11.SEND_BODY:
            self._arm(self.connection_limits.body_idle_timeout)  # every chunk restarts it
        else:
            self._disarm()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(seconds, self._on_read_deadline)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _on_read_deadline(self) -> None:
        self._read_deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        if self.flow.read_paused:  # the hub is not reading: the client is not the slow one
            self._arm(self.connection_limits.body_idle_timeout)
            return
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            return
        log.info("closing a connection from %s: too slow to send its request", self.client)
        self.transport.close()
