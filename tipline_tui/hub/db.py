"""Opening the hub's database and the one rule that makes the change feed safe.

Every write runs in a transaction that is serialised across all writers
(SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock taken
first). So `change.seq` values are assigned in commit order: once a client has
seen seq N, no transaction can later commit a row with a seq below N, and
`GET /v1/changes?since=N` never misses a row.

Containment on PostgreSQL: one hub process frozen while it holds that lock (a hung VM,
SIGSTOP, a half-open partition) must not stall every host. Each write transaction gives
up the lock if its session sits idle for WRITE_IDLE_LIMIT (the server ends that session
and rolls it back) and waits at most WRITE_LOCK_WAIT for it; every connection has a
statement timeout and TCP keepalives, so a dead peer is noticed in seconds, not hours.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, insert
from sqlalchemy.engine import make_url

from tipline_tui.domain.limits import CHANGE_BYTES, wire_bytes
from tipline_tui.hub.tables import Change, hub_metadata, table_of
from tipline_tui.store.engine import create_private_file, install_sqlite_pragmas

__all__ = ["ChangeTooLarge", "HubDB", "HubError", "append_change", "open_hub"]

BUSY_TIMEOUT_MS = 10_000
# uvicorn runs sync routes on up to 40 threads: enough connections that reads never queue long
POOL_SIZE = 10
POOL_OVERFLOW = 30
WRITE_LOCK_KEY = 0x7469706C696E65  # "tipline": the advisory lock every PostgreSQL writer takes
WRITE_IDLE_LIMIT_MS = 3_000  # a write's session idle this long (frozen) is ended by the server
WRITE_LOCK_WAIT_MS = 5_000  # a writer waits this long for the lock, then the call fails (503)
STATEMENT_LIMIT_MS = 60_000
PG_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 5,
    # a peer that stops answering is dropped after about 10 + 3 x 5 s
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 25_000,
    "options": f"-c statement_timeout={STATEMENT_LIMIT_MS}",
}
_PG_WRITE_LIMITS = (
    "SELECT set_config('idle_in_transaction_session_timeout', "
    f"'{WRITE_IDLE_LIMIT_MS}', true), set_config('lock_timeout', '{WRITE_LOCK_WAIT_MS}', true)"
)
_change = table_of(Change)
# built once: executed with parameters, it skips SQL building
_APPEND = insert(_change).returning(_change.c.seq)


class HubError(Exception):
    """A problem opening the hub's database, worded for the operator."""


class ChangeTooLarge(HubError):
    """A feed change over CHANGE_BYTES: the write is rolled back, the feed stays usable."""


class HubDB:
    """An open hub database: serialised writes, plain reads, and the hub's clock."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock
        # SQLite's busy handler waits by sleeping (up to 100 ms a try): writers of this
        # process queue on a mutex instead; BEGIN IMMEDIATE still guards other processes
        self._local_writers: AbstractContextManager[Any] = (
            threading.RLock() if self.dialect == "sqlite" else nullcontext()
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def now(self) -> int:
        """Seconds since the epoch, from the injectable clock (tests fix it)."""
        return int(self.clock())

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, serialised with every other writer; committed on success."""
        with self._local_writers, self.engine.connect() as conn:
            conn = conn.execution_options(hub_write=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.exec_driver_sql(_PG_WRITE_LIMITS)  # this transaction only
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (a consistent snapshot on SQLite WAL)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self.engine.dispose()


def open_hub(
    url: str,
    *,
    clock: Callable[[], float] = time.time,
    pool_size: int = POOL_SIZE,
    max_overflow: int = POOL_OVERFLOW,
) -> HubDB:
    """Open (creating the schema if needed) the hub database at `url`.

    `sqlite:///path` or `postgresql+psycopg://user@host:port/db` (plain
    `postgresql://` means psycopg 3 too). Raises HubError for a URL it cannot use.
    The pool holds `pool_size` connections and opens up to `max_overflow` more when
    busy: a process may use their sum (README "Running several hub processes").
    """
    pool: dict[str, Any] = {"pool_size": pool_size, "max_overflow": max_overflow}
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL in it
        raise HubError(f"not a database URL: {exc.__class__.__name__}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise HubError("the hub needs a SQLite file: sqlite:///path/hub.sqlite")
        path = Path(parsed.database).expanduser()
        if path.is_dir():
            raise HubError(f"{path} is a directory, not a database file")
        if not path.exists():
            create_private_file(path)
        engine = create_engine(parsed.set(database=str(path)), **pool)
        install_sqlite_pragmas(engine, write_option="hub_write", busy_timeout_ms=BUSY_TIMEOUT_MS)
    elif backend == "postgresql":
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=PG_CONNECT_ARGS, **pool)
    else:
        raise HubError(f"the hub stores in SQLite or PostgreSQL, not {backend!r}")
    hub_metadata.create_all(engine)
    _add_missing_columns(engine)
    return HubDB(engine, clock=clock)


def _add_missing_columns(engine: Engine) -> None:
    """Columns added to tables a hub database already has (create_all adds only tables)."""
    from sqlalchemy import inspect

    present = {column["name"] for column in inspect(engine).get_columns("hub_file")}
    if "stored_in" not in present:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "ALTER TABLE hub_file ADD COLUMN stored_in VARCHAR NOT NULL DEFAULT 'directory'"
            )


def append_change(
    conn: Connection, kind: str, entity_id: int, payload: dict[str, Any], at: int
) -> int:
    """Append one row to the change feed (inside a `HubDB.write()`); return its seq.

    A change over CHANGE_BYTES would wedge every client (a page holds at least one
    change), so it is refused here, whoever wrote it; intake limits keep it from happening.
    """
    size = wire_bytes(payload)
    if size > CHANGE_BYTES.value:
        raise ChangeTooLarge(f"{kind} {entity_id}: {CHANGE_BYTES.crossed(size)}")
    result = conn.execute(
        _APPEND, {"kind": kind, "entity_id": entity_id, "at": at, "payload": payload}
    )
    return int(result.scalar_one())
