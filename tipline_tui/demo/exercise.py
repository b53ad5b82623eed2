"""Training exercises: a store of fresh synthetic tips and its answer key, kept beside it.

The key comes from the generator's ground truth (who each reported person
really is, where they live, whether the ESP escalated the tip), never from the
app's own suggestions, so a trainee who follows a wrong suggestion is told so.
It is written to a sidecar file (`key_path`), which no screen of the app reads.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path

from tipline_tui.demo.agencies import demo_agencies
from tipline_tui.demo.identity import make_identity
from tipline_tui.demo.places import DEMO_COUNTRIES, STATE_NAMES
from tipline_tui.demo.synth import NOT_IN_POOL, generate_reports
from tipline_tui.domain.jurisdiction_signals import jurisdiction_signals
from tipline_tui.domain.report import Report
from tipline_tui.store import open_store
from tipline_tui.store.directory import write_agencies, write_meta
from tipline_tui.store.migrations import APPLICATION_ID
from tipline_tui.store.reports import write_reports

NONE = "none"  # the key's jurisdiction when no place can be known
EXERCISE_META = "exercise"  # the meta key naming the scenario (wiring.exercise_scenario reads it)
_POOL = 2000  # generated reports the scenario picks its tips from
_MIX_LOOK_AHEAD = 60  # tips of each kind read for their places before mixing


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    about: str
    routine: int  # tips not urgent, received over the last hours
    urgent: int  # ESP-escalated tips, received in the last half hour
    focus: str = "any"  # any; abroad (reported people outside the US); repeats (same people)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("night-shift", "urgent escalations among routine tips", routine=12, urgent=4),
        Scenario(
            "international",
            "referrals abroad: foreign phones, addresses and partners",
            routine=10,
            urgent=1,
            focus="abroad",
        ),
        Scenario(
            "repeat-offenders",
            "the same people reported again across services: tips to link",
            routine=10,
            urgent=1,
            focus="repeats",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class TipKey:
    """What is right for one tip, and why (the reasons a scorecard quotes)."""

    urgent: bool
    jurisdiction: str  # "US-AZ", a country code, or NONE
    why_urgent: str
    why_place: str


@dataclass(frozen=True, slots=True)
class ExerciseKey:
    scenario: str
    seed: int
    created_at: int
    tips: dict[int, TipKey] = field(default_factory=dict)  # by the store's tip id
    same_person: list[tuple[int, int, str]] = field(default_factory=list)  # low, high, why

    def save(self, path: Path) -> None:
        data = asdict(self)
        data["tips"] = {str(k): v for k, v in data["tips"].items()}
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ExerciseKey:
        data = json.loads(path.read_text(encoding="utf-8"))
        tips = {int(k): TipKey(**v) for k, v in data["tips"].items()}
        pairs = [(int(a), int(b), str(why)) for a, b, why in data["same_person"]]
        return cls(data["scenario"], data["seed"], data["created_at"], tips, pairs)


def key_matches(store_path: Path, key: ExerciseKey) -> bool:
    """Whether `key` was written with the exercise store at `store_path` (or a copy of it)."""
    with closing(sqlite3.connect(f"{store_path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'exercise%'"))
    return (
        meta.get(EXERCISE_META) == key.scenario
        and meta.get("exercise_seed") == str(key.seed)
        and meta.get("exercise_created_at", str(key.created_at)) == str(key.created_at)
    )


def key_path(store_path: Path) -> Path:
    """Where an exercise store's answer key lives: beside it, never inside it."""
    return store_path.with_name(store_path.name + ".key.json")


def stored_scenario(path: Path) -> str | None:
    """The scenario of the exercise store at `path`, else None (a missing file, another
    program's file, a tipline store that is no exercise). Read without writing
    anything: opened read-only, immutable unless a -wal beside it holds commits."""
    if not path.is_file():
        return None
    pending = any(Path(f"{path}{tail}").exists() for tail in ("-wal", "-journal"))
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("" if pending else "&immutable=1")
    try:
        with closing(sqlite3.connect(uri, uri=True)) as db:
            if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                return None
            row = db.execute("SELECT value FROM meta WHERE key = ?", (EXERCISE_META,)).fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


def _true_place(seed: int, truth: list[int]) -> tuple[str, str]:
    """Where the first reported person really lives, and how to say it."""
    number = truth[0] if truth else NOT_IN_POOL
    if number == NOT_IN_POOL:
        return NONE, "no reported person can be placed: keep it with the clearinghouse"
    place = make_identity(seed, number).place
    if place is None:
        return NONE, "the reported person's whereabouts are unknown: no jurisdiction"
    if place.country == "US" and place.state:
        where = f"{place.city}, {STATE_NAMES.get(place.state, place.state)}"
        return f"US-{place.state}", f"the reported person lives in {where}"
    return place.country, f"the reported person lives in {place.city}, {place.country}"


def _place_of(seed: int, truth: list[int], report: Report) -> tuple[str, str]:
    """The key's jurisdiction and its reason: where the first reported person really
    lives, as far as the report lets a trainee know it (its signals, no IP geolocation).
    A place the report never shows is no mistake to miss: the key then says none."""
    place, why = _true_place(seed, truth)
    if place == NONE:
        return place, why
    shown = {signal.place.label() for signal in jurisdiction_signals(report)}
    if place in shown:
        return place, why
    country = place.partition("-")[0]
    if country in shown:  # a US phone without an area code's state: the country only
        return country, f"{why}; the report shows only the country"
    really = why.removeprefix("the reported person ")
    return NONE, f"nothing in the report places the reported person (who {really})"


def _picked(scenario: Scenario, seed: int) -> list[tuple[Report, list[int]]]:
    """The scenario's tips in generator order: enough urgent ones, enough routine ones."""
    pool = list(generate_reports(_POOL, seed))
    if scenario.focus == "repeats":
        pool = _repeats(pool)
    elif scenario.focus == "abroad":
        pool = [(r, t) for r, t in pool if _abroad(seed, t, r)]
    urgent = [item for item in pool if item[0].escalated]
    routine = [item for item in pool if not item[0].escalated]
    if scenario.focus != "repeats":  # same-person groups are taken whole, as they come
        urgent, routine = _mostly_placed(seed, urgent), _mostly_placed(seed, routine)
    urgent, routine = urgent[: scenario.urgent], routine[: scenario.routine]
    if len(urgent) < scenario.urgent or len(routine) < scenario.routine:
        raise ValueError(f"seed {seed} has too few tips for the {scenario.name} scenario")
    return urgent + routine


def _mostly_placed(
    seed: int, items: list[tuple[Report, list[int]]]
) -> list[tuple[Report, list[int]]]:
    """The items reordered so two in three of the first ones have a place the report
    shows (most tips have none: an exercise should mostly practise choosing one)."""
    placed: list[tuple[Report, list[int]]] = []
    unplaced: list[tuple[Report, list[int]]] = []
    for report, truth in items[:_MIX_LOOK_AHEAD]:
        shown = _place_of(seed, truth, report)[0] != NONE
        (placed if shown else unplaced).append((report, truth))
    mixed: list[tuple[Report, list[int]]] = []
    while placed or unplaced:
        for source in (placed, placed, unplaced):
            if source:
                mixed.append(source.pop(0))
    return mixed


def _abroad(seed: int, truth: list[int], report: Report) -> bool:
    place, _ = _place_of(seed, truth, report)
    return place != NONE and not place.startswith("US")


def _repeats(pool: list[tuple[Report, list[int]]]) -> list[tuple[Report, list[int]]]:
    """Tips whose first reported person is reported again in the pool, grouped by person."""
    by_person: dict[int, list[tuple[Report, list[int]]]] = {}
    for item in pool:
        if item[1] and item[1][0] != NOT_IN_POOL:
            by_person.setdefault(item[1][0], []).append(item)
    groups = [items[:3] for items in by_person.values() if len(items) >= 2]
    return [item for group in groups for item in group]


def _retimed(picked: list[tuple[Report, list[int]]], now: int) -> None:
    """Routine tips over the last six hours; urgent ones in the last half hour."""
    routine = [r for r, _ in picked if not r.escalated]
    urgent = [r for r, _ in picked if r.escalated]
    for i, report in enumerate(routine):
        report.received_at = now - 6 * 3600 + i * (6 * 3600 // max(len(routine), 1))
    for i, report in enumerate(urgent):
        report.received_at = now - 1800 + i * (1500 // max(len(urgent), 1))


def build_exercise(path: Path, scenario_name: str, seed: int, now: int) -> ExerciseKey:
    """Write a new exercise store at `path` and its key beside it; return the key."""
    scenario = SCENARIOS[scenario_name]
    path = Path(path).expanduser()
    if path.exists() or key_path(path).exists():
        raise FileExistsError(f"{path} already exists; an exercise is always a new file")
    picked = _picked(scenario, seed)
    _retimed(picked, now)
    picked.sort(key=lambda item: item[0].received_at or 0)
    store = open_store(path, make_dirs=True)
    try:
        with store.write() as conn:
            write_agencies(conn, demo_agencies(DEMO_COUNTRIES))
            write_meta(
                conn,
                {
                    EXERCISE_META: scenario.name,
                    "exercise_seed": str(seed),
                    "exercise_created_at": str(now),  # pairs the store with its key
                },
            )
            ids = write_reports(conn, [r for r, _ in picked], now)
    finally:
        store.close()
    key = ExerciseKey(scenario.name, seed, now)
    for tip_id, (report, truth) in zip(ids, picked, strict=True):
        place, why_place = _place_of(seed, truth, report)
        why_urgent = (
            f"the ESP escalated it: {report.escalate_to_high_priority}"
            if report.escalated
            else "not urgent: no escalation and no sign of a child in danger now"
        )
        key.tips[tip_id] = TipKey(report.escalated, place, why_urgent, why_place)
    people = {
        tip_id: {n for n in truth if n != NOT_IN_POOL}
        for tip_id, (_, truth) in zip(ids, picked, strict=True)
    }
    for a, b in combinations(sorted(people), 2):
        if people[a] & people[b]:
            key.same_person.append((a, b, "the same person is reported in both"))
    key.save(key_path(path))
    return key
