"""IP keys: the address and its /24 or /64 network, weaker for addresses many people share."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

from tipline_tui.domain.key import SCOPE_MARK, Key, nfkc

IP_STRENGTH = 0.7
NET_STRENGTH = 0.15
LOCAL_IP_STRENGTH = 0.2
LOCAL_NET_STRENGTH = 0.03

# Addresses that many unrelated people share (home routers, carrier NAT, loopback,
# link-local) are weak evidence. Documentation ranges (192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24, 2001:db8::/32) keep normal strength on purpose: no real traffic comes
# from them, and the synthetic data uses nothing else. (Python's `is_private` counts them
# as private, which is why the ranges are listed here instead.)
_LOCAL_V4 = tuple(
    (int(net.network_address), int(net.broadcast_address))
    for net in map(
        ipaddress.IPv4Network,
        (
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "224.0.0.0/3",  # multicast and reserved, up to 255.255.255.255
        ),
    )
)
_LOCAL_V4_FIRST = frozenset(lo >> 24 for lo, _ in _LOCAL_V4)
_LOCAL_V6 = tuple(
    (int(net.network_address), int(net.broadcast_address))
    for net in map(ipaddress.IPv6Network, ("::/127", "fc00::/7", "fe80::/10", "ff00::/8"))
)
_MASK24 = 0xFFFFFF00
_MASK64 = ((1 << 64) - 1) << 64


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse an address, tolerating [brackets], a :port after IPv4, and a %zone."""
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _ipv4_fast(text: str) -> int | None:
    """Dotted-quad IPv4 as an int without building an ipaddress object (most IPs are v4).

    Strict like `ipaddress`: four decimal octets, no leading zeros (which some tools
    read as octal).
    """
    parts = text.split(".")
    if len(parts) != 4:
        return None
    n = 0
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 3:
            return None
        if len(part) > 1 and part[0] == "0":
            return None
        octet = int(part)
        if octet > 255:
            return None
        n = n << 8 | octet
    return n


def ip_keys(raw: str) -> list[Key]:
    """The address and its /24 (IPv4) or /64 (IPv6, one household or host) network."""
    text = nfkc(raw).strip()
    n = _ipv4_fast(text)
    if n is not None:
        value, version = text, 4
    else:
        address = _parse_ip(text)
        if address is None:
            return []
        n, value, version = int(address), address.compressed, address.version
    if version == 4:
        first = n >> 24
        local = (first in _LOCAL_V4_FIRST or first >= 224) and any(
            lo <= n <= hi for lo, hi in _LOCAL_V4
        )
        net = n & _MASK24
        net_key = Key(
            "net24",
            f"{net >> 24}.{net >> 16 & 255}.{net >> 8 & 255}.0/24",
            LOCAL_NET_STRENGTH if local else NET_STRENGTH,
        )
    else:
        local = any(lo <= n <= hi for lo, hi in _LOCAL_V6)
        net_key = Key(
            "net64",
            f"{ipaddress.IPv6Address(n & _MASK64).compressed}/64",
            LOCAL_NET_STRENGTH if local else NET_STRENGTH,
        )
    return [Key("ip", value, LOCAL_IP_STRENGTH if local else IP_STRENGTH), net_key]


# ------------------------------------------------------------------ networks in time

# The same network on the same service within a few days: a household or a phone's
# carrier block, seen again soon. Weak alone (a /64 is a household, a /24 many), but
# enough to show when nothing else in the store shares it, and it lifts other evidence.
NEAR_STRENGTH = 0.3
NEAR_DAYS = 4  # two tips at most NEAR_DAYS / 2 days apart always share a window
_NEAR_TYPES = {"net24": "net24_near", "net64": "net64_near"}


def _day(when: str) -> float | None:
    """Days since the epoch of an ISO 8601 time (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(nfkc(when).strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() / 86_400


def days_apart(first: str, second: str) -> float | None:
    """Days between two ISO 8601 times, None when either cannot be read."""
    a, b = _day(first), _day(second)
    return None if a is None or b is None else abs(a - b)


def near_network_keys(raw: str, service: str, when: str | None) -> list[Key]:
    """The address's network on one service in two staggered windows of NEAR_DAYS days.

    Windows offset by half their width: any two times at most NEAR_DAYS / 2 days apart
    fall in one window of one of the two grids. Local networks get none.
    """
    scope = service.strip().casefold()
    day = _day(when) if when else None
    if not scope or day is None:
        return []
    keys = ip_keys(raw)
    if len(keys) != 2 or keys[1].strength != NET_STRENGTH:
        return []
    net = keys[1]
    half = NEAR_DAYS / 2
    return [
        Key(
            _NEAR_TYPES[net.type],
            f"{net.value}{SCOPE_MARK}{scope}{SCOPE_MARK}{grid}:{cell}",
            NEAR_STRENGTH,
        )
        for grid, cell in ((0, int(day // NEAR_DAYS)), (1, int((day + half) // NEAR_DAYS)))
    ]
