"""A whole store as one file: what a hub hands a brand-new analyst instead of its feed.

The hub writes the copy (`export_snapshot`) from a store it keeps current with
the same `apply_changes` a client runs; the client checks the download
(`check_snapshot`) and copies it into its open store (`install_snapshot`).
Both copies use SQLite's backup API, page by page, so the result is exactly
a store that pulled the feed up to the snapshot's seq: no re-parsing, no
re-indexing. A snapshot carries one meta key, the sync cursor; whatever else
a store keeps in meta is local and never leaves it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path

from tipline_tui.store.engine import Store, create_private_file
from tipline_tui.store.migrations import APPLICATION_ID, SCHEMA_VERSION
from tipline_tui.store.sync_state import CURSOR_KEY

__all__ = [
    "SnapshotError",
    "check_snapshot",
    "export_snapshot",
    "install_snapshot",
    "is_brand_new",
    "remove_with_sidecars",
]

_SIDECARS = ("-journal", "-wal", "-shm")


class SnapshotError(Exception):
    """A downloaded snapshot cannot be used; the message says why (the pull falls back)."""


def remove_with_sidecars(path: Path) -> None:
    for suffix in ("", *_SIDECARS):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def export_snapshot(source: Path, dest: Path) -> int:
    """Copy the store at `source` to a new file `dest` (0600, fsynced); return its cursor.

    One backup step reads the source in one transaction, so the copy is
    consistent while the source keeps being written. Local-only meta is
    dropped; the copy is left in rollback-journal mode so it is one file.
    """
    create_private_file(dest)
    try:
        with (
            contextlib.closing(sqlite3.connect(source)) as src,
            contextlib.closing(sqlite3.connect(dest, isolation_level=None)) as out,
        ):
            src.backup(out)
            out.execute("PRAGMA journal_mode = DELETE")
            out.execute("DELETE FROM meta WHERE key != ?", (CURSOR_KEY,))
            row = out.execute("SELECT value FROM meta WHERE key = ?", (CURSOR_KEY,)).fetchone()
        _fsync(dest)
    except BaseException:
        remove_with_sidecars(dest)
        raise
    return int(row[0]) if row else 0


def _check(conn: sqlite3.Connection, seq: int) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if app_id != APPLICATION_ID or version != SCHEMA_VERSION:
        raise SnapshotError(f"not a schema {SCHEMA_VERSION} store (id {app_id:#x}, v{version})")
    verdict = conn.execute("PRAGMA quick_check").fetchall()
    if verdict != [("ok",)]:
        raise SnapshotError(f"quick_check: {verdict[0][0] if verdict else 'no answer'}")
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (CURSOR_KEY,)).fetchone()
    if row is None or row[0] != str(seq):
        raise SnapshotError(f"its cursor is {row[0] if row else None}, the hub said {seq}")


def check_snapshot(path: Path, seq: int) -> None:
    """Raise SnapshotError unless `path` is a sound store of our schema at cursor `seq`."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            _check(conn, seq)
    except sqlite3.DatabaseError as exc:
        raise SnapshotError(f"unreadable: {exc}") from None


def is_brand_new(store: Store) -> bool:
    """No tips, no outbox, no audit entries, cursor 0: a snapshot would lose nothing."""
    with store.read() as conn:
        used = conn.exec_driver_sql(
            "SELECT EXISTS (SELECT 1 FROM report) OR EXISTS (SELECT 1 FROM outbox) "
            "OR EXISTS (SELECT 1 FROM audit) OR EXISTS (SELECT 1 FROM quarantine) "
            "OR EXISTS (SELECT 1 FROM meta WHERE key = ? AND value != '0')",
            (CURSOR_KEY,),
        ).scalar()
    return not used


STEP_PAGES = 4096  # pages copied per backup step (16 MB at SQLite's default page size)


def _verdict(path: Path, seq: int) -> SnapshotError | None:
    try:
        check_snapshot(path, seq)
    except SnapshotError as exc:
        return exc
    return None


def install_snapshot(store: Store, snapshot: Path, seq: int) -> int:
    """Check `snapshot` (as `check_snapshot`) and copy it into the open `store`; return its tips.

    The store's local meta is written into the snapshot file first, so the
    one backup that replaces the store is the only change it sees: atomic,
    and the store's other connections read the new pages on their next
    transaction. The check reads the file in a second thread while the
    backup copies it; the backup's last step, which commits, waits for the
    verdict, and a bad one rolls the copy back: the store is untouched.
    Raises SnapshotError; blocking, so call it from a worker thread.
    """
    if not is_brand_new(store):  # checked again: the download took a while
        raise SnapshotError("the store is no longer empty")
    with store.read() as conn:
        local = [
            (k, v)
            for k, v in conn.exec_driver_sql("SELECT key, value FROM meta").all()
            if k != CURSOR_KEY
        ]
    try:
        with contextlib.closing(sqlite3.connect(snapshot, isolation_level=None)) as src:
            if local:  # a scratch file: no journal, no fsync
                src.execute("PRAGMA journal_mode = OFF")
                src.execute("PRAGMA synchronous = OFF")
                src.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", local)
            pages = int(src.execute("PRAGMA page_count").fetchone()[0])
            verdict: list[SnapshotError | None] = []
            checker = threading.Thread(target=lambda: verdict.append(_verdict(snapshot, seq)))
            checker.start()

            def hold_the_commit(_status: int, remaining: int, _total: int) -> None:
                if remaining <= STEP_PAGES:  # the next step is the last: it commits
                    checker.join()
                    if verdict[0] is not None:
                        raise verdict[0]  # the backup is abandoned and rolled back

            try:
                if pages <= STEP_PAGES:  # one step copies it all: no overlap to be had
                    hold_the_commit(0, 0, pages)
                tips = int(src.execute("SELECT count(*) FROM report").fetchone()[0])
                with contextlib.closing(sqlite3.connect(store.path, timeout=30)) as dest:
                    dest.execute("PRAGMA synchronous = NORMAL")  # as the store's connections
                    src.backup(dest, pages=STEP_PAGES, progress=hold_the_commit)
                    # the backup went through the store's WAL: fold it in, give the space back
                    dest.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                checker.join()
    except sqlite3.DatabaseError as exc:
        raise SnapshotError(f"unreadable: {exc}") from None
    return tips
