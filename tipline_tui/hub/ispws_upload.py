"""ESP uploads: a multipart form streamed to a private temp file while it is hashed, then
moved into the evidence store under its SHA-256. File bytes never enter the change feed.

A form that ends before its closing boundary is refused (4000): the bytes after the cut
never arrived, so the file would be a truncated copy filed as whole. What a crash can
leave behind (a `.part` temp file, a file moved in whose row never committed) is swept
when the hub starts (tipline_tui/hub/evidence.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import Connection, insert
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from tipline_tui.hub.db import HubDB
from tipline_tui.hub.evidence_store import EvidenceStore
from tipline_tui.hub.ispws_common import (
    C,
    Refusal,
    claim_open_report,
    file_table,
    in_write,
    log,
    too_big,
)
from tipline_tui.hub.ispws_limits import admit_file
from tipline_tui.hub.tables import Account

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

_INSERT_FILE = insert(file_table)  # built once; its values bound per call
T = TypeVar("T")
MAX_UPLOAD_BYTES = 4 * 1024**3  # one evidence file (plus its form) per upload
MAX_FIELD_BYTES = 1024  # a form field such as `id`
PARSE_BATCH_BYTES = 64 * 1024  # body bytes gathered before the parser (in a worker) reads them


@dataclass
class Upload:
    """One multipart upload as it streams in: small fields in memory, the file on disk."""

    incoming: Path
    # called with the fields read so far as the file part begins: may refuse the upload
    # before any of its bytes are stored (the report is not the ESP's, the quota is spent)
    before_file: Callable[[dict[str, str]], None] | None = None
    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    fd: int | None = None
    filename: str | None = None
    size: int = 0
    files: int = 0
    complete: bool = False  # the closing boundary was read
    discarded: bool = False  # the temp file is gone (or never was)
    md5: Any = field(default_factory=hashlib.md5)
    sha1: Any = field(default_factory=hashlib.sha1)
    sha256: Any = field(default_factory=hashlib.sha256)
    _name: bytes = b""
    _value: bytes = b""
    _disposition: bytes = b""
    _part: str | None = None
    _is_file: bool = False
    _data: bytearray = field(default_factory=bytearray)

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _end(self) -> None:
        self.complete = True

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
            if self.before_file is not None:
                self.before_file(self.fields)
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
        self.discarded = True


async def receive(request: Request, up: Upload, then: Callable[[], T]) -> T:
    """Feed the body through a streaming multipart parser into `up` (off the event loop),
    then call `then` in the worker hop that read the body's last bytes (one hop, not two)."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise Refusal(C.INVALID_REQUEST, "an upload is a multipart/form-data form")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise too_big(int(declared), MAX_UPLOAD_BYTES)
    received = 0
    pending = bytearray()  # small reads go to the parser together: one worker hop each batch
    try:
        parser = MultipartParser(boundary, up.callbacks())
        async for chunk in request.stream():
            received += len(chunk)
            if received > MAX_UPLOAD_BYTES:  # the parser itself would truncate silently
                raise too_big(None, MAX_UPLOAD_BYTES)
            pending += chunk
            if len(pending) >= PARSE_BATCH_BYTES:
                await run_in_threadpool(parser.write, bytes(pending))
                pending.clear()
        return await run_in_threadpool(_last_bytes, parser, bytes(pending), up, then)
    except FormParserError:
        raise Refusal(C.INVALID_REQUEST, "the multipart form is malformed") from None
    finally:
        up.close()


def _last_bytes(parser: MultipartParser, pending: bytes, up: Upload, then: Callable[[], T]) -> T:
    try:
        if pending:
            parser.write(pending)
        parser.finalize()
    except FormParserError:
        raise Refusal(C.INVALID_REQUEST, "the multipart form is malformed") from None
    if not up.complete:  # the parser itself accepts a cut-off form as it stands
        raise Refusal(C.INVALID_REQUEST, "the form ends before its closing boundary")
    up.close()
    return then()


def store_file(
    hub: HubDB, store: EvidenceStore, account: Account, report_id: int, up: Upload
) -> str:
    """Check the report, put the bytes in the evidence store, record the file.

    A directory takes the bytes inside the recording transaction (a rename; a crash
    between the two leaves an orphan the start-up sweep removes). The database takes
    them before it, outside the write lock: a row never names bytes not yet stored.
    """
    assert up.path is not None
    temp, sha256 = up.path, up.sha256.hexdigest()
    inside = store.where == "directory"

    def work(conn: Connection, now: int) -> str:
        claim_open_report(conn, account, report_id, now, changed_at=now)  # uploads take turns
        if inside:
            store.put(sha256, temp)
        file_id = secrets.token_hex(16)
        conn.execute(
            _INSERT_FILE,
            {
                "file_id": file_id,
                "report_id": report_id,
                "size": up.size,
                "md5": up.md5.hexdigest(),
                "sha1": up.sha1.hexdigest(),
                "sha256": sha256,
                "original_name": up.filename,
                "details_xml": None,
                "uploaded_at": now,
                "stored_in": store.where,
            },
        )
        admit_file(conn, account, report_id, up.size, now)  # a refusal undoes the row
        return file_id

    try:
        if not inside:
            store.put(sha256, temp)
        return in_write(hub, work)
    except Refusal:
        raise
    except (OSError, SQLAlchemyError):
        log.exception("ispws upload: the evidence store could not take a file")
        raise Refusal(C.FILE_UPLOAD_FAILED, "the hub could not store the file") from None
    finally:
        up.discard()  # here, in this worker thread, saves the caller another hop
