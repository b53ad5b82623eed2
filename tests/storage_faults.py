"""A store that cannot be written, without root: full, read-only or damaged, as SQLite says it.

`StorageFaults.fill(path)` makes every transaction on that file (from any
engine, the CLI's own too) run with `PRAGMA max_page_count` at its current
size: a write that needs one more page fails with SQLITE_FULL, "database or
disk is full", as on a real full disk. `read_only(path)` sets `query_only`,
so a write fails with SQLITE_READONLY (chmod does not stop root, who runs CI).
`clear()` lifts both from the next transaction on.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import OperationalError

from tipline_tui.store import Store
from tipline_tui.store import actions as store_actions

NO_LIMIT = 1_073_741_823  # SQLite's largest max_page_count


class StorageFaults:
    """Which store files are full or read-only now; applied as each transaction begins."""

    def __init__(self) -> None:
        self.full: set[Path] = set()
        self.read_only_files: set[Path] = set()
        self.touched: set[Path] = set()  # files limited once: lifted again by `clear`

    def fill(self, path: Path) -> None:
        self.full.add(path.resolve())

    def read_only(self, path: Path) -> None:
        self.read_only_files.add(path.resolve())

    def clear(self) -> None:
        self.full.clear()
        self.read_only_files.clear()

    def on_begin(self, conn: Connection) -> None:
        database = conn.engine.url.database
        if conn.engine.dialect.name != "sqlite" or not database:
            return
        path = Path(database).resolve()
        if path not in self.full | self.read_only_files | self.touched:
            return  # another file (the hub's): left alone
        self.touched.add(path)
        if path in self.full:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
            conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
        else:
            conn.exec_driver_sql(f"PRAGMA max_page_count = {NO_LIMIT}")
        only = "ON" if path in self.read_only_files else "OFF"
        conn.exec_driver_sql(f"PRAGMA query_only = {only}")


@contextmanager
def storage_faults_installed() -> Iterator[StorageFaults]:
    """Faults for every engine while inside (the `storage_faults` fixture)."""
    faults = StorageFaults()
    event.listen(Engine, "begin", faults.on_begin)
    try:
        yield faults
    finally:
        event.remove(Engine, "begin", faults.on_begin)


def fill_up(store: Store, report_id: int, *, analyst: str, now: int) -> str | None:
    """Claim and release `report_id` until the (full) store takes no more; who holds it then.

    The write that failed last is the one `c` on that tip makes next, with the same
    sizes (it was rolled back), so that keypress fails for certain on the same full page.
    """
    for _ in range(10_000):
        for act in (store_actions.claim, store_actions.release):
            try:
                with store.write() as conn:
                    act(conn, report_id, analyst=analyst, now=now)
            except OperationalError as exc:
                assert "full" in str(exc.orig), exc
                return analyst if act is store_actions.release else None
    raise AssertionError("the store never filled up: is the page limit set?")


def damage(source: Path, target: Path, table: str = "report") -> Path:
    """A copy of `source` whose `table` has garbage in its first page, as a failing disk
    leaves it (the schema page stays readable, so the store still opens)."""
    shutil.copyfile(source, target)
    with sqlite3.connect(target) as raw:
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        query = "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?"
        root = raw.execute(query, (table,)).fetchone()[0]
    raw.close()
    with target.open("r+b") as out:
        out.seek((root - 1) * page_size)
        out.write(b"\xa5" * page_size)
    return target
