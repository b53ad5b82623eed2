"""Read models the UI shows: a queue row, a tip's analysis, a whole tip."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # an annotation only: the queue's rows need none of the report's classes
    from tipline_tui.domain.report import Report


class QueueSort(StrEnum):
    URGENCY = "urgency"
    AGE = "age"  # oldest first: longest waiting
    RECEIVED = "received"  # newest first

    @property
    def label(self) -> str:
        return {"urgency": "urgency", "age": "oldest first", "received": "newest first"}[self.value]


STATUS_FILTERS: tuple[str | None, ...] = (
    "open",
    "new",
    "claimed",
    "assigned",
    "referred",
    "closed",
    None,
)
PRIORITY_FILTERS: tuple[str | None, ...] = (None, "E", "1", "2", "3", "info", "unset")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows.

    `status` is a status, "open" (anything not closed) or None (all);
    `priority` is a priority, "unset" (not yet judged) or None (all).
    One value each keeps every sort served by an index in order.
    """

    status: str | None = "open"
    priority: str | None = None
    urgent_only: bool = False
    search: str = ""
    # on-call: tips not yet referred that are urgent, or received before their
    # priority's cutoff (priority key -> epoch seconds; "unset" for untriaged)
    on_call: tuple[tuple[str, int], ...] | None = None

    def describe(self) -> str:
        if self.on_call is not None:
            return "ON-CALL: urgent and overdue" + (
                f" /{self.search.strip()}" if self.search.strip() else ""
            )
        parts = [self.status or "all"]
        if self.priority:
            parts.append(f"pri {self.priority}")
        if self.urgent_only:
            parts.append("urgent")
        if self.search.strip():
            parts.append(f"/{self.search.strip()}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    received_at: int
    priority: str | None
    urgency_rank: int
    escalated: bool
    incident_type: str
    platform: str | None
    esp_name: str | None
    status: str
    claimed_by: str | None
    jurisdiction: str | None
    jurisdiction_outcome: str | None = None
    jurisdiction_place: str | None = None  # the outcome's place labels: "US-NY US-CA"
    referral_status: str | None = None  # the latest referral's: queued, sent, acknowledged…

    def sort_key(self, sort: QueueSort) -> tuple[int, ...]:
        """The keyset position of this row under `sort`."""
        if sort is QueueSort.URGENCY:
            return (self.urgency_rank, self.received_at, self.id)
        return (self.received_at, self.id)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    total: int
    urgent: int
    unassigned: int
    matching: int | None = None


@dataclass(slots=True)
class Note:
    author: str
    created_at: int
    body: str


@dataclass(frozen=True, slots=True)
class ReferralView:
    """One referral of a tip to an agency, and how far it has got."""

    agency: str
    agency_kind: str
    status: str  # queued, sent, acknowledged, failed
    priority: str | None
    created_by: str
    created_at: int
    sent_at: int | None = None
    acknowledged_at: int | None = None
    failed_at: int | None = None
    detail: str | None = None
    outcome: str | None = None


@dataclass(slots=True)
class Analysis:
    """The analyst's side of a tip."""

    status: str = "new"
    priority: str | None = None
    labels: list[str] = field(default_factory=list)
    victim_age_min: int | None = None
    victim_age_max: int | None = None
    claimed_by: str | None = None
    jurisdiction: str | None = None
    notes: list[Note] = field(default_factory=list)
    referrals: list[ReferralView] = field(default_factory=list)
    jurisdiction_outcome: str | None = None
    jurisdiction_id: int | None = None
    version: int = 1
    hub_seq: int | None = None


@dataclass(slots=True)
class TipView:
    """Everything the report screen shows about one tip."""

    id: int
    received_at: int
    report: Report
    analysis: Analysis


@dataclass(frozen=True, slots=True)
class RelatedReport:
    """A prior tip that shares people with the one being read, and why."""

    report_id: int
    score: float
    received_at: int
    incident_type: str
    status: str
    jurisdiction: str | None
    reasons: tuple[str, ...]
    marked: bool | None = None  # True/False when an analyst judged the pair


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit log entry as read back; `before`/`after` are decoded from their JSON."""

    seq: int
    at: int
    actor: str
    action: str
    report_id: int | None
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The outcome of walking the audit chain: every problem named, not just the first."""

    ok: bool
    entries: int
    problems: tuple[str, ...]
