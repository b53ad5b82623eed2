"""The hub server's log: one handler on stderr, and no message repeated into a flood.

A fault that hits every request or every accepted connection (descriptors exhausted, a
database gone) would otherwise write a traceback per event: tens of thousands a second,
burying the first useful line and filling the disk. `RepeatThrottle` lets the first record
of each kind through, counts the rest for a window, and then says how many it held back.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

THROTTLE_WINDOW_SECONDS = 10.0
MAX_KINDS_REMEMBERED = 1_000  # messages with ever-changing text must not grow memory
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass
class _Kind:
    window_start: float
    held_back: int = 0


class RepeatThrottle(logging.Filter):
    """Passes one record per (logger, message template, level) per window; counts the rest."""

    def __init__(
        self,
        window: float = THROTTLE_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self._kinds: dict[tuple[str, str, int], _Kind] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg), record.levelno)
        now = self.clock()
        kind = self._kinds.get(key)
        if kind is None:
            if len(self._kinds) >= MAX_KINDS_REMEMBERED:
                self._kinds.clear()
            self._kinds[key] = _Kind(window_start=now)
            return True
        if now - kind.window_start < self.window:
            kind.held_back += 1
            return False
        if kind.held_back:
            record.msg = (
                f"{record.msg} [{kind.held_back} more like this in the last {self.window:g} s]"
            )
            record.exc_info = None  # the first one of the kind carried the traceback
            record.exc_text = None
        self._kinds[key] = _Kind(window_start=now)
        return True


def configure_server_logging(level: int = logging.INFO) -> None:
    """Every logger (uvicorn's, asyncio's, the hub's) to stderr through one throttled handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RepeatThrottle())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "asyncio"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
