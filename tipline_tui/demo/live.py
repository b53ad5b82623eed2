"""The live demo: the real hub, in-process, fed new synthetic tips on a schedule.

`tipline demo` runs the same FastAPI hub analysts use in production, on a
temporary SQLite file, reached through httpx's ASGI transport: no socket,
no network, never a configured real hub. The hub starts with the demo
store's own tips and agencies (same ids), so every action the trainer
takes goes through the real sync path; then `DemoFeed` files a new tip
every `pace` seconds (some escalated, so on-call rings) while the demo's
agencies (`answers.DemoAgencies`) answer every referral whatever the pace.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
from sqlalchemy import bindparam, insert, update

from tipline_tui.demo.answers import AgencyTiming, DemoAgencies
from tipline_tui.demo.synth import generate_reports
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.domain.report import Report
from tipline_tui.domain.wire import ANALYSIS_FIELDS
from tipline_tui.hub.app import create_app
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.feed import REFERRAL_FIELDS
from tipline_tui.hub.operator import finished_report, import_agencies
from tipline_tui.hub.tables import HubReferral, HubReport, table_of
from tipline_tui.store import Store
from tipline_tui.store.directory import list_agencies, read_meta, write_meta
from tipline_tui.store.sync_state import CURSOR_KEY
from tipline_tui.sync.client import HubConfig, SyncClient
from tipline_tui.sync.loop import SyncLoop

DEMO_ANALYST = "trainee"
DEMO_ESP = "Example ESP (demo)"
DEMO_URL = "http://demo-hub.invalid"  # never resolved: the ASGI transport answers
ESCALATE_EVERY = 3  # one new tip in three arrives ESP-escalated
FEED_BATCH = 500
# the hub's referral fields (one list, in hub/feed.py), report_id read on its own
_REFERRAL_COLUMNS = tuple(f for f in REFERRAL_FIELDS if f != "report_id")


def demo_clock(store: Store, real: Callable[[], float] = time.time) -> Callable[[], float]:
    """The demo's own time: a mid-shift store runs from the `demo_now` its meta records,
    at the real rate, so tips' ages and the history's times look right on any date.

    A store without it runs on the real clock.
    """
    with store.read() as conn:
        recorded = read_meta(conn).get("demo_now")
    if recorded is None:
        return real
    offset = int(recorded) - real()
    return lambda: real() + offset


class DemoHub:
    """The hub app for the demo, seeded from the demo store."""

    def __init__(
        self, workdir: Path, store: Store, *, clock: Callable[[], float] | None = None
    ) -> None:
        self.store = store
        self.clock = clock or demo_clock(store)
        self.hub: HubDB = open_hub(f"sqlite:///{workdir / 'hub.sqlite'}", clock=self.clock)
        self.app = create_app(self.hub, evidence_dir=workdir / "evidence")
        self.transport = httpx.ASGITransport(app=self.app)
        self.analyst_token = ""
        self.history_referrals = 0  # the highest referral id the seeded history holds
        self.seeded = asyncio.Event()

    async def seed_in_background(self) -> None:
        """Seed on a thread while the trainer already reads the queue (about 3 s)."""
        await asyncio.to_thread(self.seed)
        self.seeded.set()

    def seed(self) -> None:
        """Give the hub the store's agencies and tips, under the same ids, and start the
        client's cursor after them (so nothing is pulled twice)."""
        with self.store.read() as conn:
            agencies = list_agencies(conn)
            meta = read_meta(conn)
            local_ids = [r for (r,) in conn.exec_driver_sql("SELECT id FROM report ORDER BY id")]
        agencies.sort(key=lambda a: a.id or 0)
        import_agencies(self.hub, agencies)
        with self.hub.read() as conn:
            hub_agency = {n: i for i, n in conn.exec_driver_sql("SELECT id, name FROM agency")}
        if any(hub_agency.get(a.name) != a.id for a in agencies):
            raise RuntimeError("demo hub agencies do not line up with the demo store")
        seed = int(meta.get("demo_seed", "1"))
        reports = [report for report, _ in generate_reports(len(local_ids), seed)]
        hub_ids = self._seed_reports([report_to_xml(r) for r in reports])
        self._seed_history(dict(zip(local_ids, hub_ids, strict=True)))
        with self.store.write() as conn:
            conn.exec_driver_sql(
                "UPDATE report SET hub_id = ? WHERE id = ?",
                list(zip(hub_ids, local_ids, strict=True)),
            )
        with self.hub.write() as conn:
            self.analyst_token = (
                DEMO_ANALYST
                + ":"
                + create_account(
                    conn, kind="user", name=DEMO_ANALYST, role="analyst", now=int(self.clock())
                )
            )
            top = conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM change").scalar()
        with self.store.write() as conn:
            write_meta(conn, {CURSOR_KEY: str(top)})

    def _seed_reports(self, documents: list[bytes]) -> list[int]:
        """The tips the demo store already has, as finished hub reports, in one insert.

        Not announced in the change feed (the client has them) and not parsed
        again (the demo's own generator wrote them; its tests parse them), which
        keeps the demo's start at about a second instead of four.
        """
        now = int(self.clock())
        rows = [{"id": n, **finished_report(data, now)} for n, data in enumerate(documents, 1)]
        with self.hub.write() as conn:
            conn.execute(insert(table_of(HubReport)), rows)
        return list(range(1, len(rows) + 1))

    def _seed_history(self, hub_id: dict[int, int]) -> None:
        """What the store's history did (demo/shift.py), as the hub would hold it after:
        each tip's analysis and version, and every referral with its agency's answers."""
        fields = ("version", *ANALYSIS_FIELDS)
        with self.store.read() as conn:
            tips = conn.exec_driver_sql(
                f"SELECT id, {', '.join(fields)} FROM report WHERE version > 1"
            ).all()
            referrals = conn.exec_driver_sql(
                f"SELECT report_id, contents, {', '.join(_REFERRAL_COLUMNS)} FROM referral"
            ).all()
        analyses = [
            {"hub_id": hub_id[local], **dict(zip(fields, values, strict=True))}
            for local, *values in tips
        ]
        for analysis in analyses:
            labels = analysis["labels"]
            analysis["labels"] = json.loads(labels) if isinstance(labels, str) else labels or []
        rows = [
            {
                "report_id": hub_id[local],
                "contents": json.loads(contents) if isinstance(contents, str) else contents,
                **dict(zip(_REFERRAL_COLUMNS, values, strict=True)),
            }
            for local, contents, *values in referrals
        ]
        report = table_of(HubReport)
        with self.hub.write() as conn:
            if analyses:
                conn.execute(
                    update(report)
                    .where(report.c.id == bindparam("hub_id"))
                    .values({name: bindparam(name) for name in fields}),
                    analyses,
                )
            if rows:
                conn.execute(insert(table_of(HubReferral)), rows)
            top = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM hub_referral").scalar()
        self.history_referrals = int(top or 0)

    def http(self, **options: Any) -> httpx.AsyncClient:
        """A client of the in-process hub (no socket): for the demo's ESP and agencies."""
        return httpx.AsyncClient(transport=self.transport, base_url=DEMO_URL, **options)

    def sync_loop(self) -> SyncLoop:
        """The app's sync loop; it starts once the hub is seeded (the token exists then)."""
        client = SyncClient(
            self.store, HubConfig(DEMO_URL, ""), transport=self.transport, clock=self.clock
        )

        async def ready() -> None:
            await self.seeded.wait()
            client.http.headers["Authorization"] = f"Bearer {self.analyst_token}"

        return SyncLoop(client, interval=2.0, clock=self.clock, ready=ready)


class DemoFeed:
    """New tips every `pace` seconds (0: none), and the demo's agencies answering always."""

    def __init__(
        self,
        demo: DemoHub,
        *,
        pace: float,
        seed: int = 1,
        start: int = 1500,
        timing: AgencyTiming | None = None,
    ) -> None:
        self.demo = demo
        self.pace = pace
        self.seed = seed
        self.start = start
        self.fed = 0
        self.agencies = DemoAgencies(demo, timing)
        self._esp_auth: tuple[str, str] | None = None
        self._stream: Iterator[tuple[Report, list[int]]] | None = None

    def _next_report(self) -> Report:
        if self._stream is None:
            self._stream = generate_reports(FEED_BATCH, self.seed, start=self.start)
        try:
            report, _ = next(self._stream)
        except StopIteration:
            self.start += FEED_BATCH
            self._stream = None
            return self._next_report()
        self.fed += 1
        if self.fed % ESCALATE_EVERY == 1 and not report.escalate_to_high_priority:
            report = replace(
                report,
                escalate_to_high_priority="Synthetic demo: the child may be in danger tonight",
            )
        return report

    async def file_one(self) -> int:
        """One new tip arrives the way an ESP sends it: /ispws submit, then finish."""
        if self._esp_auth is None:
            with self.demo.hub.write() as conn:
                secret = create_account(conn, kind="esp", name=DEMO_ESP, now=int(self.demo.clock()))
            self._esp_auth = (DEMO_ESP, secret)
        document = report_to_xml(self._next_report())
        async with self.demo.http(auth=self._esp_auth) as esp:
            submitted = await esp.post(
                "/ispws/submit",
                content=document,
                headers={"Content-Type": "text/xml; charset=utf-8"},
            )
            report_id = _report_id(submitted.content)
            finished = await esp.post("/ispws/finish", data={"id": str(report_id)})
            if _response_code(finished.content) != 0:
                raise RuntimeError(f"demo ESP could not finish report {report_id}")
        return report_id

    async def acknowledge_due(self) -> int:
        """The agencies acknowledge what is due now (see DemoAgencies)."""
        return await self.agencies.acknowledge_due()

    async def run_forever(self) -> None:
        """Seed the hub, then file tips at the pace while the agencies answer on their tick."""
        await self.demo.seed_in_background()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._answer_forever())
            if self.pace > 0:
                tasks.create_task(self._file_forever())

    async def _file_forever(self) -> None:
        while True:
            await asyncio.sleep(self.pace)
            await self.file_one()

    async def _answer_forever(self) -> None:
        while True:
            await asyncio.sleep(self.agencies.timing.tick)
            await self.agencies.answer_due()


def _response_code(answer: bytes) -> int:
    """The responseCode of the hub's own XML answer (trusted: we wrote it)."""
    root = ElementTree.fromstring(answer)
    return int(root.findtext("responseCode") or "1000")


def _report_id(answer: bytes) -> int:
    root = ElementTree.fromstring(answer)
    if _response_code(answer) != 0 or root.findtext("reportId") is None:
        raise RuntimeError(f"demo ESP submit refused: {root.findtext('responseDescription')}")
    return int(root.findtext("reportId") or 0)
