"""Opening the store: file permissions, SQLite pragmas, transactions, async access.

Every function in the store layer takes a SQLAlchemy `Connection`, so the
same code runs from the CLI (sync) and from the TUI (aiosqlite, via
`run_sync`) without two implementations. Readers written as SQL
(`store/sql_rows.py`) also take a plain `sqlite3` connection (`Store.plain_read`):
importing SQLAlchemy alone costs more than a command that only reads may take,
so a store at the current schema is opened without it and the engine is made
when first used.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tipline_tui.config import bundled_demo_store
from tipline_tui.store.identity import (
    SCHEMA_VERSION,
    StoreError,
    StoreTooNewError,
    is_new_store,
)
from tipline_tui.store.problems import storage_problem

if TYPE_CHECKING:  # the async engine (asyncio, aiosqlite) is the app's: commands read in sync
    from sqlalchemy import Connection, Engine
    from sqlalchemy.ext.asyncio import AsyncEngine

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
    engine: Engine,
    *,
    write_option: str = "tipline_write",
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    read_only: bool = False,
) -> None:
    """WAL, foreign keys, busy timeout; and real BEGIN statements.

    Switching to WAL writes the file, so install this only on a file already
    known to be ours (open_store checks first). `read_only` leaves the journal
    mode alone and makes the connection query-only.

    pysqlite's own transaction handling is switched off (isolation_level None)
    so SQLAlchemy's begin emits BEGIN, or BEGIN IMMEDIATE for a connection
    with the execution option `write_option`, which takes the write lock up
    front and avoids a failed lock upgrade mid-write. The hub's SQLite
    database uses the same set-up with its own option and timeout.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        else:
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
    """An open local store.

    `engine` is made on first use: a store opened at the current schema and only
    read through `plain_read` never imports SQLAlchemy.
    """

    def __init__(
        self,
        path: Path,
        engine: Engine | None = None,
        *,
        read_only: bool = False,
        sqlite_uri: str | None = None,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self._sqlite_uri = sqlite_uri  # the bundled demo store: read-only and immutable
        self._engine = engine
        self._async_engine: AsyncEngine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = _make_engine(self.path, self._sqlite_uri)
        return self._engine

    @contextmanager
    def plain_read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on a bare sqlite3 connection (no writes possible), for the
        readers written as SQL; a consistent snapshot until the block ends."""
        if self._sqlite_uri is not None:
            db = sqlite3.connect(self._sqlite_uri, uri=True, isolation_level=None)
        else:
            db = sqlite3.connect(self.path, isolation_level=None)
        with closing(db):
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA query_only = ON")
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("ROLLBACK")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        self._refuse_if_read_only()
        with self.engine.connect() as conn:
            conn = conn.execution_options(tipline_write=True)
            with conn.begin():
                yield conn

    @property
    def async_engine(self) -> AsyncEngine:
        self._refuse_if_read_only()  # the async engine would open the file writable
        if self._async_engine is None:
            from sqlalchemy.ext.asyncio import create_async_engine

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

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.path} is open read-only; nothing can be written to it")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    async def aclose(self) -> None:
        if self._async_engine is not None:
            await self._async_engine.dispose()
        self.close()


def _make_engine(path: Path, sqlite_uri: str | None) -> Engine:
    from sqlalchemy import URL, create_engine

    if sqlite_uri is not None:
        engine = create_engine(URL.create("sqlite", database=sqlite_uri, query={"uri": "true"}))
        install_sqlite_pragmas(engine, read_only=True)
        return engine
    engine = create_engine(URL.create("sqlite", database=str(path)))
    install_sqlite_pragmas(engine)
    return engine


def open_store(
    path: Path | str,
    *,
    create: bool = True,
    make_dirs: bool = False,
    only_reads: bool = False,
    on_migrate: Callable[[int, int], None] | None = None,
) -> Store:
    """Open (creating or migrating if needed) the store at `path`; change nothing else.

    An existing file is checked read-only first (SQLite at all, our application
    id, a version we understand), so another application's database is refused
    before anything, WAL included, is written to it. `create`: a missing file
    becomes a new store, in an existing directory unless `make_dirs`. The bundled
    demo store is never written: refused, or opened immutable when the caller
    `only_reads`. Raises StoreError with a message meant for the user.
    `on_migrate(old, new)` hears of a migration before it runs (re-keying a large
    store takes minutes).
    """
    path = Path(path).expanduser()
    if _is_bundled_demo(path):
        return _open_bundled_demo(path, only_reads=only_reads)
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a store file")
    if path.exists():
        version, app_id, has_tables = _read_identity(path)
        is_new_store(str(path), version, app_id, has_tables=has_tables, target=SCHEMA_VERSION)
        if version == SCHEMA_VERSION:
            _check_openable(path, only_reads=only_reads)
            return Store(path)
    else:
        _create_store_file(path, create=create, make_dirs=make_dirs)
    return _create_or_migrate(path, on_migrate)


def _check_openable(path: Path, *, only_reads: bool) -> None:
    """Fail now, with the reason, if the store cannot be used as the engine will use it:
    a writer switches it to WAL (a read-only file or full disk says so here)."""
    try:
        with closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if only_reads:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                db.execute("PRAGMA journal_mode = WAL").fetchone()
    except sqlite3.DatabaseError as exc:
        reason = storage_problem(exc) or str(exc)
        raise StoreError(f"cannot open store {path}: {reason}") from None


def _create_or_migrate(path: Path, on_migrate: Callable[[int, int], None] | None) -> Store:
    """A new store's schema, or the steps from an older one, inside one write transaction."""
    from sqlalchemy.exc import DatabaseError, OperationalError

    from tipline_tui.store.migrations import ensure_schema

    engine = _make_engine(path, None)
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


def _create_store_file(path: Path, *, create: bool, make_dirs: bool) -> None:
    """A new, empty, private store file; a missing directory is a mistyped path unless
    the caller asked for it (`make_dirs`)."""
    if not create:
        raise StoreError(f"no store at {path}")
    if not make_dirs and not path.parent.is_dir():
        raise StoreError(
            f"no directory {path.parent} for a new store {path}; create the directory first"
        )
    try:
        create_private_file(path)
    except OSError as exc:
        raise StoreError(f"cannot create store {path}: {exc.strerror or exc}") from None


def _read_only_uri(path: Path, *, immutable: bool) -> str:
    """A read-only SQLite URI; `immutable` also means no lock, journal, -wal or -shm file."""
    return f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")


def _read_identity(path: Path) -> tuple[int, int, bool]:
    """user_version, application_id and whether it has tables, without writing anything.

    Opened immutable (no sidecar files made) unless a -wal or -journal beside it
    means the file alone may not hold the last commit; then read-only.
    """
    pending = any(Path(f"{path}{tail}").exists() for tail in ("-wal", "-journal"))
    try:
        with closing(sqlite3.connect(_read_only_uri(path, immutable=not pending), uri=True)) as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
            return int(version), int(app_id), tables.fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open store {path}: {exc}; refusing to change it") from None


def _is_bundled_demo(path: Path) -> bool:
    demo = bundled_demo_store()
    try:
        return path.is_file() and demo.is_file() and path.samefile(demo)
    except OSError:
        return False


def _open_bundled_demo(path: Path, *, only_reads: bool) -> Store:
    """The shipped demo store, read-only and immutable: reading it leaves no trace."""
    if not only_reads:
        raise StoreError(
            f"{path} is the bundled demo store, which tipline never changes: "
            "`tipline demo` opens a temporary copy, or copy the file and open the copy"
        )
    version, app_id, has_tables = _read_identity(path)
    is_new_store(str(path), version, app_id, has_tables=has_tables, target=SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise StoreError(
            f"the bundled demo store {path} is at schema {version}, this tipline needs "
            f"{SCHEMA_VERSION}; reinstall tipline-tui"
        )
    return Store(path, read_only=True, sqlite_uri=_read_only_uri(path, immutable=True))
