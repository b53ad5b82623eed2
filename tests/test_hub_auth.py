"""The hub's credential check: before the body, throttled, cached, off the event loop.

Real hubs (uvicorn on 127.0.0.1) where the network matters; the app in-process
(httpx's ASGI transport) where a test must see how much of a body was read or
which thread derived a key. Authentication does not depend on the database
engine, so these run on SQLite only (tests/test_hub.py covers both).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hub_helpers import ThreadHub
from tests.test_hub import make_accounts
from tipline_tui.hub import auth
from tipline_tui.hub.app import create_app
from tipline_tui.hub.auth_guard import (
    BUCKET_SIZE,
    REFILL_SECONDS,
    AuthGuard,
    RefusalThrottle,
    VerifiedTokens,
)
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.tables import Account

BIG = 27 * 1024 * 1024
CHUNK = 64 * 1024


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubDB]:
    db = open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def tokens(hub: HubDB) -> dict[str, str]:
    return make_accounts(hub)


@pytest.fixture
def served(hub: HubDB, tokens: dict[str, str], tmp_path: Path) -> Iterator[str]:
    server = ThreadHub(hub, tmp_path / "evidence").start()
    try:
        yield server.url
    finally:
        server.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------ before the body


def test_no_credentials_and_a_malformed_body_are_401_not_422(
    served: str, tokens: dict[str, str]
) -> None:
    malformed = b'{"actions": [nope'
    json_type = {"Content-Type": "application/json"}
    for path in ("/v1/actions", "/v1/agency/referrals/1/outcome"):
        missing = httpx.post(f"{served}{path}", content=malformed, headers=json_type)
        assert missing.status_code == 401, (path, missing.text)
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = httpx.post(
            f"{served}{path}", content=malformed, headers={**json_type, **bearer("ana:wrong")}
        )
        assert wrong.status_code == 401, (path, wrong.text)
    # with good credentials the same body is what it is: invalid
    ok = httpx.post(
        f"{served}/v1/actions", content=malformed, headers={**json_type, **bearer(tokens["ana"])}
    )
    assert ok.status_code == 422


async def test_a_refused_token_is_answered_without_reading_the_body(
    hub: HubDB, tokens: dict[str, str], tmp_path: Path
) -> None:
    app = create_app(hub, evidence_dir=tmp_path / "evidence")
    consumed = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal consumed
        for _ in range(BIG // CHUNK):
            consumed += CHUNK
            yield b" " * CHUNK

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
        for path, token in (("/v1/actions", "ana:wrong"), ("/v1/agency/referrals/1/ack", "x:y")):
            consumed = 0
            started = time.perf_counter()
            refused = await http.post(
                path, content=body(), headers={"Content-Type": "application/json", **bearer(token)}
            )
            assert refused.status_code == 401, path
            assert consumed == 0, f"{path}: {consumed} bytes of the body were read before the 401"
            assert time.perf_counter() - started < 2.0


def test_a_real_hub_answers_a_refused_27_mb_post_before_it_arrives(served: str) -> None:
    """Only the headers and 1 KB are sent: a hub that waited for the body would hang."""
    port = int(served.rsplit(":", 1)[1])
    head = (
        "POST /v1/actions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ana:wrong\r\n"
        f"Content-Type: application/json\r\nContent-Length: {BIG}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        started = time.perf_counter()
        sock.sendall(head + b" " * 1024)
        answer = sock.recv(4096)
        elapsed = time.perf_counter() - started
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert elapsed < 2.0


# ------------------------------------------------------------------ throttle


def test_refusals_from_one_address_are_throttled_with_429_and_retry_after(
    hub: HubDB, tokens: dict[str, str], tmp_path: Path
) -> None:
    server = ThreadHub(hub, tmp_path / "evidence")
    # the buckets' clock stands still: a slow machine's scrypt checks refill nothing meanwhile
    frozen = time.monotonic()
    server.server.config.app.state.auth_guard = AuthGuard(
        throttle=RefusalThrottle(clock=lambda: frozen)
    )
    server.start()
    try:
        _throttled_with_429(server.url, tokens)
    finally:
        server.stop()


def _throttled_with_429(served: str, tokens: dict[str, str]) -> None:
    with httpx.Client(base_url=served) as http:
        assert http.get("/v1/changes", headers=bearer(tokens["ana"])).status_code == 200
        codes = [
            http.get("/v1/changes", headers=bearer(f"stranger-{n}:wrong")).status_code
            for n in range(BUCKET_SIZE + 3)
        ]
        assert codes[:BUCKET_SIZE] == [401] * BUCKET_SIZE and codes[BUCKET_SIZE:] == [429] * 3
        throttled = http.post(
            "/v1/agency/referrals/1/ack", headers=bearer(tokens["agency-1"] + "x")
        )
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= REFILL_SECONDS + 1
        assert tokens["agency-1"].split(":", 1)[1] not in throttled.text
        # an analyst already verified is not held up by the strangers at her address
        assert http.get("/v1/changes", headers=bearer(tokens["ana"])).status_code == 200


def test_buckets_refill_and_a_success_costs_nothing() -> None:
    now = [0.0]
    throttle = RefusalThrottle(size=3, refill_seconds=5.0, clock=lambda: now[0])
    guard = AuthGuard(throttle=throttle)
    one = guard.keys("10.0.0.1", "user", "ana")
    other_address_same_name = guard.keys("10.0.0.2", "user", "ana")
    assert [throttle.take(one) for _ in range(3)] == [None, None, None]
    assert throttle.take(one) == pytest.approx(5.0)
    assert throttle.take(other_address_same_name) == pytest.approx(5.0), "the name is throttled"
    assert throttle.take(guard.keys("10.0.0.2", "user", "ben")) is None, "another name is not"
    now[0] += 5.0
    assert throttle.take(one) is None and throttle.take(one) is not None
    now[0] += 60.0
    for _ in range(10):  # take-and-refund: good credentials never run a bucket down
        assert throttle.take(one) is None
        throttle.refund(one)


# ------------------------------------------------------------------ cache and key derivation


def test_verified_tokens_expire_and_a_disabled_account_is_forgotten() -> None:
    now = [0.0]
    cache = VerifiedTokens(ttl=60.0, clock=lambda: now[0])
    ana = Account(id=1, kind="user", name="ana", role="analyst", secret_hash="x", created_at=0)
    cache.put("user", "ana", "s3cret", ana)
    assert cache.get("user", "ana", "s3cret") == ana
    assert cache.get("user", "ana", "other") is None
    assert cache.get("agency", "ana", "s3cret") is None
    now[0] += 61
    assert cache.get("user", "ana", "s3cret") is None, "expired"
    cache.put("user", "ana", "s3cret", ana)
    cache.forget("ana")
    assert cache.get("user", "ana", "s3cret") is None, "forgotten"


async def test_key_derivation_runs_off_the_loop_once_per_token_and_refusals_share_a_path(
    hub: HubDB, tokens: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(hub, evidence_dir=tmp_path / "evidence")
    threads: list[int] = []
    real = auth.verify_secret

    def recording(secret: str, stored: str) -> bool:
        threads.append(threading.get_ident())
        return real(secret, stored)

    monkeypatch.setattr(auth, "verify_secret", recording)
    loop_thread = threading.get_ident()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:

        async def get(token: str) -> Any:
            return (await http.get("/v1/changes", headers=bearer(token))).status_code

        assert [await get(tokens["ana"]) for _ in range(5)] == [200] * 5
        assert len(threads) == 1, "one derivation, then the cache"
        assert await get("ana:wrong") == 401 and len(threads) == 2
        assert await get("nobody:wrong") == 401 and len(threads) == 3, "unknown: the same work"
        assert await get("ana:wrong") == 401 and len(threads) == 4, "refusals are never cached"
    assert loop_thread not in threads, "scrypt ran on the event loop"


async def test_refused_esp_logins_are_throttled_in_the_protocols_terms(
    hub: HubDB, tokens: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ESP guessing secrets gets 401 every time (the CyberTipline API has no 429), but
    past the bucket no key derivation: the flood costs the hub a sleep, not scrypt."""
    app = create_app(hub, evidence_dir=tmp_path / "evidence")
    app.state.auth_guard = AuthGuard(throttled_delay=0.01)
    derivations: list[str] = []
    real = auth.verify_secret

    def counting(secret: str, stored: str) -> bool:
        derivations.append(secret)
        return real(secret, stored)

    monkeypatch.setattr(auth, "verify_secret", counting)
    transport = httpx.ASGITransport(app=app)
    esp_name = "Example ESP"
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
        assert (await http.get("/ispws/status", auth=(esp_name, tokens["esp"]))).status_code == 200
        answers = [
            await http.get("/ispws/status", auth=(esp_name, f"guess-{n}"))
            for n in range(BUCKET_SIZE + 10)
        ]
        assert {answer.status_code for answer in answers} == {401}
        assert all(answer.content == b"" for answer in answers)
        assert len(derivations) == 1 + BUCKET_SIZE, "throttled guesses still ran scrypt"
        # the ESP that signed in before keeps working (its token is cached)
        assert (await http.get("/ispws/status", auth=(esp_name, tokens["esp"]))).status_code == 200
