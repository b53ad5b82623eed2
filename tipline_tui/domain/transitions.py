"""What an analyst's action may do to a tip, and why it is refused: the one place it is written.

Pure: no I/O, no SQL. The local store (store/actions.py) and the hub
(hub/rules.py) each read the tip (`Tip`) and the few facts only storage
knows (`Facts`), call `decide`, and write what it returns: a `Transition`
(the new analysis fields, the payload as it travels, a summary for the
status line), or it raises `Refusal` with its wire outcome, "conflict" (the
tip moved on: the claim or dispatch rule, a stale base version) or
"rejected" (it can never apply: a bad payload, a closed tip, the role).

A claimed tip is its holder's: any other analyst's state change is a
conflict naming the holder (a supervisor may override; notes stay open).

A new action kind is a member of `wire.ActionKind` and one rule here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tipline_tui.domain.enums import Priority, Status
from tipline_tui.domain.triage import (
    TriageError,
    age_range_text,
    check_age_range,
    check_note,
    check_priority,
    clean_labels,
)
from tipline_tui.domain.views import RelatedReport, TipView
from tipline_tui.domain.wire import (
    ACTION_KINDS,
    ANALYSIS_FIELDS,
    STATE_KINDS,
    ActionKind,
    fits_id,
)

__all__ = [
    "ROLES",
    "STRONG_RELATED",
    "SUPERVISOR",
    "Actor",
    "Facts",
    "Refusal",
    "Tip",
    "Transition",
    "agency_id_of",
    "decide",
    "dispatch_payload",
    "no_tip",
    "priority_kind",
    "referral_contents",
]

SUPERVISOR = "supervisor"  # the role that may act on a tip another analyst claimed
ROLES = ("analyst", "oncall", SUPERVISOR)  # a hub user account's roles
STRONG_RELATED = 0.5  # related reports at least this strong travel with a referral
RefusalKind = Literal["conflict", "rejected"]


class Refusal(TriageError):
    """An action refused: answered `outcome` ("conflict" or "rejected") with `reason`."""

    def __init__(self, reason: str, outcome: RefusalKind = "rejected") -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome: RefusalKind = outcome


def _conflict(reason: str) -> Refusal:
    return Refusal(reason, "conflict")


def no_tip(report_id: object) -> Refusal:
    return Refusal(f"there is no tip #{report_id}")


@dataclass(frozen=True, slots=True)
class Tip:
    """The analysis of one tip, as the rules read it."""

    id: int
    version: int
    status: str = Status.NEW.value
    priority: str | None = None
    labels: tuple[str, ...] = ()
    victim_age_min: int | None = None
    victim_age_max: int | None = None
    claimed_by: str | None = None
    jurisdiction_id: int | None = None

    @classmethod
    def of(cls, report_id: int, version: int, fields: Mapping[str, Any]) -> Tip:
        """From the wire's ANALYSIS_FIELDS as storage holds them (labels: a list or None)."""
        values = {name: fields[name] for name in ANALYSIS_FIELDS}
        values["labels"] = tuple(values["labels"] or ())
        return cls(id=report_id, version=version, **values)


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    role: str | None = None  # the hub account's role ("analyst", "oncall", "supervisor")


@dataclass(frozen=True, slots=True)
class Facts:
    """What a rule needs that only storage knows; read beforehand by the caller."""

    agency_name: str | None = None  # the payload's agency_id in the directory (None: not there)
    referred_by: str | None = None  # who already referred the tip to that agency (not failed)
    referred: bool = False  # the tip has a referral (reopen returns to "referred")
    where: str = "in the directory"  # how a refusal names the directory ("on the hub")


@dataclass(frozen=True, slots=True)
class Transition:
    """An allowed action: the analysis fields it sets, its payload as it travels, what it did."""

    kind: ActionKind
    changes: dict[str, Any]
    payload: dict[str, Any]
    summary: str
    agency_id: int | None = None  # assign and dispatch: the agency

    @property
    def versioned(self) -> bool:
        """A state change bumps the tip's version; a note commutes and does not."""
        return self.kind in STATE_KINDS


def decide(
    tip: Tip,
    kind: str,
    payload: Any,
    actor: Actor,
    facts: Facts | None = None,
    *,
    base_version: Any,
) -> Transition:
    """The rule of `kind` applied to `tip` by `actor`; raises Refusal.

    `base_version` is the version the action was made on (a local action: the
    tip's own); state kinds need it and are a conflict if the tip moved on.
    """
    if kind not in ACTION_KINDS:
        raise Refusal(f"unknown action kind {kind!r}")
    if not isinstance(payload, dict):
        raise Refusal("the payload must be an object")
    action = ActionKind(kind)
    if action in STATE_KINDS:
        if not _whole(base_version):
            raise Refusal(f"a {action} action needs its base_version")
        if base_version != tip.version:
            raise _conflict(
                f"tip #{tip.id} changed on the hub (version {tip.version}, "
                f"this action was based on {base_version})"
            )
    _refuse_held(tip, action, actor)
    try:
        return _RULES[action](tip, payload, actor, facts or Facts())
    except Refusal:
        raise
    except TriageError as exc:  # the validation helpers' words, answered "rejected"
        raise Refusal(str(exc)) from None


def priority_kind(priority: str) -> ActionKind:
    """Setting priority info is its own action, information only."""
    return ActionKind.INFO_ONLY if priority == Priority.INFO.value else ActionKind.PRIORITY


def agency_id_of(payload: Mapping[str, Any]) -> int | None:
    """The agency an assign or dispatch payload names, if it names one properly."""
    value = payload.get("agency_id")
    if isinstance(value, int) and _whole(value) and fits_id(value):  # else names none
        return value
    return None


def dispatch_payload(agency_id: int, contents: Mapping[str, Any], *, again: bool) -> dict[str, Any]:
    """A dispatch's payload; the rule adds the directory's name of the agency."""
    return {"agency_id": agency_id, "contents": dict(contents), "again": again}


def referral_contents(tip: TipView, related: Sequence[RelatedReport]) -> dict[str, Any]:
    """What the agency receives besides the report itself: analysis, links, file metadata."""
    a = tip.analysis
    return {
        "report_id": tip.id,
        "priority": a.priority,
        "labels": list(a.labels),
        "victim_age": [a.victim_age_min, a.victim_age_max]
        if a.victim_age_min is not None
        else None,
        "notes": len(a.notes),
        "related": [r.report_id for r in related if r.score >= STRONG_RELATED],
        "files": len(tip.report.files),
    }


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _refuse_closed(tip: Tip, what: str) -> None:
    if tip.status == Status.CLOSED.value:
        raise Refusal(f"tip #{tip.id} is closed; reopen it before you {what}")


# what an analyst may not do to a tip someone else holds, in the refusal's words
_HELD_WHAT = {
    ActionKind.PRIORITY: "change its priority",
    ActionKind.INFO_ONLY: "change its priority",
    ActionKind.LABELS: "change its labels",
    ActionKind.VICTIM_AGE: "change its victim age",
    ActionKind.CLOSE: "close it",
    ActionKind.REOPEN: "reopen it",
    ActionKind.ASSIGN: "assign it",
    ActionKind.DISPATCH: "dispatch it",
}


def _refuse_held(tip: Tip, action: ActionKind, actor: Actor) -> None:
    """A claim means one analyst works the tip: nobody else changes its state meanwhile.

    A supervisor may override; notes commute and stay open to all; claim and
    release have their own rules (another's claim is a conflict, its release
    the holder's or a supervisor's). A conflict, not a rejection: once the
    holder releases, the same action applies.
    """
    holder = tip.claimed_by
    what = _HELD_WHAT.get(action)
    if what is None or not holder or holder == actor.name or actor.role == SUPERVISOR:
        return
    raise _conflict(f"tip #{tip.id} is claimed by {holder}; only they or a supervisor may {what}")


def _claim(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    _refuse_closed(tip, "claim it")
    holder = tip.claimed_by
    if holder == actor.name:
        raise _conflict(f"you already have tip #{tip.id}")
    if holder:
        raise _conflict(f"tip #{tip.id} is claimed by {holder}; they must release it first")
    status = Status.CLAIMED.value if tip.status == Status.NEW.value else tip.status
    changes = {"claimed_by": actor.name, "status": status}
    return Transition(ActionKind.CLAIM, changes, {}, f"claimed tip #{tip.id}")


def _release(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    holder = tip.claimed_by
    if not holder:
        raise _conflict(f"tip #{tip.id} is not claimed")
    if holder != actor.name and actor.role != SUPERVISOR:
        raise Refusal(
            f"tip #{tip.id} is claimed by {holder}, not you; "
            "only they or a supervisor may release it"
        )
    status = Status.NEW.value if tip.status == Status.CLAIMED.value else tip.status
    changes = {"claimed_by": None, "status": status}
    return Transition(ActionKind.RELEASE, changes, {}, f"released tip #{tip.id}")


def _priority(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    value = payload.get("priority")
    if not isinstance(value, str):
        raise Refusal("a priority action needs its priority (E, 1, 2, 3 or info)")
    value = check_priority(value)
    _refuse_closed(tip, "change its priority")
    summary = f"tip #{tip.id}: priority {value}"
    return Transition(ActionKind.PRIORITY, {"priority": value}, {"priority": value}, summary)


def _info_only(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    info = Priority.INFO.value
    if payload.get("priority", info) != info:
        raise Refusal("an info_only action sets priority info")
    _refuse_closed(tip, "change its priority")
    summary = f"tip #{tip.id}: information only"
    return Transition(ActionKind.INFO_ONLY, {"priority": info}, {"priority": info}, summary)


def _labels(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    labels = payload.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise Refusal("a labels action needs its labels (a list of text)")
    cleaned = clean_labels(labels)
    summary = f"tip #{tip.id}: labels {', '.join(cleaned) or 'cleared'}"
    return Transition(ActionKind.LABELS, {"labels": cleaned}, {"labels": cleaned}, summary)


def _victim_age(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    low, high = payload.get("min"), payload.get("max")
    if not all(value is None or _whole(value) for value in (low, high)):
        raise Refusal("a victim_age action needs min and max (whole years, or null)")
    check_age_range(low, high)
    text = "cleared" if low is None else age_range_text(low, high)
    changes = {"victim_age_min": low, "victim_age_max": high}
    summary = f"tip #{tip.id}: victim age {text}"
    return Transition(ActionKind.VICTIM_AGE, changes, {"min": low, "max": high}, summary)


def _note(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    body = payload.get("body")
    if not isinstance(body, str):
        raise Refusal("a note needs its body (text)")
    body = check_note(body)
    return Transition(ActionKind.NOTE, {}, {"body": body}, f"tip #{tip.id}: note added")


def _close(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    if tip.status == Status.CLOSED.value:
        raise Refusal(f"tip #{tip.id} is already closed")
    changes = {"status": Status.CLOSED.value}
    return Transition(ActionKind.CLOSE, changes, {}, f"closed tip #{tip.id}")


def _reopen(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    """Back to the furthest status the tip had reached."""
    if tip.status != Status.CLOSED.value:
        raise Refusal(f"tip #{tip.id} is not closed")
    if facts.referred:
        status = Status.REFERRED.value
    elif tip.jurisdiction_id is not None:
        status = Status.ASSIGNED.value
    elif tip.claimed_by:
        status = Status.CLAIMED.value
    else:
        status = Status.NEW.value
    summary = f"reopened tip #{tip.id} ({status})"
    return Transition(ActionKind.REOPEN, {"status": status}, {}, summary)


def _agency(payload: dict[str, Any], facts: Facts) -> tuple[int, str]:
    agency_id = agency_id_of(payload)
    if agency_id is None:
        raise Refusal("the action needs its agency_id")
    if facts.agency_name is None:
        raise Refusal(f"there is no agency #{agency_id} {facts.where}")
    return agency_id, facts.agency_name


def _assign(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    _refuse_closed(tip, "assign it")
    agency_id, name = _agency(payload, facts)
    status = tip.status
    if status in (Status.NEW.value, Status.CLAIMED.value):
        status = Status.ASSIGNED.value
    return Transition(
        ActionKind.ASSIGN,
        {"jurisdiction_id": agency_id, "status": status},
        {"agency_id": agency_id, "agency": name},
        f"tip #{tip.id} assigned to {name}",
        agency_id,
    )


def _dispatch(tip: Tip, payload: dict[str, Any], actor: Actor, facts: Facts) -> Transition:
    """Referring a tip to an agency twice needs the analyst's second confirmation ("again")."""
    _refuse_closed(tip, "dispatch it")
    agency_id, name = _agency(payload, facts)
    contents = payload.get("contents")
    if contents is not None and not isinstance(contents, dict):
        raise Refusal("a dispatch's contents must be an object")
    again = payload.get("again") is True
    if facts.referred_by is not None and not again:
        raise _conflict(
            f"tip #{tip.id} was already referred to {name} by {facts.referred_by}; "
            "confirm again to send a second"
        )
    return Transition(
        ActionKind.DISPATCH,
        {"status": Status.REFERRED.value},
        {"agency_id": agency_id, "agency": name, "contents": contents, "again": again},
        f"tip #{tip.id} referred to {name} (queued)",
        agency_id,
    )


Rule = Callable[[Tip, dict[str, Any], Actor, Facts], Transition]
_RULES: dict[ActionKind, Rule] = {
    ActionKind.CLAIM: _claim,
    ActionKind.RELEASE: _release,
    ActionKind.PRIORITY: _priority,
    ActionKind.INFO_ONLY: _info_only,
    ActionKind.LABELS: _labels,
    ActionKind.VICTIM_AGE: _victim_age,
    ActionKind.NOTE: _note,
    ActionKind.CLOSE: _close,
    ActionKind.REOPEN: _reopen,
    ActionKind.ASSIGN: _assign,
    ActionKind.DISPATCH: _dispatch,
}
assert set(_RULES) == set(ActionKind), "every action kind has its rule"
assert set(_HELD_WHAT) == STATE_KINDS - {ActionKind.CLAIM, ActionKind.RELEASE}, (
    "every state kind but claim and release is closed to others while a tip is claimed"
)
