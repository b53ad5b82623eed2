"""Where things live: the user's store, the bundled demo store."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "tipline-tui"
DB_ENV = "TIPLINE_DB"


def default_store_path() -> Path:
    """The store `tipline` opens: TIPLINE_DB, else the user data dir."""
    override = os.environ.get(DB_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME)) / "store.sqlite"


def bundled_demo_store() -> Path:
    """The synthetic demo store shipped with the package (or beside the source tree)."""
    packaged = Path(__file__).parent / "demo" / "demo_db.sqlite"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "demo_db.sqlite"
