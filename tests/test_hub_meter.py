"""An ESP's daily meter: one row per ESP and day, whose row lock makes its writers take turns.

The upsert that spends the meter locks the row to the commit, so every statement a call
runs after it is time all the ESP's other calls wait. Only submit needs one (it counts the
ESP's open reports under that lock, so two submits cannot both squeeze under the quota);
upload and fileinfo spend it last, right before COMMIT.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from tests.hub_helpers import ThreadHub
from tests.test_hub import seed
from tests.test_hub_write_path import XML, Esp
from tipline_tui.domain.cybertip_xml_write import file_details_to_xml
from tipline_tui.domain.report import FileDetails
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.tables import EspUsage, HubFile, table_of


@pytest.fixture
def thread_hub(pg_hub: HubDB, tmp_path: Path) -> Iterator[ThreadHub]:
    server = ThreadHub(pg_hub, tmp_path / "evidence").start()
    try:
        yield server
    finally:
        server.stop()


class MeterWatch:
    """Per committed transaction that spent the meter: the statements run after it."""

    def __init__(self, hub: HubDB) -> None:
        self.hub = hub
        self.after_meter: list[int] = []
        self._guard = threading.Lock()

    def __enter__(self) -> MeterWatch:
        event.listen(self.hub.engine, "before_cursor_execute", self._statement)
        event.listen(self.hub.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.hub.engine, "before_cursor_execute", self._statement)
        event.remove(self.hub.engine, "commit", self._commit)

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "meter_after" in conn.info:
            conn.info["meter_after"] += 1
        elif statement.lstrip().upper().startswith("INSERT INTO ESP_USAGE"):
            conn.info["meter_after"] = 0

    def _commit(self, conn: Any) -> None:
        after = conn.info.pop("meter_after", None)
        if after is not None:
            with self._guard:
                self.after_meter.append(after)

    def take(self) -> list[int]:
        with self._guard:
            taken, self.after_meter = self.after_meter, []
        return taken


def test_only_submit_runs_a_statement_while_it_holds_the_esps_meter(
    pg_hub: HubDB, thread_hub: ThreadHub
) -> None:
    tokens, _, _ = seed(pg_hub)
    esp = Esp([thread_hub.url], ("Example ESP", tokens["esp"]))
    with MeterWatch(pg_hub) as watch:
        report_id = esp.submit()
        assert watch.take() == [1], "submit counts the ESP's open reports under the meter"
        file_id = esp.upload(report_id, b"evidence bytes")
        assert watch.take() == [0], "upload spends the meter last"
        esp.fileinfo(report_id, file_id)
        assert watch.take() == [0], "fileinfo spends the meter last"


def test_a_file_details_past_the_daily_quota_is_refused_and_not_attached(
    pg_hub: HubDB, thread_hub: ThreadHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spent after the attach, the meter's refusal rolls the attach back with it."""
    tokens, _, _ = seed(pg_hub)
    esp = Esp([thread_hub.url], ("Example ESP", tokens["esp"]))
    report_id = esp.submit()
    file_id = esp.upload(report_id, b"evidence bytes")
    usage, files = table_of(EspUsage), table_of(HubFile)
    with pg_hub.read() as conn:
        sent = int(conn.execute(select(usage.c.sent)).scalar_one())
    monkeypatch.setenv("TIPLINE_HUB_ESP_BYTES_PER_DAY", str(sent + 10))
    details = file_details_to_xml(FileDetails(file_id=file_id), report_id)
    url = f"{thread_hub.url}/ispws/fileinfo"
    got = httpx.post(url, content=details, headers=XML, auth=esp.auth, timeout=30)
    assert ET.fromstring(got.content).findtext("responseCode") == "3300"
    with pg_hub.read() as conn:
        assert conn.execute(select(files.c.details_xml)).scalar_one() is None
        assert int(conn.execute(select(usage.c.sent)).scalar_one()) == sent
    monkeypatch.delenv("TIPLINE_HUB_ESP_BYTES_PER_DAY")
    esp.fileinfo(report_id, file_id)  # within the quota it attaches
