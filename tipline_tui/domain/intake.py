"""What intake reports back: per-document outcomes and quarantined documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    ATTACHED = "attached"
    QUARANTINED = "quarantined"


@dataclass(slots=True)
class DocumentResult:
    """What happened to one document given to `tipline import`."""

    name: str
    outcome: Outcome
    report_id: int | None = None
    quarantine_id: int | None = None
    problems: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass(slots=True)
class QuarantinedDocument:
    id: int
    received_at: int
    file_name: str
    size: int
    sha256: str
    problems: list[str]
    content: bytes | None = None
