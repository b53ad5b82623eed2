"""What is wrong with a document: one Problem per fault, all raised together."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault, placed by element path and source line so an ESP can find and fix it."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return text if self.line is None else f"{text} (line {self.line})"


class ReportParseError(Exception):
    """The document was refused; `problems` lists every fault found, in document order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def show(value: str, limit: int = 40) -> str:
    """A sent value quoted for a message: escaped by repr and cut short, so it cannot flood."""
    if len(value) > limit:
        return repr(value[:limit]) + f"... ({len(value)} characters)"
    return repr(value)
