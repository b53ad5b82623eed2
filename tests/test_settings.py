"""The settings file: defaults when absent, clear errors when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tipline_tui.config import default_log_path
from tipline_tui.settings import SettingsError, load_settings
from tipline_tui.store import open_store
from tipline_tui.wiring import make_app


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


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("CONFIG", "ANALYST", "DB", "GEOIP", "LOG", "HUB_URL", "HUB_TOKEN", "TIME_LIMITS"):
        monkeypatch.delenv(f"TIPLINE_{name}", raising=False)
    return monkeypatch


def test_a_token_in_a_file_others_can_read_is_refused(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[hub]\nurl = "https://hub.example.org"\ntoken = "ana:secret"\n')
    path.chmod(0o644)
    with pytest.raises(SettingsError, match="others can read it") as info:
        load_settings(path)
    assert f"chmod 600 {path}" in str(info.value) and "secret" not in str(info.value)
    path.chmod(0o600)
    settings = load_settings(path)
    assert settings.token() == "ana:secret"
    assert "ana:secret" not in repr(settings) and "ana:secret" not in str(settings)


def test_the_environment_wins_over_the_file(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'analyst = "bob"\ndb = "~/from-file.sqlite"\n[hub]\nurl = "https://file.example.org"\n'
    )
    clean_env.setenv("TIPLINE_CONFIG", str(path))
    settings = load_settings()
    assert settings.config == path and settings.analyst == "bob"
    assert settings.store_path() == Path("~/from-file.sqlite").expanduser()
    clean_env.setenv("TIPLINE_ANALYST", "ana")
    clean_env.setenv("TIPLINE_DB", str(tmp_path / "env.sqlite"))
    clean_env.setenv("TIPLINE_HUB_URL", "https://env.example.org")
    clean_env.setenv("TIPLINE_HUB_TOKEN", "")  # empty is unset
    settings = load_settings()
    assert settings.analyst == "ana" and settings.store_path() == tmp_path / "env.sqlite"
    assert settings.hub_url == "https://env.example.org" and settings.hub_token is None


def test_the_failure_log_moves_with_the_file_or_the_environment(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    assert load_settings(tmp_path / "none.toml").log_path() == default_log_path()
    path = tmp_path / "settings.toml"
    path.write_text('log = "~/from-file.log"\n')
    assert load_settings(path).log_path() == Path("~/from-file.log").expanduser()
    clean_env.setenv("TIPLINE_LOG", str(tmp_path / "env.log"))
    settings = load_settings(path)
    assert settings.log_path() == tmp_path / "env.log"
    store = open_store(tmp_path / "store.sqlite")
    try:
        assert make_app(store, settings).log_path == tmp_path / "env.log"  # the app logs there
    finally:
        store.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[hub]\nurl = 5\n", "hub.url must be a string"),
        ("hub = 1\n", r"\[hub\] must be a table"),
        ("geoip = true\n", "geoip must be a string"),
        ("time_limits = 3\n", r"\[time_limits\] must be a table"),
    ],
)
def test_wrong_types_name_the_file_and_the_key(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, text: str, message: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=message) as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_time_limits_from_the_environment_are_checked_too(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("TIPLINE_TIME_LIMITS", '{"E": "30m"}')
    assert load_settings(tmp_path / "none.toml").time_limits.limit("E", False) == 1800
    clean_env.setenv("TIPLINE_TIME_LIMITS", '{"E": "soon"}')
    with pytest.raises(SettingsError, match=r"\$TIPLINE_TIME_LIMITS: time_limits.E"):
        load_settings(tmp_path / "none.toml")


def test_from_values_reads_neither_environment_nor_file(clean_env: pytest.MonkeyPatch) -> None:
    from tipline_tui.settings import AppSettings

    clean_env.setenv("TIPLINE_HUB_URL", "https://env.example.org")
    settings = AppSettings.from_values(analyst="ana")
    assert settings.analyst == "ana" and settings.hub_url is None
    assert load_settings().hub_url == "https://env.example.org"


def test_hub_settings_read_the_hub_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tipline_tui.hub.settings import HubSettings

    for name in ("DB", "EVIDENCE", "XSD"):
        monkeypatch.delenv(f"TIPLINE_HUB_{name}", raising=False)
    default = HubSettings()
    assert default.database_url().startswith("sqlite:///") and default.xsd is None
    assert default.evidence_dir().name == "hub-evidence"
    monkeypatch.setenv("TIPLINE_HUB_DB", "postgresql+psycopg://hub@db/hub")
    monkeypatch.setenv("TIPLINE_HUB_EVIDENCE", str(tmp_path / "ev"))
    monkeypatch.setenv("TIPLINE_HUB_XSD", "  ")  # blank is unset
    configured = HubSettings()
    assert configured.database_url() == "postgresql+psycopg://hub@db/hub"
    assert configured.evidence_dir() == tmp_path / "ev" and configured.xsd is None


def test_only_the_settings_objects_read_the_environment() -> None:
    """AppSettings and HubSettings are the one place configuration comes from; beside
    AppSettings, only the first paint's plain reading of the same settings
    (settings_file.first_paint_settings, which hands anything else to AppSettings)."""
    import re

    package = Path(__file__).resolve().parent.parent / "tipline_tui"
    readers = re.compile(r"os\.environ|getenv|environ\.get")
    found = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if readers.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["settings_file.py"]
