"""The hub's settings: one object from `TIPLINE_HUB_` environment variables.

The only place the hub reads its configuration; command-line options win over it.

    TIPLINE_HUB_DB        database URL (default: sqlite:///hub.sqlite in the user data dir)
    TIPLINE_HUB_EVIDENCE  directory for uploaded files (default: hub-evidence/ in the data dir)
    TIPLINE_HUB_XSD       schema file GET /ispws/xsd serves (default: none; the answer is 1210)
    TIPLINE_HUB_ESP_OPEN_REPORTS   unfinished reports one ESP may hold at once (default 1,000)
    TIPLINE_HUB_ESP_BYTES_PER_DAY  bytes one ESP may send per UTC day, documents and files
                                   (default 64 GiB)
    TIPLINE_HUB_MAX_CONNECTIONS    connections open at once; more are answered 503
                                   (default: the descriptor limit less 160, at most 4,096)
    TIPLINE_HUB_HEADER_TIMEOUT     seconds a client has to send a request's headers (10)
    TIPLINE_HUB_KEEP_ALIVE_TIMEOUT seconds an idle connection stays open between requests (5)
    TIPLINE_HUB_BODY_IDLE_TIMEOUT  seconds a request body may stop arriving (30)
    TIPLINE_HUB_DB_POOL_SIZE       database connections a process keeps open (10)
    TIPLINE_HUB_DB_POOL_OVERFLOW   more it may open when busy (30); size + overflow per process
                                   times processes must stay under the server's max_connections
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tipline_tui.config import APP_NAME

if TYPE_CHECKING:
    from tipline_tui.hub.connections import ConnectionLimits

HUB_ENV_PREFIX = "TIPLINE_HUB_"
EVIDENCE_ENV = "TIPLINE_HUB_EVIDENCE"
XSD_ENV = "TIPLINE_HUB_XSD"


class HubSettings(BaseSettings):
    """Everything a hub process is configured with."""

    model_config = SettingsConfigDict(
        env_prefix=HUB_ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="ignore"
    )

    db: str | None = None
    evidence: Path | None = None
    xsd: Path | None = None
    # per-ESP quotas (README "Limits"): one ESP cannot fill the disk or crowd out the others
    esp_open_reports: int = Field(default=1_000, ge=1)
    esp_bytes_per_day: int = Field(default=64 * 1024**3, ge=1)
    # connections (README "Limits"): slow or idle clients cannot hold the hub's descriptors
    max_connections: int | None = Field(default=None, ge=1)
    header_timeout: float = Field(default=10.0, gt=0)
    keep_alive_timeout: int = Field(default=5, ge=1)
    body_idle_timeout: float = Field(default=30.0, gt=0)
    # database pool per process (README "Running several hub processes")
    db_pool_size: int = Field(default=10, ge=1)
    db_pool_overflow: int = Field(default=30, ge=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments and the environment only: no .env file or secrets directory is set, so
        those sources read nothing, yet they cost about half of each build (ESP calls read
        the quotas on every request, so a build is on every one)."""
        return (init_settings, env_settings)

    @field_validator("db", "evidence", "xsd", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("evidence", "xsd")
    @classmethod
    def _home(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    def database_url(self) -> str:
        """TIPLINE_HUB_DB, else a SQLite file in the user data dir."""
        return self.db or f"sqlite:///{Path(platformdirs.user_data_dir(APP_NAME)) / 'hub.sqlite'}"

    def connection_limits(self) -> ConnectionLimits:
        """The limits `hub serve` enforces; the connection cap follows the descriptor limit."""
        from tipline_tui.hub.connections import ConnectionLimits, default_max_connections

        return ConnectionLimits(
            max_connections=self.max_connections or default_max_connections(),
            header_timeout=self.header_timeout,
            keep_alive_timeout=self.keep_alive_timeout,
            body_idle_timeout=self.body_idle_timeout,
        )

    def evidence_dir(self) -> Path:
        """TIPLINE_HUB_EVIDENCE, else `hub-evidence/` in the user data dir (never an analyst's)."""
        return self.evidence or Path(platformdirs.user_data_dir(APP_NAME)) / "hub-evidence"


def default_snapshot_dir(hub_url: str) -> Path:
    """`snapshots/` beside a SQLite hub database; else `hub-snapshots/` in the user data dir."""
    from sqlalchemy.engine import make_url

    parsed = make_url(hub_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return Path(parsed.database).expanduser().parent / "snapshots"
    return Path(platformdirs.user_data_dir(APP_NAME)) / "hub-snapshots"
