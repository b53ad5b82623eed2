"""The demo's agencies answering referrals, through the hub's own agency API.

Whatever the feed's pace, every referral the trainee sends is acknowledged
about `ack_after` seconds after it reaches the hub, and `outcome_after`
seconds after that some get an outcome, in a fixed turn (OUTCOMES) so a class
sees each kind early. "failed: not our jurisdiction" sends the tip back: the
demo's desk (standing in for the clearinghouse supervisor) returns it to the
queue, unassigned, as an "analysis" change every analyst pulls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, update

from tipline_tui.domain.enums import Status
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import append_change
from tipline_tui.hub.feed import analysis_payload
from tipline_tui.hub.tables import HubReport, table_of

if TYPE_CHECKING:
    from tipline_tui.demo.live import DemoHub

_report = table_of(HubReport)

INVESTIGATION_OPENED = "investigation opened"
NO_ACTION = "no action: insufficient information"
NOT_OUR_JURISDICTION = "not our jurisdiction"
# (status, text) in turn; None: this referral gets no outcome while the demo runs
OUTCOMES: tuple[tuple[str, str] | None, ...] = (
    ("acknowledged", INVESTIGATION_OPENED),
    ("failed", NOT_OUR_JURISDICTION),
    ("acknowledged", NO_ACTION),
    None,
)


@dataclass(frozen=True, slots=True)
class AgencyTiming:
    """How the demo's agencies pace their answers (tests make these tiny)."""

    ack_after: float = 8.0  # seconds from the referral reaching the hub to its acknowledgement
    outcome_after: float = 30.0  # seconds from the acknowledgement to the outcome
    tick: float = 1.0  # how often the agencies look for referrals to answer


class DemoAgencies:
    """Plays every demo agency: acknowledges what is sent, later reports outcomes."""

    def __init__(self, demo: DemoHub, timing: AgencyTiming | None = None) -> None:
        self.demo = demo
        self.timing = timing or AgencyTiming()
        self.answered = 0  # outcome turns taken, including the silent ones
        self._tokens: dict[int, str] = {}
        self._waiting: dict[int, int] = {}  # referral id -> agency id, acknowledged by us

    async def acknowledge_due(self) -> int:
        """Acknowledge every referral sent at least `ack_after` seconds ago."""
        now = self.demo.clock()
        with self.demo.hub.read() as conn:
            due = conn.exec_driver_sql(
                "SELECT id, agency_id FROM hub_referral WHERE status = 'sent' "
                "AND created_at <= ? ORDER BY id",
                (now - self.timing.ack_after,),
            ).all()
        for referral_id, agency_id in due:
            await self._post(agency_id, f"/v1/agency/referrals/{referral_id}/ack", None)
            if referral_id > self.demo.history_referrals:  # the history keeps its own answers
                self._waiting[referral_id] = agency_id
        return len(due)

    async def report_outcomes_due(self) -> int:
        """Give the next outcome in turn to referrals acknowledged `outcome_after` ago."""
        if not self._waiting:
            return 0
        now = self.demo.clock()
        with self.demo.hub.read() as conn:
            due = [
                referral_id
                for referral_id, at in conn.exec_driver_sql(
                    "SELECT id, acknowledged_at FROM hub_referral WHERE status = 'acknowledged' "
                    f"AND id IN ({', '.join('?' * len(self._waiting))}) ORDER BY id",
                    tuple(self._waiting),
                )
                if at is not None and at <= now - self.timing.outcome_after
            ]
        for referral_id in due:
            agency_id = self._waiting.pop(referral_id)
            answer = OUTCOMES[self.answered % len(OUTCOMES)]
            self.answered += 1
            if answer is None:
                continue
            status, text = answer
            path = f"/v1/agency/referrals/{referral_id}/outcome"
            await self._post(agency_id, path, {"status": status, "text": text})
            if status == "failed":
                self._send_back(referral_id)
        return len(due)

    async def answer_due(self) -> int:
        """One round: acknowledgements first, then outcomes; how many referrals were answered."""
        return await self.acknowledge_due() + await self.report_outcomes_due()

    def _send_back(self, referral_id: int) -> None:
        with self.demo.hub.write() as conn:
            report_id, agency_id = conn.exec_driver_sql(
                "SELECT report_id, agency_id FROM hub_referral WHERE id = ?", (referral_id,)
            ).one()
            send_back(conn, report_id, agency_id, int(self.demo.clock()))

    async def _post(self, agency_id: int, path: str, body: dict[str, str] | None) -> None:
        token = self._agency_token(agency_id)
        async with self.demo.http() as http:
            answer = await http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()

    def _agency_token(self, agency_id: int) -> str:
        if agency_id not in self._tokens:
            name = f"demo-agency-{agency_id}"
            with self.demo.hub.write() as conn:
                secret = create_account(
                    conn, kind="agency", name=name, agency_id=agency_id, now=int(self.demo.clock())
                )
            self._tokens[agency_id] = f"{name}:{secret}"
        return self._tokens[agency_id]


def send_back(conn: Connection, report_id: int, agency_id: int, now: int) -> bool:
    """Return a referred tip whose agency refused it to the queue (inside `hub.write()`).

    Only while the tip is still "referred" with no other live referral: it goes
    back to whoever holds it (else to "new"), its jurisdiction cleared if it was
    the agency that refused. A state change like any other: the version bumps.
    """
    row = conn.execute(select(_report).where(_report.c.id == report_id)).one()
    live = conn.exec_driver_sql(
        "SELECT 1 FROM hub_referral WHERE report_id = ? AND status != 'failed' LIMIT 1",
        (report_id,),
    ).first()
    if row.status != Status.REFERRED.value or live is not None:
        return False
    status = Status.CLAIMED.value if row.claimed_by else Status.NEW.value
    jurisdiction = None if row.jurisdiction_id == agency_id else row.jurisdiction_id
    if jurisdiction is not None:
        status = Status.ASSIGNED.value
    values = {"status": status, "jurisdiction_id": jurisdiction, "version": row.version + 1}
    conn.execute(update(_report).where(_report.c.id == report_id).values(**values, changed_at=now))
    row = conn.execute(select(_report).where(_report.c.id == report_id)).one()
    append_change(conn, "analysis", report_id, analysis_payload(row), now)
    return True
