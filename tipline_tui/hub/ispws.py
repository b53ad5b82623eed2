"""ESP intake: the CyberTipline Reporting API under /ispws, so ESP clients work unchanged.

Calls (HTTP Basic per ESP, XML in and out; see ../shared/spec/README.md):
status, xsd, submit, upload, fileinfo, finish, retract. Every answer is a
`<reportResponse>` (finish: `<reportDoneResponse>`) with HTTP 200, whatever
its code, because clients read the code from the body; the exceptions are
refused credentials (401, empty body, from the hub's `esp_account`), an
oversize body (413, code 4000) and the hub's own failures (500, code 1000).

Rules the API leaves to the receiver, kept here:
- an ESP sees and changes only its own reports: another's id is answered
  exactly as an id that does not exist (5001);
- a report's id is drawn at random (esp_report_id), so an ESP cannot read other
  ESPs' volume from the gaps between its own ids;
- every call commits on its own, so an error never undoes what was accepted
  before it (a refused fileinfo leaves the report and its files as they were);
- upload bytes are streamed to a private temp file while MD5, SHA-1 and
  SHA-256 are computed, then moved into the evidence directory under their
  SHA-256 (files 0600, directories 0700); they never enter the change feed;
- expiry (tipline_tui/hub/expiry.py) is checked on every access: an expired
  report answers 5001, as if it were gone;
- documents must be UTF-8 (the API's `charset=utf-8`): the hub keeps the bytes
  as received and the change feed carries them as UTF-8 text, so another
  encoding is refused (4110) rather than silently rewritten.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import Connection, bindparam, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from tipline_tui.domain.cybertip_xml import parse_file_details, parse_report
from tipline_tui.domain.wire import ID_MAX
from tipline_tui.hub.auth import esp_account, hub_of
from tipline_tui.hub.db import HubDB, append_change
from tipline_tui.hub.evidence import INCOMING
from tipline_tui.hub.evidence_store import DatabaseEvidence, EvidenceStore
from tipline_tui.hub.feed import report_payload_of
from tipline_tui.hub.ispws_common import (
    C,
    Refusal,
    claim_open_report,
    evidence_dir,
    evidence_store,
    file_table,
    form_id,
    in_write,
    log,
    moment,
    parse_document,
    read_body,
    refused,
    report_id_of,
    report_table,
    server_error,
    xml_response,
)
from tipline_tui.hub.ispws_limits import (
    admit_details,
    admit_report,
    admit_upload_early,
    check_report_bytes,
    spend_details_bytes,
)
from tipline_tui.hub.ispws_upload import Upload, receive, store_file
from tipline_tui.hub.ispws_xml import describe, report_done_response, report_response
from tipline_tui.hub.operator import ESP_ID_FLOOR  # ESP ids at and above it, imports below
from tipline_tui.hub.settings import HubSettings
from tipline_tui.hub.tables import Account, HubBlob, HubReport, table_of

__all__ = ["XSD_ENV", "router"]

XSD_ENV = "TIPLINE_HUB_XSD"  # path of the schema file GET /xsd serves; unset: 1210
ID_ATTEMPTS = 8

blob_table = table_of(HubBlob)

router = APIRouter(prefix="/ispws", tags=["ispws (CyberTipline Reporting API)"])

EspAccount = Annotated[Account, Depends(esp_account)]  # HTTP Basic; refused: 401, empty body


# ------------------------------------------------------------------ status, xsd


@router.get("/status", summary="Check credentials and connectivity")
def status(request: Request, account: EspAccount) -> Response:
    """Code 0 naming the remote user and IP, so an ESP can check its setup."""
    ip = request.client.host if request.client else "unknown"
    return xml_response(
        report_response(C.SUCCESS, f"Remote User : {account.name}, Remote IP : {ip}")
    )


@router.get("/xsd", summary="The report schema")
def xsd(account: EspAccount) -> Response:
    """The schema file named by TIPLINE_HUB_XSD; without one, 1210 saying so.

    The hub ships no copy of the published schema: an operator who wants ESPs
    to fetch it here points TIPLINE_HUB_XSD at their copy.
    """
    configured = str(HubSettings().xsd or "")
    if configured:
        try:
            return xml_response(Path(configured).read_bytes())
        except OSError:
            log.warning("ispws xsd: %s=%s cannot be read", XSD_ENV, configured)
    return xml_response(
        report_response(
            C.RESOURCE_NOT_FOUND,
            describe(
                C.RESOURCE_NOT_FOUND,
                "this hub serves no schema (its operator sets TIPLINE_HUB_XSD); "
                "use the published CyberTipline Reporting API schema",
            ),
        )
    )


# ------------------------------------------------------------------ submit


@router.post("/submit", summary="Open a report: one <report> document")
async def submit(request: Request, account: EspAccount) -> Response:
    """Parse the report and open it (state "open"), keeping its bytes exactly as received."""
    hub = hub_of(request)
    try:
        data = await read_body(request)
        check_report_bytes(len(data))
        report_id = await run_in_threadpool(_read_and_open, hub, account, data)
    except Refusal as refusal:
        return refused(refusal)
    except Exception:
        return refused(server_error("submit"))
    return xml_response(report_response(C.SUCCESS, report_id=report_id))


def _read_and_open(hub: HubDB, account: Account, data: bytes) -> int:
    """Parse, then open: one trip to a worker thread, not two (each costs the loop a hop)."""
    parse_document(data, parse_report, moment(hub))
    return _open_report(hub, account, data)


def _open_report(hub: HubDB, account: Account, data: bytes) -> int:
    """Open the report under a random id (esp_report_id): ids tell an ESP nothing of others."""
    for _attempt in range(ID_ATTEMPTS):
        report_id = esp_report_id()
        try:
            with hub.write() as conn:
                now = hub.now()
                row = HubReport(
                    id=report_id,
                    esp_account_id=account.id,
                    state="open",
                    opened_at=now,
                    changed_at=now,
                    xml=data,
                )
                values = row.model_dump()
                values["xml"] = data
                conn.execute(_INSERT_REPORT, values)
                admit_report(conn, account, len(data), now)  # after: it counts this one
                return report_id
        except IntegrityError:  # the id was taken (about one in a billion): draw again
            continue
    raise RuntimeError(f"no free report id in {ID_ATTEMPTS} draws")


def esp_report_id() -> int:
    """A report id drawn at random from the upper half of the INTEGER id column.

    One sequence across ESPs would let an ESP read others' volume from the gap
    between its own consecutive ids. A random id says nothing, yet stays the one
    id everything uses (analysts' sync, referrals, receipts). Operator imports keep
    the column's own sequence, which counts up from 1 and so stays in the lower half.
    """
    return ESP_ID_FLOOR + secrets.randbelow(ID_MAX - ESP_ID_FLOOR + 1)


# ------------------------------------------------------------------ upload


@router.post("/upload", summary="Add a file: multipart form with `id` and `file`")
async def upload(request: Request, account: EspAccount) -> Response:
    """Stream the file to disk while hashing it, then file it under the open report."""
    hub = hub_of(request)
    evidence = evidence_dir(request)
    declared = request.headers.get("content-length", "")
    report_id: int | None = None

    def before_file(fields: dict[str, str]) -> None:
        nonlocal report_id
        if "id" in fields:  # the form names its report first, as clients send it
            early_id = report_id = report_id_of(fields["id"])
            length = int(declared) if declared.isdigit() else None
            admit_upload_early(hub, account, early_id, length)

    up = Upload(evidence / INCOMING, before_file=before_file)
    store = evidence_store(request)

    def file_it() -> str:  # in the worker hop that read the form's last bytes
        nonlocal report_id
        report_id = report_id_of(up.fields.get("id"))
        if up.files == 0 or up.path is None:
            raise Refusal(C.INVALID_REQUEST, "the form has no 'file' part")
        if up.size == 0:
            raise Refusal(C.MALFORMED_FILE, "the file is empty")
        return store_file(hub, store, account, report_id, up)

    try:
        file_id = await receive(request, up, file_it)
    except Refusal as refusal:
        return refused(refusal, report_id)
    except Exception:
        return refused(server_error("upload"))
    finally:
        if not up.discarded:  # store_file discards it itself, in its own worker hop
            await run_in_threadpool(up.discard)
    return xml_response(
        report_response(
            C.SUCCESS, report_id=report_id, file_id=file_id, hash_md5=up.md5.hexdigest()
        )
    )


# ------------------------------------------------------------------ fileinfo


@router.post("/fileinfo", summary="Describe an uploaded file: one <fileDetails> document")
async def fileinfo(request: Request, account: EspAccount) -> Response:
    """Attach the file's details, once, to a file of the ESP's own open report."""
    hub = hub_of(request)
    try:
        data = await read_body(request)
        details = await run_in_threadpool(_read_and_attach, hub, account, data)
    except Refusal as refusal:
        return refused(refusal)
    except Exception:
        return refused(server_error("fileinfo"))
    return xml_response(
        report_response(C.SUCCESS, report_id=details.report_id, file_id=details.file_id)
    )


def _read_and_attach(hub: HubDB, account: Account, data: bytes) -> Any:
    """Parse, then attach, in one worker-thread hop; the parsed details."""
    details = parse_document(data, parse_file_details, moment(hub))
    _attach_details(hub, account, details, data)
    return details


def _attach_details(hub: HubDB, account: Account, details: Any, data: bytes) -> None:
    report_id = int(details.report_id)

    def work(conn: Connection, now: int) -> None:
        report = claim_open_report(conn, account, report_id, now, changed_at=now)
        admit_details(conn, account, report, details.file_id, len(data), now)
        conn.execute(_SET_DETAILS, {"_file": details.file_id, "details_xml": data})
        spend_details_bytes(conn, account, len(data), now)  # last: the meter's lock

    in_write(hub, work)


# ------------------------------------------------------------------ finish, retract


@router.post("/finish", summary="Finish a report: form field `id`")
async def finish(request: Request, account: EspAccount) -> Response:
    """Close the report to changes and hand it to analysts; the answer is the ESP's receipt."""
    hub = hub_of(request)
    report_id: int | None = None
    try:
        report_id = await form_id(request)
        store = evidence_store(request)
        file_ids = await run_in_threadpool(_finish, hub, store, account, report_id)
    except Refusal as refusal:  # echoing the id asked about tells the ESP nothing new
        return xml_response(report_done_response(refusal.code, report_id), refusal.status)
    except Exception:
        server_error("finish")
        return xml_response(report_done_response(C.SERVER_ERROR, report_id), 500)
    return xml_response(report_done_response(C.SUCCESS, report_id, file_ids))


def _finish(hub: HubDB, store: EvidenceStore, account: Account, report_id: int) -> list[str]:
    """Finish and announce the report: four statements, the announcement last (db.py)."""

    def work(conn: Connection, now: int) -> list[str]:
        report = claim_open_report(
            conn,
            account,
            report_id,
            now,
            report_table.c.xml,
            state="finished",
            finished_at=now,
            changed_at=now,
        )
        files = _files_with_bytes(conn, store, report_id)
        payload = report_payload_of(
            report_id, now, report.xml, [f.details_xml for f in files if f.details_xml is not None]
        )
        append_change(conn, "report", report_id, payload, now)  # never file bytes
        return [f.file_id for f in files]

    return in_write(hub, work)


def _files_with_bytes(conn: Connection, store: EvidenceStore, report_id: int) -> list[Any]:
    """The report's files in upload order; each must have its bytes where its row says (1100).

    On the database store the blob's completeness comes in the same query.
    """
    in_database = isinstance(store, DatabaseEvidence)
    rows = list(conn.execute(_FILES_OF[in_database], {"_report": report_id}))
    missing = set() if in_database else store.missing(conn, {row.sha256 for row in rows})
    for row in rows:
        if row.stored_in != store.where or not row.complete or row.sha256 in missing:
            raise Refusal(
                C.FILE_UPLOAD_FAILED,
                f"file {row.file_id}'s bytes are not in this hub's evidence store "
                f"({row.stored_in}); upload it again",
            )
    return rows


def _files_of(in_database: bool) -> Any:
    query = select(
        file_table.c.file_id,
        file_table.c.sha256,
        file_table.c.stored_in,
        file_table.c.details_xml,
        blob_table.c.complete if in_database else literal(True).label("complete"),
    ).where(file_table.c.report_id == bindparam("_report"))
    if in_database:
        query = query.select_from(
            file_table.outerjoin(blob_table, blob_table.c.sha256 == file_table.c.sha256)
        )
    return query.order_by(file_table.c.uploaded_at, file_table.c.file_id)


# built once (a statement made afresh costs SQLAlchemy its construction and cache key)
_FILES_OF = {flag: _files_of(flag) for flag in (True, False)}  # in the database store?
_INSERT_REPORT = insert(report_table)
_SET_DETAILS = update(file_table).where(file_table.c.file_id == bindparam("_file"))


@router.post("/retract", summary="Cancel an unfinished report: form field `id`")
async def retract(request: Request, account: EspAccount) -> Response:
    """Withdraw an unfinished report; it never reaches analysts (its data is kept)."""
    hub = hub_of(request)
    report_id: int | None = None
    try:
        report_id = await form_id(request)
        await run_in_threadpool(_retract, hub, account, report_id)
    except Refusal as refusal:
        return refused(refusal, report_id)
    except Exception:
        return refused(server_error("retract"))
    return xml_response(report_response(C.SUCCESS, report_id=report_id))


def _retract(hub: HubDB, account: Account, report_id: int) -> None:
    def work(conn: Connection, now: int) -> None:
        claim_open_report(conn, account, report_id, now, state="retracted", changed_at=now)

    in_write(hub, work)
