"""A write path that scales (issue 16): the global lock only where the change feed needs it.

On PostgreSQL only a feed append takes the global advisory lock, in the statement that draws
the seq, held to the commit; ESP submit, upload and fileinfo never take it, and row locks keep
what must not happen at once apart. These tests hold the lock from outside and show who waits,
count what runs under it, and race writers on two real `tipline hub serve` processes against
an analyst paging the feed, against each other (claims, dispatches) and against the ESP meter.
"""

from __future__ import annotations

import itertools
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import event, select, text

from tests.factories import simple_report
from tests.hub_helpers import ProcessHub, ThreadHub
from tests.test_hub import action, seed
from tipline_tui.domain.cybertip_xml_write import file_details_to_xml, report_to_xml
from tipline_tui.domain.report import FileDetails
from tipline_tui.hub.db import WRITE_LOCK_KEY, HubDB, append_change
from tipline_tui.hub.operator import import_reports
from tipline_tui.hub.tables import Change, EspUsage, HubReport, table_of

XML = {"Content-Type": "text/xml; charset=utf-8"}
FLEET_ENV = {"TIPLINE_HUB_DB_POOL_SIZE": "4", "TIPLINE_HUB_DB_POOL_OVERFLOW": "8"}


def _dsn(hub: HubDB) -> str:
    return hub.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _code(response: httpx.Response) -> tuple[int, ET.Element]:
    root = ET.fromstring(response.content)
    return int(root.findtext("responseCode") or -1), root


class Esp:
    """One ESP's calls, each on the next of `urls` (a balancer's round robin)."""

    def __init__(self, urls: list[str], auth: tuple[str, str]) -> None:
        self.urls, self.auth = itertools.cycle(urls), auth

    def call(self, path: str, **kw: Any) -> ET.Element:
        url = f"{next(self.urls)}/ispws/{path}"
        code, root = _code(httpx.post(url, auth=self.auth, timeout=60, **kw))
        assert code == 0, ET.tostring(root)
        return root

    def submit(self) -> int:
        root = self.call("submit", content=report_to_xml(simple_report(3)), headers=XML)
        return int(root.findtext("reportId") or 0)

    def upload(self, report_id: int, data: bytes) -> str:
        files = {"file": ("evidence.bin", data)}
        root = self.call("upload", data={"id": str(report_id)}, files=files)
        return root.findtext("fileId") or ""

    def fileinfo(self, report_id: int, file_id: str) -> None:
        details = file_details_to_xml(FileDetails(file_id=file_id), report_id)
        self.call("fileinfo", content=details, headers=XML)

    def finish(self, report_id: int) -> None:
        self.call("finish", data={"id": str(report_id)})


@pytest.fixture
def thread_hub(pg_hub: HubDB, tmp_path: Path) -> Iterator[ThreadHub]:
    server = ThreadHub(pg_hub, tmp_path / "evidence").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def two_processes(pg_hub: HubDB, tmp_path: Path) -> Iterator[list[ProcessHub]]:
    url = pg_hub.engine.url.render_as_string(hide_password=False)
    hosts = [
        ProcessHub(url, tmp_path / f"evidence-{n}", None, "--no-snapshots", env=FLEET_ENV)
        for n in range(2)
    ]
    try:
        yield [host.start() for host in hosts]
    finally:
        for host in hosts:
            host.stop()


# ------------------------------------------------------------------ who takes the lock


def test_esp_calls_do_not_wait_for_the_feed_lock_and_finish_does(
    pg_hub: HubDB, thread_hub: ThreadHub
) -> None:
    """Held from outside, the global lock stops only the call that appends to the feed."""
    tokens, _, _ = seed(pg_hub)
    esp = Esp([thread_hub.url], ("Example ESP", tokens["esp"]))
    with psycopg.connect(_dsn(pg_hub), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))
        started = time.monotonic()
        report_id = esp.submit()
        esp.fileinfo(report_id, esp.upload(report_id, b"evidence bytes"))
        took = time.monotonic() - started
        finished = threading.Thread(target=esp.finish, args=(report_id,))
        finished.start()
        finished.join(1.5)
        waiting = finished.is_alive()
        holder.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK_KEY,))
    finished.join(10)
    assert took < 2.0, f"submit, upload and fileinfo waited {took:.1f} s for the feed's lock"
    assert waiting, "finish appends to the feed: it must wait for the lock"
    assert not finished.is_alive()
    with pg_hub.read() as conn:
        state = conn.execute(select(table_of(HubReport).c.state)).scalars().all()
    assert state[-1] == "finished"


class LockWatch:
    """Statements per transaction on the hub's engine, and which ran under the global lock."""

    def __init__(self, hub: HubDB) -> None:
        self.hub = hub
        self.locked_trips = 0
        self.lock_first_or_only_last: list[bool] = []
        self._guard = threading.Lock()

    def __enter__(self) -> LockWatch:
        event.listen(self.hub.engine, "before_cursor_execute", self._statement)
        event.listen(self.hub.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.hub.engine, "before_cursor_execute", self._statement)
        event.remove(self.hub.engine, "commit", self._commit)

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        info = conn.info
        if "watch_locked" in info:
            with self._guard:
                self.locked_trips += 1
            info["watch_after_lock"] = info.get("watch_after_lock", 0) + 1
        if "pg_advisory_xact_lock" in statement and "watch_locked" not in info:
            info["watch_locked"] = True
            with self._guard:
                self.locked_trips += 1

    def _commit(self, conn: Any) -> None:
        info = conn.info
        if info.pop("watch_locked", None):
            with self._guard:
                self.locked_trips += 1  # the COMMIT itself
                self.lock_first_or_only_last.append(info.get("watch_after_lock", 0) == 0)
        info.pop("watch_after_lock", None)


def test_a_report_and_an_action_hold_the_lock_for_two_round_trips_each(
    pg_hub: HubDB, thread_hub: ThreadHub
) -> None:
    """The lock is taken by the feed append, the transaction's last statement, then COMMIT."""
    tokens, reports, _ = seed(pg_hub)
    esp = Esp([thread_hub.url], ("Example ESP", tokens["esp"]))
    with LockWatch(pg_hub) as watch:
        report_id = esp.submit()
        esp.fileinfo(report_id, esp.upload(report_id, b"evidence bytes"))
        assert watch.locked_trips == 0, "submit, upload and fileinfo add no change"
        esp.finish(report_id)
    assert watch.lock_first_or_only_last == [True]
    assert watch.locked_trips == 2  # the append, the COMMIT (target: at most 4 a report)
    headers = {"Authorization": f"Bearer {tokens['ana']}"}
    with LockWatch(pg_hub) as watch:
        pushed = httpx.post(
            f"{thread_hub.url}/v1/actions",
            json={
                "actions": [action("claim", reports[0], 1), action("note", reports[0], body="x")]
            },
            headers=headers,
            timeout=30,
        ).json()["results"]
    assert [r["outcome"] for r in pushed] == ["applied", "applied"]
    assert watch.lock_first_or_only_last == [True, True] and watch.locked_trips == 4


def test_the_append_draws_its_seq_only_once_it_holds_the_lock(pg_hub: HubDB) -> None:
    """Else a seq drawn before the lock could commit after a later one: a reader would skip it."""
    appended: list[int] = []

    def append() -> None:
        with pg_hub.write() as conn:
            appended.append(append_change(conn, "agency", 1, {"n": 1}, pg_hub.now()))

    def drawn(conn: psycopg.Connection[Any]) -> tuple[Any, ...]:
        return tuple(conn.execute("SELECT last_value, is_called FROM change_seq_seq").fetchone())

    with psycopg.connect(_dsn(pg_hub), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))
        before = drawn(holder)
        writer = threading.Thread(target=append)
        writer.start()
        time.sleep(1.0)  # the writer is waiting for the lock by now
        assert writer.is_alive()
        assert drawn(holder) == before, "a seq was drawn before the lock was held"
        holder.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK_KEY,))
    writer.join(10)
    assert len(appended) == 1


# ------------------------------------------------------------------ races across two processes


def test_a_reader_paging_while_two_processes_write_never_skips_a_change(
    pg_hub: HubDB, two_processes: list[ProcessHub]
) -> None:
    tokens, _, _ = seed(pg_hub)
    reports = import_reports(pg_hub, [report_to_xml(simple_report(n)) for n in range(5, 25)])
    urls = [host.url for host in two_processes]
    stop = threading.Event()
    seen: list[int] = []

    def analyst(n: int) -> None:
        headers = {"Authorization": f"Bearer {tokens['ana']}"}
        for k in itertools.count():
            if stop.is_set():
                return
            note = action("note", reports[(n + k) % len(reports)], body=f"{n}-{k}")
            got = httpx.post(
                f"{urls[k % 2]}/v1/actions", json={"actions": [note]}, headers=headers, timeout=60
            )
            assert got.json()["results"][0]["outcome"] == "applied"

    def esp() -> None:
        client = Esp(urls, ("Example ESP", tokens["esp"]))
        while not stop.is_set():
            report_id = client.submit()
            client.fileinfo(report_id, client.upload(report_id, b"bytes"))
            client.finish(report_id)

    def reader(until_quiet: bool) -> None:
        headers = {"Authorization": f"Bearer {tokens['ben']}"}
        since = seen[-1] if seen else 0
        for k in itertools.count():
            page = httpx.get(
                f"{urls[k % 2]}/v1/changes",
                params={"since": since, "limit": 7},
                headers=headers,
                timeout=60,
            ).json()
            seen.extend(c["seq"] for c in page["changes"])
            since = page["next"]
            if (stop.is_set() or until_quiet) and not page["more"] and not page["changes"]:
                return

    with ThreadPoolExecutor(8) as pool:
        writers = [pool.submit(analyst, n) for n in range(5)] + [pool.submit(esp)]
        paging = pool.submit(reader, False)
        time.sleep(8)
        stop.set()
        for done in [*writers, paging]:
            done.result()
    reader(until_quiet=True)
    with pg_hub.read() as conn:
        stored = list(conn.execute(select(table_of(Change).c.seq).order_by(text("1"))).scalars())
    assert seen == sorted(set(seen)), "seq must strictly increase as the reader pages"
    assert seen == stored, "the reader skipped a change (or saw one twice)"
    assert stored == list(range(1, len(stored) + 1)), "seq is gap-free"
    assert len(stored) > 50, "enough writing to race"


def test_fifty_claim_races_and_dispatch_races_across_two_processes(
    pg_hub: HubDB, two_processes: list[ProcessHub]
) -> None:
    tokens, _, _ = seed(pg_hub)
    reports = import_reports(pg_hub, [report_to_xml(simple_report(n)) for n in range(5, 55)])
    urls = [host.url for host in two_processes]
    for who, url in itertools.product(("ana", "ben"), urls):  # credentials checked once, first
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        assert httpx.get(f"{url}/v1/changes?limit=1", headers=headers).status_code == 200
    barrier = threading.Barrier(2 * len(reports))

    def push(who: str, url: str, act: dict[str, Any]) -> str:
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        barrier.wait()
        got = httpx.post(f"{url}/v1/actions", json={"actions": [act]}, headers=headers, timeout=60)
        assert got.status_code == 200, (got.status_code, got.text[:300])
        return str(got.json()["results"][0]["outcome"])

    def race(kind: str, base: int, **payload: Any) -> list[list[str]]:
        with ThreadPoolExecutor(2 * len(reports)) as pool:
            pairs = [
                (
                    pool.submit(push, "ana", urls[0], action(kind, tip, base, **payload)),
                    pool.submit(push, "ben", urls[1], action(kind, tip, base, **payload)),
                )
                for tip in reports
            ]
            return [sorted(f.result() for f in pair) for pair in pairs]

    assert race("claim", 1) == [["applied", "conflict"]] * len(reports)
    barrier.reset()
    assert race("dispatch", 2, agency_id=1, contents={}) == [["applied", "conflict"]] * len(reports)
    with pg_hub.read() as conn:
        table = table_of(HubReport)
        versions = conn.execute(select(table.c.version).where(table.c.id.in_(reports)))
        assert set(versions.scalars()) == {3}  # one claim and one dispatch applied each


def test_an_esps_concurrent_calls_meter_every_byte(
    pg_hub: HubDB, two_processes: list[ProcessHub]
) -> None:
    """The daily meter is one upsert: writers side by side lose no bytes and refuse none."""
    tokens, _, _ = seed(pg_hub)
    client = Esp([host.url for host in two_processes], ("Example ESP", tokens["esp"]))
    report_ids = [client.submit() for _ in range(4)]
    usage = table_of(EspUsage)
    with pg_hub.read() as conn:
        before = int(conn.execute(select(usage.c.sent)).scalar_one())
    sizes = [1000 + n for n in range(40)]
    with ThreadPoolExecutor(12) as pool:
        uploads = [
            pool.submit(client.upload, report_ids[n % 4], bytes([n]) * size)
            for n, size in enumerate(sizes)
        ]
        for done in uploads:
            done.result()
    with pg_hub.read() as conn:
        after = int(conn.execute(select(usage.c.sent)).scalar_one())
    assert after - before == sum(sizes)
