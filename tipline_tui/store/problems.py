"""Storage errors in plain words: the one translation the app, the sync loop and the CLI use.

SQLite reports a full disk, a read-only file or damaged pages as an error
code; SQLAlchemy wraps it with the SQL and its parameters (report values).
The analyst needs what is wrong and with which file; the rest goes to the log.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import PurePath

FULL = "the store's disk is full"
READ_ONLY = "the store is read-only"
DAMAGED = "the store file is damaged"
NOT_A_STORE = "the file is not a store, or is damaged"
DISK = "the disk failed to read or write the store"
BUSY = "the store is locked by another program"
CANNOT_OPEN = "the store file cannot be opened"
NO_PERMISSION = "the store file may not be written (permission denied)"
NO_MEMORY = "there is not enough memory"

# SQLite's primary result codes (the low byte of an extended code)
_BY_CODE = {
    3: NO_PERMISSION,  # SQLITE_PERM
    5: BUSY,  # SQLITE_BUSY
    6: BUSY,  # SQLITE_LOCKED
    7: NO_MEMORY,  # SQLITE_NOMEM
    8: READ_ONLY,  # SQLITE_READONLY
    10: DISK,  # SQLITE_IOERR
    11: DAMAGED,  # SQLITE_CORRUPT
    13: FULL,  # SQLITE_FULL
    14: CANNOT_OPEN,  # SQLITE_CANTOPEN
    26: NOT_A_STORE,  # SQLITE_NOTADB
}

# for an error without a code (made by hand, or by an older sqlite3 module)
_BY_MESSAGE = (
    ("disk is full", FULL),
    ("readonly", READ_ONLY),
    ("malformed", DAMAGED),
    ("not a database", NOT_A_STORE),
    ("disk i/o error", DISK),
    ("is locked", BUSY),
    ("unable to open", CANNOT_OPEN),
)


def storage_errors() -> tuple[type[Exception], ...]:
    """The error classes a storage failure arrives as: sqlite3's, and SQLAlchemy's wrapper
    once SQLAlchemy is loaded (a command that read through plain sqlite3 never loads it,
    and none of its errors can exist then)."""
    sqlalchemy_errors = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_errors is None:
        return (sqlite3.Error,)
    return (sqlalchemy_errors.DBAPIError, sqlite3.Error)


def _database_error(error: BaseException) -> BaseException | None:
    """The driver's own error behind `error` (SQLAlchemy's `orig`, or a cause), if any."""
    wrapper = storage_errors()[0]
    seen: BaseException | None = error
    for _ in range(5):  # a short chain: a wrapper, its cause, the driver's error
        if seen is None:
            return None
        if wrapper is not sqlite3.Error and isinstance(seen, wrapper):
            orig = getattr(seen, "orig", None)
            return orig if isinstance(orig, BaseException) else seen
        if isinstance(seen, sqlite3.Error):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _sqlite_reason(error: sqlite3.Error) -> str:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _BY_CODE:
        return _BY_CODE[code & 0xFF]
    message = str(error).lower()
    for words, reason in _BY_MESSAGE:
        if words in message:
            return reason
    # SQLite's own words name tables and columns, never values ("no such table: agency");
    # it is SQLAlchemy's wrapper that adds the statement and its parameters
    return str(error) or getattr(error, "sqlite_errorname", None) or type(error).__name__


def storage_problem(error: BaseException) -> str | None:
    """Why the store could not be read or written, in plain words; None if `error` is not a
    database error. Never quotes SQL or values (an unknown one is in SQLite's own words)."""
    found = _database_error(error)
    if found is None:
        return None
    if isinstance(found, sqlite3.Error):
        return _sqlite_reason(found)
    return f"the database failed ({type(found).__name__})"


def describe_failure(error: BaseException, file: PurePath | str) -> str | None:
    """`storage_problem` naming the file: "the store's disk is full (store.sqlite)"."""
    reason = storage_problem(error)
    return None if reason is None else f"{reason} ({file})"
