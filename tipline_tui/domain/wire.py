"""The JSON the hub and its analysts exchange: one schema, imported by hub, sync client and store.

Pull: `GET /v1/changes?since=SEQ&limit=N` (bearer token of a user) answers

    {"changes": [Change...], "next": SEQ, "more": bool}

where every change is {"seq": int, "kind": str, "at": epoch, "payload": {...}} and
the payload of each kind is:

- "report":   {"report_id", "received_at", "xml": str (the report document as the
               ESP sent it, UTF-8), "files": [str (fileDetails documents)...]}
- "analysis": {"report_id", "version", "status", "priority", "labels",
               "victim_age_min", "victim_age_max", "claimed_by", "jurisdiction_id"}
- "note":     {"note_id", "action_id", "report_id", "author", "created_at", "body"}
              ("action_id": the action that wrote it; its writer's store knows the
              note by it, so the same text twice is two notes)
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

("report_id", "base_version" and "created_at" may be left out or null; the
client always sends them) with kinds (`ActionKind`) and payloads as the local
outbox writes them (the rules are tipline_tui/domain/transitions.py):
claim {}, release {}, priority {"priority"}, info_only {"priority": "info"},
labels {"labels"}, victim_age {"min", "max"}, note {"body"}, close {}, reopen {},
assign {"agency_id", "agency"}, dispatch {"agency_id", "agency", "contents",
"again": bool} ("again": true when the analyst confirmed a second referral of
the tip to that agency; without it the hub answers such a dispatch "conflict").
The analyst is the token's user, never a field of the action.

An answer is {"action_id", "outcome": "applied" | "duplicate" | "conflict" |
"rejected", "reason": str | None, "version": int | None, "current": analysis
payload | None}. duplicate = this action_id was answered before (the first
answer is repeated, with outcome "duplicate" and the first outcome, never
"duplicate" itself, in "first_outcome", a key only duplicates carry);
conflict = base_version is not the tip's version (or the claim/dispatch rule
is broken), "current" is the hub's state; rejected = it can never apply
(unknown tip, bad payload, role not allowed) with the reason. "applied" and
"conflict" answers carry "current" too (the state after the apply, or the
hub's state), so a client can store it without another pull.

Authentication: `Authorization: Bearer <account name>:<secret>` (the secret
`tipline hub user add` printed); 401 if missing or refused, 403 if the role
may not. Roles analyst, oncall and supervisor may push every action; only a
supervisor may release, or change, a tip another analyst claimed (anyone may add
a note).

The TypedDicts below are the hub's OpenAPI schema (FastAPI validates request
bodies against them, with the `Field` limits) and the client's static types;
the client never validates them at run time (a page of thousands of changes
is used as parsed). pydantic wants `typing_extensions.TypedDict` before
Python 3.12.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, NotRequired

from pydantic import AfterValidator, Field
from typing_extensions import TypedDict

__all__ = [
    "ACTION_KINDS",
    "ANALYSIS_FIELDS",
    "APPEND_KINDS",
    "ID_MAX",
    "ID_MIN",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_ACTIONS",
    "MAX_BODY_BYTES",
    "ROLE_HEADER",
    "SCHEMA_HEADER",
    "SEQ_HEADER",
    "STATE_KINDS",
    "WAIT_HEADER",
    "ActionBatch",
    "ActionDict",
    "ActionKind",
    "AnswerBatch",
    "AnswerDict",
    "ChangeDict",
    "ChangeKind",
    "ChangesPage",
    "FirstOutcome",
    "HubInt",
    "Int64",
    "OutcomeName",
    "fits_id",
]


class ActionKind(StrEnum):
    """What an analyst's action does; the value is the wire's "kind"."""

    CLAIM = "claim"
    RELEASE = "release"
    PRIORITY = "priority"
    INFO_ONLY = "info_only"
    LABELS = "labels"
    VICTIM_AGE = "victim_age"
    NOTE = "note"
    CLOSE = "close"
    REOPEN = "reopen"
    ASSIGN = "assign"
    DISPATCH = "dispatch"


APPEND_KINDS = frozenset({ActionKind.NOTE})  # commute: no version check
STATE_KINDS = frozenset(ActionKind) - APPEND_KINDS  # checked against base_version
ACTION_KINDS = STATE_KINDS | APPEND_KINDS
# The hub refuses a request body over this with 413 on every /v1 route. A client push
# (PUSH_BATCH = 200 actions, a note at most 10,000 characters, \u-escaped at worst 12
# bytes each) stays under it.
MAX_BODY_BYTES = 32 * 1024**2
# response headers: a snapshot's feed position and schema; the account's role with each page
SEQ_HEADER = "X-Tipline-Seq"
SCHEMA_HEADER = "X-Tipline-Schema"
ROLE_HEADER = "X-Tipline-Role"
WAIT_HEADER = "X-Tipline-Wait"  # GET /v1/changes honoured `wait` (long-polling): a pushing hub
MAX_ACTIONS = 5000  # actions in one push
ANALYSIS_FIELDS = (
    "status",
    "priority",
    "labels",
    "victim_age_min",
    "victim_age_max",
    "claimed_by",
    "jurisdiction_id",
)

ChangeKind = Literal["report", "analysis", "note", "referral", "agency"]
OutcomeName = Literal["applied", "duplicate", "conflict", "rejected"]
FirstOutcome = Literal["applied", "conflict", "rejected"]  # what a first answer can be


class ChangeDict(TypedDict):
    seq: int
    kind: ChangeKind
    at: Annotated[int, Field(description="seconds since the epoch, UTC")]
    payload: Annotated[
        dict[str, Any], Field(description="per kind, as tipline_tui/domain/wire.py says")
    ]


class ChangesPage(TypedDict):
    changes: list[ChangeDict]
    next: Annotated[int, Field(description="the cursor for the next page: pass it as `since`")]
    more: Annotated[bool, Field(description="true if more changes wait beyond this page")]


# Every integer a client sends is bounded here, so one past its column is a 422 naming
# the field, never the database's overflow (a 500). The change feed's seq is a BIGINT;
# ids, versions and payload numbers are INTEGER columns, 32-bit on PostgreSQL.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ID_MIN, ID_MAX = -(2**31), 2**31 - 1
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
HubInt = Annotated[int, Field(ge=ID_MIN, le=ID_MAX)]


def _payload_ints_fit(payload: dict[str, Any]) -> dict[str, Any]:
    """Refuse (422) a payload whose top-level integers (agency_id, ages) pass their column."""
    for key, value in payload.items():
        if isinstance(value, int) and not isinstance(value, bool) and not fits_id(value):
            raise ValueError(f"payload {key!r} is out of range ({ID_MIN}..{ID_MAX})")
    return payload


def fits_id(value: int) -> bool:
    """Whether an id fits the hub's INTEGER columns on every backend (32-bit on PostgreSQL)."""
    return ID_MIN <= value <= ID_MAX


class ActionDict(TypedDict):
    action_id: Annotated[str, Field(min_length=1, max_length=100, description="client-made UUID")]
    kind: Annotated[str, Field(max_length=40, description="an ActionKind")]
    report_id: NotRequired[HubInt | None]
    base_version: NotRequired[HubInt | None]
    payload: NotRequired[Annotated[dict[str, Any], AfterValidator(_payload_ints_fit)]]
    created_at: NotRequired[Annotated[Int64 | None, Field(description="seconds since the epoch")]]


class ActionBatch(TypedDict):
    actions: Annotated[list[ActionDict], Field(max_length=MAX_ACTIONS)]


class AnswerDict(TypedDict):
    action_id: str
    outcome: OutcomeName
    first_outcome: NotRequired[FirstOutcome]
    reason: str | None
    version: int | None
    current: dict[str, Any] | None


class AnswerBatch(TypedDict):
    results: list[AnswerDict]
