"""Which hub URLs the app will talk to, and the sync errors' base: without httpx, so the
settings can be checked before the queue's first paint (the sync client comes after)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


class SyncError(Exception):
    """A sync problem with a message for the analyst (never containing the token)."""


class SyncConfigError(SyncError):
    pass


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_hub_url(url: str, *, insecure: bool = False) -> str:
    """The URL without a trailing slash; plain http only to loopback unless `insecure`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncConfigError(f"hub URL must be http(s)://host[:port], not {url!r}")
    if parts.username or parts.password:
        raise SyncConfigError("put the hub token in settings, not in the URL")
    if parts.scheme == "http" and not _loopback(parts.hostname) and not insecure:
        raise SyncConfigError(
            f"refusing plain http to {parts.hostname}: use https, or --insecure if you must"
        )
    return url.rstrip("/")
