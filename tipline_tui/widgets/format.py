"""Small text formatters shared by screens and widgets."""

from __future__ import annotations

from datetime import UTC, datetime


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


def utc_text(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def priority_text(priority: str | None) -> str:
    return priority if priority else "-"
