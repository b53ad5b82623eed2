"""Database round trips and global-lock time of one hub process, for bench/hub_fleet.py.

Python imports `sitecustomize` at start-up from the path; bench/hub_fleet.py puts this
directory first on PYTHONPATH of the `tipline hub serve` processes it starts, with
HUB_FLEET_TRACE naming a directory. SQLAlchemy's class-wide events then count, in any hub
code (the code under test and the code it is compared with alike):

- round trips: statements, BEGINs (psycopg sends one before a transaction's first
  statement), COMMITs and ROLLBACKs of transactions that ran a statement (neither on an
  autocommit connection, where SQLAlchemy signals them but sends nothing), and pre-ping
  SELECT 1s (one per pool checkout when the pool pre-pings);
- the global lock: from the reply of the statement that took `pg_advisory_xact_lock`
  (whatever else it did) to the connection's return to the pool right after COMMIT, the
  seconds it was held and the round trips made under it (that statement, every later
  one, and the COMMIT).

Every 0.1 s the totals are written to HUB_FLEET_TRACE/<pid>.json.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

_OUT = os.environ.get("HUB_FLEET_TRACE")
_LOCKED = "hub_fleet_locked_at"
_BUSY = "hub_fleet_busy"


def _install(out: str) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    guard = threading.Lock()
    counts: dict[str, float] = dict.fromkeys(
        ("statements", "begins", "ends", "pings", "locks", "locked_round_trips", "locked_seconds"),
        0,
    )

    def add(key: str, value: float = 1) -> None:
        with guard:
            counts[key] += value

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn: Any, *_args: Any) -> None:
        add("statements")
        conn.info[_BUSY] = True
        if _LOCKED in conn.info:
            add("locked_round_trips")

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "pg_advisory_xact_lock" in statement and _LOCKED not in conn.info:
            conn.info[_LOCKED] = time.perf_counter()
            add("locks")
            add("locked_round_trips")  # its reply came back under the lock

    def _autocommit(conn: Any) -> bool:
        """No BEGIN or COMMIT goes to the server: SQLAlchemy's events fire all the same."""
        return conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"

    @event.listens_for(Engine, "begin")
    def _begin(conn: Any) -> None:
        if not _autocommit(conn):
            add("begins")

    def _end(conn: Any) -> None:
        if conn.info.pop(_BUSY, False) and not _autocommit(conn):
            add("ends")
            if _LOCKED in conn.info:
                add("locked_round_trips")

    event.listen(Engine, "commit", _end)
    event.listen(Engine, "rollback", _end)

    @event.listens_for(Pool, "checkout")
    def _checkout(_dbapi: Any, _record: Any, proxy: Any) -> None:
        if getattr(getattr(proxy, "_pool", None), "_pre_ping", False):
            add("pings")

    @event.listens_for(Pool, "checkin")
    def _checkin(_dbapi: Any, record: Any) -> None:
        if record is None:
            return
        record.info.pop(_BUSY, None)
        taken = record.info.pop(_LOCKED, None)
        if taken is not None:
            add("locked_seconds", time.perf_counter() - taken)

    def dump() -> None:
        path = os.path.join(out, f"{os.getpid()}.json")
        while True:
            with guard:
                text = json.dumps(counts)
            with open(path + ".tmp", "w") as handle:
                handle.write(text)
            os.replace(path + ".tmp", path)
            time.sleep(0.1)

    threading.Thread(target=dump, daemon=True, name="hub-fleet-trace").start()


if _OUT:
    _install(_OUT)
