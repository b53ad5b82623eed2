"""What a crash can leave in the evidence store, swept when the hub starts.

An upload streams into `<evidence>/.incoming/<random>.part`, then (in the transaction
that records it) is moved to `<evidence>/<sha[:2]>/<sha256>`. A crash mid-stream leaves
the `.part` file; a crash between the move and the commit leaves a file no row names.
Neither is evidence anyone can reach, so both are removed at start. Only files older
than STALE_SECONDS go: another hub process sharing the directory may be mid-upload.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select

from tipline_tui.hub.db import HubDB
from tipline_tui.hub.tables import HubFile, table_of

__all__ = ["INCOMING", "STALE_SECONDS", "sweep_evidence"]

log = logging.getLogger(__name__)

INCOMING = ".incoming"  # the upload temp files' directory, inside the evidence store
STALE_SECONDS = 15 * 60  # an upload in progress writes far more often than this
_SHA256 = re.compile(r"[0-9a-f]{64}")
_file = table_of(HubFile)


def sweep_evidence(hub: HubDB, evidence: Path, now: float | None = None) -> tuple[int, int]:
    """Remove stale `.part` files and evidence files no row names: (parts, orphans) removed.

    A failure is logged, never raised: the hub still starts, and the next start retries.
    """
    cutoff = (time.time() if now is None else now) - STALE_SECONDS
    try:
        parts = _remove_all(p for p in (evidence / INCOMING).glob("*.part") if _older(p, cutoff))
        orphans = _remove_all(_orphans(hub, evidence, cutoff))
    except Exception:
        log.exception("evidence sweep failed at %s", evidence)
        return 0, 0
    if parts or orphans:
        log.warning("evidence: removed %d unfinished upload(s), %d orphan file(s)", parts, orphans)
    return parts, orphans


def _orphans(hub: HubDB, evidence: Path, cutoff: float) -> list[Path]:
    """Stored files (by their content address) that no file row names."""
    candidates = [
        path
        for path in evidence.glob("??/*")
        if _SHA256.fullmatch(path.name) and path.parent.name == path.name[:2]
    ]
    candidates = [p for p in candidates if _older(p, cutoff)]
    if not candidates:
        return []
    with hub.read() as conn:
        named = set(conn.execute(select(_file.c.sha256).distinct()).scalars())
    return [p for p in candidates if p.name not in named]


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.is_file() and path.stat().st_mtime < cutoff
    except OSError:
        return False


def _remove_all(paths: Iterable[Path]) -> int:
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed
