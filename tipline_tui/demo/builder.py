"""Building a whole demo store: reports, ground truth, agencies, meta.

Reports go in batches, one write transaction each, so a million-report
store is built with bounded memory and a crash leaves no half-batch behind.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from tipline_tui.demo.agencies import demo_agencies
from tipline_tui.demo.clock import DEMO_EPOCH
from tipline_tui.demo.places import DEMO_COUNTRIES
from tipline_tui.demo.shift import SHIFT_NOW, play_shift, squeeze_reports
from tipline_tui.demo.synth import GENERATOR_VERSION, NOT_IN_POOL, generate_reports
from tipline_tui.domain.report import Report
from tipline_tui.store import Store, open_store
from tipline_tui.store.directory import (
    person_ids,
    write_agencies,
    write_meta,
    write_synthetic_identities,
)
from tipline_tui.store.reports import write_reports

BATCH_SIZE = 2000
_FULL_GC_EVERY = 50  # batches
# A throwaway benchmark store: no fsync, a page cache holding the indexes that grow
# (a million-tip store's key and trigram indexes are gigabytes; with SQLite's default
# 2 MB cache each batch's inserts read them back from the OS page by page).
_BULK_PRAGMAS = (
    "PRAGMA synchronous = OFF",
    "PRAGMA cache_size = -3000000",  # KiB: 3 GB
    "PRAGMA temp_store = MEMORY",
    "PRAGMA wal_autocheckpoint = 20000",
)


@contextmanager
def _collect_between_batches() -> Iterator[None]:
    """Switch off automatic cyclic GC for the build; the caller collects per batch.

    A build makes millions of short-lived acyclic objects; automatic passes
    over them cost about a fifth of the build time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write_batch(store: Store, batch: list[tuple[Report, list[int]]], *, shift: bool) -> None:
    """One transaction: the reports, then who each stored pool person really is."""
    if shift:
        squeeze_reports([report for report, _ in batch])
    with store.write() as conn:
        ids = write_reports(conn, [report for report, _ in batch], DEMO_EPOCH)
        truth = [n for _, numbers in batch for n in numbers]
        persons = person_ids(conn, ids)
        if len(persons) != len(truth):
            raise RuntimeError("stored persons do not match the generated ones")
        write_synthetic_identities(
            conn,
            (
                (person_id, report_id, n)
                for (report_id, person_id), n in zip(persons, truth, strict=True)
                if n != NOT_IN_POOL
            ),
        )


def _bulk_writes(store: Store) -> None:
    """Make every connection of `store` write with `_BULK_PRAGMAS` (same rows, less safety)."""
    from sqlalchemy import event

    engine = store.engine
    engine.dispose()  # connections made from here on get the pragmas

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        for pragma in _BULK_PRAGMAS:
            dbapi_conn.execute(pragma)


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def build_demo_store(
    path: Path,
    reports: int,
    seed: int,
    *,
    progress: Callable[[int], None] | None = None,
    shift: bool = False,
    bulk: bool = False,
) -> None:
    """Create a new store at `path` holding `reports` synthetic reports for `seed`.

    Refuses an existing path (FileExistsError) rather than mixing demo data
    into a real store. `progress` is called with the number of reports
    written after each batch. On any error the partly built file is removed.
    Ground truth rows are written for pool persons only (not victims or
    intended recipients). `shift` makes the bundled demo's mid-shift store:
    the last tips squeezed towards SHIFT_NOW, then worked up to it
    (demo/shift.py); its meta records `demo_now`. `bulk` is for throwaway benchmark
    stores: the same rows, written without fsync and with a large page cache, and the
    file left as written (WAL, not compacted); a crash or power cut may corrupt it.
    """
    path = Path(path).expanduser()
    if path.exists():
        raise FileExistsError(f"{path} already exists; the demo store must be a new file")
    if reports < 0:
        raise ValueError("reports must be >= 0")
    store = open_store(path, make_dirs=True)  # `demo-data --out` asks for a new file
    try:
        if bulk:
            _bulk_writes(store)
        with store.write() as conn:
            write_agencies(conn, demo_agencies(DEMO_COUNTRIES))
            write_meta(
                conn,
                {
                    "demo_seed": str(seed),
                    "demo_reports": str(reports),
                    "generator_version": GENERATOR_VERSION,
                    **({"demo_shift": "1", "demo_now": str(SHIFT_NOW)} if shift else {}),
                },
            )
        stream = generate_reports(reports, seed)
        done = 0
        with _collect_between_batches():
            while batch := list(islice(stream, BATCH_SIZE)):
                _write_batch(store, batch, shift=shift)
                done += len(batch)
                full = (done // BATCH_SIZE) % _FULL_GC_EVERY == 0
                gc.collect(2 if full else 0)
                if progress is not None:
                    progress(done)
        if shift:
            play_shift(store, seed)
        store.close()
        if not bulk:
            _finish_as_single_file(path)
    except BaseException:
        store.close()
        _remove(path)
        raise


def _finish_as_single_file(path: Path) -> None:
    """Compact the file and leave WAL mode, so the store is one self-contained file.

    The bundled demo store is read from places where no -wal/-shm file can be
    made (a read-only site-packages); tipline turns WAL back on when it opens a copy.
    """
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("VACUUM")
    sqlite3.connect(path).close()
