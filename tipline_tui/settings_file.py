"""The settings file's format, read without pydantic, and what the queue's first paint needs.

`read_settings_file` is the one reader of settings.toml: `settings.py` builds the
app's settings (pydantic-settings) from it and the environment. Importing
pydantic-settings costs about as much as Textual itself, so plain `tipline` first
reads here only what its first screen needs (`first_paint_settings`), paints the
queue, and builds the full settings after (issue 13). An invalid file is refused
here, before any UI, as it always was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tipline_tui.config import (
    CONFIG_ENV,
    default_log_path,
    default_settings_path,
    default_store_path,
)
from tipline_tui.domain.triage import TimeLimits

ENV_PREFIX = "TIPLINE_"
ANALYST_ENV = "TIPLINE_ANALYST"
HUB_URL_ENV = "TIPLINE_HUB_URL"
HUB_TOKEN_ENV = "TIPLINE_HUB_TOKEN"
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LIMIT_KEYS = ("E", "1", "unset", "2", "3")
FILE_KEYS = {"hub_url": "hub.url", "hub_token": "hub.token"}  # field -> key in the file
# boolean and duration keys of the file's tables: field -> (table, key)
_TABLE_FLAGS = {"hub_push": ("hub", "push"), "oncall_notify": ("on_call", "notify")}
_TABLE_DURATIONS = {"oncall_realert": ("on_call", "realert")}
DEFAULT_REALERT = 180  # seconds: an urgent tip nobody has claimed rings again this often


class SettingsError(Exception):
    """The settings cannot be used; the message names the file (or variable) and the key."""


def parse_duration(text: str) -> int:
    """'45m', '1h', '3d' -> seconds."""
    match = _DURATION.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"a time limit looks like 45m, 1h or 3d, not {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def time_limits_table(table: Mapping[str, Any], where: str) -> TimeLimits:
    """A [time_limits] table over the defaults; `where` names its file or variable."""
    limits = dict(TimeLimits().seconds)
    for key, value in table.items():
        if key not in _LIMIT_KEYS:
            raise SettingsError(
                f"{where}: time_limits.{key} is not a priority (use {', '.join(_LIMIT_KEYS)})"
            )
        try:
            limits[key] = parse_duration(str(value))
        except ValueError as exc:
            raise SettingsError(f"{where}: time_limits.{key}: {exc}") from None
    return TimeLimits(limits)


def _key_table(table: Mapping[str, Any], where: str, prefix: str = "") -> dict[str, str]:
    """A [keys] table as binding id -> keys; `triage.claim = "K"` arrives nested in TOML.
    Only the shape is checked here: the ids and key names are checked against the app's
    bindings when it starts (keymap.py), so reading settings never imports Textual."""
    keys: dict[str, str] = {}
    for name, value in table.items():
        binding_id = f"{prefix}{name}"
        if isinstance(value, Mapping):
            keys.update(_key_table(value, where, f"{binding_id}."))
        elif isinstance(value, str):
            keys[binding_id] = value
        else:
            raise SettingsError(f"{where}: keys.{binding_id} must be a string of keys")
    return keys


def read_settings_file(path: Path) -> dict[str, Any]:
    """The file's values by field name, checked; {} when there is no file."""
    if not path.is_file():
        return {}
    import tomllib  # only when there is a file to read

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read settings {path}: {exc}") from None
    values: dict[str, Any] = {}
    for key in ("analyst", "db", "geoip", "log"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise SettingsError(f"{path}: {key} must be a string")
        if value and value.strip():  # blank means unset, as in the environment
            values[key] = value
    table = data.get("time_limits", {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [time_limits] must be a table")
    values["time_limits"] = time_limits_table(table, str(path))
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise SettingsError(f"{path}: [keys] must be a table")
    if keys:
        values["keys"] = _key_table(keys, str(path))
    hub = data.get("hub", {})
    if not isinstance(hub, dict):
        raise SettingsError(f"{path}: [hub] must be a table")
    for field, key in FILE_KEYS.items():
        value = hub.get(key.removeprefix("hub."))
        if value is not None and not isinstance(value, str):
            raise SettingsError(f"{path}: {key} must be a string")
        if value:
            values[field] = value
    values.update(_table_options(data, path))
    if values.get("hub_token") and path.stat().st_mode & 0o077:
        raise SettingsError(
            f"{path} holds a hub token but others can read it; run: chmod 600 {path}"
        )
    return values


def _table_options(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """[hub] push, [on_call] notify (true/false) and [on_call] realert ("3m"), checked."""
    on_call = data.get("on_call", {})
    if not isinstance(on_call, dict):
        raise SettingsError(f"{path}: [on_call] must be a table")
    values: dict[str, Any] = {}
    for field, (table, key) in _TABLE_FLAGS.items():
        value = data.get(table, {}).get(key)
        if value is not None and not isinstance(value, bool):
            raise SettingsError(f"{path}: {table}.{key} must be true or false")
        if value is not None:
            values[field] = value
    for field, (table, key) in _TABLE_DURATIONS.items():
        value = data.get(table, {}).get(key)
        if value is not None:
            try:
                values[field] = parse_duration(str(value))
            except ValueError as exc:
                raise SettingsError(f"{path}: {table}.{key}: {exc}") from None
    return values


# the variables read here as plain strings, as pydantic-settings reads them (names in any
# case, "" unset); any other TIPLINE_ variable needs the full settings before the UI
# AppSettings' fields (tests/test_first_paint.py holds this equal to them): a TIPLINE_
# variable naming none of them is ignored by the full settings too (extra="ignore")
SETTINGS_FIELDS = frozenset(
    {"config", "analyst", "db", "geoip", "log", "hub_url", "hub_token", "time_limits"}
    | {"keys", "hub_push", "oncall_realert", "oncall_notify", "in_tmux"}
)
_PLAIN_ENV = {
    CONFIG_ENV: "config",
    "TIPLINE_DB": "db",
    ANALYST_ENV: "analyst",
    "TIPLINE_LOG": "log",
    HUB_URL_ENV: "hub_url",
    HUB_TOKEN_ENV: "hub_token",
}


@dataclass(frozen=True)
class FirstPaintSettings:
    """What plain `tipline` needs before its first paint; everything else (the sync client,
    GeoIP, on-call alerts) comes from the full settings (`settings.py`) once the queue
    shows. The hub URL is here only to be checked before the UI starts."""

    config: Path
    analyst: str | None  # None: the login name
    time_limits: TimeLimits
    keys: dict[str, str]
    db: Path | None = None
    log: Path | None = None
    hub_url: str | None = None  # checked before the UI (wiring.check_hub_setting)

    def store_path(self) -> Path:
        return self.db or default_store_path()

    def log_path(self) -> Path:
        return self.log or default_log_path()


def _plain_path(value: str | None) -> Path | None:
    """A path as settings.py's validator reads it: blank is unset, `~` expanded."""
    value = (value or "").strip()
    return Path(value).expanduser() if value else None


def first_paint_settings(environ: Mapping[str, str] | None = None) -> FirstPaintSettings | None:
    """The first paint's settings from the file and plain TIPLINE_ variables, without
    pydantic; None when only the full settings can say (a TIPLINE_ variable for another
    setting, or a GeoIP database configured: what they would refuse must be refused before the UI
    starts). SettingsError when the file cannot be used, as the full settings say it."""
    given: dict[str, str] = {}
    for name, value in (os.environ if environ is None else environ).items():
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX):
            continue
        field = _PLAIN_ENV.get(upper)
        if field is None and upper.removeprefix(ENV_PREFIX).lower() not in SETTINGS_FIELDS:
            continue  # no setting of that name (TIPLINE_REQUIRE_BROWSER, say): ignored by both
        if field is None or field in given:
            return None
        if value != "":
            given[field] = value
    config = Path(given["config"]).expanduser() if "config" in given else default_settings_path()
    values = read_settings_file(config)
    if "geoip" in values:  # opening the database needs the full settings' checks first
        return None
    values.update({k: v for k, v in given.items() if k != "config"})
    return FirstPaintSettings(
        config=config,
        analyst=values.get("analyst"),
        time_limits=values.get("time_limits") or TimeLimits(),
        keys=values.get("keys", {}),
        db=_plain_path(values.get("db")),
        log=_plain_path(values.get("log")),
        hub_url=values.get("hub_url") or None,
    )
