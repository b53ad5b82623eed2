"""The audit log: who saw or did what to which tip, when, before and after.

Entries are append-only (SQLite triggers refuse updates and deletes) and
hash-chained: each entry's hash covers its own fields and the previous
entry's hash, so changing or deleting any entry breaks every later link.

Deleting the newest entries leaves a shorter chain that is still whole, so
record() also keeps the newest seq and hash in `meta` (key `audit_head`) in
the same transaction, and verify() checks the table reaches that head. Anyone
with the file can still rewrite the whole chain and the head together: the
chain proves integrity only against an anchor kept elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from tipline_tui.domain.views import AuditCheck, AuditEntry
from tipline_tui.store.sql_rows import ReadConnection, one_value, rows

if TYPE_CHECKING:  # record() writes through the engine; the readers take either connection
    from sqlalchemy import Connection

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
_BATCH = 1000
_COLUMNS = "seq, at, actor, action, report_id, before, after, prev_hash, hash"
_HEAD = "SELECT value FROM meta WHERE key = ?"


class _Row(NamedTuple):
    """One audit row, in _COLUMNS order."""

    seq: int
    at: int
    actor: str
    action: str
    report_id: int | None
    before: str | None
    after: str | None
    prev_hash: str
    hash: str


def _audit_rows(conn: ReadConnection, sql: str, params: tuple[Any, ...]) -> list[_Row]:
    return [_Row(*row) for row in rows(conn, sql, params)]


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
    entry and appending the next cannot race another writer. The chain
    continues from the recorded head when there is one, so entries deleted
    from the end stay visible as a gap instead of being written over.
    """
    last = conn.exec_driver_sql("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").first()
    head = _read_head(conn)
    last_seq = last[0] if last else 0
    if head is not None:
        seq, prev_hash = max(last_seq, head.seq) + 1, head.hash
    else:
        seq, prev_hash = last_seq + 1, (last[1] if last else GENESIS)
    before_text, after_text = canonical(before), canonical(after)
    digest = entry_hash(seq, at, actor, action, report_id, before_text, after_text, prev_hash)
    conn.exec_driver_sql(
        "INSERT INTO audit (seq, at, actor, action, report_id, before, after, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, actor, action, report_id, before_text, after_text, prev_hash, digest),
    )
    conn.exec_driver_sql(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, f"{seq}:{digest}"),
    )
    return seq


class _Head(NamedTuple):
    seq: int
    hash: str


def _read_head(conn: ReadConnection) -> _Head | None:
    """The newest seq and hash record() wrote, or None if missing or unreadable."""
    value = one_value(conn, _HEAD, (HEAD_KEY,))
    seq_text, _, digest = str(value or "").partition(":")
    if not seq_text.isdigit() or len(digest) != 64:
        return None
    return _Head(int(seq_text), digest)


def _decode(text: Any) -> Any:
    """A stored before/after value; text that is not JSON (a tampered row) comes back as is."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _entry(row: _Row) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        report_id=row.report_id,
        before=_decode(row.before),
        after=_decode(row.after),
    )


def history(conn: ReadConnection, report_id: int) -> list[AuditEntry]:
    """Every entry about one tip, oldest first: the tip's story as the report screen tells it."""
    sql = f"SELECT {_COLUMNS} FROM audit WHERE report_id = ? ORDER BY seq"
    return [_entry(row) for row in _audit_rows(conn, sql, (report_id,))]


def recent(conn: ReadConnection, limit: int = 50) -> list[AuditEntry]:
    """The newest `limit` entries, newest first: what just happened, across all tips."""
    if limit <= 0:
        return []
    sql = f"SELECT {_COLUMNS} FROM audit ORDER BY seq DESC LIMIT ?"
    return [_entry(row) for row in _audit_rows(conn, sql, (limit,))]


def _rows_in_order(conn: ReadConnection) -> Iterator[_Row]:
    """Every entry in seq order, a batch at a time, so a long log never sits in memory."""
    after = None
    while True:
        if after is None:
            query = f"SELECT {_COLUMNS} FROM audit ORDER BY seq LIMIT ?"
            batch = _audit_rows(conn, query, (_BATCH,))
        else:
            query = f"SELECT {_COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?"
            batch = _audit_rows(conn, query, (after, _BATCH))
        yield from batch
        if len(batch) < _BATCH:
            return
        after = batch[-1].seq


def _hash_of(row: _Row) -> str | None:
    """The hash the row's own fields give, or None if they cannot be hashed (wrong types)."""
    try:
        return entry_hash(
            row.seq,
            row.at,
            row.actor,
            row.action,
            row.report_id,
            row.before,
            row.after,
            row.prev_hash,
        )
    except (TypeError, ValueError):
        return None


def _span(first: int, last: int) -> str:
    """The entries from `first` to `last` and their verb: "entry 4 was", "entries 3..4 were"."""
    return f"entry {first} was" if first == last else f"entries {first}..{last} were"


def _newest(count: int) -> str:
    return "entry was" if count == 1 else f"{count} entries were"


def verify(conn: ReadConnection) -> AuditCheck:
    """Walk the whole chain and name every entry that was changed, deleted or forged.

    Each entry's hash is recomputed from its fields, each link is compared
    with the previous entry's stored hash, seq gaps are deletions, and the
    end of the table is compared with the head record() keeps in `meta`.
    Run it inside one read transaction so it sees one snapshot.
    """
    problems: list[str] = []
    head = _read_head(conn)
    head_text = one_value(conn, _HEAD, (HEAD_KEY,))
    count = 0
    prev_seq, prev_hash = 0, GENESIS
    for row in _rows_in_order(conn):
        count += 1
        seq = row.seq
        own_ok = _hash_of(row) == row.hash
        if not own_ok:
            problems.append(f"entry {seq} was changed (its hash does not match its contents)")
        if seq < 1:
            problems.append(f"entry {seq} has a number tipline never writes (forged)")
        elif seq != prev_seq + 1:
            if prev_seq == 0:
                problems.append(f"entry {seq} is the first entry: {_span(1, seq - 1)} deleted")
            else:
                problems.append(
                    f"entry {seq} does not follow entry {prev_seq}: "
                    f"{_span(prev_seq + 1, seq - 1)} deleted"
                )
        elif row.prev_hash != prev_hash:
            if own_ok and prev_seq:
                problems.append(
                    f"entry {seq}'s link to the previous entry is broken "
                    f"(entry {prev_seq} was changed and re-hashed, or replaced)"
                )
            else:
                problems.append(f"entry {seq}'s link to the previous entry is broken")
        if head is not None and seq == head.seq and row.hash != head.hash:
            problems.append(f"entry {seq} is not the entry recorded as the newest (head) entry")
        prev_seq, prev_hash = seq, row.hash
    if head is None:
        if head_text is not None:
            problems.append(f"the audit head in meta ({HEAD_KEY!r}) is unreadable")
        elif count:
            problems.append(
                f"the audit head in meta ({HEAD_KEY!r}) is missing, "
                "so deletion of the newest entries cannot be checked"
            )
    elif head.seq > prev_seq:
        problems.append(
            f"the newest {_newest(head.seq - prev_seq)} deleted (head was seq {head.seq})"
        )
    elif head.seq < prev_seq:
        problems.append(
            f"{_span(head.seq + 1, prev_seq)} added outside tipline (head was seq {head.seq})"
        )
    return AuditCheck(ok=not problems, entries=count, problems=tuple(problems))
