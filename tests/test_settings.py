"""The settings file: defaults when absent, clear errors when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tipline_tui.settings import SettingsError, load_settings


def test_absent_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIPLINE_ANALYST", "ana")
    settings = load_settings(tmp_path / "none.toml")
    assert settings.analyst == "ana"
    assert settings.time_limits.limit("E", False) == 3600
    assert settings.hub_url is None


def test_time_limits_and_hub_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIPLINE_ANALYST", raising=False)
    path = tmp_path / "settings.toml"
    path.write_text(
        'analyst = "bob"\n[time_limits]\nE = "30m"\n2 = "2d"\n'
        '[hub]\nurl = "https://hub.example.org"\n'
    )
    settings = load_settings(path)
    assert settings.analyst == "bob"
    assert settings.time_limits.limit("E", False) == 1800
    assert settings.time_limits.limit(None, True) == 1800  # escalated counts as E
    assert settings.time_limits.limit("2", False) == 2 * 86400
    assert settings.time_limits.limit("1", False) == 86400  # default kept
    assert settings.hub_url == "https://hub.example.org"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[time_limits]\nE = "soon"\n', "time_limits.E: a time limit looks like"),
        ('[time_limits]\nurgent = "1h"\n', "time_limits.urgent is not a priority"),
        ("analyst = \n", "cannot read settings"),
    ],
)
def test_bad_settings_name_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=message) as info:
        load_settings(path)
    assert str(path) in str(info.value)
