"""`tipline agencies import|export|list`, and the one reader of an agency CSV file
(`tipline hub agencies import` uses it too)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tipline_tui.cli.common import (
    Commands,
    audit_cli_action,
    opened_store,
    read_store,
    store_option,
)
from tipline_tui.cli.output import file_error, one_line, print_table
from tipline_tui.widgets.format import plural

if TYPE_CHECKING:
    from tipline_tui.domain.agency import Agency


def add_commands(commands: Commands) -> None:
    agencies = commands.add_parser(
        "agencies", parents=[store_option()], help="import, export or list the agency directory"
    )
    actions = agencies.add_subparsers(
        dest="agencies_command", metavar="ACTION", required=True, help="what to do"
    )
    imports = actions.add_parser(
        "import",
        parents=[store_option()],
        help="add or update agencies from a CSV file (all or nothing; never deletes)",
    )
    imports.add_argument(
        "file",
        type=Path,
        metavar="FILE.csv",
        help="agency directory CSV (the format `tipline agencies export` writes)",
    )
    imports.set_defaults(func=import_agencies)
    export = actions.add_parser(
        "export", parents=[store_option()], help="write the directory as CSV (stdout by default)"
    )
    export.add_argument(
        "file",
        nargs="?",
        default="-",
        metavar="FILE",
        help="CSV file to write; '-' (the default) for stdout",
    )
    export.set_defaults(func=export_agencies)
    listed = actions.add_parser("list", parents=[store_option()], help="the directory as a table")
    listed.set_defaults(func=list_directory)


def read_agency_file(path: Path) -> list[Agency] | None:
    """Every agency in a directory CSV file, or None once every problem is printed
    (each as FILE:LINE: message, the way compilers do); the command then exits 1."""
    from tipline_tui.domain.agency_csv import AgencyFileError, parse_agencies

    name = one_line(str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        file_error(f"cannot read {name}: {exc.strerror or exc}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        file_error(f"{name}:{line}: not UTF-8 text (byte {data[exc.start]:#04x})")
        return None
    try:
        return parse_agencies(text)
    except AgencyFileError as exc:
        for problem in exc.problems:
            print(f"{name}:{one_line(problem)}", file=sys.stderr)
        found = plural(len(exc.problems), "problem")
        print(f"tipline: {found}; nothing was imported", file=sys.stderr)
        return None


def import_agencies(args: argparse.Namespace) -> int:
    from tipline_tui.store.directory import upsert_agencies

    agencies = read_agency_file(args.file)
    if agencies is None:
        return 1
    with opened_store(args, writes=True) as store, store.write() as conn:
        added, updated = upsert_agencies(conn, agencies)
        audit_cli_action(
            conn, "agencies_import", {"file": str(args.file), "added": added, "updated": updated}
        )
    print(f"{added} added, {updated} updated")
    return 0


def _directory(args: argparse.Namespace) -> list[Agency]:
    from tipline_tui.store.directory_read import list_agencies

    with read_store(args) as conn:
        return list_agencies(conn)


def export_agencies(args: argparse.Namespace) -> int:
    from tipline_tui.domain.agency_csv import format_agencies

    agencies = _directory(args)
    text = format_agencies(agencies)
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(args.file, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as exc:
        return file_error(f"cannot write {one_line(args.file)}: {exc.strerror or exc}")
    print(f"{plural(len(agencies), 'agency', 'agencies')} written to {one_line(args.file)}")
    return 0


def list_directory(args: argparse.Namespace) -> int:
    agencies = _directory(args)
    if not agencies:
        print("the agency directory is empty (tipline agencies import FILE.csv)")
        return 0
    rows = [
        (
            a.kind,
            a.state or "",
            a.country or "",
            "yes" if a.takes_urgent else "no",
            one_line(a.name),
            one_line(a.contact),
        )
        for a in agencies
    ]
    print_table(("kind", "state", "country", "urgent", "name", "contact"), rows)
    return 0
