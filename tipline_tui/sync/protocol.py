"""The JSON the hub and its analysts exchange: one definition both sides import.

Pull: `GET /v1/changes?since=SEQ&limit=N` (bearer token of a user) answers

    {"changes": [Change...], "next": SEQ, "more": bool}

where every change is {"seq": int, "kind": str, "at": epoch, "payload": {...}} and
the payload of each kind is:

- "report":   {"report_id", "received_at", "xml": str (the report document as the
               ESP sent it, UTF-8), "files": [str (fileDetails documents)...]}
- "analysis": {"report_id", "version", "status", "priority", "labels",
               "victim_age_min", "victim_age_max", "claimed_by", "jurisdiction_id"}
- "note":     {"note_id", "report_id", "author", "created_at", "body"}
- "referral": {"referral_id", "action_id", "report_id", "agency_id", "status",
               "priority", "created_by", "created_at", "sent_at", "acknowledged_at",
               "failed_at", "detail", "outcome"}
- "agency":   {"agency_id", "kind", "name", "state", "country", "contact", "takes_urgent"}

A "report" change comes once, when the report is finished; until an "analysis"
change says otherwise its analysis is the default (status "new", version 1,
nothing else set).

Report ids on the wire are always the hub's (a local tip's `hub_id`); agency
ids are the hub's (a connected store keeps the hub's agency ids as its own).

Push: `POST /v1/actions` {"actions": [Action...]} answers {"results": [Answer...]}
in the same order. An action is

    {"action_id": uuid str, "kind": str, "report_id": int | None,
     "base_version": int | None, "payload": {...}, "created_at": epoch}

with kinds and payloads as the local outbox writes them (tipline_tui/store/actions.py):
claim {}, release {}, priority {"priority"}, info_only {"priority": "info"},
labels {"labels"}, victim_age {"min", "max"}, note {"body"}, close {}, reopen {},
assign {"agency_id", "agency"}, dispatch {"agency_id", "agency", "contents",
"again": bool} ("again": true when the analyst confirmed a second referral of
the tip to that agency; without it the hub answers such a dispatch "conflict").
The analyst is the token's user, never a field of the action.

An answer is {"action_id", "outcome": "applied" | "duplicate" | "conflict" |
"rejected", "reason": str | None, "version": int | None, "current": analysis
payload | None}. duplicate = this action_id was answered before (the first
answer is repeated, with outcome "duplicate" and the first outcome in
"first_outcome"); conflict = base_version is not the tip's version (or the
claim/dispatch rule is broken), "current" is the hub's state; rejected = it can
never apply (unknown tip, bad payload, role not allowed) with the reason.
"applied" and "conflict" answers carry "current" too (the state after the
apply, or the hub's state), so a client can store it without another pull.

Authentication: `Authorization: Bearer <account name>:<secret>` (the secret
`tipline hub user add` printed); 401 if missing or refused, 403 if the role
may not. Roles analyst, oncall and supervisor may push every action; only a
supervisor may release a tip another analyst claimed.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

ChangeKind = Literal["report", "analysis", "note", "referral", "agency"]
OutcomeName = Literal["applied", "duplicate", "conflict", "rejected"]

STATE_KINDS = frozenset(
    {
        "claim",
        "release",
        "priority",
        "info_only",
        "labels",
        "victim_age",
        "close",
        "reopen",
        "assign",
        "dispatch",
    }
)  # checked against base_version
APPEND_KINDS = frozenset({"note"})  # commute: no version check
# The hub refuses a request body over this with 413 on every /v1 route. A client push
# (PUSH_BATCH = 200 actions, a note at most 10,000 characters, \u-escaped at worst 12
# bytes each) stays under it.
MAX_BODY_BYTES = 32 * 1024**2
ACTION_KINDS = STATE_KINDS | APPEND_KINDS
ANALYSIS_FIELDS = (
    "status",
    "priority",
    "labels",
    "victim_age_min",
    "victim_age_max",
    "claimed_by",
    "jurisdiction_id",
)


class ChangeDict(TypedDict):
    seq: int
    kind: ChangeKind
    at: int
    payload: dict[str, Any]


class ActionDict(TypedDict):
    action_id: str
    kind: str
    report_id: int | None
    base_version: int | None
    payload: dict[str, Any]
    created_at: int


class AnswerDict(TypedDict, total=False):
    action_id: str
    outcome: OutcomeName
    first_outcome: OutcomeName
    reason: str | None
    version: int | None
    current: dict[str, Any] | None
