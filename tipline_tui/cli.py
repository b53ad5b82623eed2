"""The `tipline` command."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tipline_tui import __version__
from tipline_tui.config import DB_ENV, bundled_demo_store, default_store_path
from tipline_tui.domain.intake import DocumentResult, Outcome
from tipline_tui.domain.literal import literal
from tipline_tui.settings import SettingsError
from tipline_tui.store import Store, StoreError, open_store

if TYPE_CHECKING:
    from tipline_tui.hub.db import HubDB


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tipline",
        description="Triage CyberTipline-style reports in the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"tipline {__version__}")
    parser.add_argument(
        "--db", type=Path, help=f"store file (default: ${DB_ENV}, else {default_store_path()})"
    )
    parser.add_argument("--on-call", action="store_true", help="show only urgent and overdue tips")
    parser.add_argument(
        "--insecure", action="store_true", help="allow plain http to a hub that is not loopback"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    store_option = argparse.ArgumentParser(add_help=False)
    store_option.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="store file")
    imports = commands.add_parser(
        "import",
        parents=[store_option],
        help="import CyberTipline report and fileDetails XML documents (files or directories)",
    )
    imports.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    quarantined = commands.add_parser(
        "quarantine", parents=[store_option], help="list quarantined documents, or show one"
    )
    quarantined.add_argument("id", nargs="?", type=int, help="quarantine id to show")
    related = commands.add_parser(
        "related",
        parents=[store_option],
        help="prior reports about the same people as a tip, ranked, with reasons",
    )
    related.add_argument("report_id", type=int, metavar="REPORT_ID")
    related.add_argument("--json", action="store_true", help="machine-readable output")
    related.add_argument("--limit", type=int, default=20)
    suggested = commands.add_parser(
        "suggest",
        parents=[store_option],
        help="suggested jurisdiction and agencies for a tip, with the signals behind them",
    )
    suggested.add_argument("report_id", type=int, metavar="REPORT_ID")
    suggested.add_argument("--json", action="store_true", help="machine-readable output")
    quarantined.add_argument(
        "--raw", action="store_true", help="write the document's original bytes to stdout"
    )
    _add_audit_commands(commands, store_option)
    _add_agency_commands(commands, store_option)
    _add_hub_commands(commands)
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
    sync = commands.add_parser(
        "sync", parents=[store_option], help="one sync round with the hub: push, then pull"
    )
    sync.add_argument(
        "--insecure",
        action="store_true",
        default=argparse.SUPPRESS,
        help="allow plain http to a hub that is not loopback",
    )
    data = commands.add_parser(
        "demo-data", help="generate a synthetic store (deterministic for a seed)"
    )
    data.add_argument("--reports", type=int, default=3000, help="number of tips (default 3000)")
    data.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    data.add_argument("--out", type=Path, required=True, help="new store file to write")
    return parser


def _fail(message: str) -> int:
    print(f"tipline: {message}", file=sys.stderr)
    return 2


def _run_app(
    store: Store,
    *,
    demo: bool,
    on_call: bool = False,
    insecure: bool = False,
    demo_hub: Any = None,
    pace: float = 0,
) -> None:
    from tipline_tui.app import TiplineApp
    from tipline_tui.settings import load_settings
    from tipline_tui.store.service import TipService

    settings = load_settings()
    sync = feed = None
    hub_url = None if demo else settings.hub_url
    analyst = settings.analyst
    if demo_hub is not None:  # the demo never talks to a configured real hub
        from tipline_tui.demo.live import DEMO_ANALYST, DemoFeed

        sync = demo_hub.sync_loop()
        feed = DemoFeed(demo_hub, pace=pace)
        hub_url = "the in-process demo hub"
        analyst = DEMO_ANALYST  # the demo hub's analyst account
    elif not demo and settings.hub_url and settings.hub_token:
        from tipline_tui.sync.client import HubConfig, SyncClient
        from tipline_tui.sync.loop import SyncLoop

        config = HubConfig(settings.hub_url, settings.hub_token, insecure=insecure)
        sync = SyncLoop(SyncClient(store, config))
    geoip = None
    if not demo:  # the demo never reads the operator's data
        from tipline_tui.geoip import GeoIpError, geoip_path_from_env, open_geoip

        try:
            geoip = open_geoip(geoip_path_from_env())
        except GeoIpError as exc:  # a configured database that cannot be read: say so, exit 2
            raise SettingsError(str(exc)) from None
    TiplineApp(
        TipService(store, geoip=geoip),
        demo=demo,
        analyst=analyst,
        time_limits=settings.time_limits,
        on_call=on_call,
        hub_url=hub_url,
        sync=sync,
        feed=feed,
    ).run()


def _audit_cli_action(conn: Any, action: str, after: dict[str, Any]) -> None:
    """Changes made from the command line are audited too, under the login name."""
    import getpass

    from tipline_tui.store import audit

    audit.record(conn, actor=getpass.getuser(), action=action, at=int(time.time()), after=after)


def _exit_cleanly_on_hangup() -> None:
    """SIGHUP/SIGTERM become SystemExit, so `finally` blocks run and temp files go."""
    import signal

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, leave)


def _demo(on_call: bool = False, pace: float = 20.0) -> int:
    from tipline_tui.demo.live import DemoHub
    from tipline_tui.store.maintenance import newest_received, shift_received

    source = bundled_demo_store()
    if not source.is_file() or source.stat().st_size == 0:
        return _fail(f"the bundled demo store is missing ({source}); reinstall tipline-tui")
    workdir = Path(tempfile.mkdtemp(prefix="tipline-demo-"))
    _exit_cleanly_on_hangup()  # an SSH drop must still remove the temporary copy
    try:
        copy = workdir / "demo.sqlite"
        shutil.copyfile(source, copy)
        copy.chmod(0o600)
        store = open_store(copy, create=False)
        with store.write() as conn:
            newest = newest_received(conn)
            if newest is not None:
                shift_received(conn, int(time.time()) - 300 - newest)
        demo_hub = DemoHub(workdir, store)  # seeded by the app's feed worker
        _run_app(store, demo=True, on_call=on_call, demo_hub=demo_hub, pace=pace)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    if args.reports < 0:
        return _fail("--reports must be zero or more")
    if args.out.exists():
        return _fail(f"{args.out} already exists; choose a new file")
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


def _upgrading(old: int, new: int) -> None:
    print(
        f"tipline: upgrading the store from schema {old} to {new}; "
        "a large store takes a few minutes (re-indexing names), once",
        file=sys.stderr,
        flush=True,
    )


def _store(args: argparse.Namespace) -> Store:
    return open_store(getattr(args, "db", None) or default_store_path(), on_migrate=_upgrading)


def _import(args: argparse.Namespace) -> int:
    from tipline_tui.importer import Importer, ImportUsageError

    store = _store(args)
    counts = dict.fromkeys(Outcome, 0)
    try:
        for result in Importer(store).run(args.paths):
            counts[result.outcome] += 1
            print(_describe(result))
    except ImportUsageError as exc:
        return _fail(str(exc))
    finally:
        store.close()
    print(
        f"{counts[Outcome.IMPORTED]} imported, {counts[Outcome.ATTACHED]} files attached, "
        f"{counts[Outcome.DUPLICATE]} already in the store, "
        f"{counts[Outcome.QUARANTINED]} quarantined",
        file=sys.stderr,
    )
    return 1 if counts[Outcome.QUARANTINED] else 0


def _describe(result: DocumentResult) -> str:
    name = literal(result.name, multiline=False)
    if result.outcome is Outcome.IMPORTED:
        return f"{name}: imported as tip #{result.report_id}"
    if result.outcome is Outcome.ATTACHED:
        return (
            f"{name}: attached {literal(result.detail, multiline=False)} to tip #{result.report_id}"
        )
    if result.outcome is Outcome.DUPLICATE:
        return f"{name}: {literal(result.detail, multiline=False)}"
    lines = [f"{name}: QUARANTINED as #{result.quarantine_id} ({len(result.problems)} problems)"]
    if result.detail:
        lines[0] += f"; {result.detail}"
    lines += [f"    {literal(p, multiline=False)}" for p in result.problems]
    return "\n".join(lines)


def _quarantine(args: argparse.Namespace) -> int:
    from tipline_tui.store import intake
    from tipline_tui.widgets.format import utc_text

    store = _store(args)
    try:
        with store.read() as conn:
            if args.id is None:
                documents = intake.list_quarantine(conn)
                if not documents:
                    print("nothing is quarantined")
                for doc in documents:
                    first = literal(doc.problems[0], multiline=False) if doc.problems else ""
                    print(
                        f"#{doc.id}  {utc_text(doc.received_at)}  "
                        f"{literal(doc.file_name, multiline=False)}  "
                        f"{len(doc.problems)} problems: {first}"
                    )
                return 0
            doc = intake.get_quarantined(conn, args.id)
    finally:
        store.close()
    if doc is None:
        return _fail(f"no quarantined document #{args.id}")
    if args.raw:
        sys.stdout.buffer.write(doc.content or b"")
        return 0
    print(f"#{doc.id} {literal(doc.file_name, multiline=False)}")
    print(f"received {utc_text(doc.received_at)}, {doc.size:,} bytes, sha256 {doc.sha256}")
    print(f"{len(doc.problems)} problems:")
    for problem in doc.problems:
        print(f"  {literal(problem, multiline=False)}")
    print("document (shown literally; --raw writes the original bytes):")
    print(literal((doc.content or b"")[:4000].decode("utf-8", errors="replace")))
    return 0


def _related(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from tipline_tui.store.related import related_reports
    from tipline_tui.store.tip_load import load_tip
    from tipline_tui.widgets.format import utc_text

    store = _store(args)
    try:
        with store.read() as conn:
            if load_tip(conn, args.report_id) is None:
                return _fail(f"no tip #{args.report_id} in this store")
            found = related_reports(conn, args.report_id, args.limit)
    finally:
        store.close()
    if args.json:
        print(json.dumps([asdict(r) for r in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print(f"no related reports for tip #{args.report_id}")
    for r in found:
        jurisdiction = literal(r.jurisdiction, multiline=False) or "-"
        print(
            f"#{r.report_id}  score {r.score:.2f}  {utc_text(r.received_at)}  "
            f"{literal(r.incident_type, multiline=False)}  {r.status}  {jurisdiction}"
        )
        for reason in r.reasons:
            print(f"    {literal(reason, multiline=False)}")
    return 0


# ------------------------------------------------------------------ audit


def _add_audit_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    store_option: argparse.ArgumentParser,
) -> None:
    audit = commands.add_parser(
        "audit", parents=[store_option], help="verify the audit log, or show a tip's history"
    )
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    actions.add_parser(
        "verify",
        parents=[store_option],
        help="check the hash chain; name every changed, deleted or forged entry",
    )
    show = actions.add_parser("show", parents=[store_option], help="a tip's audit history")
    show.add_argument("report_id", type=int, metavar="REPORT_ID")
    show.add_argument("--json", action="store_true", help="machine-readable output")


def _safe_json(value: object) -> str:
    """JSON that cannot drive a terminal: every control character is a \\u escape.

    json.dumps escapes C0 controls itself; C1 and bidi controls it leaves raw
    (they may only occur inside strings, where an escape means the same).
    """
    import json
    import re

    text = json.dumps(value, indent=2, ensure_ascii=False)
    unsafe = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
    return unsafe.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _audit_value(value: object, limit: int = 160) -> str:
    """A before/after value in one compact, inert line."""
    import json

    text = "-" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = literal(text, multiline=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _audit(args: argparse.Namespace) -> int:
    from dataclasses import asdict
    from datetime import UTC, datetime

    from tipline_tui.store import audit

    if args.audit_command == "verify":
        store = _store(args)
        try:
            with store.read() as conn:
                check = audit.verify(conn)
        finally:
            store.close()
        if check.ok:
            print(f"audit log intact: {check.entries} entries")
            return 0
        print(f"audit log NOT intact: {len(check.problems)} problems in {check.entries} entries")
        for problem in check.problems:
            print(f"  {literal(problem, multiline=False)}")
        return 1
    from tipline_tui.store.tip_load import load_tip

    store = _store(args)
    try:
        with store.read() as conn:
            entries = audit.history(conn, args.report_id)
            exists = bool(entries) or load_tip(conn, args.report_id) is not None
    finally:
        store.close()
    if not exists:
        return _fail(f"no tip #{args.report_id} in this store")
    if args.json:
        print(_safe_json([asdict(e) for e in entries]))
        return 0
    if not entries:
        print(f"no audit entries for tip #{args.report_id}")
    for e in entries:
        when = datetime.fromtimestamp(e.at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        line = f"{when}  {literal(e.actor, multiline=False)}  {literal(e.action, multiline=False)}"
        if e.before is not None or e.after is not None:
            line += f"  {_audit_value(e.before)} → {_audit_value(e.after)}"
        print(line)
    return 0


# ------------------------------------------------------------------ agencies


def _add_agency_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    store_option: argparse.ArgumentParser,
) -> None:
    agencies = commands.add_parser(
        "agencies", parents=[store_option], help="import, export or list the agency directory"
    )
    actions = agencies.add_subparsers(dest="agencies_command", metavar="ACTION", required=True)
    imports = actions.add_parser(
        "import",
        parents=[store_option],
        help="add or update agencies from a CSV file (all or nothing; never deletes)",
    )
    imports.add_argument("file", type=Path, metavar="FILE.csv")
    export = actions.add_parser(
        "export", parents=[store_option], help="write the directory as CSV (stdout by default)"
    )
    export.add_argument("file", nargs="?", default="-", metavar="FILE", help="'-' for stdout")
    actions.add_parser("list", parents=[store_option], help="the directory as a table")


def _file_error(message: str) -> int:
    print(f"tipline: {message}", file=sys.stderr)
    return 1


def _agencies(args: argparse.Namespace) -> int:
    from tipline_tui.domain.agency_csv import AgencyFileError, format_agencies, parse_agencies
    from tipline_tui.store.directory import list_agencies, upsert_agencies

    if args.agencies_command == "import":
        name = literal(str(args.file), multiline=False)
        try:
            data = args.file.read_bytes()
        except OSError as exc:
            return _file_error(f"cannot read {name}: {exc.strerror or exc}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return _file_error(f"{name}:{line}: not UTF-8 text (byte {data[exc.start]:#04x})")
        try:
            agencies = parse_agencies(text)
        except AgencyFileError as exc:
            for problem in exc.problems:
                print(f"{name}:{literal(problem, multiline=False)}", file=sys.stderr)
            print(f"tipline: {len(exc.problems)} problems; nothing was imported", file=sys.stderr)
            return 1
        store = _store(args)
        try:
            with store.write() as conn:
                added, updated = upsert_agencies(conn, agencies)
                _audit_cli_action(
                    conn,
                    "agencies_import",
                    {"file": str(args.file), "added": added, "updated": updated},
                )
        finally:
            store.close()
        print(f"{added} added, {updated} updated")
        return 0
    store = _store(args)
    try:
        with store.read() as conn:
            agencies = list_agencies(conn)
    finally:
        store.close()
    if args.agencies_command == "export":
        text = format_agencies(agencies)
        if args.file == "-":
            sys.stdout.write(text)
            return 0
        try:
            with open(args.file, "w", encoding="utf-8", newline="") as out:
                out.write(text)
        except OSError as exc:
            name = literal(args.file, multiline=False)
            return _file_error(f"cannot write {name}: {exc.strerror or exc}")
        print(f"{len(agencies)} agencies written to {literal(args.file, multiline=False)}")
        return 0
    if not agencies:
        print("the agency directory is empty (tipline agencies import FILE.csv)")
    rows = [
        (
            a.kind,
            a.state or "",
            a.country or "",
            "yes" if a.takes_urgent else "no",
            literal(a.name, multiline=False),
            literal(a.contact, multiline=False),
        )
        for a in agencies
    ]
    if rows:
        header = ("kind", "state", "country", "urgent", "name", "contact")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
        for r in [header, *rows]:
            cells = [literal(c, multiline=False).ljust(w) for c, w in zip(r, widths, strict=False)]
            print("  ".join([*cells, r[-1]]).rstrip())
    return 0


def _suggest(args: argparse.Namespace) -> int:
    import json

    from tipline_tui.domain.enums import is_urgent
    from tipline_tui.domain.jurisdiction import suggest
    from tipline_tui.geoip import GeoIpError, geoip_path_from_env, open_geoip
    from tipline_tui.store.directory import list_agencies
    from tipline_tui.store.tip_load import load_tip

    geoip_path = geoip_path_from_env()
    try:
        geoip = open_geoip(geoip_path)
    except GeoIpError as exc:
        return _fail(str(exc))
    store = _store(args)
    try:
        with store.read() as conn:
            tip = load_tip(conn, args.report_id)
            if tip is None:
                return _fail(f"no tip #{args.report_id} in this store")
            agencies = list_agencies(conn)
    finally:
        store.close()
    urgent = is_urgent(tip.analysis.priority, tip.report.escalated)
    found = suggest(tip.report, agencies, geoip=geoip, urgent=urgent)
    if geoip is None:
        geo_note = "not configured" if geoip_path is None else f"{geoip_path} not found"
    else:
        geo_note = f"on ({geoip_path})"

    def text(value: str | None) -> str | None:
        return None if value is None else literal(value, multiline=False)

    if args.json:
        data = {
            "report_id": args.report_id,
            "outcome": found.outcome.value,
            "summary": text(found.summary),
            "legal_process": text(found.legal_process),
            "urgent": urgent,
            "ip_geolocation": geoip is not None,
            "signals": [
                {
                    "source": s.source,
                    "place": s.place.label(),
                    "strength": round(s.strength, 3),
                    "reason": text(s.reason),
                }
                for s in found.signals
            ],
            "places": [{"place": p.label(), "strength": round(v, 3)} for p, v in found.places],
            "agencies": [
                {
                    "id": c.agency.id,
                    "name": text(c.agency.name),
                    "kind": text(c.agency.kind),
                    "state": text(c.agency.state),
                    "country": text(c.agency.country),
                    "takes_urgent": c.agency.takes_urgent,
                    "score": c.score,
                    "reasons": [text(r) for r in c.reasons],
                }
                for c in found.agencies
            ],
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"tip #{args.report_id}: {text(found.summary)}")
    if found.legal_process:
        print(f"  {text(found.legal_process)}")
    print(f"signals ({len(found.signals)}; IP geolocation {text(geo_note)}):")
    for s in found.signals:
        print(f"  {s.strength:.2f}  {s.place.label():<6} {text(s.reason)}")
    if not found.agencies:
        why = (
            "the tip stays with the clearinghouse" if not found.places else "none in the directory"
        )
        print(f"agencies: none ({why})")
        return 0
    order = "urgent tip: agencies taking urgent referrals first" if urgent else "best first"
    print(f"agencies ({order}):")
    for c in found.agencies:
        urgent_mark = "" if c.agency.takes_urgent else "  (no urgent referrals)"
        print(f"  {c.score:.2f}  {text(c.agency.name)}{urgent_mark}")
        for reason in c.reasons:
            print(f"        {text(reason)}")
    return 0


# ------------------------------------------------------------------ hub


def _add_hub_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`tipline hub ...`: run the hub and manage its accounts, agencies and reports."""
    from tipline_tui.hub.paths import HUB_DB_ENV

    db_option = argparse.ArgumentParser(add_help=False)
    db_option.add_argument(
        "--db",
        dest="hub_db",
        metavar="URL",
        help=f"hub database: sqlite:///PATH or postgresql+psycopg://... (default: ${HUB_DB_ENV}, "
        "else hub.sqlite in the user data dir)",
    )
    hub = commands.add_parser("hub", help="run the hub, manage its accounts, agencies, reports")
    actions = hub.add_subparsers(dest="hub_command", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", parents=[db_option], help="serve the hub (uvicorn)")
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
    esp = actions.add_parser("esp", help="ESP accounts (HTTP Basic for /ispws)")
    esp_actions = esp.add_subparsers(dest="esp_command", metavar="ACTION", required=True)
    esp_add = esp_actions.add_parser(
        "add", parents=[db_option], help="add an ESP; prints its secret once"
    )
    esp_add.add_argument("name", metavar="NAME")
    user = actions.add_parser("user", help="analyst accounts (bearer tokens for /v1)")
    user_actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    user_add = user_actions.add_parser(
        "add", parents=[db_option], help="add an analyst; prints the token once"
    )
    user_add.add_argument("name", metavar="NAME")
    user_add.add_argument("--role", required=True, choices=("analyst", "oncall", "supervisor"))
    token = actions.add_parser(
        "agency-token",
        parents=[db_option],
        help="make (or replace) an agency's token for /v1/agency; prints it once",
    )
    token.add_argument("agency", metavar="AGENCY_NAME")
    agencies = actions.add_parser("agencies", help="the hub's agency directory")
    agency_actions = agencies.add_subparsers(
        dest="hub_agencies_command", metavar="ACTION", required=True
    )
    agency_actions.add_parser(
        "import", parents=[db_option], help="add or update agencies from a CSV file"
    ).add_argument("file", type=Path, metavar="FILE.csv")
    imports = actions.add_parser(
        "import", parents=[db_option], help="store finished report XML documents on the hub"
    )
    imports.add_argument("paths", nargs="+", type=Path, metavar="XML")


def _print_secret(lines: list[str]) -> None:
    for line in lines:
        print(line)
    print("(shown once: the hub keeps only a hash of it)", file=sys.stderr)


def _hub(args: argparse.Namespace) -> int:
    from tipline_tui.hub.auth import AccountError
    from tipline_tui.hub.db import HubError, open_hub
    from tipline_tui.hub.paths import default_evidence_dir, default_hub_url

    url = args.hub_db or default_hub_url()
    try:
        hub = open_hub(url)
    except HubError as exc:
        return _fail(str(exc))
    except Exception as exc:  # a database that is down or refuses us: say so, not a traceback
        return _fail(f"cannot open the hub database: {exc.__class__.__name__}: {exc}")
    try:
        if args.hub_command == "serve":
            return _hub_serve(hub, args, args.evidence or default_evidence_dir(), url)
        if args.hub_command in ("esp", "user", "agency-token"):
            try:
                return _hub_account(hub, args)
            except AccountError as exc:
                return _fail(str(exc))
        if args.hub_command == "agencies":
            return _hub_agencies(hub, args.file)
        return _hub_import(hub, args.paths)
    finally:
        hub.close()


EXPIRY_SWEEP_EVERY = 600.0  # seconds between sweeps of unfinished ESP reports into "expired"


def _hub_serve(hub: HubDB, args: argparse.Namespace, evidence: Path, url: str) -> int:
    import ipaddress

    import uvicorn

    from tipline_tui.hub.app import create_app
    from tipline_tui.hub.paths import default_snapshot_dir
    from tipline_tui.hub.snapshot import SnapshotKeeper

    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback:
        print(
            f"tipline: warning: serving on {args.host}: the hub speaks plain HTTP; terminate "
            "TLS in front of it (a reverse proxy) before anything crosses a network",
            file=sys.stderr,
        )
    evidence.mkdir(parents=True, exist_ok=True, mode=0o700)
    keeper = (
        None
        if args.no_snapshots
        else SnapshotKeeper(hub, args.snapshots or default_snapshot_dir(url))
    )
    uvicorn.run(  # the app's lifespan starts and stops the snapshot keeper's thread
        create_app(hub, evidence_dir=evidence, snapshots=keeper, sweep_every=EXPIRY_SWEEP_EVERY),
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=False,  # request lines carry no secrets, but keep logs lean
    )
    return 0


def _hub_account(hub: HubDB, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from tipline_tui.hub.auth import create_account
    from tipline_tui.hub.tables import HubAgency

    with hub.write() as conn:
        now = hub.now()
        if args.hub_command == "esp":
            secret = create_account(conn, kind="esp", name=args.name, now=now)
            _print_secret([f"username: {args.name}", f"password: {secret}"])
            return 0
        if args.hub_command == "user":
            secret = create_account(conn, kind="user", name=args.name, role=args.role, now=now)
            _print_secret([f"token: {args.name}:{secret}"])
            return 0
        agency_table = HubAgency.__table__
        agency_id = conn.execute(
            select(agency_table.c.id).where(agency_table.c.name == args.agency)
        ).scalar()
        if agency_id is None:
            return _fail(
                f"no agency named {literal(args.agency, multiline=False)!r} on the hub "
                "(tipline hub agencies import FILE.csv)"
            )
        name = f"agency-{agency_id}"
        secret = create_account(
            conn, kind="agency", name=name, agency_id=agency_id, now=now, replace=True
        )
    _print_secret([f"token: {name}:{secret}"])
    return 0


def _hub_agencies(hub: HubDB, path: Path) -> int:
    from tipline_tui.domain.agency_csv import AgencyFileError, parse_agencies
    from tipline_tui.hub.operator import import_agencies

    name = literal(str(path), multiline=False)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return _file_error(f"cannot read {name}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        return _file_error(f"{name}: not UTF-8 text")
    try:
        agencies = parse_agencies(text)
    except AgencyFileError as exc:
        for problem in exc.problems:
            print(f"{name}:{literal(problem, multiline=False)}", file=sys.stderr)
        print(f"tipline: {len(exc.problems)} problems; nothing was imported", file=sys.stderr)
        return 1
    added, updated = import_agencies(hub, agencies)
    print(f"{added} added, {updated} updated")
    return 0


def _hub_import(hub: HubDB, paths: list[Path]) -> int:
    from tipline_tui.hub.operator import ImportRefused, import_reports

    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.xml")) if path.is_dir() else [path]
    try:
        documents = [f.read_bytes() for f in files]
    except OSError as exc:
        return _file_error(f"cannot read {literal(str(exc.filename), multiline=False)}")
    try:
        ids = import_reports(hub, documents)
    except ImportRefused as exc:
        print(
            f"tipline: {literal(str(exc), multiline=False)}; nothing was imported", file=sys.stderr
        )
        return 1
    for f, report_id in zip(files, ids, strict=True):
        print(f"{literal(str(f), multiline=False)}: hub report #{report_id}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    import asyncio

    from tipline_tui.settings import load_settings, settings_path
    from tipline_tui.sync.client import HubConfig, SyncClient, SyncError

    settings = load_settings()
    if not settings.hub_url or not settings.hub_token:
        print(
            f"tipline: no hub configured: set [hub] url and token in {settings_path()} "
            "(chmod 600), or TIPLINE_HUB_URL and TIPLINE_HUB_TOKEN",
            file=sys.stderr,
        )
        return 1
    store = _store(args)

    async def one_round() -> int:
        try:
            client = SyncClient(
                store, HubConfig(settings.hub_url, settings.hub_token, args.insecure)
            )
        except SyncError as exc:
            print(f"tipline: {exc}", file=sys.stderr)
            return 1
        try:
            result = await client.sync_once()
        except SyncError as exc:
            print(f"tipline: {exc}; every action stays queued", file=sys.stderr)
            return 1
        finally:
            await client.aclose()
            await store.aclose()
        c = result.counts
        print(
            f"pushed {result.pushed} actions, pulled {result.pulled} changes; "
            f"{c.pending} pending, {c.conflicts} conflicts, {c.rejected} rejected"
            + (f", {c.local_only} on tips the hub does not have" if c.local_only else "")
        )
        return 0

    return asyncio.run(one_round())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args.on_call, args.pace)
        if args.command == "demo-data":
            return _demo_data(args)
        if args.command == "import":
            return _import(args)
        if args.command == "quarantine":
            return _quarantine(args)
        if args.command == "related":
            return _related(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "agencies":
            return _agencies(args)
        if args.command == "suggest":
            return _suggest(args)
        if args.command == "hub":
            return _hub(args)
        if args.command == "sync":
            return _sync(args)
        store = open_store(args.db or default_store_path(), on_migrate=_upgrading)
        _run_app(store, demo=False, on_call=args.on_call, insecure=args.insecure)
        return 0
    except (StoreError, SettingsError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
