"""The analyst sync API: pull the change feed, push outbox actions (see sync/protocol.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from tipline_tui.hub.auth import require_user
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.rules import apply_action
from tipline_tui.hub.tables import Account, Change
from tipline_tui.sync.protocol import AnswerDict

__all__ = ["MAX_ACTIONS", "MAX_LIMIT", "router"]

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
MAX_ACTIONS = 5000
_change = Change.__table__

router = APIRouter(prefix="/v1", tags=["analyst sync"])
Analyst = Annotated[Account, Depends(require_user("analyst", "oncall", "supervisor"))]


class ChangeModel(BaseModel):
    seq: int
    kind: Literal["report", "analysis", "note", "referral", "agency"]
    at: int = Field(description="seconds since the epoch, UTC")
    payload: dict[str, Any] = Field(description="per kind, as tipline_tui/sync/protocol.py says")


class ChangesPage(BaseModel):
    changes: list[ChangeModel]
    next: int = Field(description="the cursor for the next page: pass it as `since`")
    more: bool = Field(description="true if more changes wait beyond this page")


class ActionModel(BaseModel):
    action_id: str = Field(min_length=1, max_length=100, description="client-made UUID")
    kind: str = Field(max_length=40)
    report_id: int | None = None
    base_version: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: int | None = None


class ActionBatch(BaseModel):
    actions: list[ActionModel] = Field(max_length=MAX_ACTIONS)


class AnswerModel(BaseModel):
    action_id: str
    outcome: Literal["applied", "duplicate", "conflict", "rejected"]
    first_outcome: Literal["applied", "conflict", "rejected"] | None = None
    reason: str | None = None
    version: int | None = None
    current: dict[str, Any] | None = None


class AnswerBatch(BaseModel):
    results: list[AnswerModel]


def _hub(request: Request) -> HubDB:
    return request.app.state.hub  # type: ignore[no-any-return]


@router.get(
    "/changes",
    summary="Pull a page of the change feed after a cursor",
    response_model=ChangesPage,
)
def get_changes(
    request: Request,
    _user: Analyst,
    since: int = Query(0, ge=0, description="the last seq already stored (0: from the start)"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Response:
    """Changes with seq > `since`, in seq order; store them and `next` in one transaction."""
    with _hub(request).read() as conn:
        rows = conn.execute(
            select(_change.c.seq, _change.c.kind, _change.c.at, _change.c.payload)
            .where(_change.c.seq > since)
            .order_by(_change.c.seq)
            .limit(limit + 1)
        ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    page = {
        "changes": [
            {"seq": r.seq, "kind": r.kind, "at": r.at, "payload": r.payload or {}} for r in rows
        ],
        "next": rows[-1].seq if rows else since,
        "more": more,
    }
    # built directly: a page of 5,000 reports need not be validated back through pydantic
    return Response(
        json.dumps(page, ensure_ascii=False, separators=(",", ":")),
        media_type="application/json",
    )


@router.post(
    "/actions",
    summary="Push outbox actions; each is answered applied, duplicate, conflict or rejected",
    response_model=AnswerBatch,
)
def post_actions(request: Request, batch: ActionBatch, user: Analyst) -> AnswerBatch:
    """Each action is applied in its own serialised transaction, with its answer kept."""
    hub = _hub(request)
    results: list[AnswerDict] = []
    for action in batch.actions:
        with hub.write() as conn:
            results.append(apply_action(conn, user, action.model_dump(), hub.now()))
    return AnswerBatch(results=[AnswerModel(**answer) for answer in results])


class AccountState(BaseModel):
    name: str
    kind: str
    role: str | None
    disabled: bool


Supervisor = Annotated[Account, Depends(require_user("supervisor"))]


@router.post(
    "/users/{name}/disable",
    summary="Disable an analyst account at once (a lost laptop, a leaver): supervisors only",
    response_model=AccountState,
)
def disable_user(request: Request, name: str, supervisor: Supervisor) -> AccountState:
    """Its token stops working on the next request; nothing it did is undone."""
    table = Account.__table__
    with _hub(request).write() as conn:
        row = conn.execute(
            select(table).where(table.c.name == name, table.c.kind == "user")
        ).first()
        if row is None:
            raise HTTPException(status_code=404, detail=f"no user named {name!r}")
        if row.id == supervisor.id:
            raise HTTPException(status_code=409, detail="a supervisor cannot disable themself")
        conn.execute(update(table).where(table.c.id == row.id).values(disabled=True))
    return AccountState(name=row.name, kind=row.kind, role=row.role, disabled=True)
