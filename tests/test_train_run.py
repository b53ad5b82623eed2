"""`tipline train run PATH`: the ordinary app on an exercise store, offline, nothing else."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.tui_helpers import settle
from tipline_tui import cli
from tipline_tui.app import TiplineApp
from tipline_tui.cli.exits import USAGE_OR_STORE
from tipline_tui.demo.exercise import build_exercise, stored_scenario
from tipline_tui.settings import AppSettings
from tipline_tui.store import open_store
from tipline_tui.wiring import make_app

NOW = 1_796_000_000


@pytest.fixture
def real_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real hub configured for the analyst: an exercise must never talk to it."""
    monkeypatch.setenv("TIPLINE_HUB_URL", "https://hub.example.org")
    monkeypatch.setenv("TIPLINE_HUB_TOKEN", "ana:real-secret")


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


def _not_exercises(folder: Path) -> list[Path]:
    text = folder / "notes.txt"
    text.write_text("not a store\n")
    empty = folder / "empty.sqlite"
    empty.touch()
    other = folder / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('exercise', 'night-shift')")
    db.close()
    plain = folder / "plain.sqlite"
    open_store(plain).close()  # a tipline store, but no exercise
    (folder / "a-folder").mkdir()
    return [text, empty, other, plain, folder / "a-folder", folder / "missing.sqlite"]


def test_train_run_refuses_what_is_not_an_exercise_store_and_changes_nothing(
    tmp_path: Path, real_hub: None, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _not_exercises(tmp_path)
    before = _files(tmp_path)
    for path in paths:
        assert cli.main(["train", "run", str(path)]) == USAGE_OR_STORE, path
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and str(path) in error
        assert "tipline train new" in error
    assert _files(tmp_path) == before  # nothing written, nothing created (no -wal, no -shm)


def test_train_run_opens_the_app_on_the_exercise_with_no_hub_whatever_the_settings(
    tmp_path: Path, real_hub: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "night.sqlite"
    build_exercise(path, "night-shift", 1, NOW)
    assert stored_scenario(path) == "night-shift"
    seen: list[TiplineApp] = []
    monkeypatch.setattr(TiplineApp, "run", lambda self, **kw: seen.append(self))
    assert cli.main(["train", "run", str(path), "--on-call"]) == 0
    # plain `tipline --db PATH` on an exercise is just as offline
    assert cli.main(["--db", str(path)]) == 0
    for app in seen:
        assert app.exercise == "night-shift" and app.sub_title == "EXERCISE"
        assert app.sync is None and app.hub_url is None
    assert seen[0].on_call


async def test_the_trainee_sees_an_exercise_not_a_missing_hub(tmp_path: Path) -> None:
    """The queue's header says EXERCISE and practice (not "no hub: N queued"), and the
    dispatch prompt says the referral stays in the store for scoring."""
    path = tmp_path / "night.sqlite"
    key = build_exercise(path, "night-shift", 1, NOW)
    placed = min(t for t, k in key.tips.items() if k.urgent and k.jurisdiction != "none")
    store = open_store(path, create=False)
    settings = AppSettings.from_values(hub_url="https://hub.example.org", hub_token="ana:x")
    app = make_app(store, settings, clock=lambda: NOW + 60)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = str(app.screen.query_one("#queue-counts").render())
        badge = str(app.screen.query_one("#sync-badge").render())
        assert header.startswith(" EXERCISE ") and "practice" in badge
        app.open_tip(placed)
        await settle(pilot)
        for keys in ("c", "a", *"ICAC", "enter", "d"):
            await pilot.press(keys)
            await settle(pilot)
        shown = str(app.screen.query_one("#dispatch-body").render())
        assert "A training exercise" in shown and "nothing is sent" in shown
        assert "No hub is configured" not in shown
        await pilot.press("escape")
        await settle(pilot)
    await store.aclose()
