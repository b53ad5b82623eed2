"""The agency API: an agency reads its referrals and answers them (ack, outcome).

Every answer is written back to the referral and appended to the change feed
as a "referral" change, so the analyst who dispatched the tip sees it. An
agency sees only its own referrals: any other id is 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Row, select, update

from tipline_tui.domain.limits import PAGE_BYTES, wire_bytes
from tipline_tui.domain.wire import ID_MAX, INT64_MAX, INT64_MIN, MAX_BODY_BYTES, fits_id
from tipline_tui.hub.auth import AgencyAccount, AgencyRoute, hub_of
from tipline_tui.hub.db import append_change
from tipline_tui.hub.feed import analysis_payload, referral_payload, xml_text
from tipline_tui.hub.tables import Account, HubFile, HubReferral, HubReport, table_of

__all__ = ["router"]

MAX_OUTCOME_CHARS = 10_000
_referral = table_of(HubReferral)
_report = table_of(HubReport)
_file = table_of(HubFile)
# past 64 bits: 422; an id the INTEGER column cannot hold is simply not there (404)
ReferralId = Annotated[int, Path(ge=INT64_MIN, le=INT64_MAX)]

# AgencyRoute: the agency's token is checked before the body is read
router = APIRouter(
    prefix="/v1/agency", tags=["agency"], max_body_size=MAX_BODY_BYTES, route_class=AgencyRoute
)


class ReferralModel(BaseModel):
    referral_id: int
    action_id: str
    report_id: int
    agency_id: int
    status: str = Field(description="sent, acknowledged or failed")
    priority: str | None
    created_by: str
    created_at: int
    sent_at: int | None
    acknowledged_at: int | None
    failed_at: int | None
    detail: str | None
    outcome: str | None


class AgencyReferral(ReferralModel):
    contents: dict[str, Any] | None = Field(description="what the analyst chose to send")
    report_xml: str = Field(description="the report as the ESP sent it")
    files: list[str] = Field(description="fileDetails documents (metadata; never file bytes)")
    analysis: dict[str, Any] = Field(description="the hub's analysis of the tip")


class ReferralPage(BaseModel):
    referrals: list[AgencyReferral]
    next: int = Field(description="pass as `since` for the next page")
    more: bool


class Outcome(BaseModel):
    status: Literal["acknowledged", "failed"] = Field(
        description="acknowledged: the agency has it and acts; failed: it cannot act on it"
    )
    text: str | None = Field(default=None, max_length=MAX_OUTCOME_CHARS)


@router.get(
    "/referrals",
    summary="This agency's referrals after a cursor, with the report and its analysis",
    response_model=ReferralPage,
)
def list_referrals(
    request: Request,
    agency: AgencyAccount,
    since: int = Query(0, ge=0, le=INT64_MAX, description="the last referral id already fetched"),
    limit: int = Query(100, ge=1, le=1000),
) -> ReferralPage:
    """Bounded by `limit` and by PAGE_BYTES, as feed pages are: at least one referral."""
    out: list[AgencyReferral] = []
    used, more = 0, False
    with hub_of(request).read() as conn:
        rows = conn.execute(
            select(_referral)
            .where(
                _referral.c.agency_id == agency.agency_id,
                _referral.c.id > min(since, ID_MAX),  # no id lies past the column's range
            )
            .order_by(_referral.c.id)
            .limit(limit + 1)
        ).all()
        for row in rows:
            item = _referral_with_report(conn, row)
            size = wire_bytes(item.model_dump(mode="json"))
            if len(out) == limit or (out and used + size > PAGE_BYTES.value):
                more = True
                break
            out.append(item)
            used += size
    return ReferralPage(referrals=out, next=out[-1].referral_id if out else since, more=more)


def _referral_with_report(conn: Connection, row: Row[Any]) -> AgencyReferral:
    """A referral with its report's documents and analysis, as an agency reads it."""
    report = conn.execute(select(_report).where(_report.c.id == row.report_id)).one()
    files = conn.execute(
        select(_file.c.details_xml)
        .where(_file.c.report_id == row.report_id, _file.c.details_xml.is_not(None))
        .order_by(_file.c.uploaded_at, _file.c.file_id)
    ).scalars()
    return AgencyReferral(
        **referral_payload(row),
        contents=row.contents,
        report_xml=xml_text(report.xml),
        files=[xml_text(f) for f in files],
        analysis=analysis_payload(report),
    )


def own_referral(
    conn: Connection, agency: Account, referral_id: int, *, lock: bool = False
) -> Row[Any]:
    """This agency's referral; any other id (another agency's, none, past 64 bits) is 404.

    `lock`: the row stays locked to the caller's write transaction (FOR UPDATE).
    """
    row = None
    if fits_id(referral_id):
        query = select(_referral).where(
            _referral.c.id == referral_id, _referral.c.agency_id == agency.agency_id
        )
        row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"no referral #{referral_id}")
    return row


def _answer(
    request: Request, agency: Account, referral_id: int, values: dict[str, Any]
) -> ReferralModel:
    hub = hub_of(request)
    with hub.write() as conn:
        row = own_referral(conn, agency, referral_id, lock=True)  # two answers take turns
        now = hub.now()
        stamped = {k: (now if v is _NOW else v) for k, v in values.items()}
        # a repeat of the same answer changes nothing and appends nothing
        if any(getattr(row, k) != v for k, v in stamped.items() if not k.endswith("_at")):
            if row.acknowledged_at is not None and "acknowledged_at" in stamped:
                stamped["acknowledged_at"] = row.acknowledged_at
            row = conn.execute(
                update(_referral)
                .where(_referral.c.id == row.id)
                .values(**stamped)
                .returning(*_referral.c)
            ).one()
            append_change(conn, "referral", row.id, referral_payload(row), now)  # last
        return ReferralModel(**referral_payload(row))


_NOW = object()


@router.post(
    "/referrals/{referral_id}/ack",
    summary="Acknowledge receipt of a referral",
    response_model=ReferralModel,
)
def ack(request: Request, referral_id: ReferralId, agency: AgencyAccount) -> ReferralModel:
    return _answer(
        request, agency, referral_id, {"status": "acknowledged", "acknowledged_at": _NOW}
    )


@router.post(
    "/referrals/{referral_id}/outcome",
    summary="Report what became of a referral (status and text)",
    response_model=ReferralModel,
)
def outcome(
    request: Request,
    referral_id: ReferralId,
    body: Outcome,
    agency: AgencyAccount,
) -> ReferralModel:
    values: dict[str, Any] = {"status": body.status, "outcome": body.text}
    if body.status == "acknowledged":
        values["acknowledged_at"] = _NOW
    else:
        values["failed_at"] = _NOW
        values["detail"] = body.text
    return _answer(request, agency, referral_id, values)
