"""Where a hub keeps its database and evidence unless told otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from tipline_tui.config import APP_NAME

HUB_DB_ENV = "TIPLINE_HUB_DB"
EVIDENCE_ENV = "TIPLINE_HUB_EVIDENCE"


def default_hub_url() -> str:
    """TIPLINE_HUB_DB, else a SQLite file in the user data dir."""
    override = os.environ.get(HUB_DB_ENV)
    if override:
        return override
    return f"sqlite:///{Path(platformdirs.user_data_dir(APP_NAME)) / 'hub.sqlite'}"


def default_evidence_dir() -> Path:
    """TIPLINE_HUB_EVIDENCE, else `evidence/` in the user data dir (never an analyst's)."""
    override = os.environ.get(EVIDENCE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME)) / "hub-evidence"


def default_snapshot_dir(hub_url: str) -> Path:
    """`snapshots/` beside a SQLite hub database; else `hub-snapshots/` in the user data dir."""
    from sqlalchemy.engine import make_url

    parsed = make_url(hub_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return Path(parsed.database).expanduser().parent / "snapshots"
    return Path(platformdirs.user_data_dir(APP_NAME)) / "hub-snapshots"
