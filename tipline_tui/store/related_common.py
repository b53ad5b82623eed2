"""What the related-report search shares: evidence per prior tip, rarity, chunked SQL."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tipline_tui.store.sql_rows import ReadConnection, rows

SQL_CHUNK = 400  # host parameters per IN list, well under SQLite's limit
ACCOUNT_DECAY = 0.1  # see related.ACCOUNT_KEYS: an account's weight falls gently
# Screen names' one-slip variants (see name_keys.slip_variants) share the trigram table,
# marked by this first character so they never meet a trigram: one (text, value) index
# serves both the trigram blocking and the symmetric-delete lookup.
SLIP_MARK = "\x1e"
KIND_NAMES = {"screen_name": "screen name", "display_name": "display name", "email": "email"}


# A reason is either final text or a note to fill in from the other tip's own raw value
# (read only for the tips that are shown): ("key", template, key_type, key, mine),
# ("near", template, key_type, key, mine) (see related_networks) or ("fuzzy", prefix, value_id).
Reason = str | tuple[str, ...]


@dataclass(slots=True)
class Evidence:
    best: dict[str, tuple[float, Reason]] = field(default_factory=dict)  # family -> best
    against: float = 0.0  # the strongest evidence of another person (0..1)

    def add(self, family: str, weight: float, reason: Reason) -> None:
        if weight > self.best.get(family, (0.0, ""))[0]:
            self.best[family] = (weight, reason)

    def oppose(self, weight: float) -> None:
        """Evidence of another person (the same name, another birth date) scales the score down."""
        self.against = max(self.against, weight)

    def score(self) -> float:
        return (1.0 - math.prod(1.0 - w for w, _ in self.best.values())) * (1.0 - self.against)

    def ranked(self) -> list[Reason]:
        return [reason for _, reason in sorted(self.best.values(), key=lambda wr: -wr[0])]


def trigrams(value: str) -> set[str]:
    padded = f" {value} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def rarity(count: int, account: bool = False) -> float:
    """1 for a value only one other tip (or account) has, falling as more share it."""
    decay = ACCOUNT_DECAY if account else 1.0
    return 1.0 / (1.0 + decay * math.log2(max(1, count)))


def marks_sql(n: int) -> str:
    return ", ".join("?" for _ in range(n))


T = TypeVar("T")


def chunks(values: Sequence[T], size: int = SQL_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def capped_counts(
    conn: ReadConnection,
    table: str,
    where: str,
    params: Sequence[tuple[Any, ...]],
    cap: int,
) -> list[int]:
    """For each parameter tuple, how many `table` rows match `where`, counted up to `cap`.

    One statement for all of them; each count stops at `cap` rows of the index.
    """
    if not params:
        return []
    width = len(params[0])
    columns = ", ".join(f"c{i}" for i in range(width))
    counts: list[int] = []
    for chunk in chunks(params, SQL_CHUNK // width):
        values_sql = ", ".join(f"({marks_sql(width)})" for _ in chunk)
        sql = (
            f"WITH q({columns}) AS (VALUES {values_sql}) "
            f"SELECT (SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT {cap})) "
            "FROM q"
        )
        counts.extend(n for (n,) in rows(conn, sql, tuple(v for p in chunk for v in p)))
    return counts
