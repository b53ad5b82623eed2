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

import contextlib
import hashlib
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import Connection, Row, insert, select, update
from starlette.concurrency import run_in_threadpool

from tipline_tui.domain.cybertip_xml import (
    INTERNAL_ERROR,
    MAX_DOCUMENT_BYTES,
    ReportParseError,
    parse_file_details,
    parse_report,
)
from tipline_tui.domain.xml_reader import Refused, read
from tipline_tui.hub.auth import esp_account, hub_of
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.expiry import is_expired
from tipline_tui.hub.feed import publish_report
from tipline_tui.hub.ispws_xml import (
    CONTENT_TYPE,
    ResponseCode,
    describe,
    is_utf8,
    report_done_response,
    report_response,
)
from tipline_tui.hub.settings import HubSettings
from tipline_tui.hub.tables import Account, HubFile, HubReport

__all__ = ["MAX_UPLOAD_BYTES", "XSD_ENV", "router"]

log = logging.getLogger(__name__)

XSD_ENV = "TIPLINE_HUB_XSD"  # path of the schema file GET /xsd serves; unset: 1210
MAX_UPLOAD_BYTES = 4 * 1024**3  # one evidence file (plus its form) per upload
MAX_FIELD_BYTES = 1024  # a form field such as `id`
MAX_FORM_BYTES = 64 * 1024  # the whole body of finish and retract
MAX_LISTED = 20  # validation problems told in one responseDescription
_MAX_ID = 2**63 - 1  # reportId is an xs:long
_report = HubReport.__table__
_file = HubFile.__table__

router = APIRouter(prefix="/ispws", tags=["ispws (CyberTipline Reporting API)"])

C = ResponseCode
EspAccount = Annotated[Account, Depends(esp_account)]  # HTTP Basic; refused: 401, empty body


class Refusal(Exception):
    """A call answered with a non-zero code: raised anywhere, turned into the envelope once."""

    def __init__(self, code: ResponseCode, detail: str | None = None, status: int = 200) -> None:
        super().__init__(describe(code, detail))
        self.code = code
        self.detail = detail
        self.status = 500 if 1000 <= code < 2000 else status


def _xml(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(content=body, status_code=status, media_type=CONTENT_TYPE, headers=headers)


def _refused(refusal: Refusal, report_id: int | None = None) -> Response:
    """The envelope for a refusal; `report_id` is echoed unless the report "does not exist"."""
    if refusal.code == C.REPORT_DOES_NOT_EXIST:
        report_id = None
    body = report_response(
        refusal.code, describe(refusal.code, refusal.detail), report_id=report_id
    )
    headers = {"Connection": "close"} if refusal.status == 413 else None
    return _xml(body, refusal.status, headers)


def _too_big(size: int | None, limit: int) -> Refusal:
    """4000 with HTTP 413: the body passes the limit (the rest of it is not read)."""
    told = f"is {size:,} bytes" if size is not None else "passes it"
    return Refusal(C.INVALID_REQUEST, f"the limit is {limit:,} bytes and the body {told}", 413)


def _server_error(where: str) -> Refusal:
    log.exception("ispws %s failed", where)  # the traceback, never the request's body
    return Refusal(C.SERVER_ERROR, "the hub could not complete this call; try again")


def _evidence_dir(request: Request) -> Path:
    return Path(request.app.state.evidence_dir)


def _moment(hub: HubDB) -> datetime:
    return datetime.fromtimestamp(hub.now(), UTC)


# ------------------------------------------------------------------ reading requests


async def _body(request: Request, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The request body, refused (4000) as soon as it is known to pass `limit`.

    A declared Content-Length over the limit is refused before a byte is read;
    a chunked body is read only to one byte past it.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_big(int(declared), limit)
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise _too_big(None, limit)
    return bytes(buf)


def _report_id(value: str | None) -> int:
    """A report id from a form field: a positive xs:long, else 4000."""
    if value is None or not value.strip():
        raise Refusal(C.INVALID_REQUEST, "the form field 'id' (the report id) is missing")
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= _MAX_ID:
        raise Refusal(C.INVALID_REQUEST, "'id' must be a report id (a positive integer)")
    return int(text)


async def _form_id(request: Request) -> int:
    """`id` from a urlencoded or multipart form (as clients send it), or the query string.

    The body is read to at most MAX_FORM_BYTES first: a form holds one short field.
    """
    data = await _body(request, MAX_FORM_BYTES)

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": data, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=0, max_fields=20)
    except Exception:  # starlette raises its own parse errors; any of them is a bad request
        raise Refusal(C.INVALID_REQUEST, "the body is not a form") from None
    value = form.get("id")
    if value is None:
        value = request.query_params.get("id")
    if value is not None and not isinstance(value, str):
        raise Refusal(C.INVALID_REQUEST, "'id' must be a form field, not a file")
    return _report_id(value)


def _problems(exc: ReportParseError) -> str:
    shown = [str(p) for p in exc.problems[:MAX_LISTED]]
    if len(exc.problems) > MAX_LISTED:
        shown.append(f"{len(exc.problems) - MAX_LISTED} more")
    return "; ".join(shown)


def _parse(data: bytes, parse: Callable[..., Any], now: datetime) -> Any:
    """A parsed document, or the refusal the API defines for why it was not.

    Bytes the safe reader will not read (not well-formed, a DOCTYPE and so any
    entity bomb, an encoding that does not match, too deep) are 4110; a
    well-formed document the schema rules refuse is 4100 with every problem;
    a good document in an encoding other than UTF-8 is 4110 too. A parser bug
    is the hub's fault, not the ESP's: 1000.
    """
    try:
        parsed = parse(data, now=now)
    except ReportParseError as exc:
        if any(p.message.startswith(INTERNAL_ERROR) for p in exc.problems):
            log.error("ispws: the parser failed on a document (%s)", exc.problems[0].message)
            raise Refusal(C.SERVER_ERROR, "the hub failed to read this document") from None
        try:
            read(data)  # only on failure: tells unreadable bytes from an invalid document
        except Refused:
            raise Refusal(C.MALFORMED_XML, _problems(exc)) from None
        raise Refusal(C.VALIDATION_FAILED, _problems(exc)) from None
    if not is_utf8(data):
        raise Refusal(C.MALFORMED_XML, "the document must be in UTF-8 (text/xml; charset=utf-8)")
    return parsed


# ------------------------------------------------------------------ reports


def _own_open_report(conn: Connection, account: Account, report_id: int, now: int) -> Row[Any]:
    """The ESP's own report, open and unexpired; else the code that says why not.

    Another ESP's report, an unknown id and an expired report all answer 5001, so
    an ESP learns nothing about ids that are not its own. Reaching an expired
    report marks it expired (the caller's transaction commits that).
    """
    row = conn.execute(select(_report).where(_report.c.id == report_id)).first()
    if row is None or row.esp_account_id != account.id:
        raise Refusal(C.REPORT_DOES_NOT_EXIST, f"no report {report_id}")
    if row.state == "open" and is_expired(row.opened_at, row.changed_at, now):
        conn.execute(update(_report).where(_report.c.id == report_id).values(state="expired"))
        raise _ExpiredNow(report_id)
    if row.state == "retracted":
        raise Refusal(C.REPORT_ALREADY_RETRACTED, f"report {report_id} was retracted")
    if row.state == "finished":
        raise Refusal(C.REPORT_ALREADY_FINISHED, f"report {report_id} is finished")
    if row.state != "open":
        raise Refusal(C.REPORT_DOES_NOT_EXIST, f"no report {report_id}")
    return row


class _ExpiredNow(Exception):
    """Leaves the transaction normally (so "expired" is committed), then answers 5001."""

    def __init__(self, report_id: int) -> None:
        super().__init__(report_id)
        self.report_id = report_id


def _in_write(hub: HubDB, work: Callable[[Connection, int], Any]) -> Any:
    """Run `work(conn, now)` in one write transaction; a Refusal rolls it back.

    A report found expired is the exception: its new state is committed first,
    then the call is refused as if the report did not exist.
    """
    expired: _ExpiredNow | None = None
    with hub.write() as conn:
        try:
            return work(conn, hub.now())
        except _ExpiredNow as exc:
            expired = exc  # leaving the block normally commits the new state
    raise Refusal(C.REPORT_DOES_NOT_EXIST, f"no report {expired.report_id} (it expired)")


def _touch(conn: Connection, report_id: int, now: int) -> None:
    conn.execute(update(_report).where(_report.c.id == report_id).values(changed_at=now))


# ------------------------------------------------------------------ status, xsd


@router.get("/status", summary="Check credentials and connectivity")
def status(request: Request, account: EspAccount) -> Response:
    """Code 0 naming the remote user and IP, so an ESP can check its setup."""
    ip = request.client.host if request.client else "unknown"
    return _xml(report_response(C.SUCCESS, f"Remote User : {account.name}, Remote IP : {ip}"))


@router.get("/xsd", summary="The report schema")
def xsd(account: EspAccount) -> Response:
    """The schema file named by TIPLINE_HUB_XSD; without one, 1210 saying so.

    The hub ships no copy of the published schema: an operator who wants ESPs
    to fetch it here points TIPLINE_HUB_XSD at their copy.
    """
    configured = str(HubSettings().xsd or "")
    if configured:
        try:
            return _xml(Path(configured).read_bytes())
        except OSError:
            log.warning("ispws xsd: %s=%s cannot be read", XSD_ENV, configured)
    return _xml(
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
        data = await _body(request)
        await run_in_threadpool(_parse, data, parse_report, _moment(hub))
        report_id = await run_in_threadpool(_open_report, hub, account, data)
    except Refusal as refusal:
        return _refused(refusal)
    except Exception:
        return _refused(_server_error("submit"))
    return _xml(report_response(C.SUCCESS, report_id=report_id))


def _open_report(hub: HubDB, account: Account, data: bytes) -> int:
    with hub.write() as conn:
        now = hub.now()
        row = HubReport(
            esp_account_id=account.id, state="open", opened_at=now, changed_at=now, xml=data
        )
        values = row.model_dump(exclude={"id"})
        values["xml"] = data
        result = conn.execute(insert(_report).values(**values))
        return int(result.inserted_primary_key[0])


# ------------------------------------------------------------------ upload


@dataclass
class _Upload:
    """One multipart upload as it streams in: small fields in memory, the file on disk."""

    incoming: Path
    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    fd: int | None = None
    filename: str | None = None
    size: int = 0
    files: int = 0
    md5: Any = field(default_factory=hashlib.md5)
    sha1: Any = field(default_factory=hashlib.sha1)
    sha256: Any = field(default_factory=hashlib.sha256)
    _name: bytes = b""
    _value: bytes = b""
    _disposition: bytes = b""
    _part: str | None = None
    _is_file: bool = False
    _data: bytearray = field(default_factory=bytearray)

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _begin(self) -> None:
        self._disposition, self._part, self._is_file = b"", None, False
        self._data = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._name.lower() == b"content-disposition":
            self._disposition = self._value
        self._name, self._value = b"", b""

    def _headers_finished(self) -> None:
        _kind, options = parse_options_header(self._disposition)
        self._part = options.get(b"name", b"").decode("utf-8", "replace")
        self._is_file = self._part == "file"
        if self._is_file:
            self.files += 1
            if self.files > 1:
                raise Refusal(C.INVALID_REQUEST, "one file per upload")
            raw = options.get(b"filename")
            self.filename = raw.decode("utf-8", "replace") if raw is not None else None
            self.incoming.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.path = self.incoming / f"{secrets.token_hex(16)}.part"
            self.fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._is_file:
            assert self.fd is not None
            self.size += len(chunk)
            self.md5.update(chunk)
            self.sha1.update(chunk)
            self.sha256.update(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(self.fd, view) :]
        else:
            self._data += chunk
            if len(self._data) > MAX_FIELD_BYTES:
                raise Refusal(C.INVALID_REQUEST, f"the form field {self._part!r} is too long")

    def _part_end(self) -> None:
        if self._is_file:
            self.close()
        elif self._part and self._part not in self.fields:
            self.fields[self._part] = self._data.decode("utf-8", "replace")

    def close(self) -> None:
        if self.fd is not None:
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None

    def discard(self) -> None:
        """Remove the temp file (after a refusal, or once it has been moved)."""
        self.close()
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


@router.post("/upload", summary="Add a file: multipart form with `id` and `file`")
async def upload(request: Request, account: EspAccount) -> Response:
    """Stream the file to disk while hashing it, then file it under the open report."""
    hub = hub_of(request)
    evidence = _evidence_dir(request)
    up = _Upload(evidence / ".incoming")
    report_id: int | None = None
    try:
        await _receive(request, up)
        report_id = _report_id(up.fields.get("id"))
        if up.files == 0 or up.path is None:
            raise Refusal(C.INVALID_REQUEST, "the form has no 'file' part")
        if up.size == 0:
            raise Refusal(C.MALFORMED_FILE, "the file is empty")
        file_id = await run_in_threadpool(_store_file, hub, evidence, account, report_id, up)
    except Refusal as refusal:
        return _refused(refusal, report_id)
    except Exception:
        return _refused(_server_error("upload"))
    finally:
        await run_in_threadpool(up.discard)
    return _xml(
        report_response(
            C.SUCCESS, report_id=report_id, file_id=file_id, hash_md5=up.md5.hexdigest()
        )
    )


async def _receive(request: Request, up: _Upload) -> None:
    """Feed the body through a streaming multipart parser into `up` (off the event loop)."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise Refusal(C.INVALID_REQUEST, "an upload is a multipart/form-data form")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _too_big(int(declared), MAX_UPLOAD_BYTES)
    received = 0
    try:
        parser = MultipartParser(boundary, up.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            received += len(chunk)
            if received > MAX_UPLOAD_BYTES:  # the parser itself would truncate silently
                raise _too_big(None, MAX_UPLOAD_BYTES)
            if chunk:
                await run_in_threadpool(parser.write, chunk)
        parser.finalize()
    except FormParserError:
        raise Refusal(C.INVALID_REQUEST, "the multipart form is malformed") from None
    finally:
        up.close()


def _store_file(hub: HubDB, evidence: Path, account: Account, report_id: int, up: _Upload) -> str:
    """Check the report, move the bytes into the evidence store, record the file."""
    assert up.path is not None
    sha256 = up.sha256.hexdigest()

    def work(conn: Connection, now: int) -> str:
        _own_open_report(conn, account, report_id, now)
        _file_away(evidence, up.path, sha256)  # type: ignore[arg-type]
        file_id = secrets.token_hex(16)
        conn.execute(
            insert(_file).values(
                file_id=file_id,
                report_id=report_id,
                size=up.size,
                md5=up.md5.hexdigest(),
                sha1=up.sha1.hexdigest(),
                sha256=sha256,
                original_name=up.filename,
                details_xml=None,
                uploaded_at=now,
            )
        )
        _touch(conn, report_id, now)
        return file_id

    try:
        return _in_write(hub, work)  # type: ignore[no-any-return]
    except Refusal:
        raise
    except OSError:
        log.exception("ispws upload: the evidence store could not take a file")
        raise Refusal(C.FILE_UPLOAD_FAILED, "the hub could not store the file") from None


def evidence_path(evidence: Path, sha256: str) -> Path:
    """Where bytes with this SHA-256 live: `<dir>/<first two hex>/<sha256>`."""
    return evidence / sha256[:2] / sha256


def _file_away(evidence: Path, temp: Path, sha256: str) -> None:
    """Move the temp file to its content address (0600 in 0700 directories).

    The same bytes uploaded twice are kept once; the second temp file is dropped.
    """
    target = evidence_path(evidence, sha256)
    for directory in (evidence, target.parent):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
    if target.exists():
        temp.unlink()
        return
    os.chmod(temp, 0o600)
    os.replace(temp, target)


# ------------------------------------------------------------------ fileinfo


@router.post("/fileinfo", summary="Describe an uploaded file: one <fileDetails> document")
async def fileinfo(request: Request, account: EspAccount) -> Response:
    """Attach the file's details, once, to a file of the ESP's own open report."""
    hub = hub_of(request)
    try:
        data = await _body(request)
        details = await run_in_threadpool(_parse, data, parse_file_details, _moment(hub))
        await run_in_threadpool(_attach_details, hub, account, details, data)
    except Refusal as refusal:
        return _refused(refusal)
    except Exception:
        return _refused(_server_error("fileinfo"))
    return _xml(report_response(C.SUCCESS, report_id=details.report_id, file_id=details.file_id))


def _attach_details(hub: HubDB, account: Account, details: Any, data: bytes) -> None:
    report_id = int(details.report_id)

    def work(conn: Connection, now: int) -> None:
        _own_open_report(conn, account, report_id, now)
        row = conn.execute(
            select(_file.c.details_xml).where(
                _file.c.file_id == details.file_id, _file.c.report_id == report_id
            )
        ).first()
        if row is None:
            raise Refusal(C.FILE_DOES_NOT_EXIST, f"no file {details.file_id} in report {report_id}")
        if row.details_xml is not None:
            raise Refusal(C.INVALID_REQUEST, f"file {details.file_id} already has its details")
        conn.execute(
            update(_file).where(_file.c.file_id == details.file_id).values(details_xml=data)
        )
        _touch(conn, report_id, now)

    _in_write(hub, work)


# ------------------------------------------------------------------ finish, retract


@router.post("/finish", summary="Finish a report: form field `id`")
async def finish(request: Request, account: EspAccount) -> Response:
    """Close the report to changes and hand it to analysts; the answer is the ESP's receipt."""
    hub = hub_of(request)
    report_id: int | None = None
    try:
        report_id = await _form_id(request)
        file_ids = await run_in_threadpool(_finish, hub, account, report_id)
    except Refusal as refusal:
        known = report_id if refusal.code != C.REPORT_DOES_NOT_EXIST else None
        return _xml(report_done_response(refusal.code, known), refusal.status)
    except Exception:
        _server_error("finish")
        return _xml(report_done_response(C.SERVER_ERROR, report_id), 500)
    return _xml(report_done_response(C.SUCCESS, report_id, file_ids))


def _finish(hub: HubDB, account: Account, report_id: int) -> list[str]:
    def work(conn: Connection, now: int) -> list[str]:
        _own_open_report(conn, account, report_id, now)
        conn.execute(
            update(_report)
            .where(_report.c.id == report_id)
            .values(state="finished", finished_at=now, changed_at=now)
        )
        publish_report(conn, report_id, now)  # the XML and fileDetails; never file bytes
        return list(
            conn.execute(
                select(_file.c.file_id)
                .where(_file.c.report_id == report_id)
                .order_by(_file.c.uploaded_at, _file.c.file_id)
            ).scalars()
        )

    return _in_write(hub, work)  # type: ignore[no-any-return]


@router.post("/retract", summary="Cancel an unfinished report: form field `id`")
async def retract(request: Request, account: EspAccount) -> Response:
    """Withdraw an unfinished report; it never reaches analysts (its data is kept)."""
    hub = hub_of(request)
    report_id: int | None = None
    try:
        report_id = await _form_id(request)
        await run_in_threadpool(_retract, hub, account, report_id)
    except Refusal as refusal:
        return _refused(refusal, report_id)
    except Exception:
        return _refused(_server_error("retract"))
    return _xml(report_response(C.SUCCESS, report_id=report_id))


def _retract(hub: HubDB, account: Account, report_id: int) -> None:
    def work(conn: Connection, now: int) -> None:
        _own_open_report(conn, account, report_id, now)
        conn.execute(
            update(_report)
            .where(_report.c.id == report_id)
            .values(state="retracted", changed_at=now)
        )

    _in_write(hub, work)
