"""A ready-made local store for new analysts: their first sync is one file, not the whole feed.

Like a git clone pack: replaying 100,000 changes means parsing and indexing
100,000 reports on the analyst's machine, while the result is the same for
everyone. So the hub keeps `live.sqlite`, an ordinary local store that it
keeps current by applying its own feed with the client's `apply_changes`
(the pages built by the same `changes_page` that `/v1/changes` serves, no
HTTP), and now and then publishes a consistent copy, `snapshot-SEQ.sqlite`.
A new analyst downloads the newest copy (`GET /v1/snapshot`) and pulls only
the changes after SEQ.

The work runs in one background thread; a request only lists the directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tipline_tui.hub.changes import changes_page, head_seq
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.snapshot_fleet import FleetSnapshots, newest_published
from tipline_tui.store import Store, open_store, sync_state
from tipline_tui.store.snapshot import export_snapshot, remove_with_sidecars

__all__ = ["SnapshotKeeper"]

log = logging.getLogger(__name__)

PAGE = 1000  # changes applied per transaction of the live store
EVERY = 5.0  # seconds between polls of the feed
MIN_CHANGES = 5000  # publish once the live store is this far past the last snapshot...
MAX_AGE = 300.0  # ...or this many seconds after it, if anything changed at all
STALE_TEMP_SECONDS = 3_600  # an export takes seconds to minutes; older temps are a crash's
_NAME = re.compile(r"^snapshot-(\d+)\.sqlite$")


class SnapshotKeeper:
    """Keeps `directory/live.sqlite` current with the hub's feed and publishes copies of it."""

    def __init__(
        self,
        hub: HubDB,
        directory: Path,
        *,
        every: float = EVERY,
        min_changes: int = MIN_CHANGES,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hub = hub
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.live_path = self.directory / "live.sqlite"
        self.every = every
        self.min_changes = min_changes
        self.max_age = max_age
        self.clock = clock
        self._published_at = clock()
        self._sweep_stale_temps()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # catch_up and publish never overlap
        self._store: Store | None = None
        # PostgreSQL: one builder for the fleet, publishing into the database
        self.fleet = FleetSnapshots(hub) if hub.dialect == "postgresql" else None

    def _sweep_stale_temps(self) -> None:
        """Remove half-written snapshots a crash left; not ones another process is writing."""
        cutoff = time.time() - STALE_TEMP_SECONDS
        for temp in self.directory.glob(".snapshot-*"):
            with contextlib.suppress(FileNotFoundError):
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()

    # ---------------------------------------------------------------- the work

    def _live(self) -> Store:
        """The live store, opened once and kept open between polls."""
        if self._store is None:
            self._store = open_store(self.live_path)
        return self._store

    def _close_live(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _live_cursor(self) -> int:
        with self._live().read() as conn:
            return sync_state.cursor(conn)

    def catch_up(self) -> int:
        """Apply every change up to the feed's head to the live store; return how many."""
        with self._lock:
            since = self._live_cursor()
            with self.hub.read() as conn:
                head = head_seq(conn)
            if head < since:  # the hub database was replaced: start again from nothing
                log.warning("the feed's head %d is behind the live store's %d", head, since)
                self._close_live()
                remove_with_sidecars(self.live_path)
                for name in os.listdir(self.directory):
                    if _NAME.match(name):
                        (self.directory / name).unlink(missing_ok=True)
                since = 0
            store = self._live()
            applied = 0
            while True:
                with self.hub.read() as conn:
                    page = changes_page(conn, since, PAGE)
                if page["changes"]:
                    with store.write() as conn:
                        applied += sync_state.apply_changes(conn, page["changes"], page["next"])
                since = page["next"]
                if not page["more"] or not page["changes"] or self._stop.is_set():
                    return applied

    def latest(self) -> tuple[Path, int] | None:
        """The newest published snapshot and its seq, or None before the first."""
        found = [
            (int(m.group(1)), self.directory / name)
            for name in os.listdir(self.directory)
            if (m := _NAME.match(name))
        ]
        if not found:
            return None
        seq, path = max(found)
        return path, seq

    def _newest_seq(self) -> int | None:
        """The newest published snapshot's seq: the fleet's (in the database) or this host's."""
        if self.fleet is not None:
            published = newest_published(self.hub)
            return None if published is None else published.seq
        found = self.latest()
        return None if found is None else found[1]

    def publish(self) -> Path | None:
        """Write `snapshot-SEQ.sqlite` if the live store moved past the newest snapshot.

        Written under a temporary name and renamed, so a download never sees
        half a file. The one before it is kept (a download may have just
        picked it); older ones are deleted.
        """
        with self._lock:
            seq = self._live_cursor()
            if seq == 0 or self._newest_seq() == seq:
                return None
            # a name no other process can pick: hosts may share this directory, and one's
            # clean-up must never remove (and so let SQLite recreate, 0644) another's file
            temp = self.directory / f".snapshot-{seq}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
            written = export_snapshot(self.live_path, temp)
            os.chmod(temp, 0o600)  # whatever the umask: a snapshot holds every tip
            path = self.directory / f"snapshot-{written}.sqlite"
            os.replace(temp, path)
            if self.fleet is not None:  # a second name for the same bytes, consumed by the copy
                into_database = self.directory / f".snapshot-{written}.{secrets.token_hex(4)}.db"
                os.link(path, into_database)
                self.fleet.publish(into_database, written)
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)  # the rename itself survives a crash
            finally:
                os.close(fd)
            self._published_at = self.clock()
            for old_seq, old in sorted(
                (int(m.group(1)), self.directory / n)
                for n in os.listdir(self.directory)
                if (m := _NAME.match(n))
            )[:-2]:
                log.debug("removing snapshot %d", old_seq)
                old.unlink(missing_ok=True)
            return path

    def tick(self) -> Path | None:
        """One poll: catch up, then publish if the feed moved far enough or long enough ago."""
        if self.fleet is not None and not self.fleet.lead():
            return None  # another process builds the fleet's snapshots
        self.catch_up()
        seq = self._live_cursor()
        newest = self._newest_seq()
        behind = seq - (newest or 0)
        if behind <= 0:
            return None
        if newest is None or behind >= self.min_changes:
            return self.publish()
        if self.clock() - self._published_at >= self.max_age:
            return self.publish()
        return None

    # ---------------------------------------------------------------- the thread

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a bad moment (disk full, a locked file): try again next poll
                log.exception("snapshot keeper: this poll failed")
            self._stop.wait(self.every)

    def start(self) -> None:
        """Poll in a daemon thread until `stop()`: the first poll runs at once."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="snapshot-keeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
        with self._lock:
            self._close_live()
        if self.fleet is not None:
            self.fleet.resign()
