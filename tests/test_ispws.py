"""ESP intake (/ispws) against a real uvicorn hub on 127.0.0.1: every call and every code.

Synthetic data only: reports come from tests/factories.py through the project's
XML writer, files are a few random bytes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import json
import os
import socket
import stat
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.factories import BASE_TIME, full_report, simple_report
from tests.hub_helpers import PostgresServer, ProcessHub, ThreadHub, start_postgres
from tests.waiting import wait_until
from tipline_tui.domain.cybertip_xml import MAX_DOCUMENT_BYTES
from tipline_tui.domain.cybertip_xml_write import file_details_to_xml, report_to_xml
from tipline_tui.domain.report import FileDetails, FileHash
from tipline_tui.hub.app import create_app
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.evidence import STALE_SECONDS
from tipline_tui.hub.evidence_store import evidence_path, evidence_store_for
from tipline_tui.hub.expiry import expire_reports
from tipline_tui.hub.ispws import XSD_ENV
from tipline_tui.hub.ispws_xml import ResponseCode as C
from tipline_tui.hub.operator import ESP_ID_FLOOR, import_reports
from tipline_tui.hub.tables import Change, HubBlob, HubFile, HubReport

SPEC_XSD = Path(__file__).resolve().parents[2] / "shared" / "spec" / "cyber_tipline.xsd"
HOUR = 3600


class Clock:
    """The hub's clock, moved by the tests (expiry, "in the past" checks)."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class Hub:
    url: str
    db: HubDB
    evidence: Path
    clock: Clock
    esp: tuple[str, str]
    other_esp: tuple[str, str]
    analyst: tuple[str, str]

    def client(self, auth: tuple[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url + "/ispws", auth=auth or self.esp, timeout=30)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer | None]:
    yield from start_postgres()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hub_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hub]:
    """One real hub per backend for the module; each test makes its own reports."""
    root = tmp_path_factory.mktemp("hub")
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'hub.sqlite'}"
    else:
        server: PostgresServer | None = request.getfixturevalue("postgres")
        if server is None:
            pytest.skip("no PostgreSQL binaries here (see tests/hub_helpers.py)")
        url = server.new_database()
    clock = Clock(BASE_TIME)
    db = open_hub(url, clock=clock)
    with db.write() as conn:
        esp = ("esp-a (demo)", create_account(conn, kind="esp", name="esp-a (demo)", now=0))
        other = ("esp-b (demo)", create_account(conn, kind="esp", name="esp-b (demo)", now=0))
        user = ("ana", create_account(conn, kind="user", name="ana", role="analyst", now=0))
    running = ThreadHub(db, root / "evidence").start()
    try:
        yield Hub(running.url, db, root / "evidence", clock, esp, other, user)
    finally:
        running.stop()
        db.close()


@pytest.fixture
def hub(hub_server: Hub) -> Hub:
    hub_server.clock.t = BASE_TIME
    return hub_server


@pytest.fixture
def esp(hub: Hub) -> Iterator[httpx.Client]:
    with hub.client() as client:
        yield client


# ------------------------------------------------------------------ helpers


@functools.cache
def spec_schema() -> Any:
    """The published schema, read once (None when it is not beside the repo)."""
    import xmlschema

    return xmlschema.XMLSchema(str(SPEC_XSD)) if SPEC_XSD.exists() else None


def strict_check(content: bytes, root: str) -> ET.Element:
    """An answer read as a strict client reads the schema: valid against the published
    XSD (when it is here), and every element the schema requires present with content,
    since such a client takes an empty required element for a missing one."""
    element = ET.fromstring(content)
    assert element.tag == root
    schema = spec_schema()
    if schema is not None:
        schema.validate(content.decode("utf-8"))
    required = ("responseCode", "responseDescription") if root == "reportResponse" else ()
    for tag in (*required, *(("responseCode", "reportId") if root != "reportResponse" else ())):
        assert (element.findtext(tag) or "").strip(), f"<{tag}> is missing or empty"
    int(element.findtext("responseCode") or "")  # xs:int
    if element.find("reportId") is not None:
        assert 0 <= int(element.findtext("reportId") or "") <= 2**63 - 1  # xs:long
    if root == "reportDoneResponse":
        assert element.find("files") is not None
    return element


def envelope(response: httpx.Response, root: str = "reportResponse") -> dict[str, object]:
    """The response read the way ESP clients read it: the root named, responseCode present,
    and (strict_check) valid against the schema's response type."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    element = strict_check(response.content, root)
    code = element.findtext("responseCode")
    assert code is not None, "clients dereference responseCode unconditionally"
    out: dict[str, object] = {"code": int(code)}
    for tag in ("responseDescription", "reportId", "fileId", "hash"):
        if element.find(tag) is not None:
            out[tag] = element.findtext(tag) or ""
    if root == "reportDoneResponse":
        assert element.find("files") is not None
        out["files"] = [f.text for f in element.iter("fileId")]
    return out


def submit(esp: httpx.Client, data: bytes | None = None) -> int:
    data = report_to_xml(simple_report(1)) if data is None else data
    got = envelope(esp.post("/submit", content=data, headers=XML))
    assert got["code"] == 0, got
    return int(str(got["reportId"]))


def stored(hub: Hub, sha256: str) -> bytes:
    """The bytes the hub keeps under `sha256`, wherever its evidence store keeps them."""
    return b"".join(evidence_store_for(hub.db, hub.evidence).chunks(sha256))


def in_directory(hub: Hub) -> bool:
    """A SQLite hub keeps evidence in its directory; a PostgreSQL hub in the database."""
    return hub.db.dialect == "sqlite"


def upload(esp: httpx.Client, report_id: int, data: bytes = b"synthetic bytes") -> str:
    got = envelope(
        esp.post("/upload", data={"id": str(report_id)}, files={"file": ("a.bin", data)})
    )
    assert got["code"] == 0, got
    return str(got["fileId"])


def details(report_id: int, file_id: str, **kw: object) -> bytes:
    return file_details_to_xml(FileDetails(file_id=file_id, **kw), report_id)  # type: ignore[arg-type]


def report_row(hub: Hub, report_id: int) -> HubReport:
    with hub.db.read() as conn:
        row = conn.execute(select(HubReport.__table__).where(HubReport.id == report_id)).one()
    return HubReport.model_validate(dict(row._mapping))


def file_rows(hub: Hub, report_id: int) -> list[HubFile]:
    table = HubFile.__table__
    with hub.db.read() as conn:
        rows = conn.execute(select(table).where(table.c.report_id == report_id)).all()
    return [HubFile.model_validate(dict(r._mapping)) for r in rows]


def report_changes(hub: Hub, report_id: int) -> list[dict[str, object]]:
    table = Change.__table__
    with hub.db.read() as conn:
        rows = conn.execute(
            select(table).where(table.c.kind == "report", table.c.entity_id == report_id)
        ).all()
    return [r.payload for r in rows]


def report_count(hub: Hub) -> int:
    with hub.db.read() as conn:
        return len(conn.execute(select(HubReport.__table__.c.id)).all())


XML = {"Content-Type": "text/xml; charset=utf-8"}
ENDPOINTS = [
    ("GET", "/status"),
    ("GET", "/xsd"),
    ("POST", "/submit"),
    ("POST", "/upload"),
    ("POST", "/fileinfo"),
    ("POST", "/finish"),
    ("POST", "/retract"),
]


# ------------------------------------------------------------------ auth, status, xsd


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_call_refuses_missing_or_wrong_credentials(hub: Hub, method: str, path: str) -> None:
    name, secret = hub.esp
    for auth in (None, (name, secret + "x"), ("nobody", secret), hub.analyst):
        with httpx.Client(base_url=hub.url + "/ispws", auth=auth, timeout=30) as client:
            response = client.request(method, path, content=b"<report/>")
        assert response.status_code == 401, (auth, response.text)
        assert response.headers["www-authenticate"].lower().startswith("basic")
        assert response.content == b""  # clients accept an empty body on 401
    garbage = {"Authorization": "Basic !!!notbase64"}
    with httpx.Client(base_url=hub.url + "/ispws", timeout=30) as client:
        assert client.request(method, path, headers=garbage).status_code == 401


def test_status_names_the_remote_user_and_ip(esp: httpx.Client, hub: Hub) -> None:
    got = envelope(esp.get("/status"))
    assert got["code"] == 0
    assert hub.esp[0] in str(got["responseDescription"])
    assert "127.0.0.1" in str(got["responseDescription"])


def test_xsd_without_a_configured_schema_is_1210(
    esp: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(XSD_ENV, raising=False)
    got = envelope(esp.get("/xsd"))
    assert got["code"] == C.RESOURCE_NOT_FOUND == 1210
    assert XSD_ENV in str(got["responseDescription"])


def test_xsd_serves_the_configured_schema(
    esp: httpx.Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.xsd"
    schema.write_bytes(b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n')
    monkeypatch.setenv(XSD_ENV, str(schema))
    response = esp.get("/xsd")
    assert response.status_code == 200
    assert response.content == schema.read_bytes()
    monkeypatch.setenv(XSD_ENV, str(tmp_path / "missing.xsd"))
    assert envelope(esp.get("/xsd"))["code"] == 1210


# ------------------------------------------------------------------ submit


def test_submit_opens_a_report_keeping_the_bytes(esp: httpx.Client, hub: Hub) -> None:
    data = report_to_xml(full_report())
    response = esp.post("/submit", content=data, headers=XML)
    assert response.status_code == 200
    got = envelope(response)
    assert got["code"] == 0 and got["responseDescription"] == "Success"
    report_id = int(str(got["reportId"]))
    assert report_id > 0
    row = report_row(hub, report_id)
    assert row.state == "open" and row.xml == data
    assert row.opened_at == row.changed_at == BASE_TIME
    assert report_changes(hub, report_id) == []  # unfinished reports never reach analysts


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<report>&lol3;</report>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><report>&x;</report>"""


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"<report><incidentSummary>", "not well-formed"),
        (b"not xml at all", "not well-formed"),
        (b"", "empty document"),
        (BOMB, "DOCTYPE"),
        (EXTERNAL, "DOCTYPE"),
        (b'<?xml version="1.0" encoding="UTF-8"?><report>\xff\xfe</report>', "invalid byte"),
        (b'<?xml version="1.0" encoding="EBCDIC-XX"?><report/>', "encoding"),
    ],
    ids=["unclosed", "text", "empty", "bomb", "external-entity", "bad-bytes", "unknown-encoding"],
)
def test_submit_refuses_unreadable_xml_with_4110(
    esp: httpx.Client, hub: Hub, data: bytes, says: str
) -> None:
    before = report_count(hub)
    got = envelope(esp.post("/submit", content=data, headers=XML))
    assert got["code"] == C.MALFORMED_XML == 4110
    assert says in str(got["responseDescription"])
    assert "reportId" not in got
    assert report_count(hub) == before


def test_submit_refuses_documents_not_in_utf8_with_4110(esp: httpx.Client, hub: Hub) -> None:
    text = report_to_xml(simple_report(2)).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    got = envelope(esp.post("/submit", content=text.encode("utf-16"), headers=XML))
    assert got["code"] == 4110 and "UTF-8" in str(got["responseDescription"])
    latin = text.replace('encoding="UTF-16"', 'encoding="ISO-8859-1"').encode("latin-1")
    assert envelope(esp.post("/submit", content=latin, headers=XML))["code"] == 4110


def test_submit_refuses_an_invalid_report_with_4100_and_every_problem(
    esp: httpx.Client, hub: Hub
) -> None:
    before = report_count(hub)
    got = envelope(esp.post("/submit", content=b"<report/>", headers=XML))
    assert got["code"] == C.VALIDATION_FAILED == 4100
    said = str(got["responseDescription"])
    assert "report/incidentSummary: required element missing" in said
    assert "report/reporter: required element missing" in said
    wrong_root = details(1, "0" * 32)
    got = envelope(esp.post("/submit", content=wrong_root, headers=XML))
    assert got["code"] == 4100 and "wrong root element" in str(got["responseDescription"])
    assert report_count(hub) == before


def test_a_parser_failure_is_the_hubs_server_error(
    esp: httpx.Client, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tipline_tui.domain.cybertip_xml as parser

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("synthetic parser bug")

    monkeypatch.setattr(parser, "walk", broken)  # the server runs in this process
    before = report_count(hub)
    response = esp.post("/submit", content=report_to_xml(simple_report(4)), headers=XML)
    assert response.status_code == 500
    assert envelope(response)["code"] == C.SERVER_ERROR == 1000
    assert report_count(hub) == before


def test_submit_refuses_a_declared_oversize_body_without_reading_it(hub: Hub) -> None:
    """Content-Length past the limit: 4000 (HTTP 413) before the body is sent at all."""
    name, secret = hub.esp
    token = base64.b64encode(f"{name}:{secret}".encode()).decode()
    port = int(hub.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            (
                "POST /ispws/submit HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Basic {token}\r\nContent-Type: text/xml; charset=utf-8\r\n"
                f"Content-Length: {20 * MAX_DOCUMENT_BYTES}\r\n\r\n<report>"
            ).encode()
        )
        reply = b""
        while b"</reportResponse>" not in reply:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"<responseCode>4000</responseCode>" in body
    assert b"limit" in body


def test_submit_refuses_a_streamed_oversize_body_with_4000(esp: httpx.Client, hub: Hub) -> None:
    """No Content-Length (chunked): read to one byte past the limit, then refused."""
    before = report_count(hub)

    def chunks() -> Iterator[bytes]:
        yield b"<report>"
        for _ in range(MAX_DOCUMENT_BYTES // 65536 + 1):
            yield b" " * 65536

    response = esp.post("/submit", content=chunks(), headers=XML)
    assert response.status_code == 413
    assert envelope(response)["code"] == C.INVALID_REQUEST == 4000
    assert report_count(hub) == before


# ------------------------------------------------------------------ upload


def test_upload_hashes_and_files_the_bytes_privately(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    data = os.urandom(300_000)  # several chunks
    response = esp.post(
        "/upload", data={"id": str(report_id)}, files={"file": ("original name.png", data)}
    )
    got = envelope(response)
    assert got["code"] == 0 and int(str(got["reportId"])) == report_id
    file_id = str(got["fileId"])
    assert len(file_id) == 32 and int(file_id, 16) >= 0
    assert got["hash"] == hashlib.md5(data).hexdigest()
    [row] = file_rows(hub, report_id)
    sha256 = hashlib.sha256(data).hexdigest()
    assert (row.file_id, row.size, row.md5, row.sha1, row.sha256) == (
        file_id,
        len(data),
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        sha256,
    )
    assert row.original_name == "original name.png" and row.details_xml is None
    assert stored(hub, sha256) == data
    assert row.stored_in == ("directory" if in_directory(hub) else "database")
    if in_directory(hub):
        path = evidence_path(hub.evidence, sha256)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(hub.evidence.stat().st_mode) == 0o700
    assert list((hub.evidence / ".incoming").iterdir()) == []  # no temp file left behind


def test_an_upload_streams_past_the_document_limit(
    esp: httpx.Client, hub: Hub, tmp_path: Path
) -> None:
    """Evidence files are not documents: 16 MiB streams through to disk and hashes right."""
    report_id = submit(esp)
    big = tmp_path / "big.bin"
    block = os.urandom(1 << 20)
    with big.open("wb") as out:
        for i in range(16):
            out.write(bytes([i]) + block[1:])
    data = big.read_bytes()
    with big.open("rb") as handle:
        got = envelope(esp.post("/upload", data={"id": str(report_id)}, files={"file": handle}))
    assert got["code"] == 0 and got["hash"] == hashlib.md5(data).hexdigest()
    [row] = file_rows(hub, report_id)
    assert row.size == len(data) == 16 << 20
    assert stored(hub, row.sha256) == data


def test_the_same_bytes_twice_are_two_files_stored_once(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    data = b"the same synthetic bytes"
    first, second = upload(esp, report_id, data), upload(esp, report_id, data)
    assert first != second
    sha256 = hashlib.sha256(data).hexdigest()
    if in_directory(hub):
        # other tests' random files may share the hash's two-character folder: count this
        # hash's copies anywhere under the evidence directory, temporary names included
        copies = [p for p in hub.evidence.rglob("*") if p.is_file() and sha256 in p.name]
        assert copies == [evidence_path(hub.evidence, sha256)]
    else:
        with hub.db.read() as conn:
            blobs = conn.execute(
                select(HubBlob.__table__).where(HubBlob.__table__.c.sha256 == sha256)
            ).all()
        assert len(blobs) == 1


def test_upload_refusals(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    files = {"file": ("a.bin", b"x")}

    def code(**kw: object) -> int:
        return int(str(envelope(esp.post("/upload", **kw))["code"]))  # type: ignore[arg-type]

    assert code(files=files) == 4000  # no id
    assert code(data={"id": "twelve"}, files=files) == 4000
    assert code(data={"id": "-1"}, files=files) == 4000
    assert code(data={"id": str(report_id)}) == 4000  # no file
    assert code(content=b"id=1", headers={"Content-Type": "application/x-www-form-urlencoded"}) == (
        4000
    )
    assert code(data={"id": str(report_id)}, files={"file": ("a.bin", b"")}) == 4200
    assert code(data={"id": "999999"}, files=files) == 5001
    two = [("file", ("a.bin", b"x")), ("file", ("b.bin", b"y"))]
    got = envelope(esp.post("/upload", data={"id": str(report_id)}, files=two))
    assert got["code"] == 4000 and "one file" in str(got["responseDescription"])
    assert file_rows(hub, report_id) == []
    assert list((hub.evidence / ".incoming").iterdir()) == []


def cut_form(report_id: int, data: bytes) -> tuple[str, bytes]:
    """A form whose file part never reaches its closing boundary (a connection cut short)."""
    content_type, body = go_multipart(report_id, "cut.bin", data)
    return content_type, body[: body.rindex(b"\r\n--")]


def test_a_form_cut_before_its_closing_boundary_is_refused(esp: httpx.Client, hub: Hub) -> None:
    """The parser takes a cut-off form as it stands; the hub must not file the part as whole."""
    report_id = submit(esp)
    content_type, body = cut_form(report_id, os.urandom(50_000))
    got = envelope(esp.post("/upload", content=body, headers={"Content-Type": content_type}))
    assert got["code"] == 4000 and "closing boundary" in str(got["responseDescription"])
    # the same over a raw socket, chunked: the HTTP body is complete, the form is not
    name, secret = hub.esp
    basic = base64.b64encode(f"{name}:{secret}".encode()).decode()
    host, port = hub.url.removeprefix("http://").split(":")
    head = (
        f"POST /ispws/upload HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {basic}\r\n"
        f"Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"<responseCode>4000</responseCode>" in answer
    assert file_rows(hub, report_id) == []
    assert list((hub.evidence / ".incoming").iterdir()) == []
    whole_type, whole = go_multipart(report_id, "whole.bin", b"x" * 10)
    assert upload_code(esp, whole_type, whole) == 0  # the report is still open for the rest


def _database_sweep(esp: httpx.Client, hub: Hub) -> None:
    """PostgreSQL: a blob whose copy stopped and one no file row names go; kept ones stay."""
    report_id = submit(esp)
    data = os.urandom(64)
    upload(esp, report_id, data)
    blob = HubBlob.__table__
    old = int(time.time() - 2 * STALE_SECONDS)
    with hub.db.write() as conn:
        conn.execute(blob.update().values(stored_at=old))
        for sha256, complete in (("a" * 64, False), ("b" * 64, True)):
            conn.execute(
                blob.insert().values(sha256=sha256, size=1, complete=complete, stored_at=old)
            )
    create_app(hub.db, evidence_dir=hub.evidence)  # a hub starting over the same database
    with hub.db.read() as conn:
        left = set(conn.execute(select(blob.c.sha256)).scalars())
    assert "a" * 64 not in left and "b" * 64 not in left
    assert stored(hub, hashlib.sha256(data).hexdigest()) == data


def upload_code(esp: httpx.Client, content_type: str, body: bytes) -> int:
    response = esp.post("/upload", content=body, headers={"Content-Type": content_type})
    return int(str(envelope(response)["code"]))


def test_what_a_crash_left_in_the_evidence_store_is_swept_at_start(
    esp: httpx.Client, hub: Hub
) -> None:
    """A stale .part and a file no row names go when a hub starts; kept evidence and a
    fresh .part (another process may be mid-upload) stay."""
    if not in_directory(hub):
        _database_sweep(esp, hub)
        return
    report_id = submit(esp)
    data = os.urandom(64)
    upload(esp, report_id, data)
    kept = evidence_path(hub.evidence, hashlib.sha256(data).hexdigest())
    incoming = hub.evidence / ".incoming"
    incoming.mkdir(mode=0o700, exist_ok=True)
    stale, fresh = incoming / "dead.part", incoming / "live.part"
    orphan_bytes = os.urandom(64)
    orphan = evidence_path(hub.evidence, hashlib.sha256(orphan_bytes).hexdigest())
    orphan.parent.mkdir(mode=0o700, exist_ok=True)
    for path in (stale, fresh, orphan):
        path.write_bytes(orphan_bytes)
    old = time.time() - 2 * STALE_SECONDS
    for path in (stale, orphan, kept):
        os.utime(path, (old, old))
    create_app(hub.db, evidence_dir=hub.evidence)  # a hub starting over the same store
    assert not stale.exists() and not orphan.exists()
    assert fresh.exists() and kept.read_bytes() == data
    fresh.unlink()


def test_two_esps_cannot_infer_each_others_volume_from_report_ids(
    esp: httpx.Client, hub: Hub
) -> None:
    """Report ids are drawn at random, not from one sequence: the gap between an ESP's
    own ids says nothing of how many reports another ESP filed in between."""
    mine: list[int] = []
    with hub.client(hub.other_esp) as other:
        for between in (0, 3, 0, 5, 1):
            mine.append(submit(esp))
            for _ in range(between):
                submit(other)
        mine.append(submit(esp))
    gaps = [b - a for a, b in itertools.pairwise(mine)]
    assert all(abs(gap) > 1_000 for gap in gaps), gaps  # consecutive ids would be 1, 4, 1, 6, 2
    assert len(set(mine)) == len(mine)
    assert all(ESP_ID_FLOOR <= i <= 2**31 - 1 for i in mine)  # in the INTEGER id column
    imported = import_reports(hub.db, [report_to_xml(simple_report(2))])
    assert imported[0] < ESP_ID_FLOOR  # operator imports keep counting up below them


def test_an_esp_never_sees_another_esps_report(hub: Hub, esp: httpx.Client) -> None:
    report_id = submit(esp)
    file_id = upload(esp, report_id)
    with hub.client(hub.other_esp) as other:
        for response in (
            other.post("/upload", data={"id": str(report_id)}, files={"file": ("a", b"x")}),
            other.post("/fileinfo", content=details(report_id, file_id), headers=XML),
            other.post("/retract", data={"id": str(report_id)}),
        ):
            got = envelope(response)
            assert got["code"] == 5001 and "reportId" not in got
            assert got["responseDescription"] == f"report does not exist: no report {report_id}"
        done = envelope(other.post("/finish", data={"id": str(report_id)}), "reportDoneResponse")
        assert done["code"] == 5001 and done["files"] == []
        assert done["reportId"] == str(report_id)  # the id asked about, as for an unknown one
    assert report_row(hub, report_id).state == "open"
    assert len(file_rows(hub, report_id)) == 1


def test_ids_past_the_columns_are_refused_never_a_server_error(esp: httpx.Client) -> None:
    """An xs:long the id column cannot hold names no report (5001); past xs:long, 4000."""
    report_id = submit(esp)
    file_id = upload(esp, report_id)
    for big in (2**31, 2**63 - 1):
        up = esp.post("/upload", data={"id": str(big)}, files={"file": ("a", b"1")})
        assert envelope(up)["code"] == 5001
        info = esp.post("/fileinfo", content=details(big, file_id), headers=XML)
        assert envelope(info)["code"] in {5001, 4100}
        done = esp.post("/finish", data={"id": str(big)})
        assert envelope(done, "reportDoneResponse")["code"] == 5001
        assert envelope(esp.post("/retract", data={"id": str(big)}))["code"] == 5001
    past = str(2**63)
    assert envelope(esp.post("/retract", data={"id": past}))["code"] == 4000
    info = esp.post(
        "/fileinfo",
        content=details(report_id, file_id).replace(
            f"<reportId>{report_id}<".encode(), f"<reportId>{past}<".encode()
        ),
        headers=XML,
    )
    assert envelope(info)["code"] in {4100, 5001}


# ------------------------------------------------------------------ fileinfo


def test_fileinfo_attaches_details_once(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    file_id = upload(esp, report_id)
    hub.clock.t += 60
    doc = details(report_id, file_id, file_name="a.bin", hashes=[FileHash("MD5", "0" * 32)])
    got = envelope(esp.post("/fileinfo", content=doc, headers=XML))
    assert got["code"] == 0
    assert (int(str(got["reportId"])), got["fileId"]) == (report_id, file_id)
    [row] = file_rows(hub, report_id)
    assert row.details_xml == doc
    assert report_row(hub, report_id).changed_at == BASE_TIME + 60
    again = envelope(esp.post("/fileinfo", content=doc, headers=XML))
    assert again["code"] == 4000 and "already" in str(again["responseDescription"])
    assert file_rows(hub, report_id)[0].details_xml == doc


def test_fileinfo_refusals(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    file_id = upload(esp, report_id)
    other_report = submit(esp)
    other_file = upload(esp, other_report)

    def code(doc: bytes) -> int:
        return int(str(envelope(esp.post("/fileinfo", content=doc, headers=XML))["code"]))

    assert code(details(report_id, "f" * 32)) == C.FILE_DOES_NOT_EXIST == 5002
    assert code(details(report_id, other_file)) == 5002  # a file, but of another report
    assert code(details(999_999, file_id)) == 5001
    assert code(b"<fileDetails><reportId>1</reportId>") == 4110
    assert code(b"<fileDetails><reportId>x</reportId></fileDetails>") == 4100
    assert code(report_to_xml(simple_report(3))) == 4100  # a report is not a fileDetails
    assert all(r.details_xml is None for r in file_rows(hub, report_id))
    assert code(details(report_id, file_id)) == 0  # nothing above stood in the way


# ------------------------------------------------------------------ finish, retract, states


def test_finish_answers_the_receipt_and_feeds_analysts(hub: Hub, esp: httpx.Client) -> None:
    data = report_to_xml(full_report())
    report_id = submit(esp, data)
    secret_bytes = b"EVIDENCE-BYTES-" + os.urandom(16).hex().encode()
    first = upload(esp, report_id, secret_bytes)
    hub.clock.t += 1
    second = upload(esp, report_id, b"other synthetic bytes")
    doc = details(report_id, first, file_name="a.bin", file_viewed_by_esp=True)
    assert envelope(esp.post("/fileinfo", content=doc, headers=XML))["code"] == 0
    hub.clock.t += 10
    response = esp.post("/finish", data={"id": str(report_id)})
    got = envelope(response, "reportDoneResponse")
    assert got["code"] == 0 and int(str(got["reportId"])) == report_id
    assert got["files"] == [first, second]
    row = report_row(hub, report_id)
    assert (row.state, row.finished_at) == ("finished", BASE_TIME + 11)
    [payload] = report_changes(hub, report_id)
    assert payload == {
        "report_id": report_id,
        "received_at": BASE_TIME + 11,
        "xml": data.decode(),
        "files": [doc.decode()],
    }
    # the analysts' own view of it: GET /v1/changes with a user's bearer token
    name, secret = hub.analyst
    feed = httpx.get(
        hub.url + "/v1/changes",
        params={"since": 0, "limit": 1000},
        headers={"Authorization": f"Bearer {name}:{secret}"},
    )
    assert feed.status_code == 200
    pulled = [c for c in feed.json()["changes"] if c["payload"].get("report_id") == report_id]
    assert [c["kind"] for c in pulled] == ["report"]
    assert secret_bytes.decode() not in feed.text  # evidence bytes never enter the feed
    assert hashlib.md5(secret_bytes).hexdigest() not in feed.text


def test_a_finished_report_takes_nothing_more(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    file_id = upload(esp, report_id)
    assert (
        envelope(esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse")["code"]
        == 0
    )
    up = esp.post("/upload", data={"id": str(report_id)}, files={"file": ("a", b"late")})
    assert envelope(up)["code"] == C.REPORT_ALREADY_FINISHED == 5102
    assert envelope(up)["reportId"] == str(report_id)
    info = esp.post("/fileinfo", content=details(report_id, file_id), headers=XML)
    assert envelope(info)["code"] == 5102
    assert envelope(esp.post("/retract", data={"id": str(report_id)}))["code"] == 5102
    again = envelope(esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse")
    assert again["code"] == 5102
    assert len(report_changes(hub, report_id)) == 1  # announced once
    assert len(file_rows(hub, report_id)) == 1


def test_retract_cancels_an_unfinished_report(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    file_id = upload(esp, report_id)
    got = envelope(esp.post("/retract", data={"id": str(report_id)}))
    assert got["code"] == 0 and got["reportId"] == str(report_id)
    assert report_row(hub, report_id).state == "retracted"
    assert envelope(esp.post("/retract", data={"id": str(report_id)}))["code"] == 5101
    up = esp.post("/upload", data={"id": str(report_id)}, files={"file": ("a", b"x")})
    assert envelope(up)["code"] == C.REPORT_ALREADY_RETRACTED == 5101
    info = esp.post("/fileinfo", content=details(report_id, file_id), headers=XML)
    assert envelope(info)["code"] == 5101
    done = envelope(esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse")
    assert done["code"] == 5101
    assert report_changes(hub, report_id) == []
    assert len(file_rows(hub, report_id)) == 1  # what the ESP sent is kept


def test_finish_and_retract_need_an_id(esp: httpx.Client) -> None:
    done = envelope(esp.post("/finish", data={}), "reportDoneResponse")
    assert done["code"] == 4000 and done["reportId"] == "0"  # required by the schema
    assert envelope(esp.post("/retract", data={"id": "abc"}))["code"] == 4000
    done = envelope(esp.post("/finish", data={"id": "999999"}), "reportDoneResponse")
    assert done["code"] == 5001
    assert envelope(esp.post("/retract", params={"id": "999999"}))["code"] == 5001
    huge = esp.post("/retract", data={"id": "1", "pad": "x" * 100_000})
    assert huge.status_code == 413 and envelope(huge)["code"] == 4000
    multipart = esp.post("/retract", files={"id": (None, "999999")})  # a multipart form works too
    assert envelope(multipart)["code"] == 5001


# ------------------------------------------------------------------ expiry


def test_an_untouched_report_expires_24_hours_after_opening(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    hub.clock.t = BASE_TIME + 24 * HOUR - 1
    assert envelope(esp.get("/status"))["code"] == 0
    report_still = submit(esp)  # opened later: lives on
    hub.clock.t = BASE_TIME + 24 * HOUR
    got = envelope(esp.post("/upload", data={"id": str(report_id)}, files={"file": ("a", b"x")}))
    assert got["code"] == 5001 and "expired" in str(got["responseDescription"])
    assert report_row(hub, report_id).state == "expired"
    assert file_rows(hub, report_id) == []
    done = envelope(esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse")
    assert done["code"] == 5001
    assert report_changes(hub, report_id) == []
    assert report_row(hub, report_still).state == "open"


def test_a_change_keeps_a_report_alive_for_an_hour_past_24(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    hub.clock.t = BASE_TIME + 23 * HOUR + 30 * 60
    file_id = upload(esp, report_id)  # changed at 23:30 -> lives to 24:30
    hub.clock.t = BASE_TIME + 24 * HOUR + 29 * 60
    doc = details(report_id, file_id)
    assert envelope(esp.post("/fileinfo", content=doc, headers=XML))["code"] == 0  # -> 25:29
    hub.clock.t = BASE_TIME + 25 * HOUR + 29 * 60
    done = envelope(esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse")
    assert done["code"] == 5001
    assert report_row(hub, report_id).state == "expired"


def test_expire_reports_sweeps_what_nobody_touched(esp: httpx.Client, hub: Hub) -> None:
    old, finished = submit(esp), submit(esp)
    assert (
        envelope(esp.post("/finish", data={"id": str(finished)}), "reportDoneResponse")["code"] == 0
    )
    hub.clock.t = BASE_TIME + 2 * HOUR
    young = submit(esp)
    hub.clock.t = BASE_TIME + 25 * HOUR
    swept = expire_reports(hub.db)
    assert swept >= 1
    assert report_row(hub, old).state == "expired"
    assert report_row(hub, finished).state == "finished"
    assert report_row(hub, young).state == "open"
    assert expire_reports(hub.db) == 0


def test_the_served_hub_sweeps_expired_reports_on_its_own(hub: Hub, tmp_path: Path) -> None:
    # a second server over the same database, with its lifespan (and so its sweep) running
    with hub.client() as esp:
        report_id = submit(esp)
    hub.clock.t = BASE_TIME + 25 * HOUR  # no ESP call touches it again
    sweeping = ThreadHub(hub.db, tmp_path / "evidence", sweep_every=0.05).start()
    try:
        wait_until(lambda: report_row(hub, report_id).state == "expired", what="the sweep")
    finally:
        sweeping.stop()


# ------------------------------------------------------------------ the schema's envelopes


@pytest.mark.skipif(not SPEC_XSD.exists(), reason="the published schema is not beside the repo")
def test_envelopes_validate_against_the_published_schema(esp: httpx.Client) -> None:
    import xmlschema

    schema = xmlschema.XMLSchema(str(SPEC_XSD))
    report_id = submit(esp)
    file_id = upload(esp, report_id)
    for response in (
        esp.get("/status"),
        esp.post("/submit", content=b"<report/>", headers=XML),
        esp.post("/fileinfo", content=details(report_id, file_id), headers=XML),
        esp.post("/finish", data={"id": str(report_id)}),
        esp.post("/finish", data={"id": str(report_id)}),
        esp.post("/retract", data={"id": str(report_id)}),
    ):
        schema.validate(response.content.decode())


def test_every_answer_of_every_call_is_valid_for_a_strict_client(
    esp: httpx.Client, hub: Hub
) -> None:
    """Success and refusal of every call, checked against the schema's response types."""
    report_id = submit(esp)
    file_id = upload(esp, report_id)
    other = submit(esp)
    answers: list[tuple[httpx.Response, str, int]] = [
        (esp.get("/status"), "reportResponse", 0),
        (esp.get("/xsd"), "reportResponse", 1210),
        (esp.post("/submit", content=b"<report", headers=XML), "reportResponse", 4110),
        (esp.post("/submit", content=b"<report/>", headers=XML), "reportResponse", 4100),
        (
            esp.post("/upload", data={"id": "x"}, files={"file": ("a", b"1")}),
            "reportResponse",
            4000,
        ),
        (
            esp.post("/upload", data={"id": "999999"}, files={"file": ("a", b"1")}),
            "reportResponse",
            5001,
        ),
        (
            esp.post("/fileinfo", content=details(report_id, "0" * 32), headers=XML),
            "reportResponse",
            5002,
        ),
        (
            esp.post("/fileinfo", content=details(report_id, file_id), headers=XML),
            "reportResponse",
            0,
        ),
        (
            esp.post("/fileinfo", content=details(report_id, file_id), headers=XML),
            "reportResponse",
            4000,
        ),
        (esp.post("/finish", data={}), "reportDoneResponse", 4000),
        (esp.post("/finish", data={"id": "999999"}), "reportDoneResponse", 5001),
        (esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse", 0),
        (esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse", 5102),
        (esp.post("/retract", data={"id": str(report_id)}), "reportResponse", 5102),
        (esp.post("/retract", data={"id": str(other)}), "reportResponse", 0),
        (esp.post("/retract", data={"id": str(other)}), "reportResponse", 5101),
        (esp.post("/retract", data={"id": "1", "pad": "x" * 100_000}), "reportResponse", 4000),
        (esp.get("/submit"), "reportResponse", 4000),  # wrong method: 405, still the envelope
        (esp.get("/nothing-here"), "reportResponse", 1210),  # unknown call: 404
    ]
    for response, root, code in answers:
        got = envelope(response, root)
        assert got["code"] == code, (response.request.url, got)
        if root == "reportResponse":
            assert got["responseDescription"], "a strict client reads an empty one as missing"
    assert str(envelope(answers[0][0])["responseDescription"]).startswith("Remote User")
    assert envelope(answers[7][0])["responseDescription"] == "Success"


# ------------------------------------------------------------------ an existing ESP client


def go_time(t: float) -> str:
    """A timestamp as Go's encoding/xml writes a time.Time: RFC 3339 with nanoseconds."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")


def go_report(now: float, batched: bool) -> bytes:
    """A report as the public Go client (Boostport/ncmec-go) marshals one: no declaration,
    no whitespace, Go's escapes (&#xA; &#34; &#39;), booleans and RFC 3339 nanosecond times."""
    t = go_time(now - 600)
    head = '<batchedReport reason="VIRAL_POTENTIAL_MEME"></batchedReport>' if batched else ""
    person = (
        "<personOrUserReported><espIdentifier>u-1001</espIdentifier></personOrUserReported>"
        if batched
        else "<personOrUserReported><personOrUserReportedPerson><firstName>Dale</firstName>"
        '<email type="Home" verified="true" verificationDate="' + t + '">dale@example.com</email>'
        "</personOrUserReportedPerson><screenName>dale_demo</screenName>"
        "<ipCaptureEvent><ipAddress>192.0.2.7</ipAddress><eventName>Login</eventName>"
        "<dateTime>" + t + "</dateTime><possibleProxy>false</possibleProxy><port>443</port>"
        "</ipCaptureEvent></personOrUserReported>"
    )
    return (
        "<report>" + head + "<incidentSummary><incidentType>Child Pornography (possession, "
        "manufacture, and distribution)</incidentType><platform>Examplegram (demo)</platform>"
        "<incidentDateTime>" + t + "</incidentDateTime></incidentSummary>"
        "<reporter><reportingPerson><firstName>John</firstName><lastName>Smith</lastName>"
        "</reportingPerson></reporter>" + person + "<additionalInfo>line one&#xA;"
        "&#34;quoted&#34; &amp; it&#39;s synthetic</additionalInfo></report>"
    ).encode()


def go_file_details(report_id: int, file_id: str, now: float, full: bool) -> bytes:
    """fileDetails as the Go client marshals them; its minimal test sends only the two ids."""
    body = ""
    if full:
        t = go_time(now - 600)
        body = (
            "<fileName>gopher.png</fileName><originalFileName>gopher1.png</originalFileName>"
            "<uploadedToEspTimestamp>" + t + "</uploadedToEspTimestamp>"
            "<fileViewedByEsp>true</fileViewedByEsp><exifViewedByEsp>true</exifViewedByEsp>"
            "<fileRelevance>Reported</fileRelevance><fileAnnotations><potentialMeme>true"
            "</potentialMeme><viral>true</viral></fileAnnotations>"
            '<originalFileHash hashType="MD5">d41d8cd98f00b204e9800998ecf8427e</originalFileHash>'
            "<details><nameValuePair><name>Detail Name 1</name><value>Detail Value 1</value>"
            "</nameValuePair></details><additionalInfo>Test file additional info A"
            "</additionalInfo>"
        )
    return (
        f"<fileDetails><reportId>{report_id}</reportId><fileId>{file_id}</fileId>{body}"
        "</fileDetails>"
    ).encode()


def go_multipart(report_id: int, filename: str, data: bytes) -> tuple[str, bytes]:
    """Go's mime/multipart: a 60-hex boundary, field `id` first, then CreateFormFile's part."""
    boundary = os.urandom(30).hex()
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="id"\r\n\r\n{report_id}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def go_decode(response: httpx.Response, root: str) -> ET.Element:
    """Decode as the Go client does: the body first (whatever the status), root checked."""
    element = ET.fromstring(response.content)
    assert element.tag == root, f"Go: expected element type <{root}> but have <{element.tag}>"
    assert element.findtext("responseCode") is not None  # *ResponseCode is dereferenced
    return element


@pytest.mark.parametrize("batched", [False, True], ids=["report", "batched"])
def test_the_go_client_request_shapes_work_unchanged(hub: Hub, batched: bool) -> None:
    """Replays exactly what Boostport/ncmec-go's cybertipline.Client sends: Submit, Upload,
    FileInfo, Finish (its own test flow) and Retract, reading answers as it reads them."""
    name, secret = hub.esp
    basic = "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()
    base = hub.url + "/ispws"  # the client's Environment: the base URL up to /ispws

    def post(path: str, content_type: str, body: bytes) -> httpx.Response:
        headers = {"Authorization": basic, "Content-Type": content_type}
        return httpx.post(base + path, content=body, headers=headers, timeout=30)

    now = hub.clock()
    sub = go_decode(
        post("/submit", "text/xml; charset=utf-8", go_report(now, batched)), "reportResponse"
    )
    assert sub.findtext("responseCode") == "0"
    report_id = int(sub.findtext("reportId") or "")  # parsed as an int64
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(2000)
    file_ids = []
    for full in [True] if batched else [False, True]:
        content_type, body = go_multipart(report_id, "gopher.png", png)
        up = go_decode(post("/upload", content_type, body), "reportResponse")
        assert up.findtext("responseCode") == "0"
        file_id = up.findtext("fileId") or ""
        assert up.findtext("hash") == hashlib.md5(png).hexdigest()
        info = post(
            "/fileinfo", "text/xml; charset=utf-8", go_file_details(report_id, file_id, now, full)
        )
        assert go_decode(info, "reportResponse").findtext("responseCode") == "0", info.text
        file_ids.append(file_id)
    form = "application/x-www-form-urlencoded"
    done = go_decode(post("/finish", form, f"id={report_id}".encode()), "reportDoneResponse")
    assert done.findtext("responseCode") == "0"
    assert int(done.findtext("reportId") or "") == report_id
    assert sorted(f.text or "" for f in done.iterfind("files/fileId")) == sorted(file_ids)
    [payload] = report_changes(hub, report_id)
    assert payload["xml"] == go_report(now, batched).decode()
    # Retract, as in its TestRetractReport: submit, then retract
    sub = go_decode(
        post("/submit", "text/xml; charset=utf-8", go_report(now, batched)), "reportResponse"
    )
    retracted = go_decode(
        post("/retract", form, f"id={sub.findtext('reportId')}".encode()), "reportResponse"
    )
    assert retracted.findtext("responseCode") == "0"
    # and its error path: a non-zero code with a description it can print
    late = go_decode(post("/retract", form, f"id={report_id}".encode()), "reportResponse")
    assert late.findtext("responseCode") == "5102" and late.findtext("responseDescription")
    # wrong credentials: 401 with an empty body (the Go client reports the decode error)
    refused = httpx.post(base + "/submit", content=b"<report/>", auth=(name, "wrong"), timeout=30)
    assert refused.status_code == 401 and refused.content == b""


def test_change_payload_is_json_serialisable(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    envelope(esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse")
    [payload] = report_changes(hub, report_id)
    assert json.loads(json.dumps(payload)) == payload


def test_tipline_hub_serve_takes_a_report_end_to_end(tmp_path: Path) -> None:
    """The real `tipline hub serve` process, as an ESP would meet it."""
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    db = open_hub(url)
    with db.write() as conn:
        secret = create_account(conn, kind="esp", name="esp-e2e (demo)", now=0)
    served = ProcessHub(url, tmp_path / "evidence").start()
    try:
        with httpx.Client(
            base_url=served.url + "/ispws", auth=("esp-e2e (demo)", secret), timeout=30
        ) as esp:
            assert envelope(esp.get("/status"))["code"] == 0
            report_id = submit(esp, report_to_xml(simple_report(7)))
            file_id = upload(esp, report_id, b"end-to-end synthetic bytes")
            info = esp.post("/fileinfo", content=details(report_id, file_id), headers=XML)
            assert envelope(info)["code"] == 0
            done = envelope(esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse")
            assert done["files"] == [file_id]
    finally:
        served.stop()
    sha256 = hashlib.sha256(b"end-to-end synthetic bytes").hexdigest()
    stored = evidence_path(tmp_path / "evidence", sha256)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    with db.read() as conn:
        kinds = conn.execute(select(Change.__table__.c.kind)).scalars().all()
    assert "report" in kinds
    db.close()


async def test_an_upload_to_a_report_it_may_not_add_to_is_refused_before_the_file_streams(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another ESP's report, an unknown id, a finished report: refused as the file part begins,
    not after gigabytes have been written to the hub's disk and thrown away."""
    with hub.client() as esp:
        mine = submit(esp)
    with hub.client(hub.other_esp) as other:
        theirs = submit(other)
    app = create_app(hub.db, evidence_dir=hub.evidence)
    chunk, chunks = 1 << 20, 64
    consumed = 0

    def streamed(report_id: int) -> tuple[str, Any]:
        content_type, head = go_multipart(report_id, "big.bin", b"")
        head = head[: head.rindex(b"\r\n--")]  # the file part's headers, no data yet

        async def body() -> Any:
            nonlocal consumed
            yield head
            for _ in range(chunks):
                consumed += chunk
                yield b"\0" * chunk
            yield f"\r\n--{content_type.split('boundary=')[1]}--\r\n".encode()

        return content_type, body()

    transport = httpx.ASGITransport(app=app)
    base = "http://hub/ispws"
    async with httpx.AsyncClient(transport=transport, base_url=base, auth=hub.esp) as http:
        for report_id, code in ((theirs, 5001), (999_999, 5001)):
            consumed = 0
            content_type, body = streamed(report_id)
            length = str(chunk * chunks + 4096)
            headers = {"Content-Type": content_type, "Content-Length": length}
            got = envelope(await http.post("/upload", content=body, headers=headers))
            assert got["code"] == code, got
            assert consumed <= 2 * chunk, f"{consumed} bytes streamed before the refusal"
        # a quota the declared length would cross: 3300 before the bytes
        monkeypatch.setenv("TIPLINE_HUB_ESP_BYTES_PER_DAY", str(32 * chunk))
        consumed = 0
        content_type, body = streamed(mine)
        headers = {"Content-Type": content_type, "Content-Length": str(chunk * chunks + 4096)}
        got = envelope(await http.post("/upload", content=body, headers=headers))
        assert got["code"] == 3300, got
        assert consumed <= 2 * chunk
    incoming = hub.evidence / ".incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []
