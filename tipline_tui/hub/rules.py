"""The hub's authoritative apply of one analyst action, by the rules the local store uses.

What an action may do, and why it is refused, is decided by
tipline_tui/domain/transitions.py; this module reads the tip and the facts
the rule needs, and writes the result: the tip, a note or a referral, the
change feed and the answer.

`apply_action` runs inside one write transaction and records its answer in
`hub_action` in that same transaction, so an action is never applied without
its answer being kept: a retry after any crash gets "duplicate" with the first
answer, never a second apply. Actions on one tip run one at a time: the first
statement locks the tip's row (FOR UPDATE on PostgreSQL; SQLite has one writer),
so of two claims or dispatches at once one applies and the other then sees it
(conflict), and the same action pushed twice at once is applied once. An action
with no tip to lock (unknown, or not finished) changes nothing but its answer: of
two at once, the second to record it finds the first's and answers "duplicate". Feed
changes are appended last, so the feed's global lock covers only their INSERT
and the commit (tipline_tui/hub/db.py).

Outcomes (see tipline_tui/domain/wire.py): applied; duplicate; conflict (the
base version is stale, or the claim / dispatch rule is broken at this
version: "current" carries the hub's state); rejected (it can never apply:
unknown tip or agency, bad payload, a rule of the tip's state or the role).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tipline_tui.domain.transitions import (
    Actor,
    Facts,
    Refusal,
    Tip,
    Transition,
    agency_id_of,
    decide,
    no_tip,
)
from tipline_tui.domain.wire import (
    ANALYSIS_FIELDS,
    ActionDict,
    ActionKind,
    AnswerDict,
    OutcomeName,
)
from tipline_tui.hub.db import append_change
from tipline_tui.hub.feed import analysis_payload, note_payload, referral_payload
from tipline_tui.hub.tables import (
    Account,
    HubAction,
    HubAgency,
    HubNote,
    HubReferral,
    HubReport,
    table_of,
)

__all__ = ["Refusal", "apply_action"]

_report = table_of(HubReport)
_action = table_of(HubAction)
_agency = table_of(HubAgency)
_note = table_of(HubNote)
_referral = table_of(HubReferral)
# what the rules read: never the report's XML, which may be megabytes
_STATE_COLUMNS = [_report.c[name] for name in ("id", "version", *ANALYSIS_FIELDS)]
# built once, executed with parameters: statement building is most of an action's cost
_FIRST_ANSWER = select(_action).where(_action.c.action_id == bindparam("action_id"))
_TIP = (
    select(*_STATE_COLUMNS)
    .where(_report.c.id == bindparam("report_id"), _report.c.state == "finished")
    .with_for_update(of=_report)
)
_AGENCY_NAME = select(_agency.c.name).where(_agency.c.id == bindparam("agency_id"))
_REFERRED_BY = (
    select(_referral.c.created_by)
    .where(
        _referral.c.report_id == bindparam("report_id"),
        _referral.c.agency_id == bindparam("agency_id"),
        _referral.c.status != "failed",
    )
    .limit(1)
)
_REFERRED = select(_referral.c.id).where(_referral.c.report_id == bindparam("report_id")).limit(1)
_RECORD = insert(_action)
# an answer that wrote nothing else, for an action no tip's lock kept from a twin pushed at once
_RECORD_ONCE = {
    name: dialect.insert(_action)
    .on_conflict_do_nothing(index_elements=["action_id"])
    .returning(_action.c.action_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_ADD_NOTE = insert(_note).returning(_note.c.id)
_ADD_REFERRAL = insert(_referral).returning(*_referral.c)
Changes = list[tuple[str, int, dict[str, Any]]]  # (kind, entity_id, payload), appended last


def apply_action(conn: Connection, account: Account, action: ActionDict, now: int) -> AnswerDict:
    """Apply (or answer again) one action; call inside `HubDB.write()`."""
    action_id = action["action_id"]
    report_id = action.get("report_id")
    report = _tip_or_none(conn, report_id)  # locked first: see the module's docstring
    if (again := _answered_before(conn, account, action_id)) is not None:
        return again
    changes: Changes = []
    try:
        if report is None:
            raise no_tip(report_id)
        answer = _apply(conn, account, action, report, now, changes)
    except Refusal as refusal:  # refused before anything was written
        answer = _answer(
            action_id,
            refusal.outcome,
            refusal.reason,
            version=None if report is None else report.version,
            current=None if report is None else analysis_payload(report),
        )
    if not _record(conn, account, action, answer, now, locked=report is not None):
        again = _answered_before(conn, account, action_id)  # a twin's, committed meanwhile
        if again is None:
            raise RuntimeError(f"action {action_id} was recorded, yet no answer is found")
        return again
    for kind, entity_id, payload in changes:
        append_change(conn, kind, entity_id, payload, now)
    return answer


def _answered_before(conn: Connection, account: Account, action_id: str) -> AnswerDict | None:
    """The answer a retry gets: the first one, as "duplicate"; None if there is none."""
    first = conn.execute(_FIRST_ANSWER, {"action_id": action_id}).first()
    if first is None:
        return None
    if first.account_id != account.id:
        return _answer(action_id, "rejected", "this action_id was used by another account")
    return _duplicate(action_id, first.answer or {})


def _record(
    conn: Connection,
    account: Account,
    action: ActionDict,
    answer: AnswerDict,
    now: int,
    *,
    locked: bool,
) -> bool:
    """Keep the answer; False if a twin of an action no tip's lock guards recorded it first
    (its INSERT waited for that twin's commit, then kept nothing)."""
    report_id = action.get("report_id")
    statement = _RECORD if locked else _RECORD_ONCE[conn.dialect.name]
    kept = conn.execute(
        statement,
        {
            "action_id": action["action_id"],
            "account_id": account.id,
            "kind": str(action.get("kind"))[:40],
            "report_id": report_id if isinstance(report_id, int) else None,
            "received_at": now,
            "answer": dict(answer),
        },
    )
    return locked or kept.first() is not None


def _duplicate(action_id: str, first: Mapping[str, Any]) -> AnswerDict:
    """The first answer again, as "duplicate" with its outcome in "first_outcome"."""
    return {
        "action_id": action_id,
        "outcome": "duplicate",
        "first_outcome": first.get("outcome", "applied"),
        "reason": first.get("reason"),
        "version": first.get("version"),
        "current": first.get("current"),
    }


def _answer(
    action_id: str,
    outcome: OutcomeName,
    reason: str | None = None,
    *,
    version: int | None = None,
    current: dict[str, Any] | None = None,
) -> AnswerDict:
    return {
        "action_id": action_id,
        "outcome": outcome,
        "reason": reason,
        "version": version,
        "current": current,
    }


def _tip_or_none(conn: Connection, report_id: Any) -> Any:
    if not isinstance(report_id, int) or isinstance(report_id, bool):
        return None
    return conn.execute(_TIP, {"report_id": report_id}).first()


def _facts(conn: Connection, report_id: int, kind: Any, payload: Any) -> Facts:
    """What the rule of `kind` needs from the hub's tables besides the tip itself."""
    agency_id = agency_id_of(payload) if isinstance(payload, dict) else None
    name = referred_by = None
    if agency_id is not None and kind in (ActionKind.ASSIGN, ActionKind.DISPATCH):
        name = conn.execute(_AGENCY_NAME, {"agency_id": agency_id}).scalar()
    if agency_id is not None and kind == ActionKind.DISPATCH:
        found = {"report_id": report_id, "agency_id": agency_id}
        referred_by = conn.execute(_REFERRED_BY, found).scalar()
    referred = kind == ActionKind.REOPEN and bool(
        conn.execute(_REFERRED, {"report_id": report_id}).first()
    )
    return Facts(name, referred_by, referred, where="on the hub")


def _apply(
    conn: Connection, account: Account, action: ActionDict, report: Any, now: int, changes: Changes
) -> AnswerDict:
    kind, payload = action["kind"], action.get("payload", {})
    done = decide(
        Tip.of(report.id, report.version, report._mapping),
        kind,
        payload,
        Actor(account.name, account.role),
        _facts(conn, report.id, kind, payload),
        base_version=action.get("base_version"),
    )
    if not done.versioned:
        return _add_note(conn, action["action_id"], report, done, account.name, now, changes)
    version = report.version + 1
    conn.execute(
        update(_report)
        .where(_report.c.id == report.id)
        .values(**done.changes, version=version, changed_at=now)
    )
    if done.kind == ActionKind.DISPATCH:
        changes.append(_refer(conn, action["action_id"], report, done, account.name, now))
    current = {**analysis_payload(report), **done.changes, "version": version}
    changes.append(("analysis", report.id, current))
    return _answer(action["action_id"], "applied", version=version, current=current)


def _add_note(
    conn: Connection,
    action_id: str,
    report: Any,
    done: Transition,
    analyst: str,
    now: int,
    changes: Changes,
) -> AnswerDict:
    body = done.payload["body"]
    values = {"report_id": report.id, "author": analyst, "created_at": now, "body": body}
    note_id = int(conn.execute(_ADD_NOTE, values).scalar_one())
    payload = note_payload(note_id, action_id=action_id, **values)
    changes.append(("note", note_id, payload))
    return _answer(action_id, "applied", version=report.version, current=analysis_payload(report))


def _refer(
    conn: Connection, action_id: str, report: Any, done: Transition, analyst: str, now: int
) -> tuple[str, int, dict[str, Any]]:
    """The hub sends a referral at once: it is "sent" and on the agencies' feed (its change)."""
    row = conn.execute(
        _ADD_REFERRAL,
        {
            "action_id": action_id,
            "report_id": report.id,
            "agency_id": done.agency_id,
            "status": "sent",
            "priority": report.priority,
            "created_by": analyst,
            "created_at": now,
            "sent_at": now,
            "contents": done.payload.get("contents") or None,
        },
    ).one()
    return ("referral", int(row.id), referral_payload(row))
