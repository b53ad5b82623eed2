"""The lean HTTP client of bench/hub_fleet.py: CPU the bench spends is CPU its hubs lack."""

from __future__ import annotations

import asyncio
import base64


class Wire:
    """HTTP/1.1 over one kept-alive connection per host, as lean as a client can be.

    The bench shares the machine's cores with the hubs it measures: httpx spent about 9 ms
    of CPU per report, CPU the hubs then lacked. Requests are written whole and answers read
    by Content-Length (the hub always sends one); a connection the hub closed is reopened.
    """

    def __init__(self, account: tuple[str, str]) -> None:
        token = base64.b64encode(f"{account[0]}:{account[1]}".encode()).decode()
        self.auth = f"Authorization: Basic {token}\r\n".encode()
        self.streams: dict[str, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}

    async def post(self, url: str, body: bytes, content_type: str) -> bytes:
        for attempt in (1, 2):
            try:
                return await self._exchange(url, body, content_type)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self._drop(url)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, url: str, body: bytes, content_type: str) -> bytes:
        base, path = url.split("/ispws/", 1)
        if base not in self.streams:
            host, port = base.removeprefix("http://").rsplit(":", 1)
            self.streams[base] = await asyncio.open_connection(host, int(port))
        reader, writer = self.streams[base]
        head = (
            f"POST /ispws/{path} HTTP/1.1\r\nHost: {base[7:]}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        ).encode()
        writer.write(head + self.auth + b"\r\n" + body)
        headers = (await reader.readuntil(b"\r\n\r\n")).lower()
        length = int(headers.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        answer = await reader.readexactly(length)
        if b"connection: close" in headers:
            self._drop(base)
        return answer

    def _drop(self, url: str) -> None:
        base = url.split("/ispws/", 1)[0]
        if base in self.streams:
            self.streams.pop(base)[1].close()

    def close(self) -> None:
        for base in list(self.streams):
            self._drop(base)
