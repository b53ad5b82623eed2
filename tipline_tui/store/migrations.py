"""Schema versions of the local store and the steps between them.

The version lives in SQLite's `user_version`; `application_id` marks the
file as ours so a stray SQLite file is refused instead of being altered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import Connection

from tipline_tui.store import tables
from tipline_tui.store.identity import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    StoreError,
    StoreTooNewError,
    is_new_store,
)
from tipline_tui.store.tables import table_of

Migration = Callable[[Connection], None]


def _add_quarantine(conn: Connection) -> None:
    """v2: documents that failed intake are kept, with their reasons, not dropped."""
    table_of(tables.QuarantineRow).create(conn)


def _add_related_index(conn: Connection) -> None:
    """v3: canonical keys, fuzzy values, trigrams and pair marks; filled for stored tips."""
    from tipline_tui.store.related_index import backfill

    for model in (
        tables.IdentifierKeyRow,
        tables.FuzzyValueRow,
        tables.FuzzyOccurrenceRow,
        tables.TrigramRow,
        tables.PairMarkRow,
    ):
        table_of(model).create(conn)
    backfill(conn)


_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)


def _protect_audit(conn: Connection) -> None:
    """Refuse updates and deletes of audit rows inside SQLite itself.

    Anyone with the file can drop the triggers; the hash chain is what
    detects that (`tipline audit verify`).
    """
    for statement in _APPEND_ONLY:
        conn.exec_driver_sql(statement)


def _add_actions(conn: Connection) -> None:
    """v4: outbox, referrals, the audit log, and two analyst columns on report."""
    conn.exec_driver_sql("ALTER TABLE report ADD COLUMN jurisdiction_outcome VARCHAR")
    conn.exec_driver_sql("ALTER TABLE report ADD COLUMN claimed_at INTEGER")
    for model in (tables.OutboxRow, tables.ReferralRow, tables.AuditRow):
        table_of(model).create(conn)
    _protect_audit(conn)


def _rekey_names(conn: Connection) -> None:
    """v5: handles scoped to their service, and more leet readings: names get new keys."""
    from tipline_tui.store.related_index import rebuild_keys

    rebuild_keys(conn, ("screen_name", "display_name"))


def _identify_notes(conn: Connection) -> None:
    """v6: a note is known by the action that wrote it and by its hub id, not by its text.

    A note still in (or answered from) the outbox gets that action's id, so
    when the hub's copy is pulled it matches this note and no other.
    """
    conn.exec_driver_sql("ALTER TABLE note ADD COLUMN action_id VARCHAR")
    conn.exec_driver_sql("ALTER TABLE note ADD COLUMN hub_id INTEGER")
    for index in table_of(tables.NoteRow).indexes:
        if {column.name for column in index.columns} & {"action_id", "hub_id"}:
            index.create(conn)
    sent = conn.exec_driver_sql(
        "SELECT action_id, report_id, analyst, created_at, json_extract(payload, '$.body') "
        "FROM outbox WHERE kind = 'note' ORDER BY id"
    ).all()
    for action_id, report_id, analyst, created_at, body in sent:
        conn.exec_driver_sql(
            "UPDATE note SET action_id = ? WHERE id = (SELECT min(id) FROM note WHERE "
            "action_id IS NULL AND report_id = ? AND author = ? AND created_at = ? AND body = ?)",
            (action_id, report_id, analyst, created_at, body),
        )


def _add_jurisdiction_place(conn: Connection) -> None:
    """v7: the place a tip's signals point to, kept beside the outcome for the queue.

    Intake fills it; tips stored before are left without (the queue says "suggested"
    for them): working it out again reads every report, minutes for a large store.
    """
    columns = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(report)")}
    if "jurisdiction_place" not in columns:
        conn.exec_driver_sql("ALTER TABLE report ADD COLUMN jurisdiction_place VARCHAR")


def _rekey_people_phones_networks(conn: Connection) -> None:
    """v8: people's full names with birth dates, networks in time, names in other scripts
    and one-slip screen names: new identifier rows and keys (phones: v9, which follows)."""
    from tipline_tui.domain.name_keys import SCREEN  # here: opening a store needs no rapidfuzz
    from tipline_tui.store.related_index import (
        add_full_names,
        add_near_network_keys,
        add_slip_variants,
        rebuild_keys,
    )

    add_full_names(conn)
    rebuild_keys(conn, ("full_name",))
    add_near_network_keys(conn)
    # Only names in other scripts get new keys; the digit-less stem of a screen name weighs less.
    rebuild_keys(conn, ("screen_name", "display_name"), only="i.raw GLOB '*[^ -~]*'")
    conn.exec_driver_sql(
        "UPDATE identifier_key SET strength = ? WHERE key_type = 'stem' AND kind = 'screen_name'",
        (SCREEN[3],),
    )
    add_slip_variants(conn)


def _rekey_phones(conn: Connection) -> None:
    """v9: phones read with their own calling code, international prefixes, the report's
    other country signals (its other phones too), then the reporting ESP's country."""
    from tipline_tui.store.related_index import rebuild_keys

    rebuild_keys(conn, ("phone",))


# MIGRATIONS[n] takes a store from version n-1 to n. Version 1 is the baseline.
MIGRATIONS: dict[int, Migration] = {
    2: _add_quarantine,
    3: _add_related_index,
    4: _add_actions,
    5: _rekey_names,
    6: _identify_notes,
    7: _add_jurisdiction_place,
    8: _rekey_people_phones_networks,
    9: _rekey_phones,
}

# What the steps that re-key the related-report index do, and the seconds each took per
# 100,000 tips (measured on a large generated store, README "Related reports"): what the
# user is told before an upgrade. The other steps take moments; the two oldest re-keying
# steps (3 and 5) were not measured, so an upgrade from before them says only "minutes".
_REKEYS = {3: "names", 5: "names", 8: "names, networks", 9: "phones"}
_SECONDS_PER_100K = {8: 20.0, 9: 5.0}


def upgrade_notice(old: int, new: int) -> str:
    """What opening a store at schema `old` does before it can be used, and for how long."""
    steps = range(old + 1, new + 1)
    notice = f"upgrading the store from schema {old} to {new}"
    what = list(dict.fromkeys(w for s in steps if s in _REKEYS for w in _REKEYS[s].split(", ")))
    if not what:
        return f"{notice}; this takes a moment"
    notice = f"{notice} for related-report keys ({', '.join(what)}); this takes "
    if any(s in _REKEYS and s not in _SECONDS_PER_100K for s in steps):
        notice += "some minutes per 1,000,000 tips"
    else:
        seconds = sum(_SECONDS_PER_100K.get(s, 0.0) for s in steps)
        notice += f"about {seconds:.0f} s per 100,000 tips"
    return f"{notice}, once, and is safe to interrupt (it starts over)"


def _pragma(conn: Connection, name: str) -> int:
    return int(conn.exec_driver_sql(f"PRAGMA {name}").scalar_one())


def _has_tables(conn: Connection) -> bool:
    row = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
    return row.scalar_one() > 0


def create_schema(conn: Connection) -> None:
    tables.metadata.create_all(conn)
    _protect_audit(conn)
    conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


def ensure_schema(
    conn: Connection,
    where: str,
    *,
    target: int = SCHEMA_VERSION,
    migrations: Mapping[int, Migration] = MIGRATIONS,
    on_migrate: Callable[[int, int], None] | None = None,
) -> int:
    """Create, accept or migrate the schema inside the caller's transaction.

    Returns the version the store was at before. Raises StoreError for a
    store that is newer than `target` or is not a tipline store at all.
    `on_migrate(old, new)` is called before migrating, so a user can be told
    why a large store takes a while to open.
    """
    version = _pragma(conn, "user_version")
    app_id = _pragma(conn, "application_id")
    if is_new_store(where, version, app_id, has_tables=_has_tables(conn), target=target):
        create_schema(conn)
        return 0
    if version < target and on_migrate is not None:
        on_migrate(version, target)
    for step in range(version + 1, target + 1):
        migrations[step](conn)
        conn.exec_driver_sql(f"PRAGMA user_version = {step}")
    return version


__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "StoreError",
    "StoreTooNewError",
    "create_schema",
    "ensure_schema",
    "is_new_store",
    "upgrade_notice",
]
