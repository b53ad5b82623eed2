"""Analyst actions: each applied locally, queued for the hub and audited at once.

Every action runs inside the caller's write transaction and does three
things there: changes the tip, appends an outbox row (a fresh UUID, the
tip's version it was based on, the payload) and appends an audit entry
with before and after. A crash leaves all three or none.

State changes (claim, priority, labels, age, jurisdiction, dispatch, close)
bump the tip's `version`; the hub applies them only on that base version.
Notes are append-only, commute, and leave the version alone.

What an action may do, and why it is refused, is decided by
tipline_tui/domain/transitions.py (the hub applies the same rules); this
module only reads the tip and writes the result. `role` is the analyst's hub
role: a supervisor may act on a tip another analyst claimed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from tipline_tui.domain.enums import urgency_rank
from tipline_tui.domain.transitions import (
    Actor,
    Facts,
    Refusal,
    Tip,
    Transition,
    agency_id_of,
    decide,
    dispatch_payload,
    no_tip,
    priority_kind,
)
from tipline_tui.domain.triage import TriageError
from tipline_tui.domain.wire import ANALYSIS_FIELDS, ActionKind
from tipline_tui.store import audit
from tipline_tui.store.hub_account import hub_role

__all__ = ["ActionError", "ActionResult", "TriageError"]

ActionError = Refusal  # an action the rules refuse (claimed by someone else, closed...)


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
        raise no_tip(report_id)
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


def _facts(conn: Connection, report_id: int, kind: str, payload: Mapping[str, Any]) -> Facts:
    """What the rule of `kind` needs from the store besides the tip itself."""
    agency_id = agency_id_of(payload)
    name = referred_by = None
    if agency_id is not None and kind in (ActionKind.ASSIGN, ActionKind.DISPATCH):
        name = conn.exec_driver_sql("SELECT name FROM agency WHERE id = ?", (agency_id,)).scalar()
    if agency_id is not None and kind == ActionKind.DISPATCH:
        referred_by = conn.exec_driver_sql(
            "SELECT created_by FROM referral WHERE report_id = ? AND agency_id = ? "
            "AND status != 'failed' ORDER BY created_at LIMIT 1",
            (report_id, agency_id),
        ).scalar()
    referred = kind == ActionKind.REOPEN and bool(
        conn.exec_driver_sql(
            "SELECT 1 FROM referral WHERE report_id = ? LIMIT 1", (report_id,)
        ).first()
    )
    return Facts(name, referred_by, referred)


def _act(
    conn: Connection,
    report_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    analyst: str,
    now: int,
    role: str | None = None,
) -> ActionResult:
    """Decide the action by the rules; apply it to the tip, queue it and audit it, or raise."""
    state = _current(conn, report_id)
    tip = Tip.of(report_id, state["version"], state)
    facts = _facts(conn, report_id, kind, payload)
    actor = Actor(analyst, role or hub_role(conn))  # the hub's word on this account
    done = decide(tip, kind, payload, actor, facts, base_version=tip.version)
    version = tip.version + 1 if done.versioned else tip.version
    if done.versioned:
        _write_changes(conn, report_id, state, done.changes, version, now)
    action_id = queue_action(
        conn,
        kind=done.kind.value,
        report_id=report_id,
        base_version=tip.version if done.versioned else None,  # a note commutes
        payload=done.payload,
        analyst=analyst,
        now=now,
    )
    _write_rows(conn, done, report_id, action_id, state, analyst=analyst, now=now)
    before, after = (
        (_visible(state, done.changes), done.changes) if done.versioned else (None, done.payload)
    )
    audit.record(
        conn,
        actor=analyst,
        action=done.kind.value,
        at=now,
        report_id=report_id,
        before=before,
        after=after,
    )
    return ActionResult(report_id, action_id, version, done.summary)


def _write_changes(
    conn: Connection,
    report_id: int,
    state: dict[str, Any],
    changes: dict[str, Any],
    version: int,
    now: int,
) -> None:
    values = dict(changes)
    if "priority" in values:
        values["urgency_rank"] = urgency_rank(values["priority"], bool(state["escalate_text"]))
    if "labels" in values:
        values["labels"] = json.dumps(values["labels"])
    if "claimed_by" in values:
        values["claimed_at"] = now if values["claimed_by"] else None
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.exec_driver_sql(
        f"UPDATE report SET {assignments}, version = ? WHERE id = ?",
        (*values.values(), version, report_id),
    )


def _write_rows(
    conn: Connection,
    done: Transition,
    report_id: int,
    action_id: str,
    state: dict[str, Any],
    *,
    analyst: str,
    now: int,
) -> None:
    """The rows an action adds besides the tip's fields: a note, a queued referral."""
    if done.kind == ActionKind.NOTE:
        conn.exec_driver_sql(  # known by its action's id: the hub's copy comes back with it
            "INSERT INTO note (report_id, author, created_at, body, action_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (report_id, analyst, now, done.payload["body"], action_id),
        )
    elif done.kind == ActionKind.DISPATCH:
        conn.exec_driver_sql(
            "INSERT INTO referral (action_id, report_id, agency_id, status, priority, "
            "created_by, created_at, contents) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
            (
                action_id,
                report_id,
                done.agency_id,
                state["priority"],
                analyst,
                now,
                json.dumps(done.payload["contents"]),
            ),
        )


def claim(
    conn: Connection, report_id: int, *, analyst: str, now: int, role: str | None = None
) -> ActionResult:
    """Take a tip so colleagues see it is being worked; refused if someone else has it."""
    return _act(conn, report_id, ActionKind.CLAIM, {}, analyst=analyst, now=now, role=role)


def release(
    conn: Connection, report_id: int, *, analyst: str, now: int, role: str | None = None
) -> ActionResult:
    """Give a claimed tip back to the queue (another's only as a supervisor)."""
    return _act(conn, report_id, ActionKind.RELEASE, {}, analyst=analyst, now=now, role=role)


def set_priority(
    conn: Connection,
    report_id: int,
    priority: str,
    *,
    analyst: str,
    now: int,
    role: str | None = None,
) -> ActionResult:
    """E, 1, 2, 3 or info; the queue order follows at once."""
    payload = {"priority": priority}
    kind = priority_kind(priority)
    return _act(conn, report_id, kind, payload, analyst=analyst, now=now, role=role)


def set_labels(
    conn: Connection,
    report_id: int,
    labels: Sequence[str],
    *,
    analyst: str,
    now: int,
    role: str | None = None,
) -> ActionResult:
    """Replace the tip's content labels and free tags."""
    payload = {"labels": list(labels)}
    return _act(conn, report_id, ActionKind.LABELS, payload, analyst=analyst, now=now, role=role)


def add_labels(
    conn: Connection,
    report_id: int,
    labels: Sequence[str],
    *,
    analyst: str,
    now: int,
    role: str | None = None,
) -> ActionResult:
    """Add labels to those already there (what a bulk action over many tips wants)."""
    current = _current(conn, report_id)["labels"]
    return set_labels(conn, report_id, [*current, *labels], analyst=analyst, now=now, role=role)


def set_victim_age(
    conn: Connection,
    report_id: int,
    low: int | None,
    high: int | None,
    *,
    analyst: str,
    now: int,
    role: str | None = None,
) -> ActionResult:
    """The estimated age range of the child victim (both None clears it)."""
    payload = {"min": low, "max": high}
    kind = ActionKind.VICTIM_AGE
    return _act(conn, report_id, kind, payload, analyst=analyst, now=now, role=role)


def add_note(
    conn: Connection, report_id: int, body: str, *, analyst: str, now: int
) -> ActionResult:
    """Append a note; notes are never edited or removed."""
    return _act(conn, report_id, ActionKind.NOTE, {"body": body}, analyst=analyst, now=now)


def close(
    conn: Connection, report_id: int, *, analyst: str, now: int, role: str | None = None
) -> ActionResult:
    return _act(conn, report_id, ActionKind.CLOSE, {}, analyst=analyst, now=now, role=role)


def reopen(
    conn: Connection, report_id: int, *, analyst: str, now: int, role: str | None = None
) -> ActionResult:
    """Back to the furthest status the tip had reached."""
    return _act(conn, report_id, ActionKind.REOPEN, {}, analyst=analyst, now=now, role=role)


def assign(
    conn: Connection,
    report_id: int,
    agency_id: int,
    *,
    analyst: str,
    now: int,
    role: str | None = None,
) -> ActionResult:
    """Set the tip's jurisdiction: the agency that should act on it."""
    payload = {"agency_id": agency_id}
    return _act(conn, report_id, ActionKind.ASSIGN, payload, analyst=analyst, now=now, role=role)


def dispatch(
    conn: Connection,
    report_id: int,
    agency_id: int,
    *,
    analyst: str,
    now: int,
    contents: dict[str, Any],
    again: bool = False,
    role: str | None = None,
) -> ActionResult:
    """Queue a referral of the tip to one agency; the hub sends it on.

    Referring the same tip to the same agency twice is refused unless the
    analyst confirmed it a second time (`again`).
    """
    payload = dispatch_payload(agency_id, contents, again=again)
    kind = ActionKind.DISPATCH
    return _act(conn, report_id, kind, payload, analyst=analyst, now=now, role=role)


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
            if action == ActionKind.PRIORITY:
                results.append(set_priority(conn, report_id, value, analyst=analyst, now=now))
            elif action == ActionKind.INFO_ONLY:
                results.append(set_priority(conn, report_id, "info", analyst=analyst, now=now))
            elif action == ActionKind.LABELS:
                results.append(add_labels(conn, report_id, value, analyst=analyst, now=now))
            elif action == ActionKind.CLOSE:
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
