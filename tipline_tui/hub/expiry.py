"""When an unfinished ESP report expires, and the sweep that marks them.

The rule (spec README): an unfinished report expires 24 h after it was opened
or 1 h after its last change, whichever is later. Intake checks it lazily on
every access, so the rule holds to the second whether or not a sweep ran;
`expire_reports` is for a periodic sweep that tidies the rest.
"""

from __future__ import annotations

from sqlalchemy import and_, update

from tipline_tui.hub.db import HubDB
from tipline_tui.hub.tables import HubReport, table_of

OPEN_FOR = 24 * 3600  # an unfinished report lives at least this long after opening
IDLE_FOR = 3600  # ... and at least this long after its last change
_report = table_of(HubReport)


def expires_at(opened_at: int, changed_at: int) -> int:
    """The first second at which an unfinished report opened and changed so is expired."""
    return max(opened_at + OPEN_FOR, changed_at + IDLE_FOR)


def is_expired(opened_at: int, changed_at: int, now: int) -> bool:
    """Whether an unfinished report is past its life at `now`."""
    return now >= expires_at(opened_at, changed_at)


def expire_reports(hub: HubDB) -> int:
    """Mark every open report past its life "expired"; return how many.

    Expired reports keep their XML and files (nothing an ESP sent is deleted);
    they just stop accepting calls and never reach analysts.
    """
    now = hub.now()
    with hub.write() as conn:
        result = conn.execute(
            update(_report)
            .where(
                and_(
                    _report.c.state == "open",
                    _report.c.opened_at <= now - OPEN_FOR,
                    _report.c.changed_at <= now - IDLE_FOR,
                )
            )
            .values(state="expired")
        )
    return int(result.rowcount or 0)
