"""The CyberTipline Reporting API's response envelopes and codes, as bytes (pure).

Kept apart from the HTTP layer so the exact shape ESP clients parse is one
small, testable place. Both envelopes follow the published schema's element
order (`reportResponse`: responseCode, responseDescription, reportId?, fileId?,
hash?; `reportDoneResponse`: responseCode, reportId, files/fileId*), because
clients decode them strictly: the public Go client, for one, dereferences
`responseCode` without checking it is there and refuses any other root element.
Every element the schema requires is always written with content: success says
"Success" (as the real service does), since a strict client takes an empty
`responseDescription` for a missing one, and a refused finish still names a
`reportId` (the one asked about, or 0 when the request named none).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from enum import IntEnum

CONTENT_TYPE = "text/xml; charset=utf-8"

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_XML_DECLARATION = re.compile(r"<\?xml\s[^>]*\?>")
_ENCODING = re.compile(r"""encoding\s*=\s*["']([A-Za-z0-9._-]{1,64})["']""")


class ResponseCode(IntEnum):
    """Every response code the API documents (spec README); 0 is success."""

    SUCCESS = 0
    SERVER_ERROR = 1000
    SAVE_FAILED = 1100
    UPLOAD_FAILED = 1110
    FILE_UPLOAD_FAILED = 1111
    RESOURCE_NOT_FOUND = 1210
    UPDATE_FAILED = 1300
    AUTHENTICATION_REQUIRED = 2000
    NOT_AUTHORISED = 3000
    NOT_AUTHORISED_TO_SUBMIT = 3100
    NOT_AUTHORISED_TO_UPDATE = 3300
    INVALID_REQUEST = 4000
    VALIDATION_FAILED = 4100
    MALFORMED_XML = 4110
    MALFORMED_FILE = 4200
    REPORT_DOES_NOT_EXIST = 5001
    FILE_DOES_NOT_EXIST = 5002
    REPORT_ALREADY_RETRACTED = 5101
    REPORT_ALREADY_FINISHED = 5102


DESCRIPTIONS: dict[ResponseCode, str] = {
    ResponseCode.SUCCESS: "Success",
    ResponseCode.SERVER_ERROR: "server error",
    ResponseCode.SAVE_FAILED: "save failed",
    ResponseCode.UPLOAD_FAILED: "upload failed",
    ResponseCode.FILE_UPLOAD_FAILED: "file upload failed",
    ResponseCode.RESOURCE_NOT_FOUND: "resource not found",
    ResponseCode.UPDATE_FAILED: "update failed",
    ResponseCode.AUTHENTICATION_REQUIRED: "authentication required",
    ResponseCode.NOT_AUTHORISED: "not authorised",
    ResponseCode.NOT_AUTHORISED_TO_SUBMIT: "not authorised to submit",
    ResponseCode.NOT_AUTHORISED_TO_UPDATE: "not authorised to update",
    ResponseCode.INVALID_REQUEST: "invalid request",
    ResponseCode.VALIDATION_FAILED: "validation failed",
    ResponseCode.MALFORMED_XML: "malformed XML",
    ResponseCode.MALFORMED_FILE: "malformed file",
    ResponseCode.REPORT_DOES_NOT_EXIST: "report does not exist",
    ResponseCode.FILE_DOES_NOT_EXIST: "file does not exist",
    ResponseCode.REPORT_ALREADY_RETRACTED: "report already retracted",
    ResponseCode.REPORT_ALREADY_FINISHED: "report already finished",
}


def describe(code: ResponseCode, detail: str | None = None) -> str:
    """The code's meaning, then the particulars, so an ESP's log line says what to fix."""
    base = DESCRIPTIONS[code]
    return f"{base}: {detail}" if detail else base


def text(value: str) -> str:
    """Character data safe in any XML 1.0 document: escaped, characters XML forbids dropped."""
    return _NOT_XML_CHAR.sub("", value).translate(_ESCAPES)


def report_response(
    code: ResponseCode,
    description: str | None = None,
    *,
    report_id: int | None = None,
    file_id: str | None = None,
    hash_md5: str | None = None,
) -> bytes:
    """A `<reportResponse>`; `description` None means the code's own meaning."""
    if not description:  # never empty: strict clients read an empty one as missing
        description = DESCRIPTIONS[code]
    parts = [
        _DECLARATION,
        "<reportResponse>\n",
        f"  <responseCode>{int(code)}</responseCode>\n",
        f"  <responseDescription>{text(description)}</responseDescription>\n",
    ]
    if report_id is not None:
        parts.append(f"  <reportId>{int(report_id)}</reportId>\n")
    if file_id is not None:
        parts.append(f"  <fileId>{text(file_id)}</fileId>\n")
    if hash_md5 is not None:
        parts.append(f"  <hash>{text(hash_md5)}</hash>\n")
    parts.append("</reportResponse>\n")
    return "".join(parts).encode("utf-8")


def is_utf8(data: bytes) -> bool:
    """Whether a document is in UTF-8 (or its ASCII subset), the only encoding the hub keeps.

    The change feed carries documents as UTF-8 text, so a document declared in
    another encoding (UTF-16, ISO-8859-1) is refused at intake rather than
    rewritten: what the hub stores stays byte for byte what the ESP sent.
    """
    return declared_encoding(data) in UTF8_NAMES


def report_done_response(
    code: ResponseCode, report_id: int | None, file_ids: Iterable[str] = ()
) -> bytes:
    """A `<reportDoneResponse>`: the finish receipt, or (non-zero code) a refused finish.

    The schema gives this envelope no description, so a refusal says only its
    code; `reportId` is required there, so it is 0 when the request named no usable id.
    """
    parts = [
        _DECLARATION,
        "<reportDoneResponse>\n",
        f"  <responseCode>{int(code)}</responseCode>\n",
    ]
    parts.append(f"  <reportId>{int(report_id or 0)}</reportId>\n")
    ids = [f"    <fileId>{text(f)}</fileId>\n" for f in file_ids]
    if ids:
        parts += ["  <files>\n", *ids, "  </files>\n"]
    else:
        parts.append("  <files/>\n")
    parts.append("</reportDoneResponse>\n")
    return "".join(parts).encode("utf-8")


UTF8_NAMES = frozenset({"utf-8", "utf-8-sig", "utf8", "us-ascii", "ascii"})


def declared_encoding(data: bytes) -> str:
    """The codec a document's bytes are in: its BOM, else its declaration, else UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data.startswith(b"<\x00"):
        return "utf-16-le"
    if data.startswith(b"\x00<"):
        return "utf-16-be"
    head = data[:512].decode("latin-1")
    declaration = _XML_DECLARATION.match(head)
    if declaration:
        named = _ENCODING.search(declaration.group(0))
        if named:
            return named.group(1).lower()
    return "utf-8"
