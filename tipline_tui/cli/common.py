"""What commands share: the `--db` option, opening and closing the store, CLI audit entries.

Light to import: `tipline --help` loads every command module, so the store and the
settings (SQLAlchemy, pydantic) are imported by the functions that use them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tipline_tui.config import default_store_path

if TYPE_CHECKING:
    import sqlite3

    from tipline_tui.store import Store

Commands = argparse._SubParsersAction  # the type of `parser.add_subparsers()`


def store_option() -> argparse.ArgumentParser:
    """`--db` after a command name too (`tipline related --db X 1`); the global one wins
    when only it is given."""
    option = argparse.ArgumentParser(add_help=False)
    option.add_argument(
        "--db", type=Path, default=argparse.SUPPRESS, metavar="PATH", help="store file"
    )
    return option


def _upgrading(old: int, new: int) -> None:
    from tipline_tui.store.migrations import upgrade_notice

    print(f"tipline: {upgrade_notice(old, new)}", file=sys.stderr, flush=True)


def store_path(args: argparse.Namespace) -> Path:
    """`--db`, else TIPLINE_DB or the settings file's `db`, else the user data dir."""
    given: Path | None = getattr(args, "db", None)
    if given:
        return given
    from tipline_tui.settings import load_settings  # pydantic: only when it is needed

    return load_settings().store_path()


def open_command_store(args: argparse.Namespace, *, writes: bool) -> Store:
    """The store a command works on; StoreError (a clear message, exit 2) when it cannot.

    A command that only reads never creates a store and may read the bundled demo
    store; one that `writes` creates a missing store file, in an existing directory
    (a mistyped --db should not start an empty store), except the default store,
    whose directory is made on first use.
    """
    from tipline_tui.store import open_store

    path = store_path(args)
    return open_store(
        path,
        create=writes,
        make_dirs=writes and path == default_store_path(),
        only_reads=not writes,
        on_migrate=_upgrading,
    )


@contextmanager
def opened_store(args: argparse.Namespace, *, writes: bool) -> Iterator[Store]:
    """The command's store, closed again however the command ends; an SQLite error while
    using it (locked, disk full, damaged) reaches main(), which says it in one line naming
    the file and logs the details (cli/failures.py)."""
    store = open_command_store(args, writes=writes)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def read_store(args: argparse.Namespace) -> Iterator[sqlite3.Connection]:
    """One read transaction on the command's store through bare sqlite3, for a command
    that only reads: its readers are SQL (store/sql_rows.py), so it never imports
    SQLAlchemy, which alone costs more than such a command may take (issue 13)."""
    with opened_store(args, writes=False) as store, store.plain_read() as conn:
        yield conn


def audit_cli_action(conn: Any, action: str, after: dict[str, Any]) -> None:
    """Changes made from the command line are audited too, under the login name."""
    import getpass
    import time

    from tipline_tui.store import audit

    audit.record(conn, actor=getpass.getuser(), action=action, at=int(time.time()), after=after)
