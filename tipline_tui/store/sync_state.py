"""The local store's side of sync: apply pulled changes, hand out and settle the outbox.

No HTTP here (that is tipline_tui/sync/); these functions run inside the
caller's write transaction, so a page of changes and the cursor that
follows it are committed together: a crash re-pulls the page, never skips it.

The hub is authoritative. A pulled analysis replaces the local one unless
the tip still has actions waiting to be pushed (they were made on top of an
older hub state and will come back as applied or as a conflict).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from tipline_tui.domain.enums import urgency_rank
from tipline_tui.domain.wire import ActionDict, AnswerDict, ChangeDict
from tipline_tui.store import audit
from tipline_tui.store.actions import queue_action
from tipline_tui.store.directory import read_meta, write_meta
from tipline_tui.store.intake import attach_files, quarantine
from tipline_tui.store.reports import write_reports

if TYPE_CHECKING:  # the XML reader is imported by the first pull, not by the app's start
    from tipline_tui.domain.cybertip_xml import ReportParseError

CURSOR_KEY = "sync_cursor"
PUSH_BATCH = 200


@dataclass(frozen=True, slots=True)
class SyncCounts:
    pending: int  # actions waiting for the hub
    conflicts: int  # answered "conflict", not yet resolved by the analyst
    rejected: int  # answered "rejected": shown, never retried
    local_only: int  # actions on tips the hub has never seen (imported locally)


@dataclass(frozen=True, slots=True)
class Conflict:
    outbox_id: int
    action_id: str
    kind: str
    report_id: int | None
    analyst: str
    created_at: int
    mine: dict[str, Any]
    hubs: dict[str, Any]
    reason: str | None


def cursor(conn: Connection) -> int:
    return int(read_meta(conn).get(CURSOR_KEY, "0"))


def _local_id(conn: Connection, hub_id: int) -> int | None:
    return conn.exec_driver_sql("SELECT id FROM report WHERE hub_id = ?", (hub_id,)).scalar()


def _has_pending(conn: Connection, report_id: int) -> bool:
    row = conn.exec_driver_sql(
        "SELECT 1 FROM outbox WHERE report_id = ? AND state = 'pending' LIMIT 1", (report_id,)
    ).first()
    return row is not None


def _quarantine(conn: Connection, name: str, data: bytes, exc: ReportParseError, at: int) -> None:
    """A document the hub accepted but this client cannot read is kept, not dropped."""
    digest = hashlib.sha256(data).hexdigest()
    quarantine(conn, name, data, digest, [str(p) for p in exc.problems], at)


_ID_CHUNK = 500  # hub ids per IN (...) lookup, well under SQLite's variable limit


def _known_hub_ids(conn: Connection, hub_ids: Sequence[int]) -> set[int]:
    known: set[int] = set()
    for start in range(0, len(hub_ids), _ID_CHUNK):
        chunk = hub_ids[start : start + _ID_CHUNK]
        known.update(
            conn.exec_driver_sql(
                f"SELECT hub_id FROM report WHERE hub_id IN ({', '.join('?' * len(chunk))})",
                tuple(chunk),
            ).scalars()
        )
    return known


def _apply_reports(conn: Connection, run: Sequence[tuple[dict[str, Any], int]]) -> None:
    """Store a run of consecutive "report" changes (payload, at) with one write_reports call.

    One call for the whole run, not one per report: write_reports batches its
    inserts and identifier indexing across the reports it is given.
    """
    from tipline_tui.domain.cybertip_xml import ReportParseError, parse_file_details, parse_report

    seen = _known_hub_ids(conn, [p["report_id"] for p, _at in run])
    reports = []
    stored: list[tuple[dict[str, Any], int]] = []
    for p, at in run:
        if p["report_id"] in seen:
            continue  # already here (a re-pulled page, or a seeded store), or twice in this run
        seen.add(p["report_id"])
        data = p["xml"].encode("utf-8")
        try:
            report = parse_report(data)
        except ReportParseError as exc:
            _quarantine(conn, f"hub report {p['report_id']}", data, exc, at)
            continue
        report.hub_id = p["report_id"]
        report.received_at = p.get("received_at") or at
        reports.append(report)
        stored.append((p, at))
    if not reports:
        return
    # every report has received_at set above, so write_reports' `now` fills nothing
    local_ids = write_reports(conn, reports, now=run[-1][1])
    files = []
    for local, (p, at) in zip(local_ids, stored, strict=True):
        for text in p.get("files") or []:
            try:
                files.append((local, parse_file_details(text.encode("utf-8"))))
            except ReportParseError as exc:
                _quarantine(conn, f"hub file of report {p['report_id']}", text.encode(), exc, at)
    if files:
        attach_files(conn, files)


def _apply_analysis(conn: Connection, p: dict[str, Any]) -> None:
    local = _local_id(conn, p["report_id"])
    if local is None or _has_pending(conn, local):
        return
    escalated = conn.exec_driver_sql(
        "SELECT escalate_text IS NOT NULL AND trim(escalate_text) != '' FROM report WHERE id = ?",
        (local,),
    ).scalar()
    conn.exec_driver_sql(
        "UPDATE report SET status = ?, priority = ?, urgency_rank = ?, labels = ?, "
        "victim_age_min = ?, victim_age_max = ?, claimed_by = ?, jurisdiction_id = ?, "
        "version = ?, hub_seq = ? WHERE id = ?",
        (
            p["status"],
            p["priority"],
            urgency_rank(p["priority"], bool(escalated)),
            json.dumps(p["labels"]) if p.get("labels") else None,
            p.get("victim_age_min"),
            p.get("victim_age_max"),
            p.get("claimed_by"),
            p.get("jurisdiction_id"),
            p["version"],
            p.get("seq"),
            local,
        ),
    )


def _apply_note(conn: Connection, p: dict[str, Any]) -> None:
    local = _local_id(conn, p["report_id"])
    if local is None:
        return
    note_id, action_id = p["note_id"], p.get("action_id")  # no action_id: an older hub
    if conn.exec_driver_sql("SELECT 1 FROM note WHERE hub_id = ?", (note_id,)).first():
        return  # a page pulled again
    mine = conn.exec_driver_sql(  # our own note, pushed with this action, comes back
        "UPDATE note SET hub_id = ? WHERE action_id = ? AND hub_id IS NULL",
        (note_id, action_id),
    ).rowcount
    if not mine:
        conn.exec_driver_sql(
            "INSERT INTO note (report_id, author, created_at, body, action_id, hub_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (local, p["author"], p["created_at"], p["body"], action_id, note_id),
        )


_REFERRAL_FIELDS = ("status", "sent_at", "acknowledged_at", "failed_at", "detail", "outcome")


def _apply_referral(conn: Connection, p: dict[str, Any]) -> None:
    local = _local_id(conn, p["report_id"])
    if local is None:
        return
    values = [p.get(f) for f in _REFERRAL_FIELDS]
    updated = conn.exec_driver_sql(
        f"UPDATE referral SET {', '.join(f'{f} = ?' for f in _REFERRAL_FIELDS)} "
        "WHERE action_id = ?",
        (*values, p["action_id"]),
    ).rowcount
    if not updated:  # another analyst's referral
        conn.exec_driver_sql(
            "INSERT INTO referral (action_id, report_id, agency_id, priority, created_by, "
            f"created_at, {', '.join(_REFERRAL_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?, "
            f"{', '.join('?' for _ in _REFERRAL_FIELDS)})",
            (
                p["action_id"],
                local,
                p["agency_id"],
                p.get("priority"),
                p["created_by"],
                p["created_at"],
                *values,
            ),
        )


def _apply_agency(conn: Connection, p: dict[str, Any]) -> None:
    conn.exec_driver_sql(
        "INSERT INTO agency (id, kind, name, state, country, contact, takes_urgent) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, "
        "name = excluded.name, state = excluded.state, country = excluded.country, "
        "contact = excluded.contact, takes_urgent = excluded.takes_urgent",
        (
            p["agency_id"],
            p["kind"],
            p["name"],
            p.get("state"),
            p.get("country"),
            p.get("contact"),
            bool(p.get("takes_urgent", True)),
        ),
    )


def apply_changes(conn: Connection, changes: Sequence[ChangeDict], next_seq: int) -> int:
    """Apply one pulled page and move the cursor to `next_seq`; return how many applied."""
    reports: list[tuple[dict[str, Any], int]] = []  # consecutive report changes, not yet stored
    for change in changes:
        kind = change["kind"]
        if kind == "report":
            reports.append((change["payload"], change["at"]))
            continue
        if reports:  # store them before anything later in the feed refers to them
            _apply_reports(conn, reports)
            reports = []
        payload = dict(change["payload"])
        if kind == "analysis":
            payload["seq"] = change["seq"]
            _apply_analysis(conn, payload)
        elif kind == "note":
            _apply_note(conn, payload)
        elif kind == "referral":
            _apply_referral(conn, payload)
        elif kind == "agency":
            _apply_agency(conn, payload)
        # an unknown kind is from a newer hub: skipped, not an error
    if reports:
        _apply_reports(conn, reports)
    write_meta(conn, {CURSOR_KEY: str(next_seq)})
    return len(changes)


def pending_actions(conn: Connection, limit: int = PUSH_BATCH) -> list[ActionDict]:
    """The oldest actions the hub can take, in the order they were made, as wire dicts.

    Actions on tips without a hub id (imported locally) stay in the outbox.
    """
    rows = conn.exec_driver_sql(
        "SELECT o.action_id, o.kind, r.hub_id, o.base_version, o.payload, o.created_at "
        "FROM outbox o LEFT JOIN report r ON r.id = o.report_id "
        "WHERE o.state = 'pending' AND (o.report_id IS NULL OR r.hub_id IS NOT NULL) "
        "ORDER BY o.id LIMIT ?",
        (limit,),
    )
    return [
        {
            "action_id": action_id,
            "kind": kind,
            "report_id": hub_id,
            "base_version": base,
            "payload": json.loads(payload) if isinstance(payload, str) else payload or {},
            "created_at": created_at,
        }
        for action_id, kind, hub_id, base, payload, created_at in rows
    ]


def record_answers(conn: Connection, answers: Sequence[AnswerDict], now: int) -> None:
    """Settle pushed actions with the hub's answers.

    A conflict brings the hub's current state, which replaces the local
    analysis at once (the hub is authoritative); the analyst's version is
    kept in the outbox row for the conflicts screen.
    """
    for answer in answers:
        outcome = answer["outcome"]
        state = answer.get("first_outcome", "applied") if outcome == "duplicate" else outcome
        row = conn.exec_driver_sql(
            "SELECT report_id, attempts FROM outbox WHERE action_id = ?", (answer["action_id"],)
        ).first()
        if row is None:
            continue
        conn.exec_driver_sql(
            "UPDATE outbox SET state = ?, attempts = ?, answered_at = ?, answer = ? "
            "WHERE action_id = ?",
            (state, row[1] + 1, now, json.dumps(answer), answer["action_id"]),
        )
        current = answer.get("current")
        if state == "conflict" and current and row[0] is not None:
            hub_id = conn.exec_driver_sql(
                "SELECT hub_id FROM report WHERE id = ?", (row[0],)
            ).scalar()
            if hub_id is not None and not _has_pending(conn, row[0]):
                _apply_analysis(conn, {"report_id": hub_id, **current})


def counts(conn: Connection) -> SyncCounts:
    rows: dict[str, int] = dict(
        conn.exec_driver_sql(
            "SELECT o.state || CASE WHEN o.state = 'pending' AND o.report_id IS NOT NULL "
            "AND r.hub_id IS NULL THEN ':local' ELSE '' END, count(*) FROM outbox o "
            "LEFT JOIN report r ON r.id = o.report_id "
            "WHERE o.state IN ('pending', 'conflict', 'rejected') GROUP BY 1"
        ).all()
    )
    return SyncCounts(
        pending=rows.get("pending", 0),
        conflicts=rows.get("conflict", 0),
        rejected=rows.get("rejected", 0),
        local_only=rows.get("pending:local", 0),
    )


def conflicts(conn: Connection) -> list[Conflict]:
    """Actions the hub answered with a conflict or a rejection, newest first."""
    rows = conn.exec_driver_sql(
        "SELECT id, action_id, kind, report_id, analyst, created_at, payload, answer "
        "FROM outbox WHERE state IN ('conflict', 'rejected') ORDER BY id DESC"
    )
    found = []
    for oid, action_id, kind, report_id, analyst, created_at, payload, answer in rows:
        answer = json.loads(answer) if isinstance(answer, str) else answer or {}
        mine = json.loads(payload) if isinstance(payload, str) else payload or {}
        found.append(
            Conflict(
                oid,
                action_id,
                kind,
                report_id,
                analyst,
                created_at,
                mine,
                answer.get("current") or {},
                answer.get("reason") or answer["outcome"],
            )
        )
    return found


def resolve_conflict(
    conn: Connection, outbox_id: int, *, keep_mine: bool, analyst: str, now: int
) -> str | None:
    """The analyst's choice: take the hub's state (done) or send theirs again.

    Sending again queues a fresh action based on the tip's current version;
    it returns the new action id.
    """
    row = conn.exec_driver_sql(
        "SELECT kind, report_id, payload, action_id FROM outbox WHERE id = ? AND state IN "
        "('conflict', 'rejected')",
        (outbox_id,),
    ).first()
    if row is None:
        return None
    kind, report_id, payload, first_id = row
    conn.exec_driver_sql("UPDATE outbox SET state = 'resolved' WHERE id = ?", (outbox_id,))
    audit.record(
        conn,
        actor=analyst,
        action="conflict_resolved",
        at=now,
        report_id=report_id,
        after={"kept": "mine" if keep_mine else "hub's", "kind": kind},
    )
    if not keep_mine:
        return None
    version = conn.exec_driver_sql("SELECT version FROM report WHERE id = ?", (report_id,)).scalar()
    again = queue_action(
        conn,
        kind=kind,
        report_id=report_id,
        base_version=version,
        payload=json.loads(payload) if isinstance(payload, str) else payload or {},
        analyst=analyst,
        now=now,
    )
    # a note sent again is the same note: it is known by the action that will bring it back
    conn.exec_driver_sql("UPDATE note SET action_id = ? WHERE action_id = ?", (again, first_id))
    return again
