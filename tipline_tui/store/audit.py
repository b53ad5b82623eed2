"""The audit log: who saw or did what to which tip, when, before and after.

Entries are append-only (SQLite triggers refuse updates and deletes) and
hash-chained: each entry's hash covers its own fields and the previous
entry's hash, so changing or deleting any entry breaks every later link.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Connection

GENESIS = "0" * 64


def canonical(value: Any) -> str | None:
    """The exact JSON text stored and hashed for a before/after value."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    seq: int,
    at: int,
    actor: str,
    action: str,
    report_id: int | None,
    before: str | None,
    after: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 over one entry's fields and the previous hash, as hex."""
    fields = [seq, at, actor, action, report_id, before, after, prev_hash]
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(
    conn: Connection,
    *,
    actor: str,
    action: str,
    at: int,
    report_id: int | None = None,
    before: Any = None,
    after: Any = None,
) -> int:
    """Append one entry inside the caller's write transaction; return its seq.

    The caller's BEGIN IMMEDIATE holds the write lock, so reading the last
    entry and appending the next cannot race another writer.
    """
    last = conn.exec_driver_sql("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    before_text, after_text = canonical(before), canonical(after)
    digest = entry_hash(seq, at, actor, action, report_id, before_text, after_text, prev_hash)
    conn.exec_driver_sql(
        "INSERT INTO audit (seq, at, actor, action, report_id, before, after, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, actor, action, report_id, before_text, after_text, prev_hash, digest),
    )
    return seq
