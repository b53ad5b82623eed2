"""`tipline demo --web`: the demo in a browser, one private demo per tab, for a classroom.

textual-serve runs one process per browser websocket; here each is `tipline demo` (its
own temporary copy of the bundled store and its own in-process demo hub, as in a
terminal), stopped and its folder removed when the tab closes (demo/web_tab.py).

The demo has no authentication: it listens on loopback unless told otherwise, and says
plainly when it is not. A websocket from another site's page is refused (its Origin is
not this server), so a page the trainer visits cannot start demos here.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import re
import shutil
import signal
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler
from textual_serve.server import Server, to_int

from tipline_tui.demo.web_tab import TabProcess, tab_command
from tipline_tui.failure_log import FailureLog

log = logging.getLogger("tipline_tui.web")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
TITLE = "tipline demo"
SHUTDOWN_GRACE = 15.0  # seconds for open tabs to quit when the server stops
# textual-serve's and aiohttp's own loggers: their records go to the log file too
LIBRARY_LOGGERS = ("textual-serve", "aiohttp")
# textual-serve's page fetches its font from Google Fonts: a classroom's browsers would each
# tell Google about the class, and offline the stylesheet can hold up the page. Its own
# static folder has the font, so the page takes it from here instead.
REMOTE_FONT = re.compile(r"<link[^>]*fonts\.googleapis\.com[^>]*>", re.DOTALL)
LOCAL_FONT = (
    '<style>@font-face { font-family: "Roboto Mono"; '
    'src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf"); }</style>'
)


class WebDemoError(Exception):
    """The server cannot start (the port is taken, the address is not this machine's)."""


@dataclass(frozen=True)
class WebDemoOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    pace: float = 20.0
    on_call: bool = False


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only ("localhost" or a loopback IP)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve anywhere


def beyond_loopback_warning(host: str, port: int) -> str:
    return (
        f"warning: listening on {host}:{port}, beyond this machine. The demo has no "
        "authentication: anyone who can reach this port can open demo sessions (each runs "
        "a process here). Use it on a classroom network you trust, and stop it after class."
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound and listening on host:port, or WebDemoError saying why not.
    Bound here, before anything starts, so a taken port is one clear line."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise WebDemoError(f"cannot listen on {host!r}: {error.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise WebDemoError(
                f"port {port} on {host} is already in use; choose another with --port"
            ) from None
        raise WebDemoError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.setblocking(False)
    return sock


class DemoServer(Server):
    """textual-serve's Server with one `tipline demo` per tab, its URLs taken from the
    request (so a class reaching a 0.0.0.0 bind by name gets working links), its logs in
    the log file, and every tab stopped before the server exits."""

    def __init__(self, options: WebDemoOptions, tabs_root: Path) -> None:
        self.argv = tab_command(options.pace, options.on_call)
        super().__init__(" ".join(self.argv), options.host, options.port, title=TITLE)
        self.tabs_root = tabs_root
        self.open_sockets: set[web.WebSocketResponse] = set()
        self.tabs: set[TabProcess] = set()

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        aiohttp_jinja2.setup(app, loader=_LocalFontLoader(self.templates_path))
        if is_loopback(self.host):
            app.middlewares.append(_loopback_names_only)
        return app

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        origin = f"{request.scheme}://{request.host}"
        websocket_scheme = "wss" if request.scheme == "https" else "ws"
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{websocket_scheme}://{request.host}/ws",
            "config": {"static": {"url": f"{origin}/static/"}},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab: a websocket and the demo process behind it, stopped when it closes."""
        if not _same_origin(request):
            raise web.HTTPForbidden(text="this demo accepts its own pages only")
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        await websocket.prepare(request)
        self.open_sockets.add(websocket)
        tab = TabProcess(
            self.argv,
            self.tabs_root,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        self.tabs.add(tab)
        try:
            await tab.start(width, height)
            log.info("demo tab %s opened", tab.pid)
            await self._process_messages(websocket, tab)
        except Exception:
            log.exception("demo tab %s failed", tab.pid)
        finally:
            self.open_sockets.discard(websocket)
            await asyncio.shield(tab.stop())  # a cancelled handler still ends its demo
            self.tabs.discard(tab)
            log.info("demo tab %s closed", tab.pid)
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints a banner here; the command prints its own line instead."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every tab's websocket and stop every tab's demo (quit, terminate, kill),
        all before the server exits."""
        for websocket in list(self.open_sockets):
            await websocket.close(code=1001, message=b"the demo server is stopping")
        await asyncio.gather(*(tab.stop() for tab in list(self.tabs)))


class _LocalFontLoader(jinja2.FileSystemLoader):
    """textual-serve's templates, their remote font link replaced by the local font."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        return REMOTE_FONT.sub(LOCAL_FONT, source), filename, uptodate


@web.middleware
async def _loopback_names_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """On loopback, a request must name a loopback host: a site whose name an attacker
    points at 127.0.0.1 (DNS rebinding) would otherwise pass for this server's own pages."""
    if not is_loopback(urlsplit(f"//{request.host}").hostname or ""):
        raise web.HTTPForbidden(text="this demo answers to loopback names only")
    return await handler(request)


def _same_origin(request: web.Request) -> bool:
    """A browser names the page that opened a websocket; only this server's pages may."""
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def route_logs_to(log_path: Path) -> FailureLog:
    """Warnings and errors of the server, textual-serve and aiohttp go to the log file,
    nothing to the terminal or the page."""
    failure_log = FailureLog(log_path)
    failure_log.install()
    forward = _ForwardTo(logging.getLogger("tipline_tui.web"))
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.addHandler(forward)
        library.propagate = False
    return failure_log


class _ForwardTo(logging.Handler):
    def __init__(self, target: logging.Logger) -> None:
        super().__init__()
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        self.target.handle(record)


async def _serve_until_stopped(server: DemoServer, sock: socket.socket) -> None:
    app = await server._make_app()
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def serve_web_demo(options: WebDemoOptions, sock: socket.socket, log_path: Path) -> None:
    """Serve until Ctrl-C or SIGTERM; every tab's process and folder are gone on return."""
    tabs_root = Path(tempfile.mkdtemp(prefix="tipline-web-"))
    failure_log = route_logs_to(log_path)
    try:
        asyncio.run(_serve_until_stopped(DemoServer(options, tabs_root), sock))
    finally:
        failure_log.uninstall()
        shutil.rmtree(tabs_root, ignore_errors=True)
