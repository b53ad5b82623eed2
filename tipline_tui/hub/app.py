"""The hub's FastAPI application: one factory shared by `tipline hub serve`, the demo and tests."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response

from tipline_tui import __version__
from tipline_tui.hub.auth import EspAuthError
from tipline_tui.hub.db import HubDB

if TYPE_CHECKING:
    from tipline_tui.hub.snapshot import SnapshotKeeper

__all__ = ["create_app"]

DESCRIPTION = """\
The reference hub of tipline-tui.

- `/ispws/...`: the CyberTipline Reporting API for ESPs (HTTP Basic).
- `/v1/changes`, `/v1/actions`, `/v1/snapshot`: analyst sync
  (`Authorization: Bearer <name>:<secret>`).
- `/v1/agency/...`: the referral feed for agencies (bearer token of an agency account).

Synthetic data only in tests and the demo.
"""


def create_app(
    hub: HubDB, *, evidence_dir: Path, snapshots: SnapshotKeeper | None = None
) -> FastAPI:
    """The hub app over an open database; uploaded file bytes go under `evidence_dir`.

    With `snapshots`, `/v1/snapshot` serves its newest copy, and the app's
    lifespan runs its background thread (uvicorn with lifespan="off" leaves
    that to the caller).
    """
    from tipline_tui.hub.agency_api import router as agency_router
    from tipline_tui.hub.sync_api import router as sync_router

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if snapshots is not None:
            snapshots.start()
        try:
            yield
        finally:
            if snapshots is not None:
                snapshots.stop()

    app = FastAPI(
        title="tipline hub", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.hub = hub
    app.state.snapshots = snapshots
    app.state.evidence_dir = Path(evidence_dir)

    @app.exception_handler(EspAuthError)
    async def _esp_refused(_request: Request, _exc: EspAuthError) -> Response:
        return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="ispws"'})

    app.include_router(sync_router)
    app.include_router(agency_router)
    # ESP intake, when this build has it; an import error inside it is a bug and is raised
    if importlib.util.find_spec("tipline_tui.hub.ispws") is not None:
        from tipline_tui.hub.ispws import router as ispws_router

        app.include_router(ispws_router)
    return app
