"""A clearinghouse mid-shift: the demo store's history, played through the real action path.

`play_shift` takes a freshly generated store and works it the way a team of
analysts would have up to SHIFT_NOW: most older tips referred (agencies
acknowledged them and reported outcomes) or closed as information only, a
few conflicts met and resolved, and a backlog of recent tips left, a handful
of them urgent, most inside their time limits and one or two late.

Every analyst action goes through `store.actions` (the rules of
domain/transitions.py, the outbox and the audit chain), and is then settled
as the hub answered it (`sync_state.record_answers`); what only the hub or an
agency writes (an acknowledgement, an outcome, a tip sent back, another
analyst's claim) arrives as the feed would bring it (`sync_state.apply_changes`).
So the audit and the state agree, and the demo hub is seeded from the result.
Deterministic: one Random per seed, times from SHIFT_NOW, never the wall clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from typing import Any

from sqlalchemy import Connection

from tipline_tui.demo.clock import DAY, DEMO_EPOCH
from tipline_tui.domain.enums import is_urgent
from tipline_tui.domain.jurisdiction import suggest
from tipline_tui.domain.report import Report
from tipline_tui.domain.transitions import referral_contents
from tipline_tui.domain.wire import ANALYSIS_FIELDS
from tipline_tui.store import Store, actions, sync_state
from tipline_tui.store.actions import ActionResult
from tipline_tui.store.directory import list_agencies
from tipline_tui.store.tip_load import load_tip

SHIFT_NOW = DEMO_EPOCH  # the demo's "now": just after midnight UTC, a night shift
HOUR = 3600
ANALYSTS = ("ana", "ben", "chris", "dana", "eli")
CONFLICTS = 3  # claims that met a colleague's, resolved by taking the hub's
RECENT_WINDOW = 4 * DAY  # the last tips, squeezed towards now (a busy evening)
RECENT_SPAN = 3 * DAY
NEWEST_AGE = 240  # seconds: the newest tip arrived four minutes before now
_ACTION_NAMESPACE = uuid.UUID("5f0c1d2e-9a4b-4c7d-8e6f-0a1b2c3d4e5f")  # the demo's actions


def squeeze_recent(received: int) -> int:
    """A received time, moved later near the end so the last hour holds a handful of tips.

    Monotonic, and never earlier than the generator's time (incidents still
    precede receipt); times before the recent window are unchanged.
    """
    start = SHIFT_NOW - RECENT_WINDOW
    if received < start:
        return received
    u = (received - start) / RECENT_WINDOW
    return max(received, SHIFT_NOW - NEWEST_AGE - int(RECENT_SPAN * (1 - u) ** 2))


@dataclass(frozen=True, slots=True)
class ShiftTip:
    id: int
    received: int
    escalated: bool


class Shift:
    """The analysts' and agencies' history, written one tip at a time."""

    def __init__(self, conn: Connection, seed: int) -> None:
        self.conn = conn
        self.rng = Random(f"tipline-demo/shift/{seed}")
        self.agencies = list_agencies(conn)

    # -- the paths: analysts' actions, the hub's answers, the feed's changes --

    def act(self, do: Callable[..., ActionResult], *args: Any, **kw: Any) -> ActionResult:
        """An analyst's action, then the hub's "applied" answer, as a sync round settles it."""
        done = do(self.conn, *args, **kw)
        answer: dict[str, Any] = {"action_id": done.action_id, "outcome": "applied"}
        answer |= {"reason": None, "version": done.version, "current": None}
        sync_state.record_answers(self.conn, [answer], kw["now"])  # type: ignore[list-item]
        return done

    def pulled(self, kind: str, entity_id: int, payload: dict[str, Any], at: int) -> None:
        """A change from the hub's feed (cursor kept at 0: the demo hub sets it when seeded)."""
        change = {"seq": 0, "kind": kind, "entity_id": entity_id, "at": at, "payload": payload}
        sync_state.apply_changes(self.conn, [change], 0)  # type: ignore[list-item]

    def analysis(self, tip_id: int, **changes: Any) -> dict[str, Any]:
        row = self.conn.exec_driver_sql(
            f"SELECT version, {', '.join(ANALYSIS_FIELDS)} FROM report WHERE id = ?", (tip_id,)
        ).one()
        state = dict(zip(("version", *ANALYSIS_FIELDS), row, strict=True))
        state["labels"] = actions._decode_labels(state["labels"])
        return {"report_id": tip_id, **state, **changes}

    # -- one tip's story --

    def claim(self, tip: ShiftTip, analyst: str, at: int, *, contested: bool) -> str:
        """Claim the tip; a contested claim meets a colleague's and takes the hub's state."""
        if not contested:
            self.act(actions.claim, tip.id, analyst=analyst, now=at)
            return analyst
        rival = ANALYSTS[(ANALYSTS.index(analyst) + 1) % len(ANALYSTS)]
        mine = actions.claim(self.conn, tip.id, analyst=analyst, now=at)
        hubs = self.analysis(tip.id, status="claimed", claimed_by=rival)
        answer: dict[str, Any] = {"action_id": mine.action_id, "outcome": "conflict"}
        answer["version"] = mine.version
        answer |= {"reason": f"tip #{tip.id} is claimed by {rival}; they must release it first"}
        answer["current"] = {k: v for k, v in hubs.items() if k != "report_id"}
        sync_state.record_answers(self.conn, [answer], at + 5)  # type: ignore[list-item]
        outbox_id = self.conn.exec_driver_sql(
            "SELECT id FROM outbox WHERE action_id = ?", (mine.action_id,)
        ).scalar_one()
        sync_state.resolve_conflict(
            self.conn, outbox_id, keep_mine=False, analyst=analyst, now=at + 60
        )
        return rival

    def triage(self, tip: ShiftTip, analyst: str, at: int, priority: str) -> None:
        self.act(actions.set_priority, tip.id, priority, analyst=analyst, now=at)
        if self.rng.random() < 0.3:
            low = self.rng.choice((6, 9, 12, 13, 15))
            self.act(actions.set_victim_age, tip.id, low, low + 2, analyst=analyst, now=at + 30)

    def top_agencies(self, tip: ShiftTip, priority: str | None) -> list[int]:
        view = load_tip(self.conn, tip.id)
        assert view is not None
        urgent = is_urgent(priority, tip.escalated)
        found = suggest(view.report, self.agencies, urgent=urgent)
        return [c.agency.id for c in found.agencies if c.agency.id is not None]

    def refer(self, tip: ShiftTip, analyst: str, agency: int, at: int) -> int:
        """Assign and dispatch; the hub sends the referral at once. Returns its id."""
        self.act(actions.assign, tip.id, agency, analyst=analyst, now=at)
        view = load_tip(self.conn, tip.id)
        assert view is not None
        contents = referral_contents(view, [])
        done = self.act(
            actions.dispatch, tip.id, agency, analyst=analyst, now=at + 60, contents=contents
        )
        self.agency_says(done.action_id, at + 62, status="sent")
        return at + 62

    def agency_says(self, action_id: str, at: int, **values: Any) -> None:
        """The referral's row as the hub's feed would bring it, with `values` changed."""
        cols = "action_id, report_id, agency_id, status, priority, created_by, created_at"
        row = self.conn.exec_driver_sql(
            f"SELECT {cols}, sent_at, acknowledged_at, failed_at, detail, outcome "
            "FROM referral WHERE action_id = ?",
            (action_id,),
        ).one()
        payload = dict(zip((*cols.split(", "), *sync_state._REFERRAL_FIELDS[1:]), row, strict=True))
        payload["sent_at"] = payload["sent_at"] or at
        payload.update(values)
        self.pulled("referral", 0, payload, at)

    def last_referral(self, tip: ShiftTip) -> str:
        return str(
            self.conn.exec_driver_sql(
                "SELECT action_id FROM referral WHERE report_id = ? ORDER BY id DESC LIMIT 1",
                (tip.id,),
            ).scalar_one()
        )


def _tips(conn: Connection) -> list[ShiftTip]:
    rows = conn.exec_driver_sql(
        "SELECT id, received_at, escalate_text IS NOT NULL AND trim(escalate_text) != '' "
        "FROM report ORDER BY received_at, id"
    )
    return [ShiftTip(i, t, bool(e)) for i, t, e in rows]


def squeeze_reports(reports: list[Report]) -> None:
    """Apply `squeeze_recent` to each report's received time (before it is stored)."""
    for report in reports:
        if report.received_at is not None:
            report.received_at = squeeze_recent(report.received_at)


def play_shift(store: Store, seed: int) -> None:
    """Work a freshly built demo store up to SHIFT_NOW (see the module docstring)."""
    from tipline_tui.demo.shift_plan import plan_and_play

    with store.write() as conn:
        conn.exec_driver_sql("UPDATE report SET hub_id = id")  # the demo hub seeds the same ids
        plan_and_play(Shift(conn, seed), _tips(conn))
        _name_actions_by_seed(conn, seed)


def _name_actions_by_seed(conn: Connection, seed: int) -> None:
    """Give every action a UUID made from the seed and its place, so rebuilds are identical.

    The actions drew random UUIDs as they were made; here each is renamed
    everywhere it is written (the outbox, its answer, its referral or note).
    """
    rows = conn.exec_driver_sql("SELECT id, action_id FROM outbox ORDER BY id").all()
    for outbox_id, old in rows:
        new = str(uuid.uuid5(_ACTION_NAMESPACE, f"{seed}/{outbox_id}"))
        conn.exec_driver_sql(
            "UPDATE outbox SET action_id = ?, answer = replace(answer, ?, ?) WHERE id = ?",
            (new, old, new, outbox_id),
        )
        for table in ("referral", "note"):
            conn.exec_driver_sql(
                f"UPDATE {table} SET action_id = ? WHERE action_id = ?", (new, old)
            )
