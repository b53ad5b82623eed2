"""Who did what to which demo tip before the shift's "now": the plan `shift.play_shift` plays.

By age at SHIFT_NOW: tips older than three days are history (referred and
answered, closed as information only, a few P3s still assigned, one left late);
the last three days are the backlog (some referred, some triaged, many new,
one P1 late); urgent tips from the last hour wait inside their limit, and
one or two a little older wait past it.
"""

from __future__ import annotations

from tipline_tui.demo.answers import INVESTIGATION_OPENED, NO_ACTION, NOT_OUR_JURISDICTION
from tipline_tui.demo.clock import DAY
from tipline_tui.demo.shift import (
    ANALYSTS,
    CONFLICTS,
    HOUR,
    SHIFT_NOW,
    Shift,
    ShiftTip,
)
from tipline_tui.store import actions

URGENT_IN_LIMIT = 3  # at least this many urgent tips from the last hour wait
URGENT_LATE = 2  # urgent tips from one to six hours ago still waiting
P3_WAITING = 3  # older tips triaged P3 and assigned, not yet dispatched
_OUTCOMES = ((INVESTIGATION_OPENED, 55), (NO_ACTION, 20), (NOT_OUR_JURISDICTION, 10), ("", 15))


def plan_and_play(shift: Shift, tips: list[ShiftTip]) -> None:
    """Every tip's story, oldest first, each from its own draws (see the module docstring)."""
    old = [t for t in tips if SHIFT_NOW - t.received >= 3 * DAY]
    hour = [t for t in tips if SHIFT_NOW - t.received < HOUR]
    recent = [t for t in tips if HOUR <= SHIFT_NOW - t.received < 3 * DAY]
    late_urgent = _late_urgent(recent)
    late_p1 = next(t for t in recent if 26 * HOUR <= SHIFT_NOW - t.received <= 40 * HOUR)
    late_new = next(t for t in reversed(old) if SHIFT_NOW - t.received >= 3 * DAY + 6 * HOUR)
    p3 = [t for t in old if 8 * DAY <= SHIFT_NOW - t.received <= 25 * DAY][::37][:P3_WAITING]
    contested = {t.id for t in old[:: max(1, len(old) // CONFLICTS)][1 : CONFLICTS + 1]}
    for tip in old:
        if tip == late_new:
            continue
        if tip in p3:
            _triaged(shift, tip, "3", assign=True)
        else:
            _history(shift, tip, contested=tip.id in contested)
    for tip in recent:
        if tip in late_urgent:
            _urgent_waiting(shift, tip, claimed=tip == late_urgent[0])
        elif tip == late_p1:
            _triaged(shift, tip, "1", assign=False)
        else:
            _backlog(shift, tip)
    _last_hour(shift, hour)


def _late_urgent(recent: list[ShiftTip]) -> list[ShiftTip]:
    """Escalated tips from one to six hours ago first, else any tip there an analyst made E."""
    window = [t for t in recent if SHIFT_NOW - t.received <= 6 * HOUR]
    escalated = [t for t in window if t.escalated]
    others = [t for t in window if not t.escalated]
    return (escalated + others)[:URGENT_LATE]


def _analyst(shift: Shift) -> str:
    return shift.rng.choice(ANALYSTS)


def _start(shift: Shift, tip: ShiftTip, urgent: bool) -> int:
    """When an analyst picked the tip up: soon if urgent, within a day otherwise, before now."""
    delay = shift.rng.randint(300, 1800) if urgent else shift.rng.randint(600, 20 * HOUR)
    age = SHIFT_NOW - tip.received
    return tip.received + min(delay, int(age * 0.5))


def _priority(shift: Shift, tip: ShiftTip) -> str:
    if tip.escalated:
        return "E" if shift.rng.random() < 0.8 else "1"
    return shift.rng.choices(("1", "2", "3"), weights=(20, 50, 30))[0]


def _history(shift: Shift, tip: ShiftTip, *, contested: bool) -> None:
    """An older tip: closed as information only, or referred and answered (and maybe closed)."""
    at = _start(shift, tip, tip.escalated)
    analyst = shift.claim(tip, _analyst(shift), at, contested=contested)
    if not tip.escalated and shift.rng.random() < 0.3:
        _info_only(shift, tip, analyst, at + 120)
        return
    priority = _priority(shift, tip)
    shift.triage(tip, analyst, at + 60, priority)
    agencies = shift.top_agencies(tip, priority)
    if not agencies:  # no jurisdiction can be determined: it stays with the clearinghouse
        _info_only(shift, tip, analyst, at + 180)
        return
    sent = shift.refer(tip, analyst, agencies[0], at + 180)
    outcome = shift.rng.choices([o for o, _ in _OUTCOMES], weights=[w for _, w in _OUTCOMES])[0]
    answered = _answer(shift, tip, sent, outcome)
    if outcome == NOT_OUR_JURISDICTION and answered is not None and len(agencies) > 1:
        sent = shift.refer(tip, analyst, agencies[1], answered + HOUR)
        answered = _answer(shift, tip, sent, INVESTIGATION_OPENED)
    if answered is not None and answered + DAY < SHIFT_NOW and outcome != NOT_OUR_JURISDICTION:
        shift.act(actions.close, tip.id, analyst=analyst, now=answered + 4 * HOUR)


def _answer(shift: Shift, tip: ShiftTip, sent: int, outcome: str) -> int | None:
    """The agency acknowledges, then (days later, if before now) reports `outcome`.

    Returns when the outcome came, or None. "Not our jurisdiction" fails the
    referral and the hub sends the tip back to its holder, unassigned.
    """
    acked = sent + shift.rng.randint(600, 6 * HOUR)
    if acked >= SHIFT_NOW - 60:
        return None  # still "sent": the live demo's agencies acknowledge it in seconds
    action_id = shift.last_referral(tip)
    shift.agency_says(action_id, acked, status="acknowledged", acknowledged_at=acked)
    came = acked + shift.rng.randint(DAY, 5 * DAY)
    if not outcome or came >= SHIFT_NOW - HOUR:
        return None
    if outcome != NOT_OUR_JURISDICTION:
        shift.agency_says(action_id, came, outcome=outcome)
        return came
    shift.agency_says(
        action_id, came, status="failed", failed_at=came, detail=outcome, outcome=outcome
    )
    back = shift.analysis(tip.id, jurisdiction_id=None)
    back |= {"status": "claimed" if back["claimed_by"] else "new", "version": back["version"] + 1}
    shift.pulled("analysis", tip.id, back, came)
    return came


def _info_only(shift: Shift, tip: ShiftTip, analyst: str, at: int) -> None:
    shift.act(actions.set_priority, tip.id, "info", analyst=analyst, now=at)
    shift.act(actions.close, tip.id, analyst=analyst, now=at + 60)


def _triaged(shift: Shift, tip: ShiftTip, priority: str, *, assign: bool) -> None:
    """Claimed and judged, still waiting (P3s assigned to their agency, not yet sent)."""
    at = _start(shift, tip, False)
    analyst = shift.claim(tip, _analyst(shift), at, contested=False)
    shift.triage(tip, analyst, at + 60, priority)
    agencies = shift.top_agencies(tip, priority) if assign else []
    if agencies:
        shift.act(actions.assign, tip.id, agencies[0], analyst=analyst, now=at + 120)


def _urgent_waiting(shift: Shift, tip: ShiftTip, *, claimed: bool = True) -> None:
    """Urgent and not yet referred: escalated and untouched, or made E by an analyst,
    who is working it (`claimed`) or left it for whoever is free (the trainee may take it)."""
    if tip.escalated:
        return
    at = _start(shift, tip, True)
    if claimed:
        analyst = shift.claim(tip, _analyst(shift), at, contested=False)
        shift.triage(tip, analyst, at + 60, "E")
    else:
        shift.act(actions.set_priority, tip.id, "E", analyst=_analyst(shift), now=at)


def _backlog(shift: Shift, tip: ShiftTip) -> None:
    """The last three days: escalated tips handled; the rest referred, triaged, closed or new."""
    if tip.escalated:
        _history(shift, tip, contested=False)
        return
    draw = shift.rng.random()
    if draw < 0.35:
        _history(shift, tip, contested=False)
    elif draw < 0.5:
        at = _start(shift, tip, False)
        _info_only(shift, tip, shift.claim(tip, _analyst(shift), at, contested=False), at + 60)
    elif draw < 0.75:
        young = SHIFT_NOW - tip.received < 20 * HOUR
        priority = shift.rng.choice(("1", "2", "3") if young else ("2", "3"))
        _triaged(shift, tip, priority, assign=draw < 0.6)
    # else: new, untouched, inside the three days an untriaged tip may wait


def _last_hour(shift: Shift, tips: list[ShiftTip]) -> None:
    """The last hour's tips wait; if too few are escalated, analysts have made some E."""
    short = max(0, URGENT_IN_LIMIT - sum(t.escalated for t in tips))
    for n, tip in enumerate([t for t in tips if not t.escalated][:short]):
        _urgent_waiting(shift, tip, claimed=n == 0)  # one being worked, the rest free
