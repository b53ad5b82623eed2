"""Training exercises: a store and its key, a trainee's work, the scorecard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tui_helpers import make_app, settle
from tipline_tui.cli import main
from tipline_tui.demo.exercise import SCENARIOS, ExerciseKey, build_exercise, key_path
from tipline_tui.demo.scoring import (
    JURISDICTION,
    KINDS,
    PRIORITY,
    SAME_PERSON,
    URGENT,
    score,
    serves,
)
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import Store, actions, open_store
from tipline_tui.store.related import mark_pair

NOW = 1_796_000_000
TRAINEE = "ana"


@pytest.fixture(params=sorted(SCENARIOS))
def exercise(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, ExerciseKey]:
    path = tmp_path / "exercise.sqlite"
    return path, build_exercise(path, request.param, 1, NOW)


@pytest.fixture
def night_shift(tmp_path: Path) -> tuple[Path, ExerciseKey]:
    path = tmp_path / "night.sqlite"
    return path, build_exercise(path, "night-shift", 1, NOW)


def _right_agency(store: Store, place: str) -> int:
    with store.read() as conn:
        rows = conn.exec_driver_sql("SELECT id, country, state, name, kind FROM agency ORDER BY id")
        return next(i for i, c, s, n, k in rows if k != "federal" and serves((c, s, n), k, place))


def _play(store: Store, key: ExerciseKey, *, mistakes: dict[int, str] | None = None) -> None:
    """Work every tip as the key says (each tip in `mistakes` gets that priority instead)."""
    mistakes = mistakes or {}
    at = NOW + 60
    for tip_id, tip in sorted(key.tips.items()):
        with store.write() as conn:
            actions.record_view(conn, tip_id, analyst=TRAINEE, now=at)
            actions.claim(conn, tip_id, analyst=TRAINEE, now=at + 20)
            priority = mistakes.get(tip_id, "E" if tip.urgent else "2")
            actions.set_priority(conn, tip_id, priority, analyst=TRAINEE, now=at + 30)
            if tip.jurisdiction != "none":
                agency = _right_agency(store, tip.jurisdiction)
                actions.assign(conn, tip_id, agency, analyst=TRAINEE, now=at + 40)
                if tip.urgent:
                    actions.dispatch(
                        conn, tip_id, agency, analyst=TRAINEE, now=at + 50, contents={}
                    )
        at += 100
    with store.write() as conn:
        for low, high, _why in key.same_person:
            mark_pair(conn, low, high, same=True, analyst=TRAINEE, now=at)


def test_the_key_lives_beside_the_store_and_names_urgent_tips_places_and_same_people(
    night_shift: tuple[Path, ExerciseKey],
) -> None:
    path, key = night_shift
    assert key_path(path).is_file() and ExerciseKey.load(key_path(path)) == key
    assert sum(t.urgent for t in key.tips.values()) == 4 and len(key.tips) == 16
    assert key.same_person  # this seed links two pairs of tips
    with open_store(path, create=False).read() as conn:
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
        stored = conn.exec_driver_sql("SELECT count(*) FROM report").scalar()
    assert stored == 16 and not any("key" in t and "identifier" not in t for t in tables)


def test_the_scenarios_have_their_focus(tmp_path: Path) -> None:
    abroad = build_exercise(tmp_path / "a.sqlite", "international", 1, NOW)
    assert all(not t.jurisdiction.startswith("US") for t in abroad.tips.values())
    repeats = build_exercise(tmp_path / "r.sqlite", "repeat-offenders", 1, NOW)
    linked = {tip for pair in repeats.same_person for tip in pair[:2]}
    assert len(linked) >= len(repeats.tips) - 2


def test_a_perfect_night_shift_scores_everything_right(
    exercise: tuple[Path, ExerciseKey],
) -> None:
    path, key = exercise
    store = open_store(path, create=False)
    _play(store, key)
    with store.read() as conn:
        card = score(conn, key)
    store.close()
    assert card.mistakes == [] and card.missed == []
    assert all(card.right[k] == card.total[k] for k in KINDS)
    urgent = sum(t.urgent for t in key.tips.values())
    assert card.total[URGENT] == urgent and card.total[SAME_PERSON] == len(key.same_person)
    assert list(card.first_action_seconds.values()) == [20] * urgent


def test_a_bad_night_shift_names_each_planted_mistake(
    exercise: tuple[Path, ExerciseKey],
) -> None:
    path, key = exercise
    urgent = min(t for t, k in key.tips.items() if k.urgent)
    routine = min(t for t, k in key.tips.items() if not k.urgent and k.jurisdiction != "none")
    store = open_store(path, create=False)
    _play(store, key, mistakes={urgent: "2", routine: "E"})
    wrong_place = "US-AK" if key.tips[routine].jurisdiction != "US-AK" else "US-AL"
    with store.write() as conn:
        actions.assign(conn, routine, _right_agency(store, wrong_place), analyst=TRAINEE, now=NOW)
        low, high, _ = key.same_person[0]
        mark_pair(conn, low, high, same=False, analyst=TRAINEE, now=NOW)
    with store.read() as conn:
        card = score(conn, key)
    store.close()
    named = {(m.tip, m.kind) for m in card.mistakes}
    assert named == {
        (urgent, URGENT),
        (urgent, PRIORITY),
        (routine, PRIORITY),
        (routine, JURISDICTION),
        (low, SAME_PERSON),
    }
    reasons = {(m.tip, m.kind): m.reason for m in card.mistakes}
    assert "the ESP escalated it" in reasons[urgent, URGENT]
    assert key.tips[routine].why_place in reasons[routine, JURISDICTION]
    referred = key.tips[urgent].jurisdiction != "none"
    assert card.missed == ([] if referred else [urgent])  # set 2 but referred: not missed


def test_train_new_and_score_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "class" / "night.sqlite"
    new = ["train", "new", "--scenario", "night-shift", "--seed", "2", "--out", str(out)]
    assert main(new) == 0
    assert "16 exercise tips (4 urgent)" in capsys.readouterr().out
    assert main(["train", "new", "--scenario", "night-shift", "--out", str(out)]) == 2
    assert main(["train", "new", "--scenario", "no-such", "--out", str(tmp_path / "x")]) == 2
    capsys.readouterr()
    assert main(["train", "score", str(out), "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["decisions"][URGENT] == {"right": 0, "of": 4} and len(card["urgent_missed"]) == 4
    assert main(["train", "score", str(out)]) == 0
    assert "urgent caught" in capsys.readouterr().out
    assert main(["train", "score", str(tmp_path / "missing.sqlite")]) == 2


async def test_a_trainee_catches_an_urgent_tip_in_the_app_and_the_scorecard_sees_it(
    night_shift: tuple[Path, ExerciseKey],
) -> None:
    """The ordinary app on the exercise store: the first row is urgent; `c e` catches it."""
    path, key = night_shift
    store = open_store(path, create=False)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportScreen) and screen.tip is not None
        opened = screen.tip.id
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
    with store.read() as conn:
        card = score(conn, key)
    await store.aclose()
    assert key.tips[opened].urgent
    assert card.right[URGENT] == 1 and opened not in card.missed
    assert card.first_action_seconds[opened] == 0  # the test clock stands still
