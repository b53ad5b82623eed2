"""Where things live by default: the user's store and settings file, the bundled demo store.

Defaults only: what the user configured is read by `settings.py` (the app) and
`hub/settings.py` (the hub), never here.
"""

from __future__ import annotations

from pathlib import Path

APP_NAME = "tipline-tui"
# Named here, not in the settings modules, so `tipline --help` can name them without
# importing pydantic.
DB_ENV = "TIPLINE_DB"  # the analyst's store file
HUB_DB_ENV = "TIPLINE_HUB_DB"  # the hub's database URL
CONFIG_ENV = "TIPLINE_CONFIG"  # the settings file
GEOIP_ENV = "TIPLINE_GEOIP"  # the IP geolocation database (geoip.py)


def default_store_path() -> Path:
    """The store `tipline` opens when none is configured: store.sqlite in the user data dir."""
    import platformdirs  # ~20 ms: only where a default path is asked for

    return Path(platformdirs.user_data_dir(APP_NAME)) / "store.sqlite"


def default_log_path() -> Path:
    """Where failures go: the user's log directory (~/.local/state/tipline-tui/log on Linux)."""
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME)) / "tipline.log"


def default_settings_path() -> Path:
    """The settings file when TIPLINE_CONFIG names none: settings.toml in the config dir."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "settings.toml"


def bundled_demo_store() -> Path:
    """The synthetic demo store shipped with the package (or beside the source tree)."""
    packaged = Path(__file__).parent / "demo" / "demo_db.sqlite"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "demo_db.sqlite"
