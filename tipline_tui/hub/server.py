"""Run the hub's ASGI app under uvicorn with the connection limits and the throttled log."""

from __future__ import annotations

from typing import Any

from tipline_tui.hub.connections import ConnectionLimits, guarded_protocol
from tipline_tui.hub.server_log import configure_server_logging


def run_server(app: Any, host: str, port: int, limits: ConnectionLimits) -> None:
    """Serve until interrupted; the app's lifespan starts and stops its background threads."""
    import uvicorn

    configure_server_logging()
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=guarded_protocol(limits),
        timeout_keep_alive=limits.keep_alive_timeout,
        backlog=limits.backlog,
        log_config=None,  # configure_server_logging owns the handlers
        log_level="info",
        access_log=False,  # request lines carry no secrets, but keep logs lean
    )
