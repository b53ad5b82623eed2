"""The hub pushes: `GET /v1/changes?wait=S` answers as soon as a change is committed.

Real hubs on 127.0.0.1: uvicorn in a thread over SQLite (the same process commits), and
`tipline hub serve` processes over PostgreSQL (another process commits), with the
connection guard's timeouts short and the database pool tiny, so a waiting long-poll is
shown neither to be cut by the guard nor to hold a database connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.factories import simple_report
from tests.hub_helpers import ProcessHub, ThreadHub
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.domain.wire import WAIT_HEADER
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.operator import import_reports

NOW = 1_790_000_000


def analyst_token(hub: HubDB, name: str = "ana") -> dict[str, str]:
    with hub.write() as conn:
        secret = create_account(conn, kind="user", name=name, now=NOW, role="oncall")
    return {"Authorization": f"Bearer {name}:{secret}"}


def file_report_after(hub: HubDB, delay: float, n: int = 1) -> threading.Thread:
    """A finished report committed `delay` s from now, on a thread (the ESP's side)."""

    def later() -> None:
        time.sleep(delay)
        import_reports(hub, [report_to_xml(simple_report(n, escalated=True))])

    thread = threading.Thread(target=later)
    thread.start()
    return thread


def long_poll(
    url: str, auth: dict[str, str], since: int, wait: int
) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    answer = httpx.get(
        f"{url}/v1/changes",
        params={"since": since, "wait": wait, "limit": 10},
        headers=auth,
        timeout=wait + 15,
    )
    return time.monotonic() - started, answer


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Iterator[tuple[HubDB, ThreadHub]]:
    hub = open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    server = ThreadHub(hub, tmp_path / "evidence").start()
    yield hub, server
    server.stop()
    hub.close()


def test_a_long_poll_answers_within_a_second_of_a_commit_in_the_same_process(
    sqlite_hub: tuple[HubDB, ThreadHub],
) -> None:
    hub, server = sqlite_hub
    auth = analyst_token(hub)
    committer = file_report_after(hub, 1.0)
    took, answer = long_poll(server.url, auth, since=0, wait=20)
    committer.join()
    assert answer.status_code == 200 and answer.headers[WAIT_HEADER] == "20"
    assert [c["kind"] for c in answer.json()["changes"]] == ["report"]
    assert 0.9 < took < 2.0, took  # woken by the commit, not by the 20 s timeout


def test_a_long_poll_with_nothing_new_waits_its_time_and_says_it_waited(
    sqlite_hub: tuple[HubDB, ThreadHub],
) -> None:
    hub, server = sqlite_hub
    auth = analyst_token(hub)
    import_reports(hub, [report_to_xml(simple_report(1))])
    took, answer = long_poll(server.url, auth, since=0, wait=5)
    assert took < 1.0 and answer.json()["changes"], "changes waiting: answered at once"
    head = answer.json()["next"]
    took, answer = long_poll(server.url, auth, since=head, wait=1)
    assert 0.9 < took < 3.0 and answer.json() == {"changes": [], "next": head, "more": False}
    assert answer.headers[WAIT_HEADER] == "1"
    plain = httpx.get(f"{server.url}/v1/changes", params={"since": head}, headers=auth)
    assert WAIT_HEADER not in plain.headers  # no wait asked: none promised


def test_a_long_poll_wakes_within_a_second_of_another_hub_processs_commit(
    pg_hub: HubDB, tmp_path: Path
) -> None:
    """The waiting hub is a `tipline hub serve` process; the commit comes from this one."""
    auth = analyst_token(pg_hub)
    url = pg_hub.engine.url.render_as_string(hide_password=False)
    host = ProcessHub(url, tmp_path / "evidence").start()
    try:
        delays = []
        for n in range(3):
            since = httpx.get(f"{host.url}/v1/changes", headers=auth).json()["next"]
            committed_at: list[float] = []

            def commit(n: int = n, committed_at: list[float] = committed_at) -> None:
                time.sleep(1.0)
                import_reports(pg_hub, [report_to_xml(simple_report(n, escalated=True))])
                committed_at.append(time.monotonic())

            thread = threading.Thread(target=commit)
            thread.start()
            _took, answer = long_poll(host.url, auth, since=since, wait=20)
            answered_at = time.monotonic()
            thread.join()
            assert answer.json()["changes"], answer.text
            delays.append(answered_at - committed_at[0])
        assert max(delays) < 1.0, delays
    finally:
        host.stop()


def test_waiting_long_polls_are_not_cut_by_the_guard_nor_hold_database_connections(
    pg_hub: HubDB, tmp_path: Path
) -> None:
    """Timeouts of 1 s and a pool of two connections: twelve clients wait 3 s each, all
    answered 200, while an action and a page are still answered at once meanwhile."""
    auth = analyst_token(pg_hub)
    url = pg_hub.engine.url.render_as_string(hide_password=False)
    env = {
        "TIPLINE_HUB_HEADER_TIMEOUT": "1",
        "TIPLINE_HUB_KEEP_ALIVE_TIMEOUT": "1",
        "TIPLINE_HUB_BODY_IDLE_TIMEOUT": "1",
        "TIPLINE_HUB_DB_POOL_SIZE": "2",
        "TIPLINE_HUB_DB_POOL_OVERFLOW": "0",
    }
    host = ProcessHub(url, tmp_path / "evidence", env=env).start()
    try:
        httpx.get(f"{host.url}/v1/changes", headers=auth).raise_for_status()  # token verified
        with ThreadPoolExecutor(12) as pool:
            polls = [pool.submit(long_poll, host.url, auth, 0, 3) for _ in range(12)]
            time.sleep(1.0)
            started = time.monotonic()
            page = httpx.get(f"{host.url}/v1/changes", headers=auth, timeout=10)
            assert page.status_code == 200 and time.monotonic() - started < 1.0
            answers = [poll.result() for poll in polls]
        for took, answer in answers:
            assert answer.status_code == 200 and 2.5 < took < 6.0, (took, answer.text)
    finally:
        host.stop()


def test_a_hub_shutting_down_answers_its_long_polls_instead_of_waiting_them_out(
    tmp_path: Path,
) -> None:
    hub = open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    auth = analyst_token(hub)
    hub.close()
    host = ProcessHub(f"sqlite:///{tmp_path / 'hub.sqlite'}", tmp_path / "evidence").start()
    with ThreadPoolExecutor(1) as pool:
        poll = pool.submit(long_poll, host.url, auth, 0, 50)
        time.sleep(1.0)
        started = time.monotonic()
        host.stop()  # SIGTERM: uvicorn's graceful shutdown
        stopped = time.monotonic() - started
        took, answer = poll.result()
    assert answer.status_code == 200 and answer.json()["changes"] == []
    assert stopped < 5.0 and took < 10.0, (stopped, took)
