"""Where uploaded files' bytes live: a directory on one host, or the database every host reaches.

A single-host SQLite hub keeps today's content-addressed directory
(`<evidence>/<sha[:2]>/<sha256>`). A PostgreSQL hub may run as several processes on several
machines behind a balancer, so an ESP's upload, fileinfo and finish can each land on another
host: there the bytes go into the database itself, in 1 MiB chunks keyed by SHA-256, written
and committed *before* the transaction that records the file (and outside the write lock),
then marked complete (a file of one chunk: all in one transaction). The file row says where
its bytes are (`stored_in`); finish refuses a file whose bytes are missing; blobs never
completed (a crash mid-copy) are swept by age.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from tipline_tui.hub.db import HubDB
from tipline_tui.hub.tables import HubBlob, HubBlobChunk, HubFile, HubSnapshot, table_of

__all__ = [
    "CHUNK_BYTES",
    "DatabaseEvidence",
    "DirectoryEvidence",
    "EvidenceStore",
    "evidence_path",
    "evidence_store_for",
]

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
STALE_BLOB_SECONDS = 15 * 60  # a copy in progress writes a chunk far more often than this
_blob = table_of(HubBlob)
_chunk = table_of(HubBlobChunk)
_file = table_of(HubFile)
_snapshot = table_of(HubSnapshot)

_made = (
    pg_insert(_blob)
    .values(
        sha256=bindparam("sha256"),
        size=bindparam("size"),
        complete=True,
        stored_at=bindparam("stored_at"),
    )
    .on_conflict_do_nothing()
    .returning(_blob.c.sha256)
    .cte("made")
)
_stored = (
    insert(_chunk)
    .from_select(
        ["sha256", "n", "data"],
        select(_made.c.sha256, literal(0), bindparam("data", type_=_chunk.c.data.type)),
    )
    .returning(_chunk.c.sha256)
    .cte("stored")
)
_STORE_WHOLE = select(
    select(func.count()).select_from(_stored).scalar_subquery().label("stored"),
    select(_blob.c.complete)
    .where(_blob.c.sha256 == bindparam("sha256"))
    .scalar_subquery()
    .label("was_complete"),
)
"""One statement: a blob row (complete) and its only chunk if no row had that hash; and
whether a row that was there (as the statement began) was complete."""


class EvidenceStore(Protocol):
    """Content-addressed file bytes: put before recording, read back for agencies."""

    where: str  # what a file row's `stored_in` says: "directory" or "database"

    def put(self, sha256: str, source: Path) -> None:
        """Store `source`'s bytes under `sha256` (idempotent); `source` may be consumed."""
        ...

    def has(self, sha256: str) -> bool: ...

    def missing(self, conn: Connection, sha256s: Collection[str]) -> set[str]:
        """Which of these are not stored (in `conn`'s transaction: one query, no more)."""
        ...

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The bytes, in order; FileNotFoundError if they are not here."""
        ...


def evidence_path(evidence: Path, sha256: str) -> Path:
    """Where bytes with this SHA-256 live in a directory: `<dir>/<first two hex>/<sha256>`."""
    return evidence / sha256[:2] / sha256


class DirectoryEvidence:
    """One host's directory (0700 directories, 0600 files)."""

    where = "directory"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def put(self, sha256: str, source: Path) -> None:
        target = evidence_path(self.directory, sha256)
        for folder in (self.directory, target.parent):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        if target.exists():  # the same bytes again: kept once
            source.unlink()
            return
        os.chmod(source, 0o600)
        os.replace(source, target)

    def has(self, sha256: str) -> bool:
        return evidence_path(self.directory, sha256).is_file()

    def missing(self, conn: Connection, sha256s: Collection[str]) -> set[str]:
        return {sha256 for sha256 in sha256s if not self.has(sha256)}

    def chunks(self, sha256: str) -> Iterator[bytes]:
        with evidence_path(self.directory, sha256).open("rb") as handle:
            while block := handle.read(CHUNK_BYTES):
                yield block


class DatabaseEvidence:
    """The hub's PostgreSQL database: every host reads what any host stored."""

    where = "database"

    def __init__(self, hub: HubDB) -> None:
        self.hub = hub

    def put(self, sha256: str, source: Path) -> None:
        """Store the bytes; a file of one chunk (most evidence) in one transaction."""
        size = source.stat().st_size
        with source.open("rb") as handle:
            block = handle.read(CHUNK_BYTES)
            whole = len(block) == size
            if whole and block and self._whole_in_one(sha256, block, size):
                pass  # one chunk, new or already complete: one statement did it
            elif self._first_chunk(sha256, block, size if whole else None):
                number = 1
                while not whole and (block := handle.read(CHUNK_BYTES)):
                    with self.hub.engine.begin() as conn:  # a chunk a transaction: no giant one
                        conn.execute(insert(_chunk).values(sha256=sha256, n=number, data=block))
                        conn.execute(
                            update(_blob)
                            .where(_blob.c.sha256 == sha256)
                            .values(stored_at=int(time.time()))
                        )
                    number += 1
                if not whole:
                    with self.hub.engine.begin() as conn:
                        conn.execute(
                            update(_blob)
                            .where(_blob.c.sha256 == sha256)
                            .values(size=size, complete=True)
                        )
        with contextlib.suppress(FileNotFoundError):
            source.unlink()

    def _whole_in_one(self, sha256: str, block: bytes, size: int) -> bool:
        """Bytes of one chunk in one statement outside any transaction (one round trip, not
        four): stored if new, nothing if complete already. False only for a copy that
        stopped midway (or one this statement raced), which `_first_chunk` takes over."""
        values = {"sha256": sha256, "size": size, "stored_at": int(time.time()), "data": block}
        with self.hub.single() as conn:
            stored, was_complete = conn.execute(_STORE_WHOLE, values).one()
        return bool(stored) or bool(was_complete)

    def _first_chunk(self, sha256: str, block: bytes, whole: int | None) -> bool:
        """Store chunk 0 under a blob row of this copy's own; False if the bytes were complete.

        New bytes (the usual case): INSERT ... ON CONFLICT DO NOTHING makes the row, chunk 0
        goes with it. Bytes already complete are seen without a lock (many ESPs may send one
        file at once). Only a copy that stopped midway is taken over, under its row's lock,
        its chunks deleted. `whole` (the size, when chunk 0 is all of it) completes the blob
        in this same transaction.
        """
        values = {
            "size": whole or 0,
            "complete": whole is not None,
            "stored_at": int(time.time()),
        }
        row = _blob.c.sha256 == sha256
        with self.hub.engine.begin() as conn:  # not a feed write: no global lock
            made = conn.execute(
                pg_insert(_blob)
                .values(sha256=sha256, **values)
                .on_conflict_do_nothing()
                .returning(_blob.c.sha256)
            ).first()
            if made is None:
                if conn.execute(select(_blob.c.complete).where(row)).scalar():
                    return False  # the same bytes again, kept once
                if conn.execute(select(_blob.c.complete).where(row).with_for_update()).scalar():
                    return False  # completed while this copy waited
                conn.execute(delete(_chunk).where(_chunk.c.sha256 == sha256))
                conn.execute(update(_blob).where(row).values(**values))
            if block:
                conn.execute(insert(_chunk).values(sha256=sha256, n=0, data=block))
        return True

    def has(self, sha256: str) -> bool:
        with self.hub.read() as conn:
            complete = conn.execute(
                select(_blob.c.complete).where(_blob.c.sha256 == sha256)
            ).scalar()
        return bool(complete)

    def missing(self, conn: Connection, sha256s: Collection[str]) -> set[str]:
        if not sha256s:
            return set()
        complete = conn.execute(
            select(_blob.c.sha256).where(_blob.c.sha256.in_(list(sha256s)), _blob.c.complete)
        ).scalars()
        return set(sha256s) - set(complete)

    def chunks(self, sha256: str) -> Iterator[bytes]:
        if not self.has(sha256):
            raise FileNotFoundError(sha256)
        number = 0
        while True:  # one chunk a query: a 4 GiB file never sits in memory
            with self.hub.read() as conn:
                block = conn.execute(
                    select(_chunk.c.data).where(_chunk.c.sha256 == sha256, _chunk.c.n == number)
                ).scalar()
            if block is None:
                return
            yield bytes(block)
            number += 1

    def sweep(self, now: float | None = None) -> int:
        """Remove blobs whose copy never completed (a crash mid-copy) or that no file row
        names (the recording transaction was refused or crashed); how many."""
        cutoff = int((time.time() if now is None else now) - STALE_BLOB_SECONDS)
        with self.hub.engine.begin() as conn:
            named = select(_file.c.sha256).where(_file.c.stored_in == self.where)
            published = select(_snapshot.c.sha256)  # snapshots are blobs too
            stale = list(
                conn.execute(
                    select(_blob.c.sha256).where(
                        _blob.c.stored_at < cutoff,
                        _blob.c.complete.is_(False)
                        | (_blob.c.sha256.not_in(named) & _blob.c.sha256.not_in(published)),
                    )
                ).scalars()
            )
            for sha256 in stale:
                conn.execute(delete(_chunk).where(_chunk.c.sha256 == sha256))
                conn.execute(delete(_blob).where(_blob.c.sha256 == sha256))
        if stale:
            log.warning("evidence: removed %d incomplete or orphan blob(s)", len(stale))
        return len(stale)


def evidence_store_for(hub: HubDB, directory: Path) -> DirectoryEvidence | DatabaseEvidence:
    """The database for a PostgreSQL hub (hosts share it), else the directory."""
    if hub.dialect == "postgresql":
        return DatabaseEvidence(hub)
    return DirectoryEvidence(directory)
