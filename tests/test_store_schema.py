"""The local store's tables are SQLAlchemy Core tables; their DDL is what the SQLModel
classes they replaced made (issue 13: the ORM and pydantic cost every command ~0.4 s).

tests/fixtures/store_schema_v8.json is `sqlite_master` of an empty file after the
SQLModel classes' `create_all` (commit 0a15034): every table, column, type, NOT NULL,
key, foreign key, unique constraint and index, as SQLite stores the statements.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine

from tipline_tui.store import open_store
from tipline_tui.store.tables import metadata

FIXTURE = Path(__file__).parent / "fixtures" / "store_schema_v8.json"
MASTER = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"

# Values the store's own inserts leave out and the table fills in (Python-side defaults).
DEFAULTS = {
    ("agency", "takes_urgent"): True,
    ("outbox", "attempts"): 0,
    ("outbox", "state"): "pending",
    ("referral", "status"): "queued",
    ("report", "status"): "new",
    ("report", "urgency_rank"): 2,
    ("report", "version"): 1,
}


def master_rows(path: Path) -> list[list[str | None]]:
    with sqlite3.connect(path) as con:
        return [list(row) for row in con.execute(MASTER)]


def test_the_tables_make_the_same_ddl_as_the_sqlmodel_classes_did(tmp_path: Path) -> None:
    path = tmp_path / "schema.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        metadata.create_all(conn)
    engine.dispose()
    assert master_rows(path) == json.loads(FIXTURE.read_text())


def test_a_new_store_has_every_table_and_index_of_the_fixture(tmp_path: Path) -> None:
    """What `open_store` creates holds all of the above (plus its triggers)."""
    open_store(tmp_path / "store.sqlite").close()
    created = master_rows(tmp_path / "store.sqlite")
    missing = [row for row in json.loads(FIXTURE.read_text()) if row not in created]
    assert missing == []


def test_the_python_side_defaults_are_kept() -> None:
    defaults = {
        (table.name, column.name): column.default.arg  # type: ignore[union-attr]
        for table in metadata.tables.values()
        for column in table.columns
        if column.default is not None
    }
    assert defaults == DEFAULTS
