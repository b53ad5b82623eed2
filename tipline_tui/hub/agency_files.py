"""The agency API's files: a referred report's uploaded files, for the agency it was referred to.

The clearinghouse makes a referred report *and its files* available to the agency it refers
to. An agency lists and downloads the files of its own referrals only; anything else is 404,
as if it did not exist. Each download is recorded (who, which file, which referral, when)
before the first byte is sent, and streams with its hashes in headers so the agency can check
what it received. Analysts' stores never hold file bytes; only this route reads them back.
"""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import insert, select

from tipline_tui.domain.wire import MAX_BODY_BYTES
from tipline_tui.hub.agency_api import ReferralId, own_referral
from tipline_tui.hub.auth import AgencyAccount, AgencyRoute, hub_of
from tipline_tui.hub.evidence_store import EvidenceStore
from tipline_tui.hub.tables import EvidenceDownload, HubFile, HubReferral, table_of

__all__ = ["router"]

_referral = table_of(HubReferral)
_file = table_of(HubFile)
_download = table_of(EvidenceDownload)

router = APIRouter(
    prefix="/v1/agency", tags=["agency"], max_body_size=MAX_BODY_BYTES, route_class=AgencyRoute
)


class ReferralFile(BaseModel):
    file_id: str
    name: str | None  # as the ESP sent it: untrusted text
    size: int
    md5: str
    sha1: str
    sha256: str


@router.get(
    "/referrals/{referral_id}/files",
    summary="The files of a referred report: names, sizes and hashes",
    response_model=list[ReferralFile],
)
def list_files(
    request: Request, referral_id: ReferralId, agency: AgencyAccount
) -> list[ReferralFile]:
    with hub_of(request).read() as conn:
        referral = own_referral(conn, agency, referral_id)
        rows = conn.execute(
            select(_file)
            .where(_file.c.report_id == referral.report_id)
            .order_by(_file.c.uploaded_at, _file.c.file_id)
        ).all()
    return [
        ReferralFile(
            file_id=row.file_id,
            name=row.original_name,
            size=row.size,
            md5=row.md5,
            sha1=row.sha1,
            sha256=row.sha256,
        )
        for row in rows
    ]


@router.get(
    "/referrals/{referral_id}/files/{file_id}",
    summary="Download one file of a referred report (recorded); hashes in X-Tipline-* headers",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_file(
    request: Request, referral_id: ReferralId, file_id: str, agency: AgencyAccount
) -> StreamingResponse:
    hub = hub_of(request)
    store = cast(EvidenceStore, request.app.state.evidence_store)
    with hub.read() as conn:
        referral = own_referral(conn, agency, referral_id)
        row = conn.execute(
            select(_file).where(_file.c.file_id == file_id, _file.c.report_id == referral.report_id)
        ).first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"no file {file_id} in referral #{referral_id}")
    if row.stored_in != store.where or not store.has(row.sha256):
        raise HTTPException(status_code=404, detail=f"file {file_id}'s bytes are not on this hub")
    with hub.engine.begin() as conn:  # recorded before any byte leaves; no feed row, no lock
        conn.execute(
            insert(_download).values(
                file_id=file_id,
                referral_id=referral_id,
                agency_id=agency.agency_id,
                account=agency.name,
                at=hub.now(),
            )
        )
    headers = {
        "Content-Length": str(row.size),
        "Content-Disposition": f'attachment; filename="{row.file_id}"',
        "X-Tipline-SHA256": row.sha256,
        "X-Tipline-SHA1": row.sha1,
        "X-Tipline-MD5": row.md5,
    }
    return StreamingResponse(
        store.chunks(row.sha256), media_type="application/octet-stream", headers=headers
    )
