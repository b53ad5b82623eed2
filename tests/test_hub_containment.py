"""One hub process frozen while it holds the write lock must not stall the others (issue 16).

A real `tipline hub serve` process on a throwaway PostgreSQL cluster, and beside it a
connection opened exactly as every hub process opens its own (`open_hub`) that takes the
write lock and then stops, as a SIGSTOPped or hung process would: from PostgreSQL's side
both are a session idle in its transaction, holding the advisory lock.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tests.hub_helpers import ProcessHub
from tests.test_hub import action, seed
from tipline_tui.hub.db import WRITE_IDLE_LIMIT_MS, HubDB, append_change
from tipline_tui.hub.tables import Change

FROZEN_FOR = 20.0  # seconds the frozen writer would hold the lock without containment


def _frozen_writer(hub: HubDB, holding: threading.Event, outcome: list[BaseException]) -> None:
    """Take the write lock, write a change, then stop (the process is frozen)."""
    try:
        with hub.write() as conn:
            append_change(conn, "agency", 999, {"frozen": True}, hub.now())
            holding.set()
            time.sleep(FROZEN_FOR)
    except BaseException as exc:  # the server ended the session: its commit fails
        outcome.append(exc)


def test_a_frozen_writer_does_not_stall_the_other_processes(pg_hub: HubDB, tmp_path: Path) -> None:
    tokens, reports, _ = seed(pg_hub)
    served = ProcessHub(
        str(pg_hub.engine.url.render_as_string(hide_password=False)), tmp_path / "e"
    )
    served.start()
    holding, outcome = threading.Event(), []
    frozen = threading.Thread(target=_frozen_writer, args=(pg_hub, holding, outcome), daemon=True)
    try:
        frozen.start()
        assert holding.wait(10)
        headers = {"Authorization": f"Bearer {tokens['ana']}"}
        with httpx.Client(base_url=served.url, headers=headers, timeout=60) as http:
            started = time.monotonic()
            assert http.get("/v1/changes").status_code == 200
            read_took = time.monotonic() - started
            started = time.monotonic()
            pushed = http.post(
                "/v1/actions", json={"actions": [action("note", reports[0], body="still here")]}
            )
            write_took = time.monotonic() - started
        assert pushed.status_code == 200 and pushed.json()["results"][0]["outcome"] == "applied"
        assert read_took < 1.0, f"a read waited {read_took:.1f} s behind the frozen writer"
        assert write_took < 5.0, f"a write waited {write_took:.1f} s behind the frozen writer"
        assert write_took >= WRITE_IDLE_LIMIT_MS / 1000 - 1  # it did wait for the lock
    finally:
        served.stop()
    frozen.join(FROZEN_FOR + 10)
    assert outcome, "the frozen transaction should have been ended by the server"
    with pg_hub.read() as conn:  # what the frozen writer wrote was rolled back, nothing else
        kinds = conn.execute(select(Change.__table__.c.kind)).scalars().all()
        frozen_rows = conn.execute(
            select(func.count()).where(Change.__table__.c.entity_id == 999)
        ).scalar_one()
    assert frozen_rows == 0
    assert "note" in kinds
