"""`tipline` (the app on the analyst's store), `tipline demo` and `tipline demo-data`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tipline_tui.cli.common import Commands, opened_store
from tipline_tui.cli.output import fail
from tipline_tui.config import bundled_demo_store

if TYPE_CHECKING:
    from tipline_tui.settings import AppSettings


def add_demo_command(commands: Commands) -> None:
    demo = commands.add_parser(
        "demo", help="open a temporary copy of the bundled synthetic demo store (offline)"
    )
    demo.add_argument(
        "--on-call",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show only urgent and overdue tips",
    )
    demo.add_argument(
        "--pace",
        type=float,
        default=20.0,
        help="seconds between new synthetic tips arriving at the demo hub (0: none; default 20)",
    )
    web = demo.add_argument_group("in a browser (one private demo per tab)")
    web.add_argument("--web", action="store_true", help="serve the demo to browsers")
    web.add_argument("--host", help="address to listen on (default 127.0.0.1, loopback)")
    web.add_argument("--port", type=_port, help="port to listen on (default 8000)")
    web.add_argument(
        "--web-tab",
        type=int,
        metavar="PID",
        help="internal: run as one tab of the --web server PID (it starts these itself)",
    )
    demo.set_defaults(func=run_demo)


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{text} is not a port (1-65535)")
    return port


def add_demo_data_command(commands: Commands) -> None:
    data = commands.add_parser(
        "demo-data", help="generate a synthetic store (deterministic for a seed)"
    )
    data.add_argument("--reports", type=int, default=3000, help="number of tips (default 3000)")
    data.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    data.add_argument("--out", type=Path, required=True, help="new store file to write")
    data.set_defaults(func=demo_data)


def run_app(args: argparse.Namespace) -> int:
    """Plain `tipline`: the app on the analyst's store, synced with the configured hub.

    Without GeoIP or TIPLINE_ variables beyond the plain ones, the settings file is read
    (and refused, if it must be, the hub URL included) without pydantic and the full
    settings and the sync client are made after the queue's first paint (issue 13);
    otherwise all before the UI starts.
    """
    from tipline_tui.settings_file import FirstPaintSettings, first_paint_settings
    from tipline_tui.wiring import check_hub_setting, make_app

    settings: AppSettings | FirstPaintSettings | None = first_paint_settings()
    if settings is None:
        from tipline_tui.settings import load_settings

        settings = load_settings()
    elif settings.hub_url:
        check_hub_setting(settings.hub_url, settings.config, insecure=args.insecure)
    if getattr(args, "db", None) is None:
        args.db = settings.store_path()
    with opened_store(args, writes=True) as store:
        app = make_app(store, settings, on_call=args.on_call, insecure=args.insecure)
        app.run()
    if app.settings_error is not None:  # the full settings refused what the file allowed
        raise app.settings_error
    return 0


def _exit_cleanly_on_hangup() -> None:
    """SIGHUP/SIGTERM become SystemExit, so `finally` blocks run and temp files go."""
    import signal

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, leave)


def run_demo(args: argparse.Namespace) -> int:
    from tipline_tui.settings import load_settings
    from tipline_tui.wiring import demo_workspace, make_app

    source = bundled_demo_store()
    if not source.is_file() or source.stat().st_size == 0:
        return fail(f"the bundled demo store is missing ({source}); reinstall tipline-tui")
    settings = load_settings()
    if args.web:
        return run_web_demo(args, settings.log_path())
    if args.host is not None or args.port is not None:
        return fail("--host and --port go with --web")
    if args.web_tab is not None:  # a browser tab's demo: stderr to the log, ends with the server
        from tipline_tui.demo.web_tab import become_tab_process

        become_tab_process(args.web_tab, settings.log_path())
    _exit_cleanly_on_hangup()  # an SSH drop must still remove the temporary copy
    with demo_workspace(source) as (store, demo_hub):
        make_app(store, settings, on_call=args.on_call, demo_hub=demo_hub, pace=args.pace).run()
    return 0


def run_web_demo(args: argparse.Namespace, log_path: Path) -> int:
    """`tipline demo --web`: bind first (a taken port is one line), warn beyond loopback."""
    from tipline_tui.demo import web

    host = args.host or web.DEFAULT_HOST
    port = args.port or web.DEFAULT_PORT
    try:
        sock = web.listening_socket(host, port)
    except web.WebDemoError as error:
        return fail(str(error))
    if not web.is_loopback(host):
        print(web.beyond_loopback_warning(host, port), file=sys.stderr)
    options = web.WebDemoOptions(host, port, args.pace, args.on_call)
    print(
        f"serving the demo at http://{_url_host(host)}:{port}/ (one private demo "
        f"per browser tab; logs in {log_path}); Ctrl-C stops it",
        file=sys.stderr,
    )
    web.serve_web_demo(options, sock, log_path)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def demo_data(args: argparse.Namespace) -> int:
    if args.reports < 0:
        return fail("--reports must be zero or more")
    if args.out.exists():
        return fail(f"{args.out} already exists; choose a new file")
    from tipline_tui.demo.generator import build_demo_store

    started = time.perf_counter()

    def progress(done: int) -> None:
        print(f"\r{done:,}/{args.reports:,} tips", end="", file=sys.stderr, flush=True)

    build_demo_store(args.out, args.reports, args.seed, progress=progress)
    elapsed = time.perf_counter() - started
    print(
        f"\nwrote {args.reports:,} synthetic tips to {args.out} in {elapsed:.1f} s", file=sys.stderr
    )
    return 0
