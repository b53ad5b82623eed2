"""Analyst actions: each applied locally, queued for the hub and audited at once.

Every action runs inside the caller's write transaction and does three
things there: changes the tip, appends an outbox row (a fresh UUID, the
tip's version it was based on, the payload) and appends an audit entry
with before and after. A crash leaves all three or none.

State changes (claim, priority, labels, age, jurisdiction, dispatch, close)
bump the tip's `version`; the hub applies them only on that base version.
Notes are append-only, commute, and leave the version alone.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from tipline_tui.domain.enums import Priority, Status, urgency_rank
from tipline_tui.domain.triage import (
    TriageError,
    check_age_range,
    check_note,
    check_priority,
    clean_labels,
)
from tipline_tui.store import audit
from tipline_tui.sync.protocol import ANALYSIS_FIELDS

__all__ = ["ActionError", "ActionResult", "TriageError"]


class ActionError(TriageError):
    """An action refused by the state of the tip (claimed by someone else, closed...)."""


@dataclass(frozen=True, slots=True)
class ActionResult:
    report_id: int
    action_id: str
    version: int
    summary: str  # what happened, for the status line


_FIELDS = (*ANALYSIS_FIELDS, "version", "escalate_text")  # the wire's analysis, and more


def _current(conn: Connection, report_id: int) -> dict[str, Any]:
    row = conn.exec_driver_sql(
        f"SELECT {', '.join(_FIELDS)} FROM report WHERE id = ?", (report_id,)
    ).first()
    if row is None:
        raise ActionError(f"there is no tip #{report_id}")
    state = dict(zip(_FIELDS, row, strict=True))
    state["labels"] = _decode_labels(state["labels"])
    return state


def _decode_labels(value: Any) -> list[str]:
    if value is None:
        return []
    return list(json.loads(value)) if isinstance(value, str) else list(value)


def _visible(state: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {key: state[key] for key in keys}


def queue_action(
    conn: Connection,
    *,
    kind: str,
    report_id: int | None,
    base_version: int | None,
    payload: dict[str, Any],
    analyst: str,
    now: int,
    action_id: str | None = None,
) -> str:
    """Append a pending outbox row (a fresh UUID unless given); return its action id."""
    action_id = action_id or str(uuid.uuid4())
    conn.exec_driver_sql(
        "INSERT INTO outbox (action_id, kind, report_id, base_version, payload, analyst, "
        "created_at, state, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0)",
        (action_id, kind, report_id, base_version, json.dumps(payload), analyst, now),
    )
    return action_id


def _change(
    conn: Connection,
    report_id: int,
    *,
    kind: str,
    analyst: str,
    now: int,
    payload: dict[str, Any],
    changes: dict[str, Any],
    summary: str,
) -> ActionResult:
    """Apply `changes` to the tip as one versioned action, queue it and audit it."""
    state = _current(conn, report_id)
    before = _visible(state, changes)
    version = state["version"] + 1
    values = dict(changes)
    if "priority" in values:
        values["urgency_rank"] = urgency_rank(values["priority"], bool(state["escalate_text"]))
    if "labels" in values:
        values["labels"] = json.dumps(values["labels"])
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.exec_driver_sql(
        f"UPDATE report SET {assignments}, version = ? WHERE id = ?",
        (*values.values(), version, report_id),
    )
    action_id = queue_action(
        conn,
        kind=kind,
        report_id=report_id,
        base_version=state["version"],
        payload=payload,
        analyst=analyst,
        now=now,
    )
    audit.record(
        conn, actor=analyst, action=kind, at=now, report_id=report_id, before=before, after=changes
    )
    return ActionResult(report_id, action_id, version, summary)


def _refuse_closed(state: dict[str, Any], report_id: int, what: str) -> None:
    if state["status"] == Status.CLOSED.value:
        raise ActionError(f"tip #{report_id} is closed; reopen it before you {what}")


def _open_status(conn: Connection, report_id: int, state: dict[str, Any]) -> str:
    """The status a tip returns to when nothing closes it: the furthest it has got."""
    referred = conn.exec_driver_sql(
        "SELECT 1 FROM referral WHERE report_id = ? LIMIT 1", (report_id,)
    ).first()
    if referred:
        return Status.REFERRED.value
    if state["jurisdiction_id"] is not None:
        return Status.ASSIGNED.value
    if state["claimed_by"]:
        return Status.CLAIMED.value
    return Status.NEW.value


def claim(conn: Connection, report_id: int, *, analyst: str, now: int) -> ActionResult:
    """Take a tip so colleagues see it is being worked; refused if someone else has it."""
    state = _current(conn, report_id)
    _refuse_closed(state, report_id, "claim it")
    holder = state["claimed_by"]
    if holder == analyst:
        raise ActionError(f"you already have tip #{report_id}")
    if holder:
        raise ActionError(f"tip #{report_id} is claimed by {holder}; they must release it first")
    status = Status.CLAIMED.value if state["status"] == Status.NEW.value else state["status"]
    conn.exec_driver_sql("UPDATE report SET claimed_at = ? WHERE id = ?", (now, report_id))
    return _change(
        conn,
        report_id,
        kind="claim",
        analyst=analyst,
        now=now,
        payload={},
        changes={"claimed_by": analyst, "status": status},
        summary=f"claimed tip #{report_id}",
    )


def release(conn: Connection, report_id: int, *, analyst: str, now: int) -> ActionResult:
    """Give a claimed tip back to the queue."""
    state = _current(conn, report_id)
    if state["claimed_by"] != analyst:
        holder = state["claimed_by"]
        raise ActionError(
            f"tip #{report_id} is claimed by {holder}, not you"
            if holder
            else f"tip #{report_id} is not claimed"
        )
    status = Status.NEW.value if state["status"] == Status.CLAIMED.value else state["status"]
    conn.exec_driver_sql("UPDATE report SET claimed_at = NULL WHERE id = ?", (report_id,))
    return _change(
        conn,
        report_id,
        kind="release",
        analyst=analyst,
        now=now,
        payload={},
        changes={"claimed_by": None, "status": status},
        summary=f"released tip #{report_id}",
    )


def set_priority(
    conn: Connection, report_id: int, priority: str, *, analyst: str, now: int
) -> ActionResult:
    """E, 1, 2, 3 or info; the queue order follows at once."""
    priority = check_priority(priority)
    _refuse_closed(_current(conn, report_id), report_id, "change its priority")
    kind = "info_only" if priority == Priority.INFO.value else "priority"
    what = "information only" if kind == "info_only" else f"priority {priority}"
    return _change(
        conn,
        report_id,
        kind=kind,
        analyst=analyst,
        now=now,
        payload={"priority": priority},
        changes={"priority": priority},
        summary=f"tip #{report_id}: {what}",
    )


def set_labels(
    conn: Connection, report_id: int, labels: Sequence[str], *, analyst: str, now: int
) -> ActionResult:
    """Replace the tip's content labels and free tags."""
    cleaned = clean_labels(list(labels))
    return _change(
        conn,
        report_id,
        kind="labels",
        analyst=analyst,
        now=now,
        payload={"labels": cleaned},
        changes={"labels": cleaned},
        summary=f"tip #{report_id}: labels {', '.join(cleaned) or 'cleared'}",
    )


def add_labels(
    conn: Connection, report_id: int, labels: Sequence[str], *, analyst: str, now: int
) -> ActionResult:
    """Add labels to those already there (what a bulk action over many tips wants)."""
    current = _current(conn, report_id)["labels"]
    return set_labels(conn, report_id, [*current, *labels], analyst=analyst, now=now)


def set_victim_age(
    conn: Connection,
    report_id: int,
    low: int | None,
    high: int | None,
    *,
    analyst: str,
    now: int,
) -> ActionResult:
    """The estimated age range of the child victim (both None clears it)."""
    check_age_range(low, high)
    text = "cleared" if low is None else (f"{low}" if low == high else f"{low}-{high}")
    return _change(
        conn,
        report_id,
        kind="victim_age",
        analyst=analyst,
        now=now,
        payload={"min": low, "max": high},
        changes={"victim_age_min": low, "victim_age_max": high},
        summary=f"tip #{report_id}: victim age {text}",
    )


def add_note(
    conn: Connection, report_id: int, body: str, *, analyst: str, now: int
) -> ActionResult:
    """Append a note; notes are never edited or removed."""
    body = check_note(body)
    state = _current(conn, report_id)
    action_id = queue_action(
        conn,
        kind="note",
        report_id=report_id,
        base_version=None,  # append-only: commutes with everything
        payload={"body": body},
        analyst=analyst,
        now=now,
    )
    conn.exec_driver_sql(
        "INSERT INTO note (report_id, author, created_at, body) VALUES (?, ?, ?, ?)",
        (report_id, analyst, now, body),
    )
    audit.record(
        conn, actor=analyst, action="note", at=now, report_id=report_id, after={"body": body}
    )
    return ActionResult(report_id, action_id, state["version"], f"tip #{report_id}: note added")


def close(conn: Connection, report_id: int, *, analyst: str, now: int) -> ActionResult:
    state = _current(conn, report_id)
    if state["status"] == Status.CLOSED.value:
        raise ActionError(f"tip #{report_id} is already closed")
    return _change(
        conn,
        report_id,
        kind="close",
        analyst=analyst,
        now=now,
        payload={},
        changes={"status": Status.CLOSED.value},
        summary=f"closed tip #{report_id}",
    )


def reopen(conn: Connection, report_id: int, *, analyst: str, now: int) -> ActionResult:
    state = _current(conn, report_id)
    if state["status"] != Status.CLOSED.value:
        raise ActionError(f"tip #{report_id} is not closed")
    status = _open_status(conn, report_id, state)
    return _change(
        conn,
        report_id,
        kind="reopen",
        analyst=analyst,
        now=now,
        payload={},
        changes={"status": status},
        summary=f"reopened tip #{report_id} ({status})",
    )


def _agency_name(conn: Connection, agency_id: int) -> str:
    name = conn.exec_driver_sql("SELECT name FROM agency WHERE id = ?", (agency_id,)).scalar()
    if name is None:
        raise ActionError(f"there is no agency #{agency_id} in the directory")
    return str(name)


def assign(
    conn: Connection, report_id: int, agency_id: int, *, analyst: str, now: int
) -> ActionResult:
    """Set the tip's jurisdiction: the agency that should act on it."""
    state = _current(conn, report_id)
    _refuse_closed(state, report_id, "assign it")
    name = _agency_name(conn, agency_id)
    status = state["status"]
    if status in (Status.NEW.value, Status.CLAIMED.value):
        status = Status.ASSIGNED.value
    return _change(
        conn,
        report_id,
        kind="assign",
        analyst=analyst,
        now=now,
        payload={"agency_id": agency_id, "agency": name},
        changes={"jurisdiction_id": agency_id, "status": status},
        summary=f"tip #{report_id} assigned to {name}",
    )


def referrals_to(conn: Connection, report_id: int, agency_id: int) -> list[int]:
    """When this tip was already referred to this agency (creation times)."""
    return [
        row[0]
        for row in conn.exec_driver_sql(
            "SELECT created_at FROM referral WHERE report_id = ? AND agency_id = ? "
            "AND status != 'failed' ORDER BY created_at",
            (report_id, agency_id),
        )
    ]


def dispatch(
    conn: Connection,
    report_id: int,
    agency_id: int,
    *,
    analyst: str,
    now: int,
    contents: dict[str, Any],
    again: bool = False,
) -> ActionResult:
    """Queue a referral of the tip to one agency; the hub sends it on.

    Referring the same tip to the same agency twice is refused unless the
    analyst confirmed it a second time (`again`).
    """
    state = _current(conn, report_id)
    _refuse_closed(state, report_id, "dispatch it")
    name = _agency_name(conn, agency_id)
    if referrals_to(conn, report_id, agency_id) and not again:
        raise ActionError(
            f"tip #{report_id} was already referred to {name}; confirm again to send a second"
        )
    result = _change(
        conn,
        report_id,
        kind="dispatch",
        analyst=analyst,
        now=now,
        payload={"agency_id": agency_id, "agency": name, "contents": contents, "again": again},
        changes={"status": Status.REFERRED.value},
        summary=f"tip #{report_id} referred to {name} (queued)",
    )
    conn.exec_driver_sql(
        "INSERT INTO referral (action_id, report_id, agency_id, status, priority, created_by, "
        "created_at, contents) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
        (
            result.action_id,
            report_id,
            agency_id,
            state["priority"],
            analyst,
            now,
            json.dumps(contents),
        ),
    )
    return result


def record_view(conn: Connection, report_id: int, *, analyst: str, now: int) -> None:
    """Audit that an analyst opened a tip (nothing is queued: a view changes nothing)."""
    audit.record(conn, actor=analyst, action="view", at=now, report_id=report_id)


def bulk(
    conn: Connection,
    report_ids: Sequence[int],
    action: str,
    value: Any = None,
    *,
    analyst: str,
    now: int,
) -> tuple[list[ActionResult], list[str]]:
    """One action over many tips in one transaction: what applied, and what was refused why.

    Only actions that make sense for viral batches and spam: priority,
    info_only, labels (added to each tip's own) and close.
    """
    results: list[ActionResult] = []
    refused: list[str] = []
    for report_id in report_ids:
        try:
            if action == "priority":
                results.append(set_priority(conn, report_id, value, analyst=analyst, now=now))
            elif action == "info_only":
                results.append(set_priority(conn, report_id, "info", analyst=analyst, now=now))
            elif action == "labels":
                results.append(add_labels(conn, report_id, value, analyst=analyst, now=now))
            elif action == "close":
                results.append(close(conn, report_id, analyst=analyst, now=now))
            else:
                raise ValueError(f"no bulk action {action!r}")
        except TriageError as exc:
            refused.append(f"#{report_id}: {exc}")
    return results, refused


def pending_count(conn: Connection) -> int:
    """Actions not yet accepted by a hub (shown so nobody thinks a referral has gone)."""
    return int(
        conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE state = 'pending'").scalar_one()
    )
