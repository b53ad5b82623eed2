"""The analyst's settings file: who they are, time limits, the hub.

A TOML file in platformdirs' config dir (or TIPLINE_CONFIG), readable by
its owner only because it may hold a hub token. Absent means defaults.

    analyst = "ana"

    [time_limits]          # how long a tip may wait before on-call must see it
    E = "1h"
    1 = "24h"
    unset = "3d"           # not yet triaged
    2 = "7d"
    3 = "30d"

    [hub]                  # or TIPLINE_HUB_URL / TIPLINE_HUB_TOKEN
    url = "https://hub.example.org"
    token = "..."          # the file must then be chmod 600
"""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from tipline_tui.config import APP_NAME
from tipline_tui.domain.triage import TimeLimits

CONFIG_ENV = "TIPLINE_CONFIG"
HUB_URL_ENV = "TIPLINE_HUB_URL"
HUB_TOKEN_ENV = "TIPLINE_HUB_TOKEN"
ANALYST_ENV = "TIPLINE_ANALYST"
_DURATION = re.compile(r"(\d+)\s*([mhd])")
_UNITS = {"m": 60, "h": 3600, "d": 86400}
_LIMIT_KEYS = ("E", "1", "unset", "2", "3")


class SettingsError(Exception):
    """The settings file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Settings:
    analyst: str
    time_limits: TimeLimits = field(default_factory=TimeLimits)
    hub_url: str | None = None
    hub_token: str | None = None
    path: Path | None = None

    def __repr__(self) -> str:  # the token never reaches a log or a traceback
        return f"Settings(analyst={self.analyst!r}, hub_url={self.hub_url!r}, path={self.path})"


def settings_path() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "settings.toml"


def parse_duration(text: str) -> int:
    """'45m', '1h', '3d' -> seconds."""
    match = _DURATION.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"a time limit looks like 45m, 1h or 3d, not {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file (defaults when there is none)."""
    path = path or settings_path()
    analyst = os.environ.get(ANALYST_ENV) or getpass.getuser()
    env_url = os.environ.get(HUB_URL_ENV) or None
    env_token = os.environ.get(HUB_TOKEN_ENV) or None
    if not path.is_file():
        return Settings(analyst=analyst, hub_url=env_url, hub_token=env_token)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read settings {path}: {exc}") from None
    analyst = os.environ.get(ANALYST_ENV) or str(data.get("analyst") or analyst)
    limits = dict(TimeLimits().seconds)
    table = data.get("time_limits", {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [time_limits] must be a table")
    for key, value in table.items():
        if key not in _LIMIT_KEYS:
            raise SettingsError(
                f"{path}: time_limits.{key} is not a priority (use {', '.join(_LIMIT_KEYS)})"
            )
        try:
            limits[key] = parse_duration(str(value))
        except ValueError as exc:
            raise SettingsError(f"{path}: time_limits.{key}: {exc}") from None
    hub = data.get("hub", {})
    if not isinstance(hub, dict):
        raise SettingsError(f"{path}: [hub] must be a table")
    token = hub.get("token")
    if token and path.stat().st_mode & 0o077:
        raise SettingsError(
            f"{path} holds a hub token but others can read it; run: chmod 600 {path}"
        )
    return Settings(
        analyst=analyst,
        time_limits=TimeLimits(limits),
        hub_url=env_url or hub.get("url") or None,
        hub_token=env_token or token or None,
        path=path,
    )
