"""The README's "Limits" against a real hub: each just under (taken) and just over (refused,
naming the limit, with what was accepted before kept and the report still finishing).

Reuses test_ispws's module hub (SQLite and PostgreSQL) and helpers; synthetic data only.
"""

from __future__ import annotations

import hashlib
import secrets

import httpx
import pytest
from sqlalchemy import insert, select

from tests import test_hub as hubtests
from tests import test_ispws as ispws
from tests.factories import BASE_TIME, simple_report
from tests.test_ispws import XML, Hub, details, envelope, file_rows, report_changes, submit, upload
from tipline_tui.domain import limits
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.domain.report import FileMetadataGroup, NameValue
from tipline_tui.hub import agency_api
from tipline_tui.hub.changes import changes_page
from tipline_tui.hub.db import ChangeTooLarge, append_change
from tipline_tui.hub.evidence_store import evidence_store_for
from tipline_tui.hub.ispws_xml import ResponseCode as C
from tipline_tui.hub.operator import ImportRefused, import_reports
from tipline_tui.hub.tables import EspUsage, HubFile, HubReport, table_of

DAY = 86_400
# test_ispws's fixtures: one real hub per backend for this module too
hub_server, postgres, hub, esp = ispws.hub_server, ispws.postgres, ispws.hub, ispws.esp
world, hub_url = hubtests.world, hubtests.hub_url  # test_hub's: a hub with agencies


def _details_with(report_id: int, file_id: str, *values: str) -> bytes:
    pairs = [NameValue(f"n{i:03d}", v) for i, v in enumerate(values)]
    return details(report_id, file_id, details=[FileMetadataGroup("EXIF", pairs)])


def _details_of_size(report_id: int, file_id: str, size: int) -> bytes:
    """A fileDetails document of exactly `size` bytes (ASCII padding in 60,000-char values)."""
    base = len(_details_with(report_id, file_id, ""))
    per_pair = len(_details_with(report_id, file_id, "", "")) - base
    pad, values = size - base, [""]
    while pad > 0:
        take = min(pad, 60_000)
        values[-1] += "x" * take
        pad -= take
        if pad > 0:
            values.append("")
            pad -= per_pair
    data = _details_with(report_id, file_id, *values)
    assert len(data) == size, (len(data), size)
    return data


def _padded(size: int) -> bytes:
    """A valid report document of exactly `size` bytes (a comment pads it)."""
    plain = report_to_xml(simple_report(1))
    end = plain.rindex(b"</report>")
    return plain[:end] + b"<!--" + b"x" * (size - len(plain) - 7) + b"-->" + plain[end:]


def _fileinfo(esp: httpx.Client, data: bytes) -> dict[str, object]:
    return envelope(esp.post("/fileinfo", content=data, headers=XML))


def _finish(esp: httpx.Client, report_id: int) -> list[str]:
    """Finish the report; the file ids its receipt lists."""
    got = envelope(esp.post("/finish", data={"id": str(report_id)}), "reportDoneResponse")
    assert got["code"] == 0, got
    files = got["files"]
    assert isinstance(files, list)
    return [str(f) for f in files]


def _add_file_rows(hub: Hub, report_id: int, n: int, details_xml: bytes | None = None) -> None:
    """`n` files recorded straight in the database: reaching a count limit quickly.

    Their bytes (one zero byte, the same for all) are put in the hub's evidence store as
    an upload would, so finish finds every file's bytes where its row says they are.
    """
    store = evidence_store_for(hub.db, hub.evidence)
    byte = hub.evidence / f"one-byte-{secrets.token_hex(4)}"
    hub.evidence.mkdir(parents=True, exist_ok=True)
    byte.write_bytes(b"\0")
    sha256 = hashlib.sha256(b"\0").hexdigest()
    store.put(sha256, byte)
    rows = [
        {
            "file_id": secrets.token_hex(16),
            "report_id": report_id,
            "size": 1,
            "md5": hashlib.md5(b"\0").hexdigest(),
            "sha1": hashlib.sha1(b"\0").hexdigest(),
            "sha256": sha256,
            "details_xml": details_xml,
            "uploaded_at": BASE_TIME,
            "stored_in": store.where,
        }
        for _ in range(n)
    ]
    with hub.db.write() as conn:
        conn.execute(insert(table_of(HubFile)), rows)


def test_the_limits_keep_a_report_inside_one_feed_change() -> None:
    worst = limits.REPORT_BYTES.value * limits.JSON_WORST_GROWTH
    assert worst < limits.CHANGE_BYTES.value
    assert limits.PAGE_BYTES.value <= limits.CHANGE_BYTES.value
    assert limits.FILE_DETAILS_PER_REPORT.value <= limits.FILES_PER_REPORT.value


def test_a_text_node_at_the_limit_is_taken_one_over_is_refused(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    first, second = upload(esp, report_id, b"one"), upload(esp, report_id, b"two")
    at_limit = "x" * limits.TEXT_CHARS.value
    assert _fileinfo(esp, _details_with(report_id, first, at_limit))["code"] == 0
    got = _fileinfo(esp, _details_with(report_id, second, at_limit + "x"))
    assert got["code"] == C.VALIDATION_FAILED == 4100
    assert "limit 'text node' is 65,536 characters" in str(got["responseDescription"])
    assert set(_finish(esp, report_id)) == {first, second}
    (payload,) = report_changes(hub, report_id)
    assert payload["files"] == [_details_with(report_id, first, at_limit).decode()]


def test_a_report_document_over_the_report_bytes_is_refused(esp: httpx.Client) -> None:
    limit = limits.REPORT_BYTES.value
    report_id = submit(esp, _padded(limit))
    _finish(esp, report_id)
    got = envelope(esp.post("/submit", content=_padded(limit + 1), headers=XML))
    assert got["code"] == C.INVALID_REQUEST == 4000
    assert "limit 'report bytes' is 1,048,576 bytes" in str(got["responseDescription"])


def test_file_details_past_the_report_bytes_are_refused_and_the_report_finishes(
    esp: httpx.Client, hub: Hub
) -> None:
    report_id = submit(esp)
    first, second = upload(esp, report_id, b"one"), upload(esp, report_id, b"two")
    room = limits.REPORT_BYTES.value - len(report_to_xml(simple_report(1)))
    just_fits = _details_of_size(report_id, first, room)
    assert _fileinfo(esp, just_fits)["code"] == 0
    got = _fileinfo(esp, details(report_id, second))
    assert got["code"] == C.INVALID_REQUEST
    assert "limit 'report bytes' is 1,048,576 bytes" in str(got["responseDescription"])
    assert set(_finish(esp, report_id)) == {first, second}
    (payload,) = report_changes(hub, report_id)
    assert payload["files"] == [just_fits.decode()]


def test_files_per_report_at_the_limit_then_refused(esp: httpx.Client, hub: Hub) -> None:
    report_id = submit(esp)
    _add_file_rows(hub, report_id, limits.FILES_PER_REPORT.value - 1)
    last = upload(esp, report_id, b"the last one")
    got = envelope(esp.post("/upload", data={"id": str(report_id)}, files={"file": ("b", b"x")}))
    assert got["code"] == C.INVALID_REQUEST
    assert "limit 'files per report' is 1,000 files" in str(got["responseDescription"])
    assert len(file_rows(hub, report_id)) == limits.FILES_PER_REPORT.value
    assert last in _finish(esp, report_id)


def test_file_details_per_report_are_counted(esp: httpx.Client, hub: Hub) -> None:
    """fileDetails cannot outnumber files through the API; the count is checked all the same."""
    report_id = submit(esp)
    _add_file_rows(hub, report_id, limits.FILE_DETAILS_PER_REPORT.value, b"<fileDetails/>")
    _add_file_rows(hub, report_id, 1)  # one file past the files limit, put there directly
    extra = next(f.file_id for f in file_rows(hub, report_id) if f.details_xml is None)
    got = _fileinfo(esp, details(report_id, extra))
    assert got["code"] == C.INVALID_REQUEST
    assert "limit 'fileDetails per report' is 1,000" in str(got["responseDescription"])


def test_no_feed_change_passes_the_change_bytes(hub: Hub) -> None:
    with pytest.raises(ChangeTooLarge, match="limit 'feed change bytes'"), hub.db.write() as conn:
        append_change(conn, "note", 1, {"body": "x" * limits.CHANGE_BYTES.value}, BASE_TIME)


def test_a_page_of_large_changes_is_cut_by_bytes(hub: Hub) -> None:
    with hub.db.read() as conn:
        since = changes_page(conn, 0, 1_000_000)["next"]
    big = {"body": "x" * (limits.PAGE_BYTES.value * 4 // 10)}  # two fit in a page, not three
    with hub.db.write() as conn:
        seqs = [append_change(conn, "note", 1, big, BASE_TIME) for _ in range(3)]
    with hub.db.read() as conn:
        page = changes_page(conn, since, 500)
        assert [c["seq"] for c in page["changes"]] == seqs[:2] and page["more"]
        page = changes_page(conn, page["next"], 500)
        assert [c["seq"] for c in page["changes"]] == seqs[2:] and not page["more"]
        alone = changes_page(conn, since, 500, budget=10)  # always at least one change
        assert [c["seq"] for c in alone["changes"]] == seqs[:1] and alone["more"]


def _open_reports(hub: Hub) -> int:
    table = table_of(HubReport)
    with hub.db.read() as conn:
        return len(conn.execute(select(table.c.id).where(table.c.state == "open")).all())


def test_open_reports_quota(esp: httpx.Client, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    held = _open_reports(hub)  # both demo ESPs: only esp-a opens reports in this module
    monkeypatch.setenv("TIPLINE_HUB_ESP_OPEN_REPORTS", str(held + 1))
    last = submit(esp)
    got = envelope(esp.post("/submit", content=report_to_xml(simple_report(1)), headers=XML))
    assert got["code"] == C.NOT_AUTHORISED_TO_SUBMIT == 3100
    assert "limit 'open reports per ESP'" in str(got["responseDescription"])
    _finish(esp, last)
    _finish(esp, submit(esp))  # a finished report frees its place


def test_bytes_per_day_quota(esp: httpx.Client, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    report_id = submit(esp)
    usage = table_of(EspUsage)
    with hub.db.read() as conn:
        sent = conn.execute(select(usage.c.sent).where(usage.c.day == BASE_TIME // DAY)).scalar()
    monkeypatch.setenv("TIPLINE_HUB_ESP_BYTES_PER_DAY", str(int(sent or 0) + 4))
    kept = upload(esp, report_id, b"four")
    got = envelope(esp.post("/upload", data={"id": str(report_id)}, files={"file": ("b", b"x")}))
    assert got["code"] == C.NOT_AUTHORISED_TO_UPDATE == 3300
    assert "limit 'bytes per ESP per day'" in str(got["responseDescription"])
    assert _finish(esp, report_id) == [kept]
    hub.clock.t = BASE_TIME + DAY  # a new UTC day, a fresh quota
    submit(esp)


def test_an_agency_page_is_cut_by_bytes(
    world: hubtests.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agency listing embeds each report's documents: bounded as feed pages are."""
    for tip in world.reports[:3]:
        sent = world.push("ana", hubtests.action("dispatch", tip, 1, agency_id=1, agency="ICAC"))
        assert sent[0]["outcome"] == "applied", sent
    monkeypatch.setattr(agency_api, "PAGE_BYTES", limits.Limit("feed page bytes", 1, "bytes"))
    url, auth = f"{world.url}/v1/agency/referrals", world.auth("agency-1")
    seen: list[int] = []
    page = {"next": 0, "more": True}
    while page["more"]:
        page = httpx.get(url, params={"since": page["next"]}, headers=auth).json()
        assert len(page["referrals"]) == 1  # one over the budget still comes, alone
        seen.append(page["referrals"][0]["report_id"])
    assert seen == world.reports[:3]


def test_an_operator_import_keeps_the_report_bytes_limit(hub: Hub) -> None:
    big = _padded(limits.REPORT_BYTES.value + 1)
    with pytest.raises(ImportRefused, match="document 2: limit 'report bytes'"):
        import_reports(hub.db, [report_to_xml(simple_report(1)), big])
