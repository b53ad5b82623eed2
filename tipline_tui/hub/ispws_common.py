"""What every ESP intake call shares: refusals and their envelope, reading requests, reports.

A call answers with a `Refusal` raised anywhere below it; `refused` turns it into the
`<reportResponse>` envelope once. `in_write` runs a call's work in one transaction and
`own_open_report` is the one check of which report an ESP may touch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Connection, Row, bindparam, func, or_, select, update

from tipline_tui.domain.cybertip_xml import INTERNAL_ERROR, MAX_DOCUMENT_BYTES, ReportParseError
from tipline_tui.domain.wire import fits_id
from tipline_tui.domain.xml_reader import Refused, read
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.evidence_store import EvidenceStore
from tipline_tui.hub.expiry import IDLE_FOR, OPEN_FOR, is_expired
from tipline_tui.hub.ispws_xml import CONTENT_TYPE, ResponseCode, describe, is_utf8, report_response
from tipline_tui.hub.tables import Account, HubFile, HubReport, table_of

log = logging.getLogger("tipline_tui.hub.ispws")

MAX_FORM_BYTES = 64 * 1024  # the whole body of finish and retract
MAX_LISTED = 20  # validation problems told in one responseDescription
_MAX_ID = 2**63 - 1  # reportId is an xs:long
report_table = table_of(HubReport)
file_table = table_of(HubFile)
# what the checks read: never the XML itself, which may be megabytes
_STATE = [report_table.c[name] for name in ("id", "esp_account_id", "state")] + [
    report_table.c.opened_at,
    report_table.c.changed_at,
    func.length(report_table.c.xml).label("xml_bytes"),
]

C = ResponseCode
T = TypeVar("T")


class Refusal(Exception):
    """A call answered with a non-zero code: raised anywhere, turned into the envelope once."""

    def __init__(self, code: ResponseCode, detail: str | None = None, status: int = 200) -> None:
        super().__init__(describe(code, detail))
        self.code = code
        self.detail = detail
        self.status = 500 if 1000 <= code < 2000 else status


def xml_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(content=body, status_code=status, media_type=CONTENT_TYPE, headers=headers)


def refused(refusal: Refusal, report_id: int | None = None) -> Response:
    """The envelope for a refusal; `report_id` is echoed unless the report "does not exist"."""
    if refusal.code == C.REPORT_DOES_NOT_EXIST:
        report_id = None
    body = report_response(
        refusal.code, describe(refusal.code, refusal.detail), report_id=report_id
    )
    headers = {"Connection": "close"} if refusal.status == 413 else None
    return xml_response(body, refusal.status, headers)


def too_big(size: int | None, limit: int) -> Refusal:
    """4000 with HTTP 413: the body passes the limit (the rest of it is not read)."""
    told = f"is {size:,} bytes" if size is not None else "passes it"
    return Refusal(C.INVALID_REQUEST, f"the limit is {limit:,} bytes and the body {told}", 413)


def server_error(where: str) -> Refusal:
    log.exception("ispws %s failed", where)  # the traceback, never the request's body
    return Refusal(C.SERVER_ERROR, "the hub could not complete this call; try again")


def evidence_dir(request: Request) -> Path:
    return Path(request.app.state.evidence_dir)


def evidence_store(request: Request) -> EvidenceStore:
    return cast("EvidenceStore", request.app.state.evidence_store)


def moment(hub: HubDB) -> datetime:
    return datetime.fromtimestamp(hub.now(), UTC)


# ------------------------------------------------------------------ reading requests


async def read_body(request: Request, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The request body, refused (4000) as soon as it is known to pass `limit`.

    A declared Content-Length over the limit is refused before a byte is read;
    a chunked body is read only to one byte past it.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big(int(declared), limit)
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise too_big(None, limit)
    return bytes(buf)


def report_id_of(value: str | None) -> int:
    """A report id from a form field: a positive xs:long, else 4000."""
    if value is None or not value.strip():
        raise Refusal(C.INVALID_REQUEST, "the form field 'id' (the report id) is missing")
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= _MAX_ID:
        raise Refusal(C.INVALID_REQUEST, "'id' must be a report id (a positive integer)")
    return int(text)


async def form_id(request: Request) -> int:
    """`id` from a urlencoded or multipart form (as clients send it), or the query string.

    The body is read to at most MAX_FORM_BYTES first: a form holds one short field.
    """
    data = await read_body(request, MAX_FORM_BYTES)

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
    return report_id_of(value)


def _problems(exc: ReportParseError) -> str:
    shown = [str(p) for p in exc.problems[:MAX_LISTED]]
    if len(exc.problems) > MAX_LISTED:
        shown.append(f"{len(exc.problems) - MAX_LISTED} more")
    return "; ".join(shown)


def parse_document(data: bytes, parse: Callable[..., Any], now: datetime) -> Any:
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


def own_open_report(conn: Connection, account: Account, report_id: int, now: int) -> Row[Any]:
    """The ESP's own report, open and unexpired; else the code that says why not.

    Another ESP's report, an unknown id and an expired report all answer 5001, so
    an ESP learns nothing about ids that are not its own. Reaching an expired
    report marks it expired (the caller's transaction commits that).
    """
    row = None
    if fits_id(report_id):  # an xs:long past the id column's range names no report
        row = conn.execute(select(*_STATE).where(report_table.c.id == report_id)).first()
    if row is None or row.esp_account_id != account.id:
        raise Refusal(C.REPORT_DOES_NOT_EXIST, f"no report {report_id}")
    if row.state == "open" and is_expired(row.opened_at, row.changed_at, now):
        conn.execute(
            update(report_table).where(report_table.c.id == report_id).values(state="expired")
        )
        raise _ExpiredNow(report_id)
    if row.state == "retracted":
        raise Refusal(C.REPORT_ALREADY_RETRACTED, f"report {report_id} was retracted")
    if row.state == "finished":
        raise Refusal(C.REPORT_ALREADY_FINISHED, f"report {report_id} is finished")
    if row.state != "open":
        raise Refusal(C.REPORT_DOES_NOT_EXIST, f"no report {report_id}")
    return row


def not_expired(now: int) -> Any:
    """SQL for "an open report opened and changed so is not expired at `now`" (expiry.py)."""
    return or_(
        report_table.c.opened_at > now - OPEN_FOR, report_table.c.changed_at > now - IDLE_FOR
    )


def not_expired_params(now: int) -> dict[str, int]:
    """The values `NOT_EXPIRED` is bound with at `now`."""
    return {"_opened_after": now - OPEN_FOR, "_changed_after": now - IDLE_FOR}


NOT_EXPIRED = or_(
    report_table.c.opened_at > bindparam("_opened_after"),
    report_table.c.changed_at > bindparam("_changed_after"),
)
"""`not_expired` as one statement object for every moment: bind `not_expired_params(now)`."""


@lru_cache(maxsize=32)
def _claim_statement(names: tuple[str, ...], returning: tuple[Any, ...]) -> Any:
    """The claim's UPDATE for these columns set and returned, built once: a statement made
    afresh costs SQLAlchemy its construction and cache key on every call."""
    return (
        update(report_table)
        .where(
            report_table.c.id == bindparam("_claim_id"),
            report_table.c.esp_account_id == bindparam("_claim_account"),
            report_table.c.state == "open",
            NOT_EXPIRED,
        )
        .values({name: bindparam(f"set_{name}") for name in names})
        .returning(report_table.c.id, *returning)
    )


def claim_open_report(
    conn: Connection, account: Account, report_id: int, now: int, *returning: Any, **values: Any
) -> Row[Any]:
    """The ESP's own open, unexpired report, updated with `values` and locked to this
    transaction in one statement; `returning` its columns (default: `xml_bytes`).

    The lock is the row's: calls on one report take turns (two fileinfos of one file,
    a fileinfo and its finish), calls on other reports do not wait. Any other report
    is refused exactly as `own_open_report` refuses it (it marks an expired one).
    """
    row = None
    if fits_id(report_id):
        claim = _claim_statement(tuple(sorted(values)), tuple(returning or (_STATE[-1],)))
        params = {f"set_{name}": value for name, value in values.items()}
        params.update(_claim_id=report_id, _claim_account=account.id, **not_expired_params(now))
        row = conn.execute(claim, params).first()
    if row is None:
        own_open_report(conn, account, report_id, now)  # raises the refusal that says why
        raise Refusal(C.REPORT_DOES_NOT_EXIST, f"no report {report_id}")  # it changed meanwhile
    return row


class _ExpiredNow(Exception):
    """Leaves the transaction normally (so "expired" is committed), then answers 5001."""

    def __init__(self, report_id: int) -> None:
        super().__init__(report_id)
        self.report_id = report_id


def in_write(hub: HubDB, work: Callable[[Connection, int], T]) -> T:
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


def touch(conn: Connection, report_id: int, now: int) -> None:
    conn.execute(update(report_table).where(report_table.c.id == report_id).values(changed_at=now))
