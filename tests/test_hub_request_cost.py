"""What one ESP call costs the hub (issue 16: two processes on two cores at least 1.5x one).

A process's CPU per finished report caps a fleet on a small machine, and every statement
costs the hub (SQLAlchemy, psycopg) as well as PostgreSQL. This pins the statements an
upload sends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.hub_helpers import ThreadHub
from tests.test_hub import seed
from tests.test_hub_write_path import Esp
from tipline_tui.hub.db import HubDB


class Statements:
    """Statements sent on the hub's engine while open."""

    def __init__(self, hub: HubDB) -> None:
        self.hub, self.sent, self._guard = hub, 0, threading.Lock()

    def __enter__(self) -> Statements:
        event.listen(self.hub.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.hub.engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        with self._guard:
            self.sent += 1


@pytest.fixture
def thread_hub(pg_hub: HubDB, tmp_path: Path) -> Iterator[ThreadHub]:
    server = ThreadHub(pg_hub, tmp_path / "evidence").start()
    try:
        yield server
    finally:
        server.stop()


def test_an_upload_stores_a_small_file_in_one_statement_new_or_known(
    pg_hub: HubDB, thread_hub: ThreadHub
) -> None:
    """Six statements: the early check, the bytes (blob row and chunk together, or nothing
    for bytes already complete), then claim, file row, file count and meter."""
    tokens, _, _ = seed(pg_hub)
    esp = Esp([thread_hub.url], ("Example ESP", tokens["esp"]))
    report_id = esp.submit()
    sent = []
    for _ in range(2):  # new bytes, then the same bytes again
        with Statements(pg_hub) as statements:
            esp.upload(report_id, b"evidence bytes, synthetic")
        sent.append(statements.sent)
    assert sent == [6, 6]
