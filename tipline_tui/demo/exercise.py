"""Training exercises: a store of fresh synthetic tips and its answer key, kept beside it.

The key comes from the generator's ground truth (who each reported person
really is, where they live, whether the ESP escalated the tip), never from the
app's own suggestions, so a trainee who follows a wrong suggestion is told so.
It is written to a sidecar file (`key_path`), which no screen of the app reads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path

from tipline_tui.demo.agencies import demo_agencies
from tipline_tui.demo.identity import make_identity
from tipline_tui.demo.places import DEMO_COUNTRIES, STATE_NAMES
from tipline_tui.demo.synth import NOT_IN_POOL, generate_reports
from tipline_tui.domain.report import Report
from tipline_tui.store import open_store
from tipline_tui.store.directory import write_agencies, write_meta
from tipline_tui.store.reports import write_reports

NONE = "none"  # the key's jurisdiction when no place can be known
_POOL = 600  # generated reports the scenario picks its tips from


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


def key_path(store_path: Path) -> Path:
    """Where an exercise store's answer key lives: beside it, never inside it."""
    return store_path.with_name(store_path.name + ".key.json")


def _place_of(seed: int, truth: list[int]) -> tuple[str, str]:
    """The key's jurisdiction and its reason: where the first reported person really lives."""
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


def _picked(scenario: Scenario, seed: int) -> list[tuple[Report, list[int]]]:
    """The scenario's tips in generator order: enough urgent ones, enough routine ones."""
    pool = list(generate_reports(_POOL, seed))
    if scenario.focus == "repeats":
        pool = _repeats(pool)
    elif scenario.focus == "abroad":
        pool = [(r, t) for r, t in pool if _abroad(seed, t)]
    urgent = [item for item in pool if item[0].escalated][: scenario.urgent]
    routine = [item for item in pool if not item[0].escalated][: scenario.routine]
    if len(urgent) < scenario.urgent or len(routine) < scenario.routine:
        raise ValueError(f"seed {seed} has too few tips for the {scenario.name} scenario")
    return urgent + routine


def _abroad(seed: int, truth: list[int]) -> bool:
    place, _ = _place_of(seed, truth)
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
            write_meta(conn, {"exercise": scenario.name, "exercise_seed": str(seed)})
            ids = write_reports(conn, [r for r, _ in picked], now)
    finally:
        store.close()
    key = ExerciseKey(scenario.name, seed, now)
    for tip_id, (report, truth) in zip(ids, picked, strict=True):
        place, why_place = _place_of(seed, truth)
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
