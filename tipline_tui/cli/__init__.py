"""The `tipline` command: the parser, and main() running the command it chose.

Each command group lives in its own module and binds its functions with
`set_defaults(func=...)`; plain `tipline` runs the app (cli/run.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tipline_tui import __version__
from tipline_tui.cli import agencies, audit, hub, intake, run, suggest, sync, train
from tipline_tui.cli.failures import storage_failed
from tipline_tui.cli.output import fail
from tipline_tui.config import default_store_path
from tipline_tui.settings import DB_ENV, SettingsError
from tipline_tui.store import StoreError
from tipline_tui.store.problems import STORAGE_ERRORS

__all__ = ["build_parser", "main"]

SIGPIPE_STATUS = 141  # 128 + SIGPIPE (13), as a shell reports a tool a closed pipe stopped


def build_parser() -> argparse.ArgumentParser:
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
    parser.set_defaults(func=run.run_app)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    intake.add_commands(commands)  # import, quarantine
    suggest.add_commands(commands)  # related, suggest
    audit.add_commands(commands)
    agencies.add_commands(commands)
    hub.add_commands(commands)
    run.add_demo_command(commands)
    sync.add_commands(commands)
    run.add_demo_data_command(commands)
    train.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not as "Exception ignored" at exit
        return status
    except (StoreError, SettingsError) as exc:
        return fail(str(exc))
    except STORAGE_ERRORS as exc:  # a full disk, a read-only or damaged store: words, not SQL
        return storage_failed(args, exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_went_away()


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
    return SIGPIPE_STATUS
