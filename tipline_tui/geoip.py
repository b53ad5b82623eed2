"""Optional IP geolocation from a MaxMind-format database (.mmdb) the operator provides.

The database is never downloaded or bundled: an operator points `TIPLINE_GEOIP` (or
`geoip` in the settings file) at a GeoLite2/GeoIP2 City or Country file (or any .mmdb
with the same record shape); `settings.AppSettings.geoip` carries the path.
Unset, or naming a file that is not there, means no IP geolocation, which is not an
error: IP addresses simply give no jurisdiction signal. A file that is there but
cannot be read is an error, so a broken configuration is never silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tipline_tui.config import GEOIP_ENV
from tipline_tui.domain.jurisdiction import GeoIp, Place

__all__ = ["GEOIP_ENV", "GeoIpError", "open_geoip"]


class GeoIpError(Exception):
    """The configured database exists but cannot be used."""


def _place(record: Any) -> Place | None:
    """Country (and for the US the first subdivision) of a GeoIP2-shaped record."""
    if not isinstance(record, dict):
        return None
    country = None
    for key in ("country", "registered_country"):
        value = record.get(key)
        if isinstance(value, dict) and isinstance(value.get("iso_code"), str):
            country = value["iso_code"].upper()
            break
    if not country or len(country) != 2:
        return None
    state = None
    subdivisions = record.get("subdivisions")
    if country == "US" and isinstance(subdivisions, list) and subdivisions:
        first = subdivisions[0]
        if isinstance(first, dict) and isinstance(first.get("iso_code"), str):
            state = first["iso_code"].upper()
    return Place(country, state)


def open_geoip(path: Path | None) -> GeoIp | None:
    """A lookup function over the database at `path`; None when there is none.

    Raises GeoIpError, with the path and the reason, for a file that cannot be read
    or is not a MaxMind DB.
    """
    if path is None or not path.exists():
        return None
    import maxminddb

    try:
        reader = maxminddb.open_database(str(path))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise GeoIpError(
            f"cannot read the IP geolocation database {path} (${GEOIP_ENV}): {exc}"
        ) from exc

    def lookup(ip: str) -> Place | None:
        try:
            record = reader.get(ip)
        except (ValueError, maxminddb.InvalidDatabaseError):
            # not an address, or IPv6 in an IPv4-only database
            return None
        return _place(record)

    return lookup
