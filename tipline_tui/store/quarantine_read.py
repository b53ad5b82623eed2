"""Reading quarantined documents, as SQL run on either connection (store/sql_rows.py).

Apart from intake's writers (intake.py) so that `tipline quarantine` reads without
importing SQLAlchemy; the app's quarantine screen calls the same functions.
"""

from __future__ import annotations

import json
from typing import Any

from tipline_tui.domain.intake import QuarantinedDocument
from tipline_tui.store.sql_rows import ReadConnection, one_value, rows


def _problems(text: Any) -> list[str]:
    """The stored JSON list of problems (SQL NULL: none)."""
    return list(json.loads(text) or []) if text is not None else []


def quarantine_count(conn: ReadConnection) -> int:
    return int(one_value(conn, "SELECT count(*) FROM quarantine"))


def list_quarantine(conn: ReadConnection, limit: int = 500) -> list[QuarantinedDocument]:
    """Newest first, without the documents' bytes."""
    found = rows(
        conn,
        "SELECT id, received_at, file_name, size, sha256, problems FROM quarantine "
        "ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [
        QuarantinedDocument(doc_id, at, name, size, sha256, _problems(problems))
        for doc_id, at, name, size, sha256, problems in found
    ]


def get_quarantined(conn: ReadConnection, quarantine_id: int) -> QuarantinedDocument | None:
    found = rows(
        conn,
        "SELECT id, received_at, file_name, size, sha256, problems, content FROM quarantine "
        "WHERE id = ?",
        (quarantine_id,),
    )
    if not found:
        return None
    doc_id, at, name, size, sha256, problems, content = found[0]
    return QuarantinedDocument(doc_id, at, name, size, sha256, _problems(problems), bytes(content))
