"""The hub's FastAPI application: one factory shared by `tipline hub serve`, the demo and tests."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tipline_tui import __version__
from tipline_tui.hub.auth import EspAuthError
from tipline_tui.hub.auth_guard import AuthGuard
from tipline_tui.hub.db import HubDB

if TYPE_CHECKING:
    from tipline_tui.hub.snapshot import SnapshotKeeper

__all__ = ["create_app"]

log = logging.getLogger(__name__)

DESCRIPTION = """\
The reference hub of tipline-tui.

- `/ispws/...`: the CyberTipline Reporting API for ESPs (HTTP Basic).
- `/v1/changes`, `/v1/actions`, `/v1/snapshot`: analyst sync
  (`Authorization: Bearer <name>:<secret>`).
- `/v1/agency/...`: the referral feed for agencies (bearer token of an agency account).

Synthetic data only in tests and the demo.
"""


async def _sweep_expired(hub: HubDB, every: float) -> None:
    """Mark unfinished ESP reports past their life, every `every` seconds, until cancelled.

    Intake already checks expiry on every call, so this only tidies reports no
    ESP touches again; a failed sweep is logged and the next one tries again.
    """
    from tipline_tui.hub.expiry import expire_reports

    while True:
        try:
            swept = await asyncio.to_thread(expire_reports, hub)
            if swept:
                log.info("expired %d unfinished ESP report(s)", swept)
        except Exception:
            log.exception("expiry sweep failed")
        await asyncio.sleep(every)


def _ispws_error(status: int, detail: str, headers: Mapping[str, str] | None) -> Response:
    """An unknown /ispws path or a wrong method, in the API's envelope rather than JSON."""
    from tipline_tui.hub.ispws_xml import CONTENT_TYPE, ResponseCode, describe, report_response

    code = ResponseCode.RESOURCE_NOT_FOUND if status == 404 else ResponseCode.INVALID_REQUEST
    body = report_response(code, describe(code, detail))
    return Response(body, status_code=status, media_type=CONTENT_TYPE, headers=headers)


def create_app(
    hub: HubDB,
    *,
    evidence_dir: Path,
    snapshots: SnapshotKeeper | None = None,
    sweep_every: float | None = None,
) -> FastAPI:
    """The hub app over an open database; uploaded file bytes go under `evidence_dir`.

    With `snapshots`, `/v1/snapshot` serves its newest copy; with `sweep_every`,
    unfinished ESP reports are swept into "expired" that often. The app's
    lifespan runs both (uvicorn with lifespan="off" leaves them to the caller).
    What a crash left in the evidence store (hub/evidence.py) is swept here, at start.
    """
    from tipline_tui.hub.agency_api import router as agency_router
    from tipline_tui.hub.agency_files import router as agency_files_router
    from tipline_tui.hub.sync_api import router as sync_router

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if snapshots is not None:
            snapshots.start()
        sweeper = asyncio.create_task(_sweep_expired(hub, sweep_every)) if sweep_every else None
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            if snapshots is not None:
                snapshots.stop()

    from tipline_tui.hub.evidence import sweep_evidence
    from tipline_tui.hub.evidence_store import DatabaseEvidence, evidence_store_for

    sweep_evidence(hub, Path(evidence_dir))  # what a crash left: before any upload begins
    evidence_store = evidence_store_for(hub, Path(evidence_dir))
    if isinstance(evidence_store, DatabaseEvidence):
        try:
            evidence_store.sweep()
        except Exception:  # the hub still starts; the next start sweeps again
            log.exception("evidence sweep in the database failed")
    app = FastAPI(
        title="tipline hub", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.hub = hub
    app.state.snapshots = snapshots
    app.state.evidence_dir = Path(evidence_dir)  # uploads stream into its .incoming/
    app.state.evidence_store = evidence_store
    app.state.auth_guard = AuthGuard()  # refusal throttle and verified-token cache, per app

    @app.exception_handler(EspAuthError)
    async def _esp_refused(_request: Request, _exc: EspAuthError) -> Response:
        return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="ispws"'})

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> Response:
        # a lock wait that timed out, a session ended by the server, a database gone: the
        # call did nothing (its transaction rolled back), so the client may simply retry
        log.warning("a call failed on the database (%s): answered 503", type(exc.orig).__name__)
        return JSONResponse(
            {"detail": "the hub's database is busy or unreachable: try again shortly"},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/ispws"):  # ESP clients decode every body as XML
            return _ispws_error(exc.status_code, str(exc.detail), exc.headers)
        return await http_exception_handler(request, exc)

    app.include_router(sync_router)
    app.include_router(agency_router)
    app.include_router(agency_files_router)
    # ESP intake, when this build has it; an import error inside it is a bug and is raised
    if importlib.util.find_spec("tipline_tui.hub.ispws") is not None:
        from tipline_tui.hub.ispws import router as ispws_router

        app.include_router(ispws_router)
    return app
