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
    path: Path | None = None


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
    if not path.is_file():
        return Settings(analyst=analyst)
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
    hub_url = hub.get("url") if isinstance(hub, dict) else None
    return Settings(
        analyst=analyst, time_limits=TimeLimits(limits), hub_url=hub_url or None, path=path
    )
