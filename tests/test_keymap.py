"""The [keys] table: read from settings.toml, checked whole against every screen's bindings,
refused at start in one line (exit 2, no traceback), listed by `tipline keys`."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import tomllib
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.dom import DOMNode

import tipline_tui.screens
import tipline_tui.widgets
from tipline_tui.cli import main
from tipline_tui.keymap import (
    KeymapError,
    app_scopes,
    checked_keymap,
    normalize_keys,
)
from tipline_tui.settings import SettingsError, load_settings


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty settings file TIPLINE_CONFIG names; no other TIPLINE_ variable set."""
    for name in ("ANALYST", "DB", "GEOIP", "LOG", "HUB_URL", "HUB_TOKEN", "TIME_LIMITS", "KEYS"):
        monkeypatch.delenv(f"TIPLINE_{name}", raising=False)
    path = tmp_path / "settings.toml"
    path.write_text("")
    monkeypatch.setenv("TIPLINE_CONFIG", str(path))
    return path


def _binding_classes() -> list[type[DOMNode]]:
    """Every class of the app that declares BINDINGS: the app, each screen, each widget."""
    from tipline_tui.app import TiplineApp

    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for package in (tipline_tui.screens, tipline_tui.widgets)
        for info in pkgutil.iter_modules(package.__path__)
    ]
    found: dict[str, type[DOMNode]] = {"TiplineApp": TiplineApp}
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__:
                found[cls.__qualname__] = cls
    return list(found.values())


def test_the_table_is_read_dotted_or_quoted_and_its_shape_checked(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file.write_text(
        '[keys]\ntriage.claim = "K"\n"queue.down" = "ctrl+j,down"\nreport.pane.summary = "!"\n'
    )
    assert load_settings().keys == {
        "triage.claim": "K",
        "queue.down": "ctrl+j,down",
        "report.pane.summary": "!",
    }
    monkeypatch.setenv("TIPLINE_KEYS", '{"triage.claim": "X"}')  # a table of the file only
    assert load_settings().keys["triage.claim"] == "K"
    settings_file.write_text("[keys]\ntriage.claim = 3\n")
    with pytest.raises(SettingsError, match=r"keys\.triage\.claim must be a string"):
        load_settings()


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("C", "C"),
        ("?", "question_mark"),
        ("ctrl+j, down", "ctrl+j,down"),
        ("shift+ctrl+X", "ctrl+shift+x"),
        ("shift+k", "K"),
        ("PageDown,f1", "pagedown,f1"),
        ("/,slash", "slash"),
        ("ctrl++", "ctrl+plus"),
    ],
)
def test_keys_are_written_as_textual_names_them(text: str, keys: str) -> None:
    assert normalize_keys(text) == keys


@pytest.mark.parametrize("text", ["bogus", "ctrl+", "cmd+a", "ctrl+ctrl+a", "", " , "])
def test_a_name_no_key_has_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        normalize_keys(text)


def test_keys_may_be_swapped_and_a_shared_default_is_left_alone() -> None:
    scopes = app_scopes()
    swapped = checked_keymap({"triage.claim": "s", "queue.sort": "c"}, scopes, "here")
    assert swapped == {"triage.claim": "s", "queue.sort": "c"}
    # down is the queue's and the search box's by default; adding ctrl+j keeps that as it was
    assert checked_keymap({"queue.down": "ctrl+j,down"}, scopes, "here")


@pytest.mark.parametrize(
    ("entry", "clash"),
    [
        ('triage.claim = "C"', "C is already 'Sync conflicts' (queue.conflicts) on the queue"),
        ('app.quit = "c"', "c is already 'Claim' (triage.claim) on the queue screen"),
        ('triage.claim = "q"', "q is already 'Quit' (app.quit) on the queue screen"),
        ('prompt.cancel = "ctrl+a"', "ctrl+a is already Textual's own 'Go to start'"),
        ('queue.sort = "u"\nqueue.urgent = "u"', "u is already 'Urgent' (queue.urgent)"),
    ],
)
def test_a_clash_is_refused_at_start_in_one_line(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str, clash: str
) -> None:
    """The app is never made: main() says which file, which entry and what it meets, exit 2."""
    settings_file.write_text(f"[keys]\n{entry}\n")
    assert main(["--db", str(tmp_path / "store.sqlite")]) == 2
    err = capsys.readouterr().err
    first = entry.split(" = ")[0]
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"tipline: settings {settings_file}: [keys] {first} = ")
    assert clash in err


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ('queue.claim = "K"', 'queue.claim = "K": no binding has that id (`tipline keys`'),
        ('triage.claim = "kay"', "triage.claim = \"kay\": 'kay' is not a key name"),
        ('triage.claim = "ctrl+"', "'ctrl+' is not a key name"),
    ],
)
def test_an_unknown_id_or_key_is_refused_at_start(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str, why: str
) -> None:
    settings_file.write_text(f"[keys]\n{entry}\n")
    assert main(["--db", str(tmp_path / "store.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(settings_file) in err and why in err


def test_the_refusal_comes_before_anything_runs(settings_file: Path) -> None:
    from tests.tui_helpers import SETTINGS, make_app

    settings = SETTINGS.model_copy(update={"keys": {"triage.claim": "C"}})
    with pytest.raises(KeymapError, match=r"queue\.conflicts"):
        make_app(None, settings=settings)  # type: ignore[arg-type]  # never reaches the store


def test_every_binding_of_every_screen_has_an_id_and_a_screen() -> None:
    """A new binding without an id could not be remapped; a new screen missing from
    keymap.app_scopes would be checked for clashes nowhere and listed by no `tipline keys`."""
    listed = {b.id for scope in app_scopes() for b in scope.declared}
    classes = _binding_classes()
    assert {c.__name__ for c in classes} >= {"QueueScreen", "ReportScreen", "AssignScreen"}
    for cls in classes:
        for binding in cls.__dict__["BINDINGS"]:
            assert isinstance(binding, Binding) and binding.id, (cls, binding)
            assert binding.id in listed, f"{cls.__name__} is on no screen of keymap.app_scopes"


def test_tipline_keys_json_lists_every_binding_with_its_current_key(
    settings_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_file.write_text('[keys]\ntriage.claim = "K"\nqueue.pagedown = "pagedown,J"\n')
    assert main(["keys", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    every_id = {b.id for cls in _binding_classes() for b in cls.__dict__["BINDINGS"]}
    assert set(rows) == every_id
    assert rows["triage.claim"] == {
        "id": "triage.claim",
        "screens": ["queue", "report"],
        "description": "Claim",
        "default": "c",
        "current": "K",
    }
    assert rows["queue.pagedown"]["current"] == "pagedown,J"
    assert rows["app.help"]["screens"] == ["everywhere"]
    assert rows["queue.down"]["default"] == rows["queue.down"]["current"] == "down,j"


def test_tipline_keys_prints_a_table(
    settings_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_file.write_text('[keys]\ntriage.claim = "K"\n')
    assert main(["keys"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "screen", "default", "current", "what", "it", "does"]
    assert ["triage.claim", "queue,", "report", "c", "K", "Claim"] in [
        line.split() for line in lines
    ]


def test_tipline_keys_refuses_what_the_app_would(
    settings_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_file.write_text('[keys]\ntriage.claim = "C"\n')
    assert main(["keys"]) == 2
    assert "queue.conflicts" in capsys.readouterr().err


def test_the_readme_example_is_accepted() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Your own keys", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    table = tomllib.loads(example)["keys"]
    entries = {
        f"{group}.{name}": keys for group, names in table.items() for name, keys in names.items()
    }
    assert len(entries) >= 3
    assert checked_keymap(entries, app_scopes(), "README") == entries


def test_keys_are_listed_as_a_user_writes_them_and_read_back_the_same() -> None:
    """`tipline keys` shows "?" where Textual says question_mark; what it shows is what
    [keys] accepts, so a user can copy it."""
    from tipline_tui.keymap import normalize_keys, written_keys

    assert written_keys("question_mark") == "?"
    assert written_keys("full_stop,down") == ".,down"
    assert written_keys("comma") == "comma"  # a comma would split the list
    for keys in ("question_mark", "ctrl+question_mark", "escape,n,q", "comma", "slash", "plus"):
        assert normalize_keys(written_keys(keys)) == keys
