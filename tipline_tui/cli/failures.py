"""A store a command cannot read or write: one line naming the problem and the file, exit 2.

The words come from `store.problems` (the app uses the same); the traceback,
with its SQL and values, goes to the failure log only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tipline_tui.cli.common import store_path
from tipline_tui.cli.output import fail
from tipline_tui.config import default_log_path
from tipline_tui.failure_log import write_failure
from tipline_tui.settings import SettingsError, load_settings
from tipline_tui.store.problems import storage_problem

HUB_DATABASE = "the hub database"


def _hub_file(url: str) -> str:
    """A SQLite hub's file; a server URL is never printed (it may hold a password)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return HUB_DATABASE
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return HUB_DATABASE


def _file(args: argparse.Namespace) -> str:
    """The database file the command was working on."""
    command = getattr(args, "command", None)
    hub_url = getattr(args, "hub_url", None)
    if command == "hub" and isinstance(hub_url, str):
        return _hub_file(hub_url)
    if command == "demo-data" and getattr(args, "out", None) is not None:
        return str(args.out)
    try:
        return str(store_path(args))
    except SettingsError:
        return "the store"


def _log_path() -> Path:
    try:
        return load_settings().log_path()
    except SettingsError:
        return default_log_path()


def storage_failed(args: argparse.Namespace, error: BaseException) -> int:
    """Say in one line what is wrong with which file; log the details; exit 2."""
    command = getattr(args, "command", None) or "tipline"
    reason = storage_problem(error) or f"the store could not be used ({type(error).__name__})"
    log = _log_path()
    if write_failure(log, f"tipline {command}", error):
        where = f"details in {log}"
    else:
        where = f"the log ({log}) could not be written either"
    return fail(f"{command} failed: {reason} ({_file(args)}); {where}")
