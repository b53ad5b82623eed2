"""`tipline hub ...`: run the hub and manage its accounts, agencies and reports."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tipline_tui.cli.common import Commands
from tipline_tui.cli.output import fail, file_error, one_line, print_secret, warn
from tipline_tui.config import HUB_DB_ENV

if TYPE_CHECKING:
    from tipline_tui.hub.db import HubDB

EXPIRY_SWEEP_EVERY = 600.0  # seconds between sweeps of unfinished ESP reports into "expired"

HubCommand = Callable[["HubDB", argparse.Namespace], int]


def _db_option() -> argparse.ArgumentParser:
    option = argparse.ArgumentParser(add_help=False)
    option.add_argument(
        "--db",
        dest="hub_db",
        metavar="URL",
        help=f"hub database: sqlite:///PATH or postgresql+psycopg://... (default: ${HUB_DB_ENV}, "
        "else hub.sqlite in the user data dir)",
    )
    return option


def _with_hub(command: HubCommand) -> Callable[[argparse.Namespace], int]:
    """The command with the hub database open (`--db`, else the hub settings), then closed."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        from tipline_tui.hub.db import HubError, open_hub
        from tipline_tui.hub.settings import HubSettings

        settings = HubSettings()
        url = args.hub_db or settings.database_url()
        try:
            hub = open_hub(
                url, pool_size=settings.db_pool_size, max_overflow=settings.db_pool_overflow
            )
        except HubError as exc:
            return fail(str(exc))
        except Exception as exc:  # a database that is down or refuses us: say so, not a traceback
            return fail(f"cannot open the hub database: {exc.__class__.__name__}: {exc}")
        args.hub_url = url
        try:
            return command(hub, args)
        finally:
            hub.close()

    return run


def add_commands(commands: Commands) -> None:
    hub = commands.add_parser("hub", help="run the hub, manage its accounts, agencies, reports")
    actions = hub.add_subparsers(
        dest="hub_command", metavar="ACTION", required=True, help="what to do with the hub"
    )
    _add_serve(actions)
    _add_accounts(actions)
    agencies = actions.add_parser("agencies", help="the hub's agency directory")
    agency_actions = agencies.add_subparsers(
        dest="hub_agencies_command", metavar="ACTION", required=True, help="what to do"
    )
    agency_import = agency_actions.add_parser(
        "import", parents=[_db_option()], help="add or update agencies from a CSV file"
    )
    agency_import.add_argument(
        "file",
        type=Path,
        metavar="FILE.csv",
        help="agency directory CSV (the format `tipline agencies export` writes)",
    )
    agency_import.set_defaults(func=_with_hub(import_agencies))
    imports = actions.add_parser(
        "import", parents=[_db_option()], help="store finished report XML documents on the hub"
    )
    imports.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="XML",
        help="finished report XML files, or directories (every *.xml under them)",
    )
    imports.set_defaults(func=_with_hub(import_reports))


def _add_serve(actions: Commands) -> None:
    serve = actions.add_parser("serve", parents=[_db_option()], help="serve the hub (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8740, help="port (default 8740)")
    serve.add_argument(
        "--evidence", type=Path, help="directory for uploaded files (default: in the data dir)"
    )
    snapshots = serve.add_mutually_exclusive_group()
    snapshots.add_argument(
        "--snapshots",
        type=Path,
        metavar="DIR",
        help="where to keep the ready-made store new analysts download (default: snapshots/ "
        "beside a SQLite hub database, else in the data dir)",
    )
    snapshots.add_argument(
        "--no-snapshots",
        action="store_true",
        help="keep no snapshot: new analysts pull the whole feed",
    )
    serve.set_defaults(func=_with_hub(serve_hub))


def _add_accounts(actions: Commands) -> None:
    esp = actions.add_parser("esp", help="ESP accounts (HTTP Basic for /ispws)")
    esp_actions = esp.add_subparsers(
        dest="esp_command", metavar="ACTION", required=True, help="what to do"
    )
    esp_add = esp_actions.add_parser(
        "add", parents=[_db_option()], help="add an ESP; prints its secret once"
    )
    esp_add.add_argument("name", metavar="NAME", help="the ESP's user name for HTTP Basic")
    esp_add.set_defaults(func=_with_hub(add_esp))
    user = actions.add_parser("user", help="analyst accounts (bearer tokens for /v1)")
    user_actions = user.add_subparsers(
        dest="user_command", metavar="ACTION", required=True, help="what to do"
    )
    user_add = user_actions.add_parser(
        "add", parents=[_db_option()], help="add an analyst; prints the token once"
    )
    user_add.add_argument("name", metavar="NAME", help="the analyst's name, as the hub records it")
    user_add.add_argument(
        "--role",
        required=True,
        choices=("analyst", "oncall", "supervisor"),
        help="what the account may do (a supervisor may also act on tips others claimed)",
    )
    user_add.set_defaults(func=_with_hub(add_user))
    token = actions.add_parser(
        "agency-token",
        parents=[_db_option()],
        help="make (or replace) an agency's token for /v1/agency; prints it once",
    )
    token.add_argument(
        "agency", metavar="AGENCY_NAME", help="the agency's name, exactly as in the directory"
    )
    token.set_defaults(func=_with_hub(agency_token))


def serve_hub(hub: HubDB, args: argparse.Namespace) -> int:
    import ipaddress

    from tipline_tui.hub.app import create_app
    from tipline_tui.hub.server import run_server
    from tipline_tui.hub.settings import HubSettings, default_snapshot_dir
    from tipline_tui.hub.snapshot import SnapshotKeeper

    settings = HubSettings()
    evidence: Path = args.evidence or settings.evidence_dir()
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback:
        warn(
            f"warning: serving on {args.host}: the hub speaks plain HTTP; terminate "
            "TLS in front of it (a reverse proxy) before anything crosses a network"
        )
    evidence.mkdir(parents=True, exist_ok=True, mode=0o700)
    keeper = (
        None
        if args.no_snapshots
        else SnapshotKeeper(hub, args.snapshots or default_snapshot_dir(args.hub_url))
    )
    run_server(  # the app's lifespan starts and stops the snapshot keeper's thread
        create_app(hub, evidence_dir=evidence, snapshots=keeper, sweep_every=EXPIRY_SWEEP_EVERY),
        host=args.host,
        port=args.port,
        limits=settings.connection_limits(),
    )
    return 0


def _account_errors(command: HubCommand) -> HubCommand:
    """An account that cannot be made (a name taken, ...) is one line, exit 2."""

    @functools.wraps(command)
    def run(hub: HubDB, args: argparse.Namespace) -> int:
        from tipline_tui.hub.auth import AccountError

        try:
            return command(hub, args)
        except AccountError as exc:
            return fail(str(exc))

    return run


@_account_errors
def add_esp(hub: HubDB, args: argparse.Namespace) -> int:
    from tipline_tui.hub.auth import create_account

    with hub.write() as conn:
        secret = create_account(conn, kind="esp", name=args.name, now=hub.now())
    print_secret([f"username: {args.name}", f"password: {secret}"])
    return 0


@_account_errors
def add_user(hub: HubDB, args: argparse.Namespace) -> int:
    from tipline_tui.hub.auth import create_account

    with hub.write() as conn:
        secret = create_account(conn, kind="user", name=args.name, role=args.role, now=hub.now())
    print_secret([f"token: {args.name}:{secret}"])
    return 0


@_account_errors
def agency_token(hub: HubDB, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from tipline_tui.hub.auth import create_account
    from tipline_tui.hub.tables import HubAgency

    agency_table = HubAgency.metadata.tables["agency"]  # typed, unlike __table__
    with hub.write() as conn:
        agency_id = conn.execute(
            select(agency_table.c.id).where(agency_table.c.name == args.agency)
        ).scalar()
        if agency_id is None:
            return fail(
                f"no agency named {one_line(args.agency)!r} on the hub "
                "(tipline hub agencies import FILE.csv)"
            )
        name = f"agency-{agency_id}"
        secret = create_account(
            conn, kind="agency", name=name, agency_id=agency_id, now=hub.now(), replace=True
        )
    print_secret([f"token: {name}:{secret}"])
    return 0


def import_agencies(hub: HubDB, args: argparse.Namespace) -> int:
    from tipline_tui.cli.agencies import read_agency_file
    from tipline_tui.hub.operator import import_agencies as add_or_update

    agencies = read_agency_file(args.file)
    if agencies is None:
        return 1
    added, updated = add_or_update(hub, agencies)
    print(f"{added} added, {updated} updated")
    return 0


def import_reports(hub: HubDB, args: argparse.Namespace) -> int:
    from tipline_tui.hub.operator import ImportRefused
    from tipline_tui.hub.operator import import_reports as store_reports

    files: list[Path] = []
    for path in args.paths:
        files += sorted(path.rglob("*.xml")) if path.is_dir() else [path]
    try:
        documents = [f.read_bytes() for f in files]
    except OSError as exc:
        return file_error(f"cannot read {one_line(str(exc.filename))}")
    try:
        ids = store_reports(hub, documents)
    except ImportRefused as exc:
        print(f"tipline: {one_line(str(exc))}; nothing was imported", file=sys.stderr)
        return 1
    for f, report_id in zip(files, ids, strict=True):
        print(f"{one_line(str(f))}: hub report #{report_id}")
    return 0
