"""`tipline audit verify` (the hash chain) and `tipline audit show` (a tip's history)."""

from __future__ import annotations

import argparse

from tipline_tui.cli.common import Commands, read_store, store_option
from tipline_tui.cli.output import compact_value, fail, one_line, safe_json
from tipline_tui.widgets.format import plural, utc_text


def add_commands(commands: Commands) -> None:
    audit = commands.add_parser(
        "audit", parents=[store_option()], help="verify the audit log, or show a tip's history"
    )
    actions = audit.add_subparsers(
        dest="audit_command", metavar="ACTION", required=True, help="what to do"
    )
    verify = actions.add_parser(
        "verify",
        parents=[store_option()],
        help="check the hash chain; name every changed, deleted or forged entry",
    )
    verify.set_defaults(func=verify_log)
    show = actions.add_parser("show", parents=[store_option()], help="a tip's audit history")
    show.add_argument("report_id", type=int, metavar="REPORT_ID", help="the tip's number")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=show_history)


def verify_log(args: argparse.Namespace) -> int:
    """Exit 1 when the chain is broken."""
    from tipline_tui.store import audit

    with read_store(args) as conn:
        check = audit.verify(conn)
    if check.ok:
        print(f"audit log intact: {plural(check.entries, 'entry', 'entries')}")
        return 0
    problems = plural(len(check.problems), "problem")
    print(f"audit log NOT intact: {problems} in {plural(check.entries, 'entry', 'entries')}")
    for problem in check.problems:
        print(f"  {one_line(problem)}")
    return 1


def show_history(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from tipline_tui.store import audit
    from tipline_tui.store.tip_load import tip_exists

    with read_store(args) as conn:
        entries = audit.history(conn, args.report_id)
        exists = bool(entries) or tip_exists(conn, args.report_id)
    if not exists:
        return fail(f"no tip #{args.report_id} in this store")
    if args.json:
        print(safe_json([asdict(e) for e in entries]))
        return 0
    if not entries:
        print(f"no audit entries for tip #{args.report_id}")
    for e in entries:
        when = utc_text(e.at, seconds=True)  # the one date format; seconds, as evidence
        line = f"{when}  {one_line(e.actor)}  {one_line(e.action)}"
        if e.before is not None or e.after is not None:
            line += f"  {compact_value(e.before)} → {compact_value(e.after)}"
        print(line)
    return 0
