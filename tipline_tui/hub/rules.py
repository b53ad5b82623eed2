"""The hub's authoritative apply of one analyst action: the same rules as the local store.

`apply_action` runs inside one serialised write transaction and records its
answer in `hub_action` in that same transaction, so an action is never
applied without its answer being kept: a retry after any crash gets
"duplicate" with the first answer, never a second apply.

Outcomes (see tipline_tui/sync/protocol.py): applied; duplicate; conflict (the
base version is stale, or the claim / dispatch rule is broken at this
version: "current" carries the hub's state); rejected (it can never apply:
unknown tip or agency, bad payload, a rule of the tip's state or the role).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from tipline_tui.domain.enums import Priority, Status
from tipline_tui.domain.triage import (
    TriageError,
    check_age_range,
    check_note,
    check_priority,
    clean_labels,
)
from tipline_tui.hub.db import append_change
from tipline_tui.hub.feed import analysis_payload, publish_referral
from tipline_tui.hub.tables import Account, HubAction, HubAgency, HubNote, HubReferral, HubReport
from tipline_tui.sync.protocol import ACTION_KINDS, ANALYSIS_FIELDS, STATE_KINDS, AnswerDict

__all__ = ["Refusal", "apply_action"]

_report = HubReport.__table__
_action = HubAction.__table__
_agency = HubAgency.__table__
_note = HubNote.__table__
_referral = HubReferral.__table__
SUPERVISOR = "supervisor"
# what the rules read: never the report's XML, which may be megabytes
_STATE_COLUMNS = [_report.c[name] for name in ("id", "version", *ANALYSIS_FIELDS)]
# built once, executed with parameters: statement building is most of an action's cost
_FIRST_ANSWER = select(_action).where(_action.c.action_id == bindparam("action_id"))
_TIP = select(*_STATE_COLUMNS).where(
    _report.c.id == bindparam("report_id"), _report.c.state == "finished"
)
_RECORD = insert(_action)
_ADD_NOTE = insert(_note)


class Refusal(Exception):
    """Raised inside a rule: the action is answered `outcome` with `reason`."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def _rejected(reason: str) -> Refusal:
    return Refusal("rejected", reason)


def _conflict(reason: str) -> Refusal:
    return Refusal("conflict", reason)


def apply_action(
    conn: Connection, account: Account, action: dict[str, Any], now: int
) -> AnswerDict:
    """Apply (or answer again) one action; call inside `HubDB.write()`."""
    action_id = action["action_id"]
    first = conn.execute(_FIRST_ANSWER, {"action_id": action_id}).first()
    if first is not None:
        if first.account_id != account.id:
            return _answer(action_id, "rejected", "this action_id was used by another account")
        answer: AnswerDict = dict(first.answer or {})  # type: ignore[assignment]
        answer["first_outcome"] = answer.get("outcome", "applied")
        answer["outcome"] = "duplicate"
        return answer
    report = None
    report_id = action.get("report_id")
    try:
        report = _tip(conn, report_id)
        answer = _apply(conn, account, action, report, now)
    except Refusal as refusal:
        report = _tip_or_none(conn, report_id)
        answer = _answer(
            action_id,
            refusal.outcome,
            refusal.reason,
            version=None if report is None else report.version,
            current=None if report is None else analysis_payload(report),
        )
    conn.execute(
        _RECORD,
        {
            "action_id": action_id,
            "account_id": account.id,
            "kind": str(action.get("kind"))[:40],
            "report_id": report_id if isinstance(report_id, int) else None,
            "received_at": now,
            "answer": dict(answer),
        },
    )
    return answer


def _answer(
    action_id: str,
    outcome: str,
    reason: str | None = None,
    *,
    version: int | None = None,
    current: dict[str, Any] | None = None,
) -> AnswerDict:
    return {
        "action_id": action_id,
        "outcome": outcome,  # type: ignore[typeddict-item]
        "reason": reason,
        "version": version,
        "current": current,
    }


def _tip_or_none(conn: Connection, report_id: Any) -> Any:
    if not isinstance(report_id, int) or isinstance(report_id, bool):
        return None
    return conn.execute(_TIP, {"report_id": report_id}).first()


def _tip(conn: Connection, report_id: Any) -> Any:
    row = _tip_or_none(conn, report_id)
    if row is None:
        raise _rejected(f"there is no tip #{report_id}")
    return row


def _apply(
    conn: Connection, account: Account, action: dict[str, Any], report: Any, now: int
) -> AnswerDict:
    kind = action.get("kind")
    payload = action.get("payload") or {}
    if kind not in ACTION_KINDS:
        raise _rejected(f"unknown action kind {kind!r}")
    if not isinstance(payload, dict):
        raise _rejected("the payload must be an object")
    if kind in STATE_KINDS:
        base = action.get("base_version")
        if not isinstance(base, int) or isinstance(base, bool):
            raise _rejected(f"a {kind} action needs its base_version")
        if base != report.version:
            raise _conflict(
                f"tip #{report.id} changed on the hub (version {report.version}, "
                f"this action was based on {base})"
            )
    analyst = account.name
    try:
        if kind == "note":
            return _note_action(conn, action, report, analyst, payload, now)
        changes = _RULES[kind](conn, account, report, payload)
    except TriageError as exc:
        raise _rejected(str(exc)) from None
    version = report.version + 1
    conn.execute(
        update(_report)
        .where(_report.c.id == report.id)
        .values(**changes, version=version, changed_at=now)
    )
    if kind == "dispatch":
        referral_id = conn.execute(
            insert(_referral).values(
                action_id=action["action_id"],
                report_id=report.id,
                agency_id=payload["agency_id"],
                status="sent",
                priority=report.priority,
                created_by=analyst,
                created_at=now,
                sent_at=now,
                contents=payload.get("contents") or None,
            )
        ).inserted_primary_key[0]
        publish_referral(conn, int(referral_id), now)
    current = {**analysis_payload(report), **changes, "version": version}
    append_change(conn, "analysis", report.id, current, now)
    return _answer(action["action_id"], "applied", version=version, current=current)


def _note_action(
    conn: Connection,
    action: dict[str, Any],
    report: Any,
    analyst: str,
    payload: dict[str, Any],
    now: int,
) -> AnswerDict:
    body = payload.get("body")
    if not isinstance(body, str):
        raise _rejected("a note needs its body (text)")
    body = check_note(body)
    values = {"report_id": report.id, "author": analyst, "created_at": now, "body": body}
    note_id = int(conn.execute(_ADD_NOTE, values).inserted_primary_key[0])
    append_change(conn, "note", note_id, {"note_id": note_id, **values}, now)
    return _answer(
        action["action_id"], "applied", version=report.version, current=analysis_payload(report)
    )


def _refuse_closed(report: Any, what: str) -> None:
    if report.status == Status.CLOSED.value:
        raise _rejected(f"tip #{report.id} is closed; reopen it before you {what}")


def _claim(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    _refuse_closed(report, "claim it")
    holder = report.claimed_by
    if holder == account.name:
        raise _conflict(f"you already have tip #{report.id}")
    if holder:
        raise _conflict(f"tip #{report.id} is claimed by {holder}; they must release it first")
    status = Status.CLAIMED.value if report.status == Status.NEW.value else report.status
    return {"claimed_by": account.name, "status": status}


def _release(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    holder = report.claimed_by
    if not holder:
        raise _conflict(f"tip #{report.id} is not claimed")
    if holder != account.name and account.role != SUPERVISOR:
        raise _rejected(
            f"tip #{report.id} is claimed by {holder}; only they or a supervisor may release it"
        )
    status = Status.NEW.value if report.status == Status.CLAIMED.value else report.status
    return {"claimed_by": None, "status": status}


def _priority(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    value = payload.get("priority")
    if not isinstance(value, str):
        raise _rejected("a priority action needs its priority (E, 1, 2, 3 or info)")
    value = check_priority(value)
    _refuse_closed(report, "change its priority")
    return {"priority": value}


def _info_only(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    if payload.get("priority", Priority.INFO.value) != Priority.INFO.value:
        raise _rejected("an info_only action sets priority info")
    _refuse_closed(report, "change its priority")
    return {"priority": Priority.INFO.value}


def _labels(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    labels = payload.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise _rejected("a labels action needs its labels (a list of text)")
    return {"labels": clean_labels(labels)}


def _victim_age(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    low, high = payload.get("min"), payload.get("max")
    for value in (low, high):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise _rejected("a victim_age action needs min and max (whole years, or null)")
    check_age_range(low, high)
    return {"victim_age_min": low, "victim_age_max": high}


def _close(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    if report.status == Status.CLOSED.value:
        raise _rejected(f"tip #{report.id} is already closed")
    return {"status": Status.CLOSED.value}


def _reopen(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    if report.status != Status.CLOSED.value:
        raise _rejected(f"tip #{report.id} is not closed")
    referred = conn.execute(
        select(_referral.c.id).where(_referral.c.report_id == report.id).limit(1)
    ).first()
    if referred:
        status = Status.REFERRED.value
    elif report.jurisdiction_id is not None:
        status = Status.ASSIGNED.value
    elif report.claimed_by:
        status = Status.CLAIMED.value
    else:
        status = Status.NEW.value
    return {"status": status}


def _agency_row(conn: Connection, payload: dict[str, Any]) -> Any:
    agency_id = payload.get("agency_id")
    if not isinstance(agency_id, int) or isinstance(agency_id, bool):
        raise _rejected("the action needs its agency_id")
    row = conn.execute(select(_agency).where(_agency.c.id == agency_id)).first()
    if row is None:
        raise _rejected(f"there is no agency #{agency_id} on the hub")
    return row


def _assign(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    _refuse_closed(report, "assign it")
    agency = _agency_row(conn, payload)
    status = report.status
    if status in (Status.NEW.value, Status.CLAIMED.value):
        status = Status.ASSIGNED.value
    return {"jurisdiction_id": agency.id, "status": status}


def _dispatch(conn: Connection, account: Account, report: Any, payload: dict[str, Any]) -> dict:
    _refuse_closed(report, "dispatch it")
    agency = _agency_row(conn, payload)
    contents = payload.get("contents")
    if contents is not None and not isinstance(contents, dict):
        raise _rejected("a dispatch's contents must be an object")
    earlier = conn.execute(
        select(_referral.c.created_by).where(
            _referral.c.report_id == report.id,
            _referral.c.agency_id == agency.id,
            _referral.c.status != "failed",
        )
    ).first()
    if earlier is not None and payload.get("again") is not True:
        raise _conflict(
            f"tip #{report.id} was already referred to {agency.name} by {earlier.created_by}; "
            "confirm again to send a second"
        )
    return {"status": Status.REFERRED.value}


_RULES = {
    "claim": _claim,
    "release": _release,
    "priority": _priority,
    "info_only": _info_only,
    "labels": _labels,
    "victim_age": _victim_age,
    "close": _close,
    "reopen": _reopen,
    "assign": _assign,
    "dispatch": _dispatch,
}
