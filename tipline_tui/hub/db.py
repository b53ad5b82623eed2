"""Opening the hub's database and the one rule that makes the change feed safe.

The rule: `change.seq` values are assigned in commit order, so once a client has seen
seq N no transaction can later commit a row with a seq below N, and
`GET /v1/changes?since=N` never misses a row.

SQLite: every write is BEGIN IMMEDIATE (one writer at a time), which gives the rule.
PostgreSQL: writes run side by side. Only the feed needs an order, so only a feed append
takes the one global lock (a transaction-scoped advisory lock, in the same statement
as the INSERT that draws the seq), and it is held from there to the commit. A writer
appends its changes last, so the lock covers that one statement and the COMMIT. Writes
that add no change (ESP submit, upload, fileinfo) never take it; what they must not do
at once (two claims of one tip, two fileinfos of one file) is kept apart by row locks
(SELECT ... FOR UPDATE, an UPDATE) on the rows concerned. Proof of the rule: a seq is
drawn only under the lock and the lock is released only by that transaction's end, so
seq order is commit order; a row a reader sees has every smaller seq already committed
or rolled back (a gap, never a late arrival).

Containment on PostgreSQL: one hub process frozen mid-write (a hung VM, SIGSTOP, a
half-open partition) must not stall every host. Every session ends a transaction left
idle for WRITE_IDLE_LIMIT (the server rolls it back and frees its locks), waits at most
WRITE_LOCK_WAIT for any lock, has a statement timeout and TCP keepalives, so a dead
peer is noticed in seconds, not hours. They are session settings (connect options):
setting them per transaction would cost a round trip each.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Engine, bindparam, create_engine, event, exc, insert, text
from sqlalchemy.engine import make_url

from tipline_tui.domain.limits import CHANGE_BYTES, wire_bytes
from tipline_tui.hub.tables import Change, hub_metadata, table_of
from tipline_tui.store.engine import create_private_file, install_sqlite_pragmas

__all__ = ["ChangeTooLarge", "HubDB", "HubError", "append_change", "open_hub"]

BUSY_TIMEOUT_MS = 10_000
# uvicorn runs sync routes on up to 40 threads: enough connections that reads never queue long
POOL_SIZE = 10
POOL_OVERFLOW = 30
WRITE_LOCK_KEY = 0x7469706C696E65  # "tipline": the advisory lock every feed append takes
WRITE_IDLE_LIMIT_MS = 3_000  # a session idle this long in a transaction (frozen) is ended
WRITE_LOCK_WAIT_MS = 5_000  # a writer waits this long for any lock, then the call fails
STATEMENT_LIMIT_MS = 60_000
PING_AFTER_IDLE_SECONDS = 10.0  # a pooled connection unused this long is checked before use
PG_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 5,
    # a peer that stops answering is dropped after about 10 + 3 x 5 s
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 25_000,
    "options": (
        f"-c statement_timeout={STATEMENT_LIMIT_MS} -c lock_timeout={WRITE_LOCK_WAIT_MS} "
        f"-c idle_in_transaction_session_timeout={WRITE_IDLE_LIMIT_MS}"
    ),
}
_change = table_of(Change)
# built once: executed with parameters, it skips SQL building
_APPEND = insert(_change).returning(_change.c.seq)
# PostgreSQL: the lock is taken by the function scan that yields the one row, so before the
# seq default is drawn for it, and held to the end of the transaction (tests/test_hub_feed_lock)
_APPEND_UNDER_LOCK = text(
    "INSERT INTO change (kind, entity_id, at, payload) "
    "SELECT CAST(:kind AS VARCHAR), CAST(:entity_id AS INTEGER), CAST(:at AS INTEGER), "
    f"CAST(:payload AS JSON) FROM pg_advisory_xact_lock({WRITE_LOCK_KEY}) RETURNING seq"
).bindparams(bindparam("payload", type_=JSON(none_as_null=True)))


class HubError(Exception):
    """A problem opening the hub's database, worded for the operator."""


class ChangeTooLarge(HubError):
    """A feed change over CHANGE_BYTES: the write is rolled back, the feed stays usable."""


class HubDB:
    """An open hub database: writes, plain reads, and the hub's clock."""

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
        """A write transaction, committed on success.

        SQLite: serialised with every other writer. PostgreSQL: concurrent with other
        writers; a feed append (append_change) serialises from there to the commit.
        """
        with self._local_writers, self.engine.connect() as conn:
            conn = conn.execution_options(hub_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (a consistent snapshot on SQLite WAL)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def single(self) -> Iterator[Connection]:
        """A connection for one read statement: on PostgreSQL outside any transaction
        (autocommit), so no BEGIN and COMMIT round trips; on SQLite a read transaction."""
        if self.dialect != "postgresql":
            with self.read() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")

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
        engine = create_engine(parsed, connect_args=PG_CONNECT_ARGS, **pool)
        _ping_when_idle(engine)
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

    On PostgreSQL this takes the feed's global lock, held until the transaction ends:
    append last, once the rest of the transaction's work is done.

    A change over CHANGE_BYTES would wedge every client (a page holds at least one
    change), so it is refused here, whoever wrote it; intake limits keep it from happening.
    """
    size = wire_bytes(payload)
    if size > CHANGE_BYTES.value:
        raise ChangeTooLarge(f"{kind} {entity_id}: {CHANGE_BYTES.crossed(size)}")
    values = {"kind": kind, "entity_id": entity_id, "at": at, "payload": payload}
    if conn.dialect.name == "postgresql":
        return int(conn.execute(_APPEND_UNDER_LOCK, values).scalar_one())
    return int(conn.execute(_APPEND, values).scalar_one())


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only if it sat unused a while.

    pool_pre_ping checks on every checkout: a round trip on every call. A connection in
    steady use has just proved itself; one idle past PING_AFTER_IDLE_SECONDS may have
    been dropped (a database restart, a failover), so it is checked and, if dead,
    replaced before the call uses it.
    """

    @event.listens_for(engine, "checkin")
    def _stamp(_dbapi_conn: Any, record: Any) -> None:
        record.info["hub_used_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        used_at = record.info.get("hub_used_at")
        if used_at is None or time.monotonic() - used_at < PING_AFTER_IDLE_SECONDS:
            return
        try:
            with dbapi_conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as error:  # the pool retries with a fresh connection
            raise exc.DisconnectionError(str(error)) from None
