"""When on-call is alerted: every new urgent tip at once, and again until someone claims it.

`AlertClock` is the rule, kept apart from the terminal so a test can run it on a fixed
clock. What the app already shows when it starts is not news (no bell on launch), but it
is not forgotten either: it rings again after `every` seconds if still unclaimed. A tip
that is claimed leaves the clock; released again, it is news again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Alert", "AlertClock", "UnclaimedUrgent", "alert_words", "desktop_words"]


@dataclass(frozen=True, slots=True)
class UnclaimedUrgent:
    """An urgent tip nobody has claimed: its id and when it was received."""

    id: int
    received_at: int


@dataclass(frozen=True, slots=True)
class Alert:
    """What to ring about now: tips new since the last look, and tips asking again."""

    new: tuple[int, ...]
    again: tuple[int, ...]

    def __bool__(self) -> bool:
        return bool(self.new or self.again)


class AlertClock:
    """Which unclaimed urgent tips to ring about, given when each last rang."""

    def __init__(self, every: float) -> None:
        self.every = every
        self._rang: dict[int, float] = {}
        self._looked = False

    def due(self, unclaimed: Sequence[int], now: float) -> Alert:
        """The alert for this look at the unclaimed urgent tips (empty: nothing to ring)."""
        if not self._looked:  # on launch: shown, not rung; they ask again after `every`
            self._looked = True
            self._rang = dict.fromkeys(unclaimed, now)
            return Alert((), ())
        rang = {tip: self._rang[tip] for tip in unclaimed if tip in self._rang}
        new = tuple(tip for tip in unclaimed if tip not in rang)
        again = tuple(tip for tip, at in rang.items() if now - at >= self.every)
        self._rang = {**rang, **dict.fromkeys(new + again, now)}  # claimed ones drop out
        return Alert(new, again)


def alert_words(alert: Alert) -> str:
    """One short line for the notification: which tips, never anything a report says."""
    if len(alert.new) == 1 and not alert.again:
        return f"New urgent tip #{alert.new[0]}"
    if alert.new:
        more = len(alert.new) + len(alert.again) - 1
        return f"New urgent tip #{max(alert.new)} and {more} more unclaimed"
    if len(alert.again) == 1:
        return f"Urgent tip #{alert.again[0]} still unclaimed"
    return f"{len(alert.again)} urgent tips still unclaimed, #{min(alert.again)} first"


def desktop_words(alert: Alert) -> str:
    """The desktop notification's text: "urgent tip #N" only (it may leave the terminal)."""
    newest = max(alert.new) if alert.new else min(alert.again)
    count = len(alert.new) + len(alert.again)
    return f"urgent tip #{newest}" + (f" (+{count - 1})" if count > 1 else "")
