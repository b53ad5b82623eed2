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
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tipline_tui.config import (
    CONFIG_ENV,
    GEOIP_ENV,
    default_log_path,
    default_settings_path,
    default_store_path,
)
from tipline_tui.domain.triage import TimeLimits
from tipline_tui.settings_file import (
    ANALYST_ENV,
    DEFAULT_REALERT,
    ENV_PREFIX,
    FILE_KEYS,
    HUB_TOKEN_ENV,
    HUB_URL_ENV,
    SettingsError,
    parse_duration,
    read_settings_file,
    time_limits_table,
)

__all__ = [
    "ANALYST_ENV",
    "CONFIG_ENV",
    "DEFAULT_REALERT",
    "GEOIP_ENV",
    "HUB_TOKEN_ENV",
    "HUB_URL_ENV",
    "AppSettings",
    "SettingsError",
    "load_settings",
    "parse_duration",
    "read_settings_file",
]

_ONLY_GIVEN = ContextVar("settings_only_given", default=False)  # AppSettings.from_values


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
        return (
            time_limits_table(value, "$TIPLINE_TIME_LIMITS")
            if isinstance(value, Mapping)
            else value
        )

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
        key = FILE_KEYS.get(field, field)
        raise SettingsError(
            f"settings ({path or '$' + ENV_PREFIX + field.upper()}): {key}: {error['msg']}"
        ) from None
