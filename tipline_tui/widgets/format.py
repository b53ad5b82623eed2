"""Small text formatters shared by screens, widgets and the CLI.

Every date the tool shows, TUI or CLI, goes through `utc_text` or
`report_time_text`: one format, "2026-09-06 13:54 UTC", with seconds added
only where the report gives them (an ISP finds a subscriber by the second).
"""

from __future__ import annotations

from datetime import UTC, datetime

DATE_FORMAT = "%Y-%m-%d %H:%M UTC"
DATE_FORMAT_SECONDS = "%Y-%m-%d %H:%M:%S UTC"


def age_text(seconds: float) -> str:
    """A compact age: 45s, 12m, 5h, 3d, 14w. Fits in four cells."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 86400 * 100:
        return f"{seconds // 86400}d"
    return f"{min(999, seconds // (86400 * 7))}w"


def utc_text(epoch: float, *, seconds: bool = False) -> str:
    """A moment the tool recorded (epoch seconds), in the one date format."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime(DATE_FORMAT_SECONDS if seconds else DATE_FORMAT)


def report_time_text(value: str) -> str:
    """A date-time the report gives (ISO 8601 with a zone), in the one date format, in UTC.

    Seconds are kept when the report gives them. A bare date, or text that is
    not a date-time with a zone, is returned as it is: nothing is guessed.
    """
    text = value.strip()
    if "T" not in text:
        return value
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    moment = moment.astimezone(UTC)
    return moment.strftime(DATE_FORMAT_SECONDS if moment.second else DATE_FORMAT)


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 problem`, `2 problems`, `1,500 tips`: a count and its noun, agreeing."""
    noun = one if count == 1 else (many if many is not None else one + "s")
    return f"{count:,} {noun}"


def priority_text(priority: str | None) -> str:
    return priority if priority else "-"
