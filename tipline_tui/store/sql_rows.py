"""Running a read query written once as SQLite SQL, on either kind of connection.

The app reads through SQLAlchemy (its async engine hands each reader a
`Connection`); commands that only read, and the queue's first page, read through
a bare `sqlite3` connection (`Store.plain_read`), because importing SQLAlchemy
costs more than such a command may take. A reader written with `rows` runs on
both unchanged: the SQL goes to the driver as written (qmark parameters), rows come
back as plain tuples.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from sqlalchemy import Connection

ReadConnection: TypeAlias = "sqlite3.Connection | Connection"


def rows(conn: ReadConnection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of `sql` (qmark `?` parameters) as a tuple, on either connection."""
    if isinstance(conn, sqlite3.Connection):
        return conn.execute(sql, tuple(params)).fetchall()
    return [tuple(row) for row in conn.exec_driver_sql(sql, tuple(params))]


def one_value(conn: ReadConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row, or None when there is no row."""
    found = rows(conn, sql, params)
    return found[0][0] if found else None
