"""Scoring an exercise: the trainee's store read against the answer key beside it.

For each decision kind, the share right; for each urgent tip, the seconds from
first opening it to the first action on it; the urgent tips missed; and every
mistake with its tip and the key's reason. Reads only: scoring never changes
the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from tipline_tui.demo.exercise import NONE, ExerciseKey, TipKey

URGENT = "urgent caught"
PRIORITY = "priority"
JURISDICTION = "jurisdiction"
SAME_PERSON = "same-person marks"
REFERRAL = "referral to the right agency"
KINDS = (URGENT, PRIORITY, JURISDICTION, SAME_PERSON, REFERRAL)


@dataclass(frozen=True, slots=True)
class Mistake:
    tip: int
    kind: str
    reason: str


@dataclass
class Scorecard:
    scenario: str
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    first_action_seconds: dict[int, int | None] = field(default_factory=dict)  # urgent tips
    missed: list[int] = field(default_factory=list)  # urgent tips neither set E nor referred
    mistakes: list[Mistake] = field(default_factory=list)

    def mark(self, kind: str, ok: bool, tip: int, reason: str) -> None:
        self.total[kind] += 1
        self.right[kind] += ok
        if not ok:
            self.mistakes.append(Mistake(tip, kind, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "decisions": {k: {"right": self.right[k], "of": self.total[k]} for k in KINDS},
            "first_action_seconds": {str(k): v for k, v in self.first_action_seconds.items()},
            "urgent_missed": self.missed,
            "mistakes": [{"tip": m.tip, "kind": m.kind, "reason": m.reason} for m in self.mistakes],
        }


def _agencies(conn: Connection) -> dict[int, tuple[str, str | None, str]]:
    """Each agency's (country, state, name)."""
    rows = conn.exec_driver_sql("SELECT id, country, state, name FROM agency")
    return {i: (country, state, name) for i, country, state, name in rows}


def serves(agency: tuple[str, str | None, str], kind: str, place: str) -> bool:
    """Whether an agency (country, state, name) of `kind` serves the key's place."""
    country, state, _name = agency
    if place == NONE:
        return False
    want_country, _, want_state = place.partition("-")
    if country != want_country:
        return False
    return not want_state or kind == "federal" or state == want_state


def score(conn: Connection, key: ExerciseKey) -> Scorecard:
    """The scorecard of the store behind `conn` against `key`."""
    card = Scorecard(key.scenario)
    kinds: dict[int, str] = dict(conn.exec_driver_sql("SELECT id, kind FROM agency").all())
    agencies = _agencies(conn)
    rows = conn.exec_driver_sql("SELECT id, priority, jurisdiction_id FROM report").all()
    referred = {
        (r, a) for r, a in conn.exec_driver_sql("SELECT report_id, agency_id FROM referral").all()
    }
    for tip_id, priority, jurisdiction in rows:
        tip = key.tips.get(tip_id)
        if tip is None:
            continue
        sent = [a for r, a in referred if r == tip_id]
        _score_urgency(card, tip_id, tip, priority, bool(sent))
        if tip.jurisdiction == NONE:
            ok, why = jurisdiction is None, f"no jurisdiction: {tip.why_place}"
        else:
            ok = jurisdiction is not None and serves(
                agencies[jurisdiction], kinds[jurisdiction], tip.jurisdiction
            )
            why = f"{tip.jurisdiction}: {tip.why_place}"
        done = (
            "left unassigned" if jurisdiction is None else f"assigned {agencies[jurisdiction][2]}"
        )
        card.mark(JURISDICTION, ok, tip_id, f"{done}; {why}")
        for agency in sent:
            right = serves(agencies[agency], kinds[agency], tip.jurisdiction)
            card.mark(REFERRAL, right, tip_id, f"sent to {agencies[agency][2]}; {why}")
        if tip.urgent:
            card.first_action_seconds[tip_id] = _first_action(conn, tip_id)
    _score_marks(card, conn, key)
    card.mistakes.sort(key=lambda m: (m.tip, KINDS.index(m.kind)))
    return card


def _score_urgency(
    card: Scorecard, tip_id: int, tip: TipKey, priority: str | None, sent: bool
) -> None:
    if tip.urgent:
        caught = priority == "E"
        card.mark(URGENT, caught, tip_id, tip.why_urgent)
        if not caught and not sent:
            card.missed.append(tip_id)
    if priority is None:
        card.mark(PRIORITY, False, tip_id, f"left untriaged; {tip.why_urgent}")
    else:
        card.mark(
            PRIORITY, (priority == "E") == tip.urgent, tip_id, f"set {priority}; {tip.why_urgent}"
        )


def _score_marks(card: Scorecard, conn: Connection, key: ExerciseKey) -> None:
    """Every mark made, and every pair the key links that was left unmarked."""
    same = {(a, b): why for a, b, why in key.same_person}
    marks = conn.exec_driver_sql(
        "SELECT low_id, high_id, same FROM pair_mark ORDER BY low_id, high_id"
    ).all()
    for low, high, marked_same in marks:
        truth = (low, high) in same
        why = same.get((low, high), "different people")
        card.mark(SAME_PERSON, bool(marked_same) == truth, low, f"with tip #{high}: {why}")
    marked = {(low, high) for low, high, _ in marks}
    for (low, high), why in same.items():
        if (low, high) not in marked:
            card.mark(SAME_PERSON, False, low, f"not marked with tip #{high}: {why}")


def _first_action(conn: Connection, tip_id: int) -> int | None:
    """Seconds from the first time the tip was opened to the first action on it."""
    opened = conn.exec_driver_sql(
        "SELECT min(at) FROM audit WHERE report_id = ? AND action = 'view'", (tip_id,)
    ).scalar()
    acted = conn.exec_driver_sql(
        "SELECT min(at) FROM audit WHERE report_id = ? AND action != 'view'", (tip_id,)
    ).scalar()
    if acted is None:
        return None
    return max(0, acted - (opened if opened is not None else acted))


def scorecard_text(card: Scorecard) -> list[str]:
    """The scorecard as lines for a terminal."""
    lines = [f"scorecard: {card.scenario}"]
    for kind in KINDS:
        right, total = card.right[kind], card.total[kind]
        share = f"{100 * right // total}%" if total else "-"
        lines.append(f"  {kind:<30} {right}/{total}  {share}")
    lines.append("time from opening to first action, urgent tips:")
    for tip, seconds in card.first_action_seconds.items():
        lines.append(f"  #{tip}: {'no action' if seconds is None else f'{seconds} s'}")
    missed = ", ".join(f"#{t}" for t in card.missed) or "none"
    lines.append(f"urgent tips missed: {missed}")
    lines.append(f"mistakes ({len(card.mistakes)}):")
    lines.extend(f"  #{m.tip} {m.kind}: {m.reason}" for m in card.mistakes)
    return lines
