"""`tipline hub serve` under slow, idle and too many clients (issue 12, item 4).

A real `hub serve` process on 127.0.0.1 with its limits set small through TIPLINE_HUB_
settings, and raw sockets playing the clients a browser library would never be.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hub_helpers import ProcessHub
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import open_hub
from tipline_tui.hub.server_log import RepeatThrottle

QUICK_LIMITS = {
    "TIPLINE_HUB_HEADER_TIMEOUT": "1",
    "TIPLINE_HUB_KEEP_ALIVE_TIMEOUT": "1",
    "TIPLINE_HUB_BODY_IDLE_TIMEOUT": "1",
}


def _analyst_token(hub_url: str) -> str:
    hub = open_hub(hub_url)
    try:
        with hub.write() as conn:
            return "ana:" + create_account(
                conn, kind="user", name="ana", role="analyst", now=hub.now()
            )
    finally:
        hub.close()


@pytest.fixture
def hub_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.sqlite'}"


def _serve(
    hub_db: str, tmp_path: Path, env: dict[str, str] | None = None, open_files: int | None = None
) -> ProcessHub:
    evidence = tmp_path / "evidence"
    return ProcessHub(hub_db, evidence, None, "--no-snapshots", env=env, open_files=open_files)


@pytest.fixture
def quick_hub(hub_db: str, tmp_path: Path) -> Iterator[ProcessHub]:
    served = _serve(hub_db, tmp_path, env=QUICK_LIMITS).start()
    try:
        yield served
    finally:
        served.stop()


def _connect(served: ProcessHub) -> socket.socket:
    return socket.create_connection(("127.0.0.1", served.port), timeout=10)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the hub ends the connection (EOF or reset) before `seconds` pass."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def test_headers_dripped_a_byte_at_a_time_are_cut_off(quick_hub: ProcessHub) -> None:
    """Slowloris: each byte inside any idle timeout, the whole never finished."""
    with _connect(quick_hub) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /v1/changes HTTP/1.1\r\nHost: hub\r\n")
        closed = False
        for byte in b"X-Slow: " + b"a" * 40:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.2)
        closed = closed or _closed_within(sock, 2)
        assert closed, "the hub kept waiting for headers that never end"
        assert time.monotonic() - started < 5
    assert httpx.get(f"{quick_hub.url}/v1/changes", timeout=10).status_code == 401


def test_a_body_that_stops_arriving_is_cut_off(hub_db: str, tmp_path: Path) -> None:
    token = _analyst_token(hub_db)
    served = _serve(hub_db, tmp_path, env=QUICK_LIMITS).start()
    try:
        with _connect(served) as sock:
            sock.sendall(
                b"POST /v1/actions HTTP/1.1\r\nHost: hub\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                b'{"actions": ['
            )
            assert _closed_within(sock, 4), "the hub waited for a body that stopped"
    finally:
        served.stop()


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(
    quick_hub: ProcessHub,
) -> None:
    with _connect(quick_hub) as sock:
        sock.sendall(b"GET /v1/changes HTTP/1.1\r\nHost: hub\r\n\r\n")
        sock.settimeout(5)
        assert b"401" in sock.recv(4096).split(b"\r\n", 1)[0]
        assert _closed_within(sock, 4)


def test_connections_beyond_the_cap_are_answered_busy_at_once(hub_db: str, tmp_path: Path) -> None:
    env = {"TIPLINE_HUB_MAX_CONNECTIONS": "5", "TIPLINE_HUB_HEADER_TIMEOUT": "30"}
    served = _serve(hub_db, tmp_path, env=env).start()
    try:
        held = [_connect(served) for _ in range(5)]
        try:
            time.sleep(0.3)  # the hub has taken all five
            with _connect(served) as extra:
                extra.settimeout(5)
                answer = extra.recv(4096)
            assert answer.startswith(b"HTTP/1.1 503 ")
            assert b"Retry-After: 1" in answer
            assert b"too many open connections" in answer
        finally:
            for sock in held:
                sock.close()
        # once they are gone the hub serves again
        time.sleep(0.3)
        assert httpx.get(f"{served.url}/v1/changes", timeout=10).status_code == 401
    finally:
        served.stop()


def test_running_out_of_descriptors_does_not_flood_the_log(hub_db: str, tmp_path: Path) -> None:
    """600 clients against a process allowed 200 files: a few lines of log, never thousands."""
    served = _serve(hub_db, tmp_path, open_files=200).start()
    clients: list[socket.socket] = []
    try:
        for _ in range(600):
            try:
                sock = _connect(served)
                sock.sendall(b"GET /v1/changes HTTP/1.1\r\nHost: hub\r\n\r\n")
            except OSError:
                break
            clients.append(sock)
        time.sleep(2)
        for sock in clients:
            sock.close()
        clients.clear()
        time.sleep(0.5)
        assert httpx.get(f"{served.url}/v1/changes", timeout=10).status_code == 401
    finally:
        for sock in clients:
            sock.close()
        served.stop()
    assert served.process is not None and served.process.stderr is not None
    log_lines = served.process.stderr.read().decode(errors="replace").splitlines()
    assert len(log_lines) < 40, log_lines[:20]
    assert any("refusing a connection" in line for line in log_lines)


def test_the_throttle_passes_the_first_of_a_kind_and_counts_the_rest() -> None:
    now = [0.0]
    throttle = RepeatThrottle(window=10, clock=lambda: now[0])

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, message, None, None)

    assert throttle.filter(record("socket.accept() out of system resource"))
    assert not any(
        throttle.filter(record("socket.accept() out of system resource")) for _ in range(999)
    )
    assert throttle.filter(record("another message"))
    now[0] = 11
    later = record("socket.accept() out of system resource")
    assert throttle.filter(later)
    assert "999 more like this in the last 10 s" in later.getMessage()
