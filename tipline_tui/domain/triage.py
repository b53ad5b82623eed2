"""Triage vocabulary and rules that need no store: labels, victim ages, time limits.

Kept pure so the store validates an action and the UI explains a refusal
with the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tipline_tui.domain.enums import Priority, is_urgent

# The fixed content-label vocabulary; anything else an analyst types is a free tag.
CONTENT_LABELS: tuple[str, ...] = (
    "apparent-csam",
    "csam-solicitation",
    "sextortion",
    "enticement",
    "self-produced",
    "minor-to-minor",
    "trafficking",
    "sadistic-exploitation",
    "physical-harm",
    "infant-toddler",
    "generative-ai",
    "drawn-virtual",
    "live-streaming",
    "viral-meme",
    "adult-content",
    "no-csam",
)
_TAG = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
MAX_LABELS = 24
MAX_NOTE_CHARS = 10_000
MAX_VICTIM_AGE = 25  # an estimate may straddle 18 ("16-19"); older is not a child victim


class TriageError(ValueError):
    """An analyst's input that cannot be applied; the message says why."""


def clean_labels(labels: list[str] | tuple[str, ...]) -> list[str]:
    """Labels lower-cased, de-duplicated, in vocabulary order then tags A-Z.

    Raises TriageError naming each bad free tag.
    """
    wanted = {label.strip().lower().lstrip("#") for label in labels if label.strip()}
    bad = sorted(t for t in wanted if t not in CONTENT_LABELS and not _TAG.fullmatch(t))
    if bad:
        raise TriageError(
            "a free tag is 1-32 of a-z, 0-9, '-' or '_', starting with a letter or digit: "
            + ", ".join(repr(t) for t in bad)
        )
    if len(wanted) > MAX_LABELS:
        raise TriageError(f"at most {MAX_LABELS} labels and tags on one tip")
    known = [label for label in CONTENT_LABELS if label in wanted]
    return known + sorted(wanted - set(CONTENT_LABELS))


def parse_age_range(text: str) -> tuple[int | None, int | None]:
    """'13', '13-15', '13 to 15' or '' (clears). Raises TriageError."""
    text = text.strip()
    if not text:
        return None, None
    match = re.fullmatch(r"(\d{1,2})\s*(?:(?:-|\u2013|to)\s*(\d{1,2}))?", text)
    if not match:
        raise TriageError(f"victim age must look like 13 or 13-15, not {text!r}")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    check_age_range(low, high)
    return low, high


def check_age_range(low: int | None, high: int | None) -> None:
    if low is None and high is None:
        return
    if low is None or high is None or not 0 <= low <= high <= MAX_VICTIM_AGE:
        raise TriageError(f"victim age range must be 0-{MAX_VICTIM_AGE}, low to high")


def age_range_text(low: int | None, high: int | None) -> str:
    if low is None:
        return "-"
    return str(low) if low == high else f"{low}-{high}"


def check_note(body: str) -> str:
    body = body.strip()
    if not body:
        raise TriageError("a note needs some text")
    if len(body) > MAX_NOTE_CHARS:
        raise TriageError(f"a note is at most {MAX_NOTE_CHARS:,} characters")
    return body


def check_priority(priority: str) -> str:
    try:
        return Priority(priority).value
    except ValueError:
        raise TriageError(f"priority must be E, 1, 2, 3 or info, not {priority!r}") from None


HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True, slots=True)
class TimeLimits:
    """How long a tip may wait, by priority, before on-call must see it.

    Escalated by the ESP counts as E until an analyst judges it. An
    untriaged tip has its own limit: nobody knows yet how urgent it is.
    `info` has no limit (information only is not actionable).
    """

    seconds: dict[str, int] = field(
        default_factory=lambda: {
            "E": 1 * HOUR,
            "1": 1 * DAY,
            "unset": 3 * DAY,
            "2": 7 * DAY,
            "3": 30 * DAY,
        }
    )

    def limit(self, priority: str | None, escalated: bool) -> int | None:
        if is_urgent(priority, escalated):
            return self.seconds.get(Priority.E.value)
        return self.seconds.get(priority or "unset")

    def deadline(self, received_at: int, priority: str | None, escalated: bool) -> int | None:
        limit = self.limit(priority, escalated)
        return None if limit is None else received_at + limit

    def cutoffs(self, now: int) -> dict[str, int]:
        """For each priority key, tips received before this time are overdue."""
        return {key: now - seconds for key, seconds in self.seconds.items()}


def clock_text(now: float, deadline: int | None) -> str:
    """Time left to a limit, or how far past it: '42m', 'LATE 3h'. Words, not colour."""
    if deadline is None:
        return ""
    left = int(deadline - now)
    if left >= 0:
        return _span(left)
    return f"LATE {_span(-left)}"


def _span(seconds: int) -> str:
    if seconds < 3600:
        return f"{max(1, seconds // 60)}m"
    if seconds < 2 * 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
