"""Two real `tipline hub serve` processes on one PostgreSQL database, as two hosts would run.

What the README's "Running several hub processes" promises, across processes: an ESP's calls
may land on either (submit on A, upload on B, fileinfo on A, finish on B), the agency gets
the files from either, one process builds snapshots and both serve the same one.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.hub_helpers import ProcessHub
from tests.test_agency_files import _esp_files_a_report
from tests.test_hub import action, seed
from tests.waiting import wait_until
from tipline_tui.hub.db import HubDB

FLEET_ENV = {"TIPLINE_HUB_DB_POOL_SIZE": "2", "TIPLINE_HUB_DB_POOL_OVERFLOW": "4"}


def test_two_processes_on_one_database_serve_as_one_hub(pg_hub: HubDB, tmp_path: Path) -> None:
    tokens, _, _ = seed(pg_hub)
    url = pg_hub.engine.url.render_as_string(hide_password=False)
    hosts = [
        ProcessHub(
            url,
            tmp_path / f"evidence-{n}",
            None,
            "--snapshots",
            str(tmp_path / f"snap-{n}"),
            env=FLEET_ENV,
        ).start()
        for n in range(2)
    ]
    try:
        data = os.urandom(1_500_000)
        report_id, file_id = _esp_files_a_report(hosts, ("Example ESP", tokens["esp"]), data)
        analyst = {"Authorization": f"Bearer {tokens['ana']}"}
        pushed = httpx.post(
            f"{hosts[1].url}/v1/actions",
            json={"actions": [action("dispatch", report_id, 1, agency_id=1, contents={})]},
            headers=analyst,
            timeout=30,
        ).json()["results"][0]
        assert pushed["outcome"] == "applied", pushed
        agency = {"Authorization": f"Bearer {tokens['agency-1']}"}
        page = httpx.get(f"{hosts[0].url}/v1/agency/referrals", headers=agency, timeout=30)
        referral_id = page.json()["referrals"][0]["referral_id"]
        for host in hosts:
            got = httpx.get(
                f"{host.url}/v1/agency/referrals/{referral_id}/files/{file_id}",
                headers=agency,
                timeout=30,
            )
            assert got.status_code == 200 and got.content == data

        def snapshot_seq(host: ProcessHub) -> str | None:
            got = httpx.get(f"{host.url}/v1/snapshot", headers=analyst, timeout=30)
            return got.headers.get("x-tipline-seq") if got.status_code == 200 else None

        seqs = wait_until(
            lambda: (lambda s: s if None not in s else None)([snapshot_seq(h) for h in hosts]),
            what="both processes to serve the fleet's snapshot",
            timeout=60,
        )
        assert seqs[0] == seqs[1]
        built = [any((tmp_path / f"snap-{n}").glob("snapshot-*.sqlite")) for n in range(2)]
        assert built.count(True) == 1, "one process builds for the fleet"
    finally:
        for host in hosts:
            host.stop()
