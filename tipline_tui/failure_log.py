"""The failure log: tracebacks the screen does not show, in a private rotating file.

Anything under the `tipline_tui` logger (the app's worker failures, the sync
loop's unexpected errors) lands in one file in the user's log directory. The
file is made only when the first failure is written, readable by its owner
only (a traceback may quote a report), and rotates at a fixed size.
"""

from __future__ import annotations

import logging
import os
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOGGER = "tipline_tui"
MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Opened on the first record (delay); its folder and file are the owner's alone."""

    def _open(self) -> TextIOWrapper:
        path = Path(self.baseFilename)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
        return super()._open()


class FailureLog:
    """Installs the file handler on the package logger while the app runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handler: logging.Handler | None = None

    def install(self) -> None:
        if self._handler is not None:
            return
        handler = _PrivateRotatingFileHandler(
            self.path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(logging.WARNING)
        logging.getLogger(LOGGER).addHandler(handler)
        self._handler = handler

    def uninstall(self) -> None:
        handler, self._handler = self._handler, None
        if handler is not None:
            logging.getLogger(LOGGER).removeHandler(handler)
            handler.close()

    def error(self, what: str, error: BaseException) -> None:
        """Write `what` failed, with the traceback of `error`."""
        logging.getLogger(f"{LOGGER}.app").error(
            "%s failed", what, exc_info=(type(error), error, error.__traceback__)
        )


class _OneRecordHandler(_PrivateRotatingFileHandler):
    """For a command: a log it cannot write is reported back, not printed as a traceback."""

    written = True

    def handleError(self, record: logging.LogRecord) -> None:  # logging names it so
        self.written = False


def write_failure(path: Path, what: str, error: BaseException) -> bool:
    """Append `what` failed, with the traceback of `error`, to the log at `path`.

    For commands, which run no app: the one line they print points here. False
    when the log cannot be written either (it may be on the same full disk).
    """
    handler = _OneRecordHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    record = logging.LogRecord(
        f"{LOGGER}.cli",
        logging.ERROR,
        __file__,
        0,
        "%s failed",
        (what,),
        (type(error), error, error.__traceback__),
    )
    try:
        handler.handle(record)
    finally:
        handler.close()
    return handler.written
