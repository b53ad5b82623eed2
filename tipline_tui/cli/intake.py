"""`tipline import` (report and fileDetails XML into the store) and `tipline quarantine`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tipline_tui.cli.common import Commands, opened_store, read_store, store_option
from tipline_tui.cli.output import fail, one_line

if TYPE_CHECKING:
    from tipline_tui.domain.intake import DocumentResult


def add_commands(commands: Commands) -> None:
    imports = commands.add_parser(
        "import",
        parents=[store_option()],
        help="import CyberTipline report and fileDetails XML documents (files or directories)",
    )
    imports.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="XML files, or directories (every *.xml under them)",
    )
    imports.set_defaults(func=import_documents)
    quarantined = commands.add_parser(
        "quarantine", parents=[store_option()], help="list quarantined documents, or show one"
    )
    quarantined.add_argument(
        "id", nargs="?", type=int, help="quarantine id to show (none: list them all)"
    )
    quarantined.add_argument(
        "--raw", action="store_true", help="write the document's original bytes to stdout"
    )
    quarantined.set_defaults(func=quarantine)


def import_documents(args: argparse.Namespace) -> int:
    """Exit 1 when anything was quarantined, so a script notices. The paths are checked
    before the store is opened: a mistyped path creates no store."""
    from tipline_tui.domain.intake import Outcome
    from tipline_tui.importer import Importer, ImportUsageError, find_documents
    from tipline_tui.widgets.format import plural

    try:
        files = find_documents(args.paths)
    except ImportUsageError as exc:
        return fail(str(exc))
    counts = dict.fromkeys(Outcome, 0)
    with opened_store(args, writes=True) as store:
        try:
            for result in Importer(store).run(files):
                counts[result.outcome] += 1
                print(describe(result))
        except ImportUsageError as exc:
            return fail(str(exc))
    print(
        f"{counts[Outcome.IMPORTED]} imported, "
        f"{plural(counts[Outcome.ATTACHED], 'file')} attached, "
        f"{counts[Outcome.DUPLICATE]} already in the store, "
        f"{counts[Outcome.QUARANTINED]} quarantined",
        file=sys.stderr,
    )
    return 1 if counts[Outcome.QUARANTINED] else 0


def describe(result: DocumentResult) -> str:
    from tipline_tui.domain.intake import Outcome

    name = one_line(result.name)
    if result.outcome is Outcome.IMPORTED:
        return f"{name}: imported as tip #{result.report_id}"
    if result.outcome is Outcome.ATTACHED:
        return f"{name}: attached {one_line(result.detail)} to tip #{result.report_id}"
    if result.outcome is Outcome.DUPLICATE:
        return f"{name}: {one_line(result.detail)}"
    from tipline_tui.widgets.format import plural

    problems = plural(len(result.problems), "problem")
    lines = [f"{name}: QUARANTINED as #{result.quarantine_id} ({problems})"]
    if result.detail:
        lines[0] += f"; {result.detail}"
    lines += [f"    {one_line(p)}" for p in result.problems]
    return "\n".join(lines)


def quarantine(args: argparse.Namespace) -> int:
    from tipline_tui.domain.literal import literal
    from tipline_tui.store.quarantine_read import get_quarantined, list_quarantine
    from tipline_tui.widgets.format import plural, utc_text

    with read_store(args) as conn:
        if args.id is None:
            documents = list_quarantine(conn)
            if not documents:
                print("nothing is quarantined")
            for doc in documents:
                first = one_line(doc.problems[0]) if doc.problems else ""
                print(
                    f"#{doc.id}  {utc_text(doc.received_at)}  {one_line(doc.file_name)}  "
                    f"{plural(len(doc.problems), 'problem')}: {first}"
                )
            return 0
        shown = get_quarantined(conn, args.id)
    if shown is None:
        return fail(f"no quarantined document #{args.id}")
    doc = shown
    if args.raw:
        sys.stdout.buffer.write(doc.content or b"")
        return 0
    print(f"#{doc.id} {one_line(doc.file_name)}")
    print(f"received {utc_text(doc.received_at)}, {doc.size:,} bytes, sha256 {doc.sha256}")
    print(f"{plural(len(doc.problems), 'problem')}:")
    for problem in doc.problems:
        print(f"  {one_line(problem)}")
    print("document (shown literally; --raw writes the original bytes):")
    print(literal((doc.content or b"")[:4000].decode("utf-8", errors="replace")))
    return 0
