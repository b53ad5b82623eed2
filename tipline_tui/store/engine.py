"""Opening the store: file permissions, SQLite pragmas, transactions, async access.

Every function in the store layer takes a SQLAlchemy `Connection`, so the
same code runs from the CLI (sync) and from the TUI (aiosqlite, via
`run_sync`) without two implementations.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tipline_tui.store.migrations import StoreError, StoreTooNewError, ensure_schema
from tipline_tui.store.problems import storage_problem

__all__ = [
    "Store",
    "StoreError",
    "StoreTooNewError",
    "create_private_file",
    "install_sqlite_pragmas",
    "open_store",
]

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000


def install_sqlite_pragmas(
    engine: Engine, *, write_option: str = "tipline_write", busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> None:
    """WAL, foreign keys, busy timeout; and real BEGIN statements.

    pysqlite's own transaction handling is switched off (isolation_level None)
    so SQLAlchemy's begin emits BEGIN, or BEGIN IMMEDIATE for a connection
    with the execution option `write_option`, which takes the write lock up
    front and avoids a failed lock upgrade mid-write. The hub's SQLite
    database uses the same set-up with its own option and timeout.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(write_option, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_private_file(path: Path) -> None:
    """Create `path` empty, readable by its owner only, before SQLite opens it (it holds tips)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


class Store:
    """An open local store."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._async_engine: AsyncEngine | None = None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(tipline_write=True)
            with conn.begin():
                yield conn

    @property
    def async_engine(self) -> AsyncEngine:
        if self._async_engine is None:
            self._async_engine = create_async_engine(f"sqlite+aiosqlite:///{self.path}")
            install_sqlite_pragmas(self._async_engine.sync_engine)
        return self._async_engine

    async def run_read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` in a read transaction without blocking the event loop."""
        async with self.async_engine.connect() as conn, conn.begin():
            return await conn.run_sync(fn, *args)

    async def run_write(self, fn: Callable[..., T], *args: Any) -> T:
        async with self.async_engine.connect() as conn:
            conn = await conn.execution_options(tipline_write=True)
            async with conn.begin():
                return await conn.run_sync(fn, *args)

    def close(self) -> None:
        self.engine.dispose()

    async def aclose(self) -> None:
        if self._async_engine is not None:
            await self._async_engine.dispose()
        self.engine.dispose()


def open_store(
    path: Path | str,
    *,
    create: bool = True,
    on_migrate: Callable[[int, int], None] | None = None,
) -> Store:
    """Open (creating or migrating if needed) the store at `path`.

    Raises StoreError with a message meant for the user. `on_migrate(old, new)`
    hears of a migration before it runs (re-keying a large store takes minutes).
    """
    path = Path(path).expanduser()
    if not path.exists():
        if not create:
            raise StoreError(f"no store at {path}")
        create_private_file(path)
    elif path.is_dir():
        raise StoreError(f"{path} is a directory, not a store file")
    engine = create_engine(f"sqlite:///{path}")
    install_sqlite_pragmas(engine)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(tipline_write=True)
            with conn.begin():
                ensure_schema(conn, str(path), on_migrate=on_migrate)
    except StoreError:
        engine.dispose()
        raise
    except (DatabaseError, OperationalError, sqlite3.DatabaseError) as exc:
        engine.dispose()
        reason = storage_problem(exc) or str(getattr(exc, "orig", exc))
        raise StoreError(f"cannot open store {path}: {reason}") from None
    return Store(path, engine)
