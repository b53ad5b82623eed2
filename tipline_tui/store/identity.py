"""What makes a file a tipline store, and at which schema: read before anything is written.

Apart from the migrations (and SQLAlchemy) so that opening a store already at this
schema, as every command that only reads does, costs no more than sqlite3.
"""

from __future__ import annotations

APPLICATION_ID = 0x54495031  # "TIP1"
SCHEMA_VERSION = 9


class StoreError(Exception):
    """A store cannot be opened or used; the message says why and what to do."""


class StoreTooNewError(StoreError):
    pass


def is_new_store(where: str, version: int, app_id: int, *, has_tables: bool, target: int) -> bool:
    """True for an empty SQLite file (ours to fill); False for a tipline store this tipline
    can open. StoreError for anything else, which must then be left exactly as it is.

    Called before any write (the open path reads these read-only first) and again
    inside the first write transaction.
    """
    if version == 0 and app_id == 0:
        if has_tables:
            raise StoreError(
                f"{where} is an SQLite database but not a tipline store; refusing to change it"
            )
        return True
    if app_id != APPLICATION_ID:
        raise StoreError(
            f"{where} is not a tipline store (application id {app_id:#x}); refusing to change it"
        )
    if version > target:
        raise StoreTooNewError(
            f"{where} was written by a newer tipline (store schema version {version}; "
            f"this tipline understands up to {target}). Upgrade tipline to open it; "
            "the store was left untouched."
        )
    return False
