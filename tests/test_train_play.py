"""Each scenario played through the app's keys, as a trainee plays it, then scored by the
real `tipline train score PATH --json`.

The answer key decides only which keys to press: the tips are opened from the
queue, triaged, assigned from the assign dialog's list, linked from the Related
pane and dispatched, all through the Pilot; nothing writes the store but the app.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList

from tests.tui_helpers import SETTINGS, settle
from tipline_tui.app import TiplineApp
from tipline_tui.demo.exercise import NONE, SCENARIOS, ExerciseKey, TipKey, build_exercise
from tipline_tui.demo.scoring import (
    JURISDICTION,
    KINDS,
    PRIORITY,
    REFERRAL,
    SAME_PERSON,
    URGENT,
    serves,
)
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import open_store
from tipline_tui.widgets.queue_table import QueueTable
from tipline_tui.wiring import make_app

NOW = 1_796_000_000
THINKING = 20  # seconds the trainee reads a tip before the first action on it


@dataclass
class Plan:
    """What the trainee does differently from the key (the planted mistakes)."""

    only: set[int] | None = None  # the tips played (None: all but `skip`)
    skip: set[int] = field(default_factory=set)  # tips never opened
    priority: dict[int, str] = field(default_factory=dict)  # tip -> a wrong priority key
    assign_wrong: set[int] = field(default_factory=set)  # assigned to an agency elsewhere
    dispatch_wrong: set[int] = field(default_factory=set)  # ... and dispatched there
    unmarked: set[tuple[int, int]] = field(default_factory=set)  # pairs left unmarked


def shown_ids(table: QueueTable) -> list[int]:
    """The tip ids of the rows on screen, top to bottom (the cursor row starts with >)."""
    lines = (table.render_line(y).text.replace(">", " ").split() for y in range(table.size.height))
    return [int(cells[0]) for cells in lines if cells and cells[0].isdigit()]


class Trainee:
    """Keys into the running app; `clock[0]` is the app's time."""

    def __init__(
        self, app: TiplineApp, pilot: Any, agencies: list[tuple[Any, ...]], clock: list[float]
    ) -> None:
        self.app, self.pilot, self.agencies, self.clock = app, pilot, agencies, clock

    async def press(self, *keys: str) -> None:
        """Keys typed in one breath (the app holds what a loading prompt must not miss)."""
        await self.pilot.press(*keys)
        await settle(self.pilot)

    async def open(self, tip: int) -> ReportScreen:
        """From the queue: to the first row, down to the tip's row as it shows, enter."""
        await self.press("g")
        rows = shown_ids(self.app.screen.query_one(QueueTable))
        await self.press(*["j"] * rows.index(tip), "enter")
        screen = self.app.screen
        assert isinstance(screen, ReportScreen) and screen.report_id == tip
        return screen

    def agency(self, place: str, *, right: bool) -> tuple[int, str]:
        """The first non-federal agency that serves `place` (or, wrong, one that does not)."""
        return next(
            (i, name)
            for i, country, state, name, kind in self.agencies
            if kind != "federal" and serves((country, state, name), kind, place) == right
        )

    async def assign(self, agency: tuple[int, str]) -> None:
        """`a`, type the place in the agency's name, move to it in the list, enter."""
        agency_id, name = agency
        place = name.removeprefix("National Police Partner, ").partition(" ICAC")[0]
        await self.press("a", *place.removesuffix(" (DEMO)"))
        listing = self.app.screen.query_one("#assign-list", OptionList)
        for _ in range(40):
            index = listing.highlighted
            if index is not None and listing.get_option_at_index(index).id == str(agency_id):
                break
            await self.press("down")
        await self.press("enter")

    async def mark_same(self, screen: ReportScreen, other: int) -> None:
        """The Related pane (7), down to the other tip, `m`."""
        await self.press("7")
        listing = screen.query_one("#related-list", OptionList)
        found = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        assert str(other) in found, f"tip #{other} is not among #{screen.report_id}'s related"
        while listing.get_option_at_index(listing.highlighted or 0).id != str(other):
            await self.press("down")
        await self.press("m")

    async def work(self, tip: int, key: TipKey, pairs: list[int], plan: Plan) -> None:
        screen = await self.open(tip)
        self.clock[0] += THINKING
        priority = plan.priority.get(tip, "e" if key.urgent else "2")
        await self.press("c", *(("e",) if priority == "e" else ("P", priority)))  # claim first
        place = key.jurisdiction
        if place != NONE:
            wrong = tip in plan.assign_wrong | plan.dispatch_wrong
            await self.assign(self.agency(place, right=not wrong))
            if tip not in plan.assign_wrong:
                await self.press("d", "y")
        for other in pairs:
            await self.mark_same(screen, other)
        await self.press("escape")
        self.clock[0] += 60


async def play(path: Path, key: ExerciseKey, plan: Plan) -> None:
    """The whole exercise in the app at 80x24: urgent tips first, then the rest."""
    store = open_store(path, create=False)
    with store.read() as conn:
        agencies = list(
            conn.exec_driver_sql("SELECT id, country, state, name, kind FROM agency ORDER BY id")
        )
    clock = [float(NOW)]
    app = make_app(store, SETTINGS, clock=lambda: clock[0], urgent_poll_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        trainee = Trainee(app, pilot, agencies, clock)
        await settle(pilot)
        order = sorted(key.tips, key=lambda t: (not key.tips[t].urgent, t))
        for tip in order:
            if tip in plan.skip or (plan.only is not None and tip not in plan.only):
                continue
            pairs = [
                high
                for low, high, _ in key.same_person
                if low == tip and (low, high) not in plan.unmarked
            ]
            await trainee.work(tip, key.tips[tip], pairs, plan)
    await store.aclose()


def scorecard(path: Path) -> dict[str, Any]:
    """`tipline train score PATH --json`, the real command in its own process."""
    done = subprocess.run(
        [sys.executable, "-m", "tipline_tui", "train", "score", str(path), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture(params=sorted(SCENARIOS))
def exercise(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, ExerciseKey]:
    path = tmp_path / f"{request.param}.sqlite"
    return path, build_exercise(path, request.param, 1, NOW)


async def test_a_perfect_playthrough_scores_every_decision_right(
    exercise: tuple[Path, ExerciseKey],
) -> None:
    path, key = exercise
    await play(path, key, Plan())
    card = scorecard(path)
    assert card["mistakes"] == [] and card["urgent_missed"] == []
    for kind in KINDS:
        decided = card["decisions"][kind]
        assert decided["right"] == decided["of"], kind
    urgent = [t for t, k in key.tips.items() if k.urgent]
    placed = [t for t, k in key.tips.items() if k.jurisdiction != NONE]
    assert card["decisions"][URGENT]["of"] == len(urgent)
    assert card["decisions"][PRIORITY]["of"] == len(key.tips)
    assert card["decisions"][JURISDICTION]["of"] == len(key.tips)
    assert card["decisions"][REFERRAL]["of"] == len(placed) > 0
    assert card["decisions"][SAME_PERSON]["of"] == len(key.same_person) > 0
    assert card["first_action_seconds"] == {str(t): THINKING for t in urgent}


def _planted(key: ExerciseKey) -> tuple[Plan, dict[tuple[int, str], str]]:
    """One of each mistake, and what the scorecard must say of each (tip, kind): the key's
    reason. The tip never opened also leaves its place unassigned and its links unmarked.
    Only the tips with a mistake are played (the perfect playthrough plays the rest)."""
    tips = key.tips
    missed = min(t for t, k in tips.items() if k.urgent)
    routine = [t for t, k in sorted(tips.items()) if not k.urgent]
    placed = [t for t in routine if tips[t].jurisdiction != NONE]
    wrong_priority, wrong_place, wrong_referral = routine[0], placed[1], placed[2]
    pair = next(p for p in key.same_person if p[0] != missed)
    plan = Plan(
        only={wrong_priority, wrong_place, wrong_referral, pair[0]},  # the rest is not scored
        skip={missed},
        priority={wrong_priority: "e"},
        assign_wrong={wrong_place},
        dispatch_wrong={wrong_referral},
        unmarked={pair[:2]},
    )
    expected = {
        (missed, URGENT): tips[missed].why_urgent,
        (missed, PRIORITY): tips[missed].why_urgent,
        (wrong_priority, PRIORITY): tips[wrong_priority].why_urgent,
        (wrong_place, JURISDICTION): tips[wrong_place].why_place,
        (wrong_referral, JURISDICTION): tips[wrong_referral].why_place,
        (wrong_referral, REFERRAL): tips[wrong_referral].why_place,
        (pair[0], SAME_PERSON): f"not marked with tip #{pair[1]}",
    }
    if tips[missed].jurisdiction != NONE:
        expected[missed, JURISDICTION] = tips[missed].why_place
    for low, high, _ in key.same_person:
        if low == missed:
            expected[low, SAME_PERSON] = f"not marked with tip #{high}"
    return plan, expected


async def test_a_bad_playthrough_names_each_planted_mistake_with_the_keys_reason(
    exercise: tuple[Path, ExerciseKey],
) -> None:
    path, key = exercise
    plan, expected = _planted(key)
    await play(path, key, plan)
    card = scorecard(path)
    named: dict[tuple[int, str], list[str]] = {}
    for mistake in card["mistakes"]:
        named.setdefault((mistake["tip"], mistake["kind"]), []).append(mistake["reason"])
    (missed,) = plan.skip
    assert plan.only is not None
    assert {(tip, kind) for tip, kind in named if tip in plan.only | {missed}} == set(expected)
    for where, reason in expected.items():
        assert any(reason in said for said in named[where]), (where, named[where])
    assert missed in card["urgent_missed"]
    assert card["first_action_seconds"][str(missed)] is None
    (wrong_referral,) = plan.dispatch_wrong
    assert any("sent to" in r for r in named[wrong_referral, REFERRAL])


def test_a_country_typed_in_the_assign_dialog_finds_its_partner_agency_first() -> None:
    """ "France" used to rank 65th (a short word in a long name scored like a miss), past
    the 40 rows the dialog lists: a trainee could not find the agency the key wants."""
    from tipline_tui.demo.agencies import demo_agencies
    from tipline_tui.demo.places import DEMO_COUNTRIES
    from tipline_tui.screens.assign import filter_agencies

    agencies = demo_agencies(DEMO_COUNTRIES)
    for country in ("France", "Germany", "Canada", "Australia"):
        assert filter_agencies(agencies, country)[0].name.endswith(f", {country} (DEMO)")
    assert filter_agencies(agencies, "texas icac")[0].name.startswith("Texas ICAC")
