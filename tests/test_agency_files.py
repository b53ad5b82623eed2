"""Agencies get the files: a referred report's uploads, downloaded by that agency only (issue 16).

Real hubs on 127.0.0.1, on SQLite (one host, a directory) and on PostgreSQL, where two hub
processes' worth of apps (each with its own evidence directory, as two hosts would have)
take an ESP's calls in turn: submit on A, upload on B, fileinfo on A, finish on B; the bytes
must reach an agency whichever host it asks.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.factories import simple_report
from tests.hub_helpers import ThreadHub
from tests.test_hub import action, hub_url, seed  # noqa: F401  (hub_url: the fixture)
from tipline_tui.domain.cybertip_xml_write import file_details_to_xml, report_to_xml
from tipline_tui.domain.report import FileDetails
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.tables import EvidenceDownload, HubFile, HubReport

XML = {"Content-Type": "text/xml; charset=utf-8"}


@pytest.fixture
def hub(hub_url: str) -> Iterator[HubDB]:  # noqa: F811
    db = open_hub(hub_url)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def hosts(hub: HubDB, tmp_path: Path) -> Iterator[list[ThreadHub]]:
    """Two hosts on a PostgreSQL hub; one on SQLite (a single-host hub)."""
    count = 2 if hub.dialect == "postgresql" else 1
    running = [ThreadHub(hub, tmp_path / f"evidence-{n}").start() for n in range(count)]
    try:
        yield running
    finally:
        for server in running:
            server.stop()


def _code(response: httpx.Response) -> tuple[int, ET.Element]:
    root = ET.fromstring(response.content)
    return int(root.findtext("responseCode") or -1), root


def _esp_files_a_report(
    hosts: list[ThreadHub], esp: tuple[str, str], data: bytes
) -> tuple[int, str]:
    """submit, upload, fileinfo, finish: each call on the next host in turn."""
    turn = itertools.cycle(hosts)

    def call(path: str, **kw: object) -> ET.Element:
        with httpx.Client(base_url=next(turn).url + "/ispws", auth=esp, timeout=30) as http:
            code, root = _code(http.post(path, **kw))  # type: ignore[arg-type]
        assert code == 0, ET.tostring(root)
        return root

    submitted = call("/submit", content=report_to_xml(simple_report(9)), headers=XML)
    report_id = int(submitted.findtext("reportId") or 0)
    file_id = call(
        "/upload", data={"id": str(report_id)}, files={"file": ("evidence name.bin", data)}
    ).findtext("fileId")
    assert file_id
    details = FileDetails(file_id=file_id, file_name="evidence name.bin")
    call("/fileinfo", content=file_details_to_xml(details, report_id), headers=XML)
    call("/finish", data={"id": str(report_id)})
    return report_id, file_id


def test_the_referred_agency_downloads_the_files_from_any_host_and_nobody_else_can(
    hub: HubDB, hosts: list[ThreadHub]
) -> None:
    tokens, _, _ = seed(hub)
    data = os.urandom(3 * (1 << 20) + 17)  # more than one database chunk
    report_id, file_id = _esp_files_a_report(hosts, ("Example ESP", tokens["esp"]), data)
    analyst = {"Authorization": f"Bearer {tokens['ana']}"}
    pushed = httpx.post(
        f"{hosts[0].url}/v1/actions",
        json={"actions": [action("dispatch", report_id, 1, agency_id=1, contents={})]},
        headers=analyst,
    ).json()["results"][0]
    assert pushed["outcome"] == "applied", pushed
    agency = {"Authorization": f"Bearer {tokens['agency-1']}"}
    referral_id = httpx.get(f"{hosts[0].url}/v1/agency/referrals", headers=agency).json()[
        "referrals"
    ][0]["referral_id"]
    for host in hosts:  # whichever host the balancer picks
        listed = httpx.get(
            f"{host.url}/v1/agency/referrals/{referral_id}/files", headers=agency
        ).json()
        assert [(f["file_id"], f["name"], f["size"]) for f in listed] == [
            (file_id, "evidence name.bin", len(data))
        ]
        got = httpx.get(
            f"{host.url}/v1/agency/referrals/{referral_id}/files/{file_id}", headers=agency
        )
        assert got.status_code == 200 and got.content == data
        assert got.headers["x-tipline-sha256"] == hashlib.sha256(data).hexdigest()
        assert got.headers["x-tipline-md5"] == hashlib.md5(data).hexdigest()
    # another agency, another referral, another report's file: 404, as if none existed
    other = {"Authorization": f"Bearer {tokens['agency-2']}"}
    url = f"{hosts[0].url}/v1/agency/referrals/{referral_id}/files"
    assert httpx.get(url, headers=other).status_code == 404
    assert httpx.get(f"{url}/{file_id}", headers=other).status_code == 404
    assert httpx.get(f"{url}/{'0' * 32}", headers=agency).status_code == 404
    assert httpx.get(f"{url}/{file_id}", headers=analyst).status_code == 401
    with hub.read() as conn:
        downloads = conn.execute(select(EvidenceDownload.__table__)).all()
        stored_in = conn.execute(select(HubFile.__table__.c.stored_in)).scalar_one()
    assert [(d.file_id, d.referral_id, d.account) for d in downloads] == [
        (file_id, referral_id, "agency-1")
    ] * len(hosts)
    assert stored_in == ("database" if hub.dialect == "postgresql" else "directory")


def test_finish_refuses_a_file_whose_bytes_are_missing(hub: HubDB, hosts: list[ThreadHub]) -> None:
    """A row that names bytes this hub's store does not hold (a host's directory lost, a
    blob removed): finish is refused with 1111, and the report stays open to upload again."""
    tokens, _, _ = seed(hub)
    esp = ("Example ESP", tokens["esp"])
    with httpx.Client(base_url=hosts[0].url + "/ispws", auth=esp, timeout=30) as http:
        _, root = _code(http.post("/submit", content=report_to_xml(simple_report(3)), headers=XML))
        report_id = int(root.findtext("reportId") or 0)
        _, root = _code(
            http.post("/upload", data={"id": str(report_id)}, files={"file": ("a.bin", b"abc")})
        )
        with hub.write() as conn:  # the bytes are gone from where the row says they are
            conn.execute(HubFile.__table__.update().values(sha256="f" * 64))
        code, root = _code(http.post("/finish", data={"id": str(report_id)}))
    assert code == 1111  # reportDoneResponse carries no description: the code says it
    with hub.read() as conn:
        table = HubReport.__table__
        state = conn.execute(select(table.c.state).where(table.c.id == report_id)).scalar_one()
    assert state == "open"
