"""The analyst sync API: pull the change feed, push outbox actions.

Its bodies and answers are the wire schema of tipline_tui/domain/wire.py, so the
OpenAPI the hub publishes is the schema the client and the store are typed by.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool

from tipline_tui.domain.transitions import ROLES
from tipline_tui.domain.wire import (
    INT64_MAX,
    MAX_ACTIONS,
    MAX_BODY_BYTES,
    ROLE_HEADER,
    SCHEMA_HEADER,
    SEQ_HEADER,
    WAIT_HEADER,
    ActionBatch,
    AnswerBatch,
    AnswerDict,
    ChangesPage,
)
from tipline_tui.hub.auth import UserRoute, forget_account, hub_of, require_user
from tipline_tui.hub.change_wait import MAX_WAIT, ChangeWaiter, waiter_of
from tipline_tui.hub.changes import changes_page
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.evidence_store import DatabaseEvidence
from tipline_tui.hub.rules import apply_action
from tipline_tui.hub.snapshot_fleet import newest_published
from tipline_tui.hub.tables import Account, table_of
from tipline_tui.store.migrations import SCHEMA_VERSION

__all__ = ["MAX_ACTIONS", "MAX_LIMIT", "router"]

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000

# UserRoute: the analyst's token is checked before the body is read
router = APIRouter(
    prefix="/v1", tags=["analyst sync"], max_body_size=MAX_BODY_BYTES, route_class=UserRoute
)
Analyst = Annotated[Account, Depends(require_user(*ROLES))]


@router.get(
    "/changes",
    summary="Pull a page of the change feed after a cursor; with `wait`, wait for one",
    response_model=ChangesPage,
    responses={
        200: {
            "headers": {
                WAIT_HEADER: {
                    "description": "present when `wait` was honoured: the seconds waited at "
                    "most. A client that asked to wait and finds no such header is talking to "
                    "a hub that does not push: it polls instead",
                    "schema": {"type": "integer"},
                }
            }
        }
    },
)
async def get_changes(
    request: Request,
    user: Analyst,
    since: int = Query(
        0, ge=0, le=INT64_MAX, description="the last seq already stored (0: from the start)"
    ),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    wait: int = Query(
        0,
        ge=0,
        le=MAX_WAIT,
        description="with no change after `since`, wait up to this many seconds for one "
        "(long-polling: the answer comes as soon as a change is committed, by any hub process)",
    ),
) -> Response:
    """Changes with seq > `since`, in seq order; store them and `next` in one transaction."""
    hub = hub_of(request)
    page = await run_in_threadpool(_read_page, hub, since, limit)
    headers = {ROLE_HEADER: user.role or ""}
    if wait and not page["changes"]:
        # the headers go at once (the client knows this hub pushes), the page when the feed
        # moves; no connection is held meanwhile: the app's one waiter reads the feed's head
        headers[WAIT_HEADER] = str(wait)
        waiter = waiter_of(request.app.state, hub)
        return StreamingResponse(
            _page_when_moved(waiter, hub, since, limit, wait, page),
            media_type="application/json",
            headers=headers,
        )
    if wait:
        headers[WAIT_HEADER] = str(wait)
    return _page_response(page, headers)


async def _page_when_moved(
    waiter: ChangeWaiter, hub: HubDB, since: int, limit: int, wait: int, empty: ChangesPage
) -> AsyncIterator[bytes]:
    page = empty
    if await waiter.wait_beyond(since, wait):
        page = await run_in_threadpool(_read_page, hub, since, limit)
    yield _page_json(page)


def _page_response(page: ChangesPage, headers: dict[str, str]) -> Response:
    # built directly: a page of 5,000 reports need not be validated back through pydantic
    return Response(_page_json(page), media_type="application/json", headers=headers)


def _page_json(page: ChangesPage) -> bytes:
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


def _read_page(hub: HubDB, since: int, limit: int) -> ChangesPage:
    with hub.read() as conn:
        return changes_page(conn, since, limit)


SNAPSHOT_MEDIA_TYPE = "application/vnd.sqlite3"


@router.get(
    "/snapshot",
    summary="Download a ready-made local store, for a new analyst's first sync",
    response_class=Response,
    responses={
        200: {
            "description": "A local store (SQLite file) holding the feed up to `X-Tipline-Seq`: "
            "install it, then pull `/v1/changes?since=<X-Tipline-Seq>`.",
            "content": {SNAPSHOT_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                SEQ_HEADER: {
                    "description": "the last change the store holds",
                    "schema": {"type": "integer"},
                },
                SCHEMA_HEADER: {
                    "description": "its local store schema version; refuse a different one",
                    "schema": {"type": "integer"},
                },
            },
        },
        404: {"description": "no snapshot yet (or none kept): pull the feed from 0"},
    },
)
def get_snapshot(request: Request, _user: Analyst) -> Response:
    """The newest snapshot the hub published; it may lag the feed by a few minutes.

    On PostgreSQL the fleet's newest, from the database, whichever process built it.
    """
    hub = hub_of(request)
    if hub.dialect == "postgresql":
        published = newest_published(hub)
        if published is None:
            raise HTTPException(status_code=404, detail="no snapshot yet: pull /v1/changes from 0")
        return StreamingResponse(
            DatabaseEvidence(hub).chunks(published.sha256),
            media_type=SNAPSHOT_MEDIA_TYPE,
            headers={
                "Content-Length": str(published.size),
                SEQ_HEADER: str(published.seq),
                SCHEMA_HEADER: str(SCHEMA_VERSION),
            },
        )
    keeper = getattr(request.app.state, "snapshots", None)
    found = keeper.latest() if keeper is not None else None
    if found is None:
        raise HTTPException(status_code=404, detail="no snapshot yet: pull /v1/changes from 0")
    path, seq = found
    return FileResponse(
        path,
        media_type=SNAPSHOT_MEDIA_TYPE,
        headers={SEQ_HEADER: str(seq), SCHEMA_HEADER: str(SCHEMA_VERSION)},
    )


@router.post(
    "/actions",
    summary="Push outbox actions; each is answered applied, duplicate, conflict or rejected",
    response_model=AnswerBatch,
)
def post_actions(request: Request, batch: ActionBatch, user: Analyst) -> AnswerBatch:
    """Each action is applied in its own serialised transaction, with its answer kept."""
    hub = hub_of(request)
    results: list[AnswerDict] = []
    for action in batch["actions"]:
        with hub.write() as conn:
            results.append(apply_action(conn, user, action, hub.now()))
    return {"results": results}


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
    table = table_of(Account)
    with hub_of(request).write() as conn:
        row = conn.execute(
            select(table).where(table.c.name == name, table.c.kind == "user")
        ).first()
        if row is None:
            raise HTTPException(status_code=404, detail=f"no user named {name!r}")
        if row.id == supervisor.id:
            raise HTTPException(status_code=409, detail="a supervisor cannot disable themself")
        conn.execute(update(table).where(table.c.id == row.id).values(disabled=True))
    forget_account(request.app, row.name)  # its cached tokens go too
    return AccountState(name=row.name, kind=row.kind, role=row.role, disabled=True)
