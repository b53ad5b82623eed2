"""The analyst's settings: one object from `TIPLINE_` environment variables and a TOML file.

The only place the app reads its configuration (the hub's is `hub/settings.py`).
An environment variable wins over the file, the file over the defaults.

    TIPLINE_CONFIG       the settings file (default: settings.toml in platformdirs' config dir)
    TIPLINE_ANALYST      analyst = "ana"            (default: the login name)
    TIPLINE_DB           db = "~/tips.sqlite"       (default: store.sqlite in the data dir)
    TIPLINE_GEOIP        geoip = "~/GeoLite2-City.mmdb"   (default: no IP geolocation)
    TIPLINE_HUB_URL      [hub] url = "https://hub.example.org"
    TIPLINE_HUB_TOKEN    [hub] token = "..."        (the file must then be chmod 600)
    TIPLINE_HUB_PUSH     [hub] push = true          (false: poll every 5 s, no long-poll)
    TIPLINE_ONCALL_REALERT  [on_call] realert = "3m"   (an unclaimed urgent tip rings again)
    TIPLINE_ONCALL_NOTIFY   [on_call] notify = true    (desktop notification escapes too)

    [time_limits]          # how long a tip may wait before on-call must see it
    E = "1h"
    1 = "24h"
    unset = "3d"           # not yet triaged
    2 = "7d"
    3 = "30d"

    [keys]                 # binding id = key(s); `tipline keys` lists the ids
    triage.claim = "K"
    queue.down = "ctrl+j,down"

An absent file means defaults. The file is readable by its owner only when it
holds a token; the token is a SecretStr, so no repr, str or log shows it.
"""

from __future__ import annotations

import getpass
import re
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tipline_tui.config import (
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
_ONLY_GIVEN = ContextVar("settings_only_given", default=False)  # AppSettings.from_values
_FILE_KEYS = {"hub_url": "hub.url", "hub_token": "hub.token"}  # field -> key in the file
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


def _time_limits(table: Mapping[str, Any], where: str) -> TimeLimits:
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
    values["time_limits"] = _time_limits(table, str(path))
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise SettingsError(f"{path}: [keys] must be a table")
    if keys:
        values["keys"] = _key_table(keys, str(path))
    hub = data.get("hub", {})
    if not isinstance(hub, dict):
        raise SettingsError(f"{path}: [hub] must be a table")
    for field, key in _FILE_KEYS.items():
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


class _SettingsFile(PydanticBaseSettingsSource):
    """The TOML file named by `config` (from the caller or TIPLINE_CONFIG), below the env."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # the whole file is read at once in __call__

    def __call__(self) -> dict[str, Any]:
        config = self.current_state.get("config") or default_settings_path()
        return read_settings_file(Path(config).expanduser())


class _EnvironmentBesideTheFile(PydanticBaseSettingsSource):
    """The TIPLINE_ variables, but for [keys]: a table of the file only, so a refusal
    names the file it is in."""

    def __init__(self, settings_cls: type[BaseSettings], env: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self.env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # the environment source reads every field

    def __call__(self) -> dict[str, Any]:
        values = self.env()
        values.pop("keys", None)
        return values


class AppSettings(BaseSettings):
    """Everything the analyst's app is configured with."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        frozen=True,
        extra="ignore",
        arbitrary_types_allowed=True,  # TimeLimits, a domain dataclass
    )

    config: Path = Field(default_factory=default_settings_path)
    analyst: str = Field(default_factory=getpass.getuser)
    db: Path | None = None
    geoip: Path | None = None
    log: Path | None = None  # the failure log (TIPLINE_LOG); default in the user's log dir
    hub_url: str | None = None
    hub_token: SecretStr | None = None
    time_limits: TimeLimits = Field(default_factory=TimeLimits)
    keys: dict[str, str] = Field(default_factory=dict)  # [keys]: binding id -> keys; file only
    hub_push: bool = True  # long-poll the hub (False: the old 5 s poll only)
    oncall_realert: int = Field(default=DEFAULT_REALERT, ge=1)  # seconds
    oncall_notify: bool = True  # OSC 9 / OSC 777 desktop notifications with the bell
    # inside tmux ($TMUX set by tmux itself): notifications go through its passthrough
    in_tmux: bool = Field(default=False, validation_alias="TMUX")

    @field_validator("in_tmux", mode="before")
    @classmethod
    def _tmux(cls, value: Any) -> Any:
        return bool(value) if isinstance(value, str) else value

    @field_validator("oncall_realert", mode="before")
    @classmethod
    def _realert(cls, value: Any) -> Any:  # TIPLINE_ONCALL_REALERT=3m (or plain seconds)
        if isinstance(value, str) and not value.strip().isdigit():
            return parse_duration(value)
        return value

    @field_validator("config", "db", "geoip", "log", mode="before")
    @classmethod
    def _path(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return Path(value).expanduser() if value else None
        return value.expanduser() if isinstance(value, Path) else value

    @field_validator("time_limits", mode="before")
    @classmethod
    def _limits(cls, value: Any) -> Any:  # TIPLINE_TIME_LIMITS='{"E": "30m"}' or a table
        return _time_limits(value, "$TIPLINE_TIME_LIMITS") if isinstance(value, Mapping) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if _ONLY_GIVEN.get():
            return (init_settings,)
        environment = _EnvironmentBesideTheFile(settings_cls, env_settings)
        return init_settings, environment, _SettingsFile(settings_cls)

    @classmethod
    def from_values(cls, **values: Any) -> AppSettings:
        """These values over the defaults; nothing from the environment or a file (tests)."""
        reset = _ONLY_GIVEN.set(True)
        try:
            return cls(**values)
        finally:
            _ONLY_GIVEN.reset(reset)

    def store_path(self) -> Path:
        """The store `tipline` opens: TIPLINE_DB (or `db`), else the user data dir."""
        return self.db or default_store_path()

    def log_path(self) -> Path:
        """Where worker and sync failures are logged: TIPLINE_LOG (or `log`), else the log dir."""
        return self.log or default_log_path()

    def token(self) -> str | None:
        return self.hub_token.get_secret_value() if self.hub_token else None


def load_settings(path: Path | None = None) -> AppSettings:
    """The settings: the environment over the file at `path` (or TIPLINE_CONFIG's, or the
    default) over the defaults. SettingsError names the file or variable and the key."""
    try:
        return AppSettings(config=path) if path is not None else AppSettings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        key = _FILE_KEYS.get(field, field)
        raise SettingsError(
            f"settings ({path or '$' + ENV_PREFIX + field.upper()}): {key}: {error['msg']}"
        ) from None
