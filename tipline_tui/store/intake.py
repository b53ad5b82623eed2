"""Store side of intake: de-duplication, quarantine, attaching file metadata."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, insert, select

from tipline_tui.domain.identifiers import Identifier, report_identifiers
from tipline_tui.domain.report import FileDetails, Report
from tipline_tui.store.quarantine_read import get_quarantined, list_quarantine, quarantine_count
from tipline_tui.store.reports import add_files
from tipline_tui.store.tables import FileRow, QuarantineRow, ReportRow, table_of

__all__ = [
    "attach_files",
    "existing_files",
    "get_quarantined",
    "list_quarantine",
    "quarantine",
    "quarantine_count",
    "reports_by_source",
    "resolve_reports",
]

_report = table_of(ReportRow)
_file = table_of(FileRow)
_quarantine = table_of(QuarantineRow)


def reports_by_source(conn: Connection, digests: Iterable[str]) -> dict[str, int]:
    """Report ids already stored from documents with these SHA-256 digests."""
    wanted = list(set(digests))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(_report.c.source_sha256, _report.c.id).where(
            _report.c.source_sha256.in_(chunk)
        )
        found.update({digest: report_id for digest, report_id in conn.execute(query)})
    return found


def quarantine(
    conn: Connection,
    file_name: str,
    content: bytes,
    digest: str,
    problems: Sequence[str],
    now: int,
) -> tuple[int, bool]:
    """Keep a bad document whole. Returns its quarantine id and whether it was new."""
    existing = conn.execute(select(_quarantine.c.id).where(_quarantine.c.sha256 == digest)).scalar()
    if existing is not None:
        return existing, False
    result = conn.execute(
        insert(_quarantine)
        .values(
            received_at=now,
            file_name=file_name,
            sha256=digest,
            size=len(content),
            content=content,
            problems=list(problems),
        )
        .returning(_quarantine.c.id)
    )
    return int(result.scalar_one()), True


def resolve_reports(conn: Connection, references: Iterable[int]) -> dict[int, int]:
    """The local tip each fileDetails `reportId` names: the hub's id first, else the local id."""
    wanted = list(set(references))
    found: dict[int, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for (report_id,) in conn.execute(select(_report.c.id).where(_report.c.id.in_(chunk))):
            found[report_id] = report_id
        hub = select(_report.c.hub_id, _report.c.id).where(_report.c.hub_id.in_(chunk))
        found.update({hub_id: report_id for hub_id, report_id in conn.execute(hub)})
    return found


def existing_files(conn: Connection, report_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(tip, fileId) pairs already stored for these tips."""
    wanted = list(set(report_ids))
    pairs: set[tuple[int, str]] = set()
    for start in range(0, len(wanted), 500):
        query = select(_file.c.report_id, _file.c.file_id).where(
            _file.c.report_id.in_(wanted[start : start + 500])
        )
        pairs.update((r, f) for r, f in conn.execute(query))
    return pairs


def attach_files(conn: Connection, files: Sequence[tuple[int, FileDetails]]) -> None:
    """Store file metadata (and hash identifiers) on tips, in one batch."""
    add_files(
        conn, [(report_id, details, _file_identifiers(details)) for report_id, details in files]
    )


def _file_identifiers(details: FileDetails) -> list[Identifier]:
    return report_identifiers(Report(incident_type="", incident_date_time="", files=[details]))
