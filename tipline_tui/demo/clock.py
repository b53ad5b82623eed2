"""The demo's fixed timeline: no wall clock anywhere, so builds repeat exactly."""

from __future__ import annotations

import calendar
from time import gmtime, strftime

# Every demo report is received in the SPAN_SECONDS before this instant.
DEMO_EPOCH = calendar.timegm((2026, 11, 1, 0, 0, 0))  # 2026-11-01T00:00:00Z
SPAN_SECONDS = 90 * 86400
DAY = 86400


def iso_utc(t: int) -> str:
    """ISO 8601 in UTC with a Z, as most ESPs send it."""
    return strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(t))


def iso_local(t: int, offset_min: int) -> str:
    """ISO 8601 in local time with its offset, e.g. 2026-10-03T09:22:05-05:00."""
    sign = "+" if offset_min >= 0 else "-"
    a = abs(offset_min)
    local = strftime("%Y-%m-%dT%H:%M:%S", gmtime(t + offset_min * 60))
    return f"{local}{sign}{a // 60:02d}:{a % 60:02d}"


def compact(t: int) -> str:
    """yyyymmdd_hhmmss, as camera file names carry it."""
    return strftime("%Y%m%d_%H%M%S", gmtime(t))
