"""Training exercises: a store and its key, a trainee's work, the scorecard."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.tui_helpers import make_app, settle
from tipline_tui.cli import main
from tipline_tui.demo.exercise import NONE, SCENARIOS, ExerciseKey, build_exercise, key_path
from tipline_tui.demo.scoring import URGENT, score
from tipline_tui.domain.jurisdiction_signals import jurisdiction_signals
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import open_store
from tipline_tui.store.tip_load import load_tip

NOW = 1_796_000_000
TRAINEE = "ana"


@pytest.fixture
def night_shift(tmp_path: Path) -> tuple[Path, ExerciseKey]:
    path = tmp_path / "night.sqlite"
    return path, build_exercise(path, "night-shift", 1, NOW)


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


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_key_asks_only_for_places_the_report_shows(tmp_path: Path, scenario: str) -> None:
    """A place the report never shows (the generator knows it, the trainee cannot) is
    keyed "none"; most tips do show one, so the exercise practises choosing it."""
    path = tmp_path / "exercise.sqlite"
    key = build_exercise(path, scenario, 1, NOW)
    store = open_store(path, create=False)
    with store.read() as conn:
        shown = {
            tip: {s.place.label() for s in jurisdiction_signals(load_tip(conn, tip).report)}  # type: ignore[union-attr]
            for tip in key.tips
        }
    store.close()
    placed = [tip for tip, k in key.tips.items() if k.jurisdiction != NONE]
    assert all(key.tips[tip].jurisdiction in shown[tip] for tip in placed)
    assert len(placed) * 2 > len(key.tips) or scenario == "repeat-offenders"
    hidden = [k.why_place for k in key.tips.values() if "nothing in the report" in k.why_place]
    assert all("(who lives in " in why for why in hidden)


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


def test_a_trainees_copy_is_scored_with_the_trainers_key_and_no_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The class: one store copied to each trainee, the key kept by the trainer."""
    night, other = tmp_path / "night.sqlite", tmp_path / "other.sqlite"
    build_exercise(night, "night-shift", 1, NOW)
    build_exercise(other, "night-shift", 1, NOW + 1)  # the same tips, made later
    ana = tmp_path / "trainees" / "ana.sqlite"
    ana.parent.mkdir()
    shutil.copyfile(night, ana)
    assert main(["train", "score", str(ana)]) == 2  # no key beside the copy
    assert "--key" in capsys.readouterr().err
    assert main(["train", "score", str(ana), "--key", f"{night}.key.json", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"] == "night-shift"
    assert main(["train", "score", str(ana), "--key", f"{other}.key.json"]) == 2
    assert "another exercise" in capsys.readouterr().err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{}")
    assert main(["train", "score", str(ana), "--key", str(garbage)]) == 2
    assert "not an answer key" in capsys.readouterr().err


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
