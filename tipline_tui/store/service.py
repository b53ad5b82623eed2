"""The async face of the store that screens use: named questions, no SQL.

Each call runs in its own short transaction on aiosqlite's thread, so the
Textual event loop never waits on the disk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from tipline_tui.domain.agency import Agency
from tipline_tui.domain.enums import is_urgent
from tipline_tui.domain.intake import QuarantinedDocument
from tipline_tui.domain.jurisdiction import Suggestion, suggest
from tipline_tui.domain.jurisdiction_places import GeoIp
from tipline_tui.domain.oncall import UnclaimedUrgent
from tipline_tui.domain.views import (
    AuditEntry,
    RelatedReport,
    TipView,
)
from tipline_tui.store import (
    actions,
    audit,
    directory,
    intake,
    oncall,
    queue,
    sync_state,
    tip_load,
)
from tipline_tui.store.actions import ActionResult
from tipline_tui.store.engine import Store


class TipService:
    def __init__(self, store: Store, *, geoip: GeoIp | None = None) -> None:
        self.store = store
        self.geoip = geoip

    async def quarantine_count(self) -> int:
        return await self.store.run_read(intake.quarantine_count)

    async def list_quarantine(self) -> list[QuarantinedDocument]:
        return await self.store.run_read(intake.list_quarantine)

    async def get_quarantined(self, quarantine_id: int) -> QuarantinedDocument | None:
        return await self.store.run_read(intake.get_quarantined, quarantine_id)

    async def related(self, report_id: int, limit: int = 20) -> list[RelatedReport]:
        from tipline_tui.store import related  # rapidfuzz: not needed before a tip opens

        return await self.store.run_read(related.related_reports, report_id, limit)

    async def mark_pair(self, a: int, b: int, *, same: bool, analyst: str, now: int) -> None:
        from tipline_tui.store import related

        def mark(conn: Connection) -> None:
            related.mark_pair(conn, a, b, same=same, analyst=analyst, now=now)
            verdict = {"other": b, "same_person": same}
            audit.record(
                conn, actor=analyst, action="mark_pair", at=now, report_id=a, after=verdict
            )

        await self.store.run_write(mark)

    async def load_tip(self, report_id: int) -> TipView | None:
        return await self.store.run_read(tip_load.load_tip, report_id)

    async def act(self, action: Callable[..., ActionResult], *args: Any, **kw: Any) -> ActionResult:
        """Run one action from `store.actions` in its own write transaction.

        Raises the action's TriageError (with a message for the analyst) and
        leaves the store unchanged if it is refused.
        """
        return await self.store.run_write(lambda conn: action(conn, *args, **kw))

    async def bulk(
        self, report_ids: list[int], action: str, value: Any = None, *, analyst: str, now: int
    ) -> tuple[list[ActionResult], list[str]]:
        return await self.store.run_write(
            lambda conn: actions.bulk(conn, report_ids, action, value, analyst=analyst, now=now)
        )

    async def record_view(self, report_id: int, *, analyst: str, now: int) -> None:
        await self.store.run_write(
            lambda conn: actions.record_view(conn, report_id, analyst=analyst, now=now)
        )

    async def agencies(self) -> list[Agency]:
        return await self.store.run_read(directory.list_agencies)

    async def suggestion(self, report_id: int) -> Suggestion | None:
        """Where the tip points and the agencies to refer it to, with reasons."""

        def read(conn: Connection) -> Suggestion | None:
            tip = tip_load.load_tip(conn, report_id)
            if tip is None:
                return None
            urgent = is_urgent(tip.analysis.priority, tip.report.escalated)
            agencies = directory.list_agencies(conn)
            return suggest(tip.report, agencies, geoip=self.geoip, urgent=urgent)

        return await self.store.run_read(read)

    async def history(self, report_id: int) -> list[AuditEntry]:
        return await self.store.run_read(audit.history, report_id)

    async def newest_urgent(self) -> int | None:
        return await self.store.run_read(queue.newest_urgent)

    async def unclaimed_urgent(self) -> list[UnclaimedUrgent]:
        return await self.store.run_read(oncall.unclaimed_urgent)

    async def pending_actions(self) -> int:
        return await self.store.run_read(actions.pending_count)

    async def conflicts(self) -> list[sync_state.Conflict]:
        return await self.store.run_read(sync_state.conflicts)

    async def resolve_conflict(
        self, outbox_id: int, *, keep_mine: bool, analyst: str, now: int
    ) -> str | None:
        return await self.store.run_write(
            lambda conn: sync_state.resolve_conflict(
                conn, outbox_id, keep_mine=keep_mine, analyst=analyst, now=now
            )
        )

    async def close(self) -> None:
        await self.store.aclose()
