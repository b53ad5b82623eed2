"""One rule, two places: the pure transitions, and the local store and a real hub agreeing on them.

Every action kind runs, allowed and refused, through a local store (a real
SQLite file) and through a real hub on 127.0.0.1; both must end in the same
state and refuse with the same outcome and the same reason.

Synthetic data only: example.com addresses, fictional agencies.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection

from tests.factories import BASE_TIME, simple_report
from tests.hub_helpers import ThreadHub
from tipline_tui.domain.agency import Agency
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.domain.transitions import (
    Actor,
    Facts,
    Refusal,
    Tip,
    Transition,
    decide,
    dispatch_payload,
    priority_kind,
)
from tipline_tui.domain.triage import TriageError
from tipline_tui.domain.wire import ACTION_KINDS, ANALYSIS_FIELDS, STATE_KINDS, ActionKind
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.operator import import_agencies, import_reports
from tipline_tui.store import Store, actions, open_store
from tipline_tui.store.directory import write_agencies
from tipline_tui.store.reports import write_reports

NOW = BASE_TIME + 3600
AGENCIES = [
    Agency(kind="icac", name="Example ICAC Task Force (DEMO)", state="NY", country="US"),
    Agency(kind="international", name="Example Partner Police (DEMO)", country="GB"),
]
ROLES = {"ana": "analyst", "ben": "analyst", "sue": "supervisor"}
TIPS = 12
ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ the pure rules


def _tip(**fields: Any) -> Tip:
    return Tip(id=7, version=fields.pop("version", 3), **fields)


def _decide(
    tip: Tip,
    kind: str,
    payload: Any = None,
    who: str = "ana",
    *,
    role: str | None = None,
    facts: Facts | None = None,
    base_version: Any = "current",
) -> Transition:
    base = tip.version if base_version == "current" else base_version
    payload = {} if payload is None else payload
    return decide(tip, kind, payload, Actor(who, role), facts, base_version=base)


def _refusal(tip: Tip, kind: str, payload: Any = None, **kw: Any) -> Refusal:
    with pytest.raises(Refusal) as caught:
        _decide(tip, kind, payload, **kw)
    return caught.value


def test_every_kind_has_a_rule_and_the_enum_keeps_the_wire_strings() -> None:
    assert {str(kind) for kind in ActionKind} == {
        "claim", "release", "priority", "info_only", "labels", "victim_age",
        "note", "close", "reopen", "assign", "dispatch",
    }  # fmt: skip
    assert set(ActionKind) == ACTION_KINDS and ActionKind.NOTE not in STATE_KINDS
    assert "claim" in STATE_KINDS and json.dumps(ActionKind.CLAIM) == '"claim"'


def test_claim_and_release() -> None:
    done = _decide(_tip(), "claim")
    assert done.changes == {"claimed_by": "ana", "status": "claimed"} and done.versioned
    assert done.payload == {} and done.summary == "claimed tip #7"
    mine = _tip(claimed_by="ana", status="claimed")
    assert (_refusal(mine, "claim").outcome, _refusal(mine, "claim").reason) == (
        "conflict",
        "you already have tip #7",
    )
    refused = _refusal(mine, "claim", who="ben")
    assert refused.outcome == "conflict" and "claimed by ana; they must release" in str(refused)
    refused = _refusal(mine, "release", who="ben")
    assert refused.outcome == "rejected"
    assert refused.reason == (
        "tip #7 is claimed by ana, not you; only they or a supervisor may release it"
    )
    freed = _decide(mine, "release", who="sue", role="supervisor")
    assert freed.changes == {"claimed_by": None, "status": "new"}
    assigned = _tip(claimed_by="ana", status="assigned")
    assert _decide(assigned, "release").changes["status"] == "assigned"
    assert _refusal(_tip(), "release").outcome == "conflict"  # not claimed


def test_a_claimed_tip_is_its_holders_but_a_supervisors_and_notes_are_open() -> None:
    held = _tip(claimed_by="ana", status="claimed")
    facts = Facts(agency_name="ICAC")
    for kind, payload, what in (
        ("priority", {"priority": "E"}, "change its priority"),
        ("info_only", {}, "change its priority"),
        ("labels", {"labels": ["sextortion"]}, "change its labels"),
        ("victim_age", {"min": 13, "max": 15}, "change its victim age"),
        ("assign", {"agency_id": 1}, "assign it"),
        ("dispatch", {"agency_id": 1}, "dispatch it"),
        ("close", {}, "close it"),
    ):
        refused = _refusal(held, kind, payload, who="ben", facts=facts)
        assert (refused.outcome, refused.reason) == (
            "conflict",
            f"tip #7 is claimed by ana; only they or a supervisor may {what}",
        )
        assert _decide(held, kind, payload, facts=facts).kind == kind  # the holder may
        assert _decide(held, kind, payload, who="sue", role="supervisor", facts=facts)
    assert _decide(held, "note", {"body": "seen"}, who="ben").payload == {"body": "seen"}
    closed = _tip(claimed_by="ana", status="closed")
    assert "only they or a supervisor may reopen it" in _refusal(closed, "reopen", who="ben").reason
    assert _decide(closed, "reopen", who="sue", role="supervisor").changes == {"status": "claimed"}
    assert "they must release it first" in _refusal(held, "claim", who="sue").reason
    assert _decide(_tip(), "close", who="ben").changes == {"status": "closed"}  # nobody holds it


def test_a_closed_tip_refuses_all_but_labels_notes_age_and_reopen() -> None:
    closed = _tip(status="closed")
    for kind, payload, what in (
        ("claim", {}, "claim it"),
        ("priority", {"priority": "E"}, "change its priority"),
        ("info_only", {}, "change its priority"),
        ("assign", {"agency_id": 1}, "assign it"),
        ("dispatch", {"agency_id": 1}, "dispatch it"),
    ):
        refused = _refusal(closed, kind, payload, facts=Facts(agency_name="X"))
        assert refused.outcome == "rejected"
        assert refused.reason == f"tip #7 is closed; reopen it before you {what}"
    assert _refusal(closed, "close").reason == "tip #7 is already closed"
    assert _decide(closed, "labels", {"labels": ["sextortion"]}).changes
    assert _decide(closed, "note", {"body": "x"}).payload == {"body": "x"}
    assert _refusal(_tip(), "reopen").reason == "tip #7 is not closed"


@pytest.mark.parametrize(
    ("tip", "facts", "status"),
    [
        (_tip(status="closed"), Facts(referred=True), "referred"),
        (_tip(status="closed", jurisdiction_id=2), Facts(), "assigned"),
        (_tip(status="closed", claimed_by="ana"), Facts(), "claimed"),
        (_tip(status="closed"), Facts(), "new"),
    ],
)
def test_reopen_returns_to_the_furthest_status(tip: Tip, facts: Facts, status: str) -> None:
    done = _decide(tip, "reopen", facts=facts)
    assert done.changes == {"status": status} and done.summary.endswith(f"({status})")


def test_payloads_are_checked_and_cleaned() -> None:
    tip = _tip()
    assert _decide(tip, "priority", {"priority": "1"}).payload == {"priority": "1"}
    assert "E, 1, 2, 3 or info" in _refusal(tip, "priority", {"priority": "urgent"}).reason
    assert "needs its priority" in _refusal(tip, "priority", {}).reason
    assert "sets priority info" in _refusal(tip, "info_only", {"priority": "E"}).reason
    labels = _decide(tip, "labels", {"labels": ["Sextortion", "#case-1"]})
    assert labels.changes == {"labels": ["sextortion", "case-1"]}
    assert "free tag" in _refusal(tip, "labels", {"labels": ["bad tag!"]}).reason
    assert "list of text" in _refusal(tip, "labels", {"labels": "x"}).reason
    age = _decide(tip, "victim_age", {"min": 13, "max": 15})
    assert age.changes == {"victim_age_min": 13, "victim_age_max": 15}
    assert age.summary == "tip #7: victim age 13-15"
    assert "victim age range" in _refusal(tip, "victim_age", {"min": 15, "max": 12}).reason
    assert "whole years" in _refusal(tip, "victim_age", {"min": True, "max": 3}).reason
    note = _decide(tip, "note", {"body": "  hello  "})
    assert note.payload == {"body": "hello"} and not note.versioned and note.changes == {}
    assert "needs some text" in _refusal(tip, "note", {"body": "  "}).reason
    assert _refusal(tip, "teleport").reason == "unknown action kind 'teleport'"
    assert _refusal(tip, "claim", []).reason == "the payload must be an object"
    for refusal in (_refusal(tip, "priority", {"priority": "x"}), _refusal(tip, "teleport")):
        assert refusal.outcome == "rejected" and isinstance(refusal, TriageError)


def test_base_version_is_checked_for_state_kinds_only() -> None:
    tip = _tip(version=3)
    stale = _refusal(tip, "close", base_version=2)
    assert stale.outcome == "conflict"
    assert stale.reason == "tip #7 changed on the hub (version 3, this action was based on 2)"
    assert "needs its base_version" in _refusal(tip, "close", base_version=None).reason
    assert "needs its base_version" in _refusal(tip, "close", base_version=True).reason
    assert _decide(tip, "note", {"body": "x"}, base_version=None).kind == ActionKind.NOTE


def test_assign_and_dispatch() -> None:
    tip = _tip(status="claimed", priority="E")
    facts = Facts(agency_name="ICAC")
    done = _decide(tip, "assign", {"agency_id": 1}, facts=facts)
    assert done.changes == {"jurisdiction_id": 1, "status": "assigned"} and done.agency_id == 1
    assert done.payload == {"agency_id": 1, "agency": "ICAC"}
    assert _refusal(tip, "assign", {}).reason == "the action needs its agency_id"
    missing = _refusal(tip, "assign", {"agency_id": 9}, facts=Facts(where="on the hub"))
    assert missing.reason == "there is no agency #9 on the hub"
    payload = dispatch_payload(1, {"related": [2]}, again=False)
    sent = _decide(tip, "dispatch", payload, facts=facts)
    assert sent.changes == {"status": "referred"}
    assert sent.payload == {"agency_id": 1, "agency": "ICAC", "contents": {"related": [2]},
                            "again": False}  # fmt: skip
    twice = _refusal(tip, "dispatch", payload, facts=Facts(agency_name="ICAC", referred_by="ben"))
    assert twice.outcome == "conflict"
    assert twice.reason == (
        "tip #7 was already referred to ICAC by ben; confirm again to send a second"
    )
    again = dispatch_payload(1, {}, again=True)
    assert _decide(tip, "dispatch", again, facts=Facts(agency_name="ICAC", referred_by="ben"))
    bad = {"agency_id": 1, "contents": [1]}
    assert "contents must be an object" in _refusal(tip, "dispatch", bad, facts=facts).reason


def test_priority_info_is_its_own_kind() -> None:
    assert priority_kind("info") == ActionKind.INFO_ONLY
    assert priority_kind("E") == priority_kind("urgent") == ActionKind.PRIORITY


# ------------------------------------------------------------------ store and hub agree


@dataclass
class Step:
    who: str
    kind: str
    payload: dict[str, Any]


def s(who: str, kind: str, **payload: Any) -> Step:
    return Step(who, kind, payload)


CASES: dict[str, list[Step]] = {
    "claims": [
        s("ana", "claim"),
        s("ana", "claim"),  # you already have it
        s("ben", "claim"),  # claimed by ana
        s("ben", "release"),  # not the claimer, not a supervisor
        s("sue", "release"),  # a supervisor may
        s("ben", "release"),  # not claimed
        s("ben", "claim"),
        s("ben", "release"),
    ],
    "priority": [
        s("ana", "priority", priority="E"),
        s("ana", "priority", priority="urgent"),
        s("ana", "info_only", priority="info"),
        s("ana", "priority", priority="2"),
    ],
    "labels and age": [
        s("ana", "labels", labels=["Sextortion", "#case-17", "apparent-csam"]),
        s("ana", "labels", labels=["bad tag!"]),
        s("ana", "victim_age", min=13, max=15),
        s("ana", "victim_age", min=15, max=12),
        s("ana", "victim_age", min=None, max=None),
        s("ana", "labels", labels=[]),
    ],
    "notes": [
        s("ana", "note", body="  spoke to the ESP  "),
        s("ana", "note", body="   "),
    ],
    "closed": [
        s("ana", "claim"),
        s("ana", "close"),
        s("ana", "close"),
        s("ben", "claim"),
        s("ana", "priority", priority="E"),
        s("ana", "info_only", priority="info"),
        s("ana", "assign", agency_id=1),
        s("ana", "dispatch", agency_id=1, contents={}, again=False),
        s("ana", "labels", labels=["no-csam"]),
        s("ana", "note", body="closed as spam"),
        s("ana", "reopen"),
        s("ana", "reopen"),
    ],
    "referrals": [
        s("ana", "claim"),
        s("ana", "assign", agency_id=1),
        s("ana", "dispatch", agency_id=1, contents={"related": [2]}, again=False),
        s("ben", "dispatch", agency_id=1, contents={}, again=False),  # already referred
        s("ben", "dispatch", agency_id=1, contents={}, again=True),
        s("ana", "dispatch", agency_id=2, contents={}, again=False),
        s("ana", "close"),
        s("ana", "reopen"),  # back to referred
    ],
    "claimed by another": [
        s("ana", "claim"),
        s("ben", "priority", priority="E"),  # ana holds it: refused, naming her
        s("ben", "info_only", priority="info"),
        s("ben", "labels", labels=["sextortion"]),
        s("ben", "victim_age", min=13, max=15),
        s("ben", "assign", agency_id=1),
        s("ben", "dispatch", agency_id=1, contents={}, again=False),
        s("ben", "close"),
        s("ben", "note", body="notes stay open to all"),
        s("ben", "claim"),  # still a conflict
        s("ana", "priority", priority="E"),  # the holder may
        s("sue", "assign", agency_id=2),  # a supervisor overrides
        s("sue", "close"),
        s("ben", "reopen"),  # closed, and still ana's
        s("sue", "reopen"),
        s("ana", "release"),
        s("ben", "priority", priority="1"),  # free again
    ],
    "reopen to assigned": [
        s("ana", "assign", agency_id=2),
        s("ana", "close"),
        s("ana", "reopen"),
    ],
}


def _local_act(conn: Connection, tip: int, step: Step) -> None:
    p, who = step.payload, step.who
    kw: dict[str, Any] = {"analyst": who, "now": NOW, "role": ROLES[who]}
    calls: dict[str, Callable[[], object]] = {
        "claim": lambda: actions.claim(conn, tip, **kw),
        "release": lambda: actions.release(conn, tip, **kw),
        "priority": lambda: actions.set_priority(conn, tip, p["priority"], **kw),
        "info_only": lambda: actions.set_priority(conn, tip, p["priority"], **kw),
        "labels": lambda: actions.set_labels(conn, tip, p["labels"], **kw),
        "victim_age": lambda: actions.set_victim_age(conn, tip, p["min"], p["max"], **kw),
        "note": lambda: actions.add_note(conn, tip, p["body"], analyst=who, now=NOW),
        "close": lambda: actions.close(conn, tip, **kw),
        "reopen": lambda: actions.reopen(conn, tip, **kw),
        "assign": lambda: actions.assign(conn, tip, p["agency_id"], **kw),
        "dispatch": lambda: actions.dispatch(
            conn, tip, p["agency_id"], contents=p["contents"], again=p["again"], **kw
        ),
    }
    calls[step.kind]()


def _local_state(store: Store, tip: int) -> dict[str, Any]:
    with store.read() as conn:
        row = conn.exec_driver_sql(
            f"SELECT version, {', '.join(ANALYSIS_FIELDS)} FROM report WHERE id = ?", (tip,)
        ).one()
    state = dict(zip(("version", *ANALYSIS_FIELDS), row, strict=True))
    state["labels"] = json.loads(state["labels"]) if state["labels"] else []
    return state


@dataclass
class Sides:
    store: Store
    hub: HubDB
    url: str
    tokens: dict[str, str]
    http: httpx.Client

    def local(self, tip: int, step: Step) -> tuple[str, str | None]:
        try:
            with self.store.write() as conn:
                _local_act(conn, tip, step)
        except Refusal as refusal:
            return refusal.outcome, refusal.reason
        return "applied", None

    def remote(self, tip: int, step: Step, base: int | None) -> dict[str, Any]:
        action = {
            "action_id": str(uuid.uuid4()),
            "kind": step.kind,
            "report_id": tip,
            "base_version": None if step.kind == "note" else base,
            "payload": step.payload,
            "created_at": NOW,
        }
        response = self.http.post(
            f"{self.url}/v1/actions",
            json={"actions": [action]},
            headers={"Authorization": f"Bearer {self.tokens[step.who]}"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()["results"][0]
        return answer


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sides]:
    folder = tmp_path_factory.mktemp("parity")
    reports = [simple_report(n) for n in range(TIPS)]
    store = open_store(folder / "store.sqlite")
    with store.write() as conn:
        write_reports(conn, reports, now=BASE_TIME)
        assert write_agencies(conn, AGENCIES) == [1, 2]
    hub = open_hub(f"sqlite:///{folder / 'hub.sqlite'}", clock=lambda: NOW)
    import_agencies(hub, AGENCIES)
    assert import_reports(hub, [report_to_xml(r) for r in reports]) == list(range(1, TIPS + 1))
    tokens: dict[str, str] = {}
    with hub.write() as conn:
        for name, role in ROLES.items():
            secret = create_account(conn, kind="user", name=name, role=role, now=NOW)
            tokens[name] = f"{name}:{secret}"
    server = ThreadHub(hub, folder / "evidence").start()
    try:
        with httpx.Client() as http:
            yield Sides(store, hub, server.url, tokens, http)
    finally:
        server.stop()
        hub.close()
        store.close()


def _outcomes(sides: Sides, tip: int, steps: Sequence[Step]) -> list[tuple[str, str | None]]:
    """Run `steps` on both sides of one tip, checking they agree after each; the outcomes."""
    seen = []
    for n, step in enumerate(steps):
        base = _local_state(sides.store, tip)["version"]
        mine = sides.local(tip, step)
        answer = sides.remote(tip, step, base)
        seen.append(mine)
        where = f"step {n} ({step.who} {step.kind} {step.payload})"
        assert (answer["outcome"], answer["reason"]) == mine, where
        hubs = {k: v for k, v in answer["current"].items() if k != "report_id"}
        assert hubs == _local_state(sides.store, tip), where
    return seen


def test_the_cases_run_every_kind() -> None:
    assert {step.kind for steps in CASES.values() for step in steps} == set(ActionKind)


@pytest.mark.parametrize("case", list(CASES))
def test_store_and_hub_give_the_same_state_and_the_same_refusals(sides: Sides, case: str) -> None:
    tip = list(CASES).index(case) + 1
    outcomes = _outcomes(sides, tip, CASES[case])
    assert outcomes[0] == ("applied", None)


def test_a_stale_base_version_is_the_rules_conflict(sides: Sides) -> None:
    """The store's actions are always on its current version; the hub checks the base."""
    tip = len(CASES) + 1
    _outcomes(sides, tip, [s("ana", "priority", priority="1")])
    state = _local_state(sides.store, tip)
    expected = _refusal(Tip.of(tip, state["version"], state), "close", base_version=1)
    answer = sides.remote(tip, s("ana", "close"), base=1)
    assert (answer["outcome"], answer["reason"]) == (expected.outcome, expected.reason)
    reason = f"tip #{tip} changed on the hub (version 2, this action was based on 1)"
    assert answer["reason"] == reason
    assert answer["current"]["status"] == "new"  # nothing applied
