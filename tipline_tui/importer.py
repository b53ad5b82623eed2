"""`tipline import`: read documents, parse them, store the good, quarantine the bad.

Reports are parsed and stored in batches, each batch one transaction, so a
crash mid-import leaves the store consistent and a rerun picks up where it
stopped (documents already stored are recognised by their SHA-256).
fileDetails documents are attached after every report of the run is in,
so a report and its files can be imported together in any order.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from tipline_tui.domain.cybertip_xml import (
    MAX_DOCUMENT_BYTES,
    ReportParseError,
    parse_document,
)
from tipline_tui.domain.intake import DocumentResult, Outcome
from tipline_tui.domain.report import FileDetails, Report
from tipline_tui.store import Store
from tipline_tui.store import intake as store_intake
from tipline_tui.store.reports import write_reports

BATCH = 500


class ImportUsageError(Exception):
    """A path given to import does not exist or cannot be read."""


@dataclass(slots=True)
class _Document:
    name: str
    content: bytes
    digest: str


def find_documents(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and every *.xml file under directories, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ImportUsageError(f"{path}: no such file or directory")
    return found


def _read(path: Path) -> bytes:
    """The document's bytes, reading at most one byte past the size limit."""
    with path.open("rb") as handle:
        return handle.read(MAX_DOCUMENT_BYTES + 1)


def _chunks(paths: list[Path], size: int) -> Iterator[list[Path]]:
    for start in range(0, len(paths), size):
        yield paths[start : start + size]


class Importer:
    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def run(self, paths: Iterable[Path]) -> Iterator[DocumentResult]:
        """Import every document under `paths`, yielding one result per document."""
        files = find_documents(paths)
        pending_files: list[tuple[_Document, FileDetails]] = []
        for chunk in _chunks(files, BATCH):
            documents = []
            for path in chunk:
                try:
                    content = _read(path)
                except OSError as exc:
                    raise ImportUsageError(f"{path}: cannot read: {exc.strerror}") from None
                documents.append(_Document(str(path), content, hashlib.sha256(content).hexdigest()))
            yield from self._reports(documents, pending_files)
        if pending_files:
            yield from self._files(pending_files)

    def _reports(
        self, documents: list[_Document], pending_files: list[tuple[_Document, FileDetails]]
    ) -> list[DocumentResult]:
        parsed: list[tuple[_Document, Report]] = []
        bad: list[tuple[_Document, list[str]]] = []
        for doc in documents:
            try:
                result = parse_document(doc.content)
            except ReportParseError as exc:
                bad.append((doc, [str(p) for p in exc.problems]))
                continue
            if isinstance(result, FileDetails):
                pending_files.append((doc, result))
            else:
                parsed.append((doc, result))
        now = int(self.clock())
        results: dict[str, DocumentResult] = {}
        with self.store.write() as conn:
            known = store_intake.reports_by_source(conn, (d.digest for d, _ in parsed))
            fresh: list[tuple[_Document, Report]] = []
            for doc, report in parsed:
                if doc.digest in known:
                    results[doc.name] = DocumentResult(
                        doc.name,
                        Outcome.DUPLICATE,
                        report_id=known[doc.digest],
                        detail=f"already imported as tip #{known[doc.digest]}",
                    )
                else:
                    known[doc.digest] = -1  # the same document twice in one run
                    fresh.append((doc, report))
            ids = write_reports(conn, [r for _, r in fresh], now, [d.digest for d, _ in fresh])
            for (doc, _), report_id in zip(fresh, ids, strict=True):
                known[doc.digest] = report_id
                results[doc.name] = DocumentResult(doc.name, Outcome.IMPORTED, report_id=report_id)
            for doc, _report in parsed:  # fix up in-run duplicates now their id is known
                if results.get(doc.name) is None:
                    results[doc.name] = DocumentResult(
                        doc.name,
                        Outcome.DUPLICATE,
                        report_id=known[doc.digest],
                        detail=f"already imported as tip #{known[doc.digest]}",
                    )
            for doc, problems in bad:
                results[doc.name] = self._quarantine(conn, doc, problems, now)
        return [results[d.name] for d in documents if d.name in results]

    def _quarantine(
        self, conn: Connection, doc: _Document, problems: list[str], now: int
    ) -> DocumentResult:
        qid, new = store_intake.quarantine(conn, doc.name, doc.content, doc.digest, problems, now)
        detail = "" if new else "the same document was quarantined before"
        return DocumentResult(
            doc.name, Outcome.QUARANTINED, quarantine_id=qid, problems=problems, detail=detail
        )

    def _files(self, pending: list[tuple[_Document, FileDetails]]) -> Iterator[DocumentResult]:
        now = int(self.clock())
        for start in range(0, len(pending), BATCH):
            chunk = pending[start : start + BATCH]
            with self.store.write() as conn:
                results = self._attach(conn, chunk, now)
            yield from results

    def _attach(
        self, conn: Connection, chunk: list[tuple[_Document, FileDetails]], now: int
    ) -> list[DocumentResult]:
        tips = store_intake.resolve_reports(conn, (d.report_id for _, d in chunk if d.report_id))
        stored = store_intake.existing_files(conn, tips.values())
        results: list[DocumentResult] = []
        to_attach: list[tuple[int, FileDetails]] = []
        for doc, details in chunk:
            report_id = tips.get(details.report_id) if details.report_id else None
            if report_id is None:
                problem = (
                    f"fileDetails/reportId: no tip {details.report_id} in this store "
                    "(import its report first)"
                )
                results.append(self._quarantine(conn, doc, [problem], now))
                continue
            if (report_id, details.file_id) in stored:
                results.append(
                    DocumentResult(
                        doc.name,
                        Outcome.DUPLICATE,
                        report_id=report_id,
                        detail=f"file {details.file_id} already on tip #{report_id}",
                    )
                )
                continue
            stored.add((report_id, details.file_id))
            to_attach.append((report_id, details))
            results.append(
                DocumentResult(
                    doc.name,
                    Outcome.ATTACHED,
                    report_id=report_id,
                    detail=f"file {details.file_id}",
                )
            )
        store_intake.attach_files(conn, to_attach)
        return results
