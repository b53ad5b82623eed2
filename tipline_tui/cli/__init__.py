"""The `tipline` command: the parser, and main() running the command it chose.

Each command group lives in its own module: its `add_commands` builds its part of
the parser and binds its functions with `set_defaults(func=...)`; plain `tipline`
runs the app (cli/run.py). A new group is one more entry in COMMAND_GROUPS.

Building the parser imports nothing heavy: the command modules import the store,
the settings, Textual and the rest inside the functions that use them, so
`tipline --help` costs about what argparse does (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tipline_tui import __version__
from tipline_tui.cli import agencies, audit, hub, intake, keys, run, suggest, sync, train
from tipline_tui.cli.common import Commands
from tipline_tui.cli.exits import INTERRUPTED, READER_GONE, exit_codes_text
from tipline_tui.cli.output import fail
from tipline_tui.config import DB_ENV, default_store_path

__all__ = ["build_parser", "main"]

# In the order `tipline --help` lists them.
COMMAND_GROUPS: tuple[Callable[[Commands], None], ...] = (
    intake.add_commands,  # import, quarantine
    suggest.add_commands,  # related, suggest
    audit.add_commands,
    agencies.add_commands,
    hub.add_commands,
    run.add_demo_command,
    sync.add_commands,
    run.add_demo_data_command,
    train.add_commands,  # train new, train score
    keys.add_commands,
)


DEFAULT_STORE = "<default store>"  # filled in by _HelpFormatter


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Names the default store's path only when help is shown: finding it imports
    platformdirs, which a command given --db never needs."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        if text and DEFAULT_STORE in text:
            return text.replace(DEFAULT_STORE, str(default_store_path()))
        return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tipline",
        description="Triage CyberTipline-style reports in the terminal.\n"
        "With no COMMAND, open the queue of your store.",
        epilog=exit_codes_text(),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tipline {__version__}")
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help=f"store file (default: ${DB_ENV}, else {DEFAULT_STORE})",
    )
    parser.add_argument("--on-call", action="store_true", help="show only urgent and overdue tips")
    parser.add_argument(
        "--insecure", action="store_true", help="allow plain http to a hub that is not loopback"
    )
    parser.set_defaults(func=run.run_app)
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", help="what to do instead of opening the queue"
    )
    for add_commands in COMMAND_GROUPS:
        add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not as "Exception ignored" at exit
        return status
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        return _reader_went_away()
    except Exception as exc:
        return _failed(args, exc)


def _failed(args: argparse.Namespace, error: Exception) -> int:
    """A store or settings problem is one line, exit 2; anything else is a bug: raised.

    The error classes are imported here, once something failed: a command that
    never opened the store has not paid for SQLAlchemy, and need not now.
    """
    from tipline_tui.settings import SettingsError
    from tipline_tui.store import StoreError
    from tipline_tui.store.problems import storage_errors

    if isinstance(error, StoreError | SettingsError):
        return fail(str(error))
    if isinstance(error, storage_errors()):  # a full disk, a read-only or damaged store
        from tipline_tui.cli.failures import storage_failed

        return storage_failed(args, error)
    raise error


def _reader_went_away() -> int:
    """`tipline ... | head`: the reader closed the pipe; stop quietly (Python's recipe).

    Whatever is still buffered goes to /dev/null, so the flush at exit cannot fail
    again. Exit 141 (128 + SIGPIPE), what a shell reports for any Unix tool stopped
    this way: the output was cut short, so 0 would tell a script (`set -o pipefail`)
    that an export it piped on was complete.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return READER_GONE
