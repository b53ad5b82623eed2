"""Snapshots for a fleet of hub processes on one PostgreSQL database: one builder, served by all.

Each process rebuilding its own live store repeats the same work, and a host whose build has
not finished answers 404, so a new analyst's first sync would depend on which host the
balancer picks. So on PostgreSQL one process at a time builds, elected by a session-level
advisory lock of its own (held on a connection kept for the purpose: if that process dies or
its connection breaks, the lock goes and another process takes over at its next poll). It
publishes each snapshot into the database, content-addressed like evidence, and records it in
`hub_snapshot`; every process serves the newest recorded one from the start.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select

from tipline_tui.hub.db import HubDB
from tipline_tui.hub.evidence_store import CHUNK_BYTES, DatabaseEvidence
from tipline_tui.hub.tables import HubBlob, HubBlobChunk, HubSnapshot, table_of

__all__ = ["BUILDER_LOCK_KEY", "FleetSnapshots", "PublishedSnapshot", "newest_published"]

log = logging.getLogger(__name__)

BUILDER_LOCK_KEY = 0x7469706C696E66  # the snapshot builder's advisory lock (not the write lock)
KEEP = 2  # the newest and the one before (a download may have just picked it)
_snapshot = table_of(HubSnapshot)
_blob = table_of(HubBlob)
_chunk = table_of(HubBlobChunk)


@dataclass(frozen=True, slots=True)
class PublishedSnapshot:
    seq: int
    sha256: str
    size: int


def newest_published(hub: HubDB) -> PublishedSnapshot | None:
    """The newest snapshot any process published into the database, or None."""
    with hub.read() as conn:
        row = conn.execute(select(_snapshot).order_by(_snapshot.c.seq.desc()).limit(1)).first()
    return None if row is None else PublishedSnapshot(row.seq, row.sha256, row.size)


class FleetSnapshots:
    """The builder election and the database side of publishing and serving."""

    def __init__(self, hub: HubDB) -> None:
        self.hub = hub
        self.blobs = DatabaseEvidence(hub)
        self._leader: Connection | None = None

    def lead(self) -> bool:
        """True while this process is the fleet's builder (takes the lock when it is free)."""
        if self._leader is not None:
            try:
                self._leader.exec_driver_sql("SELECT 1")
                self._leader.commit()
                return True
            except Exception:  # the connection broke: the server released the lock with it
                log.warning("snapshot builder: lost its database connection; standing down")
                self.resign()
        conn = self.hub.engine.connect()
        try:
            taken = conn.exec_driver_sql(
                f"SELECT pg_try_advisory_lock({BUILDER_LOCK_KEY})"
            ).scalar()
            conn.commit()  # a session lock outlives the transaction; the session is kept
        except Exception:
            conn.close()
            raise
        if not taken:
            conn.close()
            return False
        log.info("snapshot builder: this process builds the fleet's snapshots")
        self._leader = conn
        return True

    def resign(self) -> None:
        if self._leader is not None:
            try:
                self._leader.close()  # the session ends, and its lock with it
            except Exception:
                log.debug("snapshot builder: closing a broken connection failed", exc_info=True)
            self._leader = None

    def publish(self, path: Path, seq: int) -> PublishedSnapshot:
        """Store the file's bytes (consuming it), record it, drop all but the newest KEEP."""
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as handle:
            while block := handle.read(CHUNK_BYTES):
                digest.update(block)
                size += len(block)
        sha256 = digest.hexdigest()
        self.blobs.put(sha256, path)
        with self.hub.engine.begin() as conn:  # no feed row: not under the write lock
            if conn.execute(select(_snapshot.c.seq).where(_snapshot.c.seq == seq)).first() is None:
                conn.execute(
                    insert(_snapshot).values(
                        seq=seq, sha256=sha256, size=size, published_at=self.hub.now()
                    )
                )
            self._prune(conn)
        return PublishedSnapshot(seq, sha256, size)

    def _prune(self, conn: Connection) -> None:
        old = conn.execute(
            select(_snapshot.c.seq, _snapshot.c.sha256).order_by(_snapshot.c.seq.desc())
        ).all()[KEEP:]
        for seq, sha256 in old:
            conn.execute(delete(_snapshot).where(_snapshot.c.seq == seq))
            still_named = conn.execute(
                select(_snapshot.c.seq).where(_snapshot.c.sha256 == sha256).limit(1)
            ).first()
            if still_named is None:
                conn.execute(delete(_chunk).where(_chunk.c.sha256 == sha256))
                conn.execute(delete(_blob).where(_blob.c.sha256 == sha256))

    def chunks(self, published: PublishedSnapshot) -> Iterator[bytes]:
        return self.blobs.chunks(published.sha256)
