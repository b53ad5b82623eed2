"""Quick to start (issue 13): plain `tipline` paints the queue's first rows before it
imports SQLAlchemy, aiosqlite or pydantic, then loads the rest and works as before.

The import check runs the real command in a fresh interpreter (headless, 80x24) and
reads which modules were imported when the table first drew a tip's row: what it
imported, not how long it took (times belong in bench/startup.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.conftest import queue_reports
from tests.tui_helpers import CLOCK_NOW, settle, static_text, table_lines
from tipline_tui.domain.report import Report
from tipline_tui.settings import load_settings
from tipline_tui.settings_file import FirstPaintSettings, SettingsError, first_paint_settings
from tipline_tui.store import Store
from tipline_tui.wiring import make_app

# Runs `tipline --db argv[1]` headless; when the table draws its first tip row it notes
# every module imported by then and quits. Prints those modules and the row.
FIRST_ROW_RUNNER = """
import json, sys
from textual.app import App
from tipline_tui.widgets.queue_table import QueueTable

seen = {}
draw = QueueTable.render_line

def render_line(self, y):
    strip = draw(self, y)
    if not seen and y > 0 and self.cursor_row is not None:
        seen["modules"], seen["row"] = sorted(sys.modules), strip.text
        self.app.call_later(self.app.exit)
    return strip

QueueTable.render_line = render_line
run = App.run
App.run = lambda self, **kw: run(self, headless=True, size=(80, 24))
from tipline_tui.cli import main
status = main(["--db", sys.argv[1]])
print(json.dumps({"status": status, **seen}))
"""

NOT_BEFORE_THE_FIRST_ROW = (
    *("sqlalchemy", "aiosqlite", "pydantic", "pydantic_settings", "httpx"),
    *("rapidfuzz", "phonenumbers"),  # related reports and jurisdiction signals
)


def quiet_environment(home: Path) -> dict[str, str]:
    """No user settings and no TIPLINE_ variables: how a new analyst starts."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("TIPLINE_")}
    env["HOME"] = str(home)
    env["TIPLINE_CONFIG"] = str(home / "no-settings.toml")
    env["XDG_DATA_HOME"], env["XDG_STATE_HOME"] = str(home / "data"), str(home / "state")
    return env


@pytest.mark.parametrize(
    "settings",
    [
        "",
        # a [keys] table is checked against every screen's bindings before the UI starts:
        # the screens are imported then, but what they act with is not
        '[keys]\ntriage.claim = "K"\n',
        # an analyst's hub: the sync client (httpx) comes with the rest, after the first row
        '[hub]\nurl = "http://127.0.0.1:9"\ntoken = "synthetic-token"\n',
    ],
)
def test_the_first_row_shows_before_sqlalchemy_aiosqlite_or_pydantic_is_imported(
    make_store: Callable[[Sequence[Report]], Store], tmp_path: Path, settings: str
) -> None:
    store = make_store(queue_reports(10))
    store.close()
    if settings:
        (tmp_path / "no-settings.toml").write_text(settings)
        (tmp_path / "no-settings.toml").chmod(0o600)  # it may hold a token
    done = subprocess.run(
        [sys.executable, "-c", FIRST_ROW_RUNNER, str(store.path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=quiet_environment(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["status"] == 0 and seen["row"].startswith(">"), seen.get("row")
    modules = seen["modules"]
    assert "tipline_tui.store.queue" in modules
    heavy = sorted({name.split(".")[0] for name in modules} & set(NOT_BEFORE_THE_FIRST_ROW))
    assert heavy == []
    if not settings:  # nor the other screens: each is imported when first opened
        assert "tipline_tui.screens.report" not in modules
        assert "tipline_tui.screens.help" not in modules


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty TIPLINE_ environment but for TIPLINE_CONFIG naming this (absent) file."""
    for name in list(os.environ):
        if name.upper().startswith("TIPLINE_"):
            monkeypatch.delenv(name)
    path = tmp_path / "settings.toml"
    monkeypatch.setenv("TIPLINE_CONFIG", str(path))
    return path


def test_the_first_paint_reads_the_file_as_the_full_settings_do(settings_file: Path) -> None:
    settings_file.write_text(
        'analyst = "ana"\nlog = "~/tipline.log"\n[time_limits]\nE = "30m"\n'
        '[keys]\ntriage.claim = "K"\n[on_call]\nrealert = "5m"\n'
    )
    first = first_paint_settings()
    full = load_settings()
    assert first is not None
    assert (first.analyst, first.time_limits, first.keys) == (
        full.analyst,
        full.time_limits,
        full.keys,
    )
    assert (first.config, first.log_path(), first.store_path()) == (
        full.config,
        full.log_path(),
        full.store_path(),
    )


def test_the_environment_wins_over_the_file_in_the_first_paint_too(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file.write_text('analyst = "ana"\ndb = "/tmp/from-file.sqlite"\n')
    monkeypatch.setenv("TIPLINE_ANALYST", "bo")
    monkeypatch.setenv("TIPLINE_DB", " ~/tips.sqlite ")
    first = first_paint_settings()
    full = load_settings()
    assert first is not None and first.analyst == full.analyst == "bo"
    assert first.store_path() == full.store_path() == Path("~/tips.sqlite").expanduser()


@pytest.mark.parametrize(
    ("text", "variable"),
    [
        ('geoip = "/nowhere/GeoLite2-City.mmdb"\n', None),  # checked when it is opened
        ("", ("TIPLINE_TIME_LIMITS", '{"E": "soon"}')),  # pydantic reads it: left to it
        ("", ("tipline_oncall_realert", "0")),  # any case, as pydantic-settings reads names
    ],
)
def test_anything_beyond_the_plain_settings_is_left_to_the_full_settings(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch, text: str, variable: tuple[str, str]
) -> None:
    settings_file.write_text(text)
    if variable:
        monkeypatch.setenv(*variable)
    assert first_paint_settings() is None


@pytest.mark.parametrize(
    ("text", "variable"),
    [
        ('[hub]\nurl = "https://hub.example.org"\n', None),
        ("", ("TIPLINE_HUB_URL", "https://hub.example.org")),
    ],
)
def test_a_hub_takes_the_first_paint_path_with_its_url(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch, text: str, variable: tuple[str, str]
) -> None:
    """Analysts have a hub: its URL is all the first paint needs of it (checked before the
    UI); the sync client is made with the rest."""
    settings_file.write_text(text)
    if variable:
        monkeypatch.setenv(*variable)
    first = first_paint_settings()
    assert first is not None and first.hub_url == load_settings().hub_url


@pytest.mark.parametrize(
    ("url", "words"),
    [("ftp://hub.example.org", "http(s)://host"), ("http://hub.example.org", "plain http")],
)
def test_plain_tipline_refuses_a_hub_url_it_cannot_use_in_one_line_before_the_ui(
    settings_file: Path,
    make_store: Callable[[Sequence[Report]], Store],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    words: str,
) -> None:
    from tipline_tui.app import TiplineApp
    from tipline_tui.cli import main

    store = make_store(queue_reports(2))
    settings_file.write_text(f'[hub]\nurl = "{url}"\n')
    started: list[TiplineApp] = []
    monkeypatch.setattr(TiplineApp, "run", lambda self, **kw: started.append(self))
    assert main(["--db", str(store.path)]) == 2
    error = capsys.readouterr().err
    assert started == [] and error.count("\n") == 1
    assert "hub.url in" in error and words in error


def test_the_first_paint_knows_every_setting_by_name() -> None:
    from tipline_tui.settings import AppSettings
    from tipline_tui.settings_file import SETTINGS_FIELDS

    assert set(AppSettings.model_fields) == SETTINGS_FIELDS


def test_a_tipline_variable_naming_no_setting_is_ignored_by_both(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full settings ignore it (extra="ignore"), so it need not cost the first paint."""
    settings_file.write_text('analyst = "ana"\n')
    monkeypatch.setenv("TIPLINE_REQUIRE_BROWSER", "1")
    first = first_paint_settings()
    assert first is not None and first.analyst == load_settings().analyst == "ana"


def test_an_invalid_file_is_refused_as_the_full_settings_refuse_it(settings_file: Path) -> None:
    settings_file.write_text('[time_limits]\nE = "soon"\n')
    with pytest.raises(SettingsError) as plain:
        first_paint_settings()
    with pytest.raises(SettingsError) as full:
        load_settings()
    assert str(plain.value) == str(full.value)
    assert str(settings_file) in str(plain.value)


def test_plain_tipline_refuses_an_invalid_file_in_one_line_before_the_ui(
    settings_file: Path,
    make_store: Callable[[Sequence[Report]], Store],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tipline_tui.app import TiplineApp
    from tipline_tui.cli import main

    store = make_store(queue_reports(2))
    settings_file.write_text("[keys]\nqueue.down = 5\n")
    started: list[TiplineApp] = []
    monkeypatch.setattr(TiplineApp, "run", lambda self, **kw: started.append(self))
    assert main(["--db", str(store.path)]) == 2
    error = capsys.readouterr().err
    assert started == [] and error.count("\n") == 1 and "keys.queue.down" in error


async def test_the_app_paints_first_then_loads_the_rest_and_works_as_before(
    settings_file: Path, make_store: Callable[[Sequence[Report]], Store], tmp_path: Path
) -> None:
    """Made from the first paint's settings, the app reads its first page without the
    service, then loads it: the header's counts come, keys act, reads use the engine."""
    settings_file.write_text(f'analyst = "ana"\nlog = "{tmp_path / "tipline.log"}"\n')
    first = first_paint_settings()
    assert isinstance(first, FirstPaintSettings)
    app = make_app(make_store(queue_reports(30)), first, clock=lambda: CLOCK_NOW)
    assert app.sync is None and not app.queue.on_engine  # nothing of the rest yet
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.queue.on_engine  # loaded once the rows showed
        assert table_lines(app)[1].startswith(">")
        assert "30 tips" in static_text(app, "#queue-counts")
        await pilot.press("c")  # claim: the store's actions, through the loaded service
        await settle(pilot)
        assert "@ana" in table_lines(app)[1]
