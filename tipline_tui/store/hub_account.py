"""What the hub says of the account this store syncs as: its role, kept in store meta.

The hub enforces every rule with the account's real role; the store applies the same rule
first, so it must know that role too, or it refuses locally what the hub would allow (a
supervisor acting on a tip another analyst claimed). The hub sends the role with each page
of the feed; a role the store does not know is ignored, so a newer hub cannot widen it.
"""

from __future__ import annotations

from sqlalchemy import Connection

from tipline_tui.domain.transitions import ROLES
from tipline_tui.store.directory import read_meta, write_meta

HUB_ROLE_KEY = "hub_role"


def hub_role(conn: Connection) -> str | None:
    """The role the hub last gave this store's account; None before the first sync."""
    role = read_meta(conn).get(HUB_ROLE_KEY)
    return role if role in ROLES else None


def remember_hub_role(conn: Connection, role: str) -> None:
    """Keep the hub's word on this account's role (unknown roles are not kept)."""
    if role in ROLES and hub_role(conn) != role:
        write_meta(conn, {HUB_ROLE_KEY: role})
