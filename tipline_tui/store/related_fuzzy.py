"""Fuzzy evidence for related reports: similar names and email user names.

Candidates come from the trigram blocking index, and only those are scored by
rapidfuzz, never every string in the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from rapidfuzz import fuzz

from tipline_tui.domain.name_keys import one_slip, slip_variants
from tipline_tui.store.related_common import (
    KIND_NAMES,
    SLIP_MARK,
    Evidence,
    capped_counts,
    chunks,
    marks_sql,
    rarity,
    trigrams,
)
from tipline_tui.store.sql_rows import ReadConnection, rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

CANDIDATES = 300
FUZZY_CUTOFF = 90.0  # weight grows linearly from here to a perfect match
OCCURRENCE_LIMIT = 300
# Blocking reads the postings of a value's rarest trigrams only, rarest first, until
# about GRAM_BUDGET postings. A trigram in thousands of values ("wol", "er ") costs the
# most to read and tells the least. Document frequencies are counted only up to
# GRAM_BUDGET, through the trigram table's own key. A value with fewer than MIN_GRAMS
# trigrams under the budget is made of common pieces and has thousands of near
# neighbours: it is not fuzzy-matched (it still matches exactly).
GRAM_BUDGET = 4000
MIN_GRAMS = 2
# similar is not same: near-identical handles of different people are common
_FUZZY_STRENGTH = {"screen_name": 0.5, "display_name": 0.25, "email": 0.3}
# One slip (a letter swapped, dropped, added or changed) in a distinctive screen name's
# word part, same number: a typing slip or a way back after a ban, not another person.
SLIP_STRENGTH = 0.45
SLIP_CANDIDATES = 2000  # variants shared more widely than this are not distinctive
# a match: (identifier kind, similarity, weight, reason suffix: "" but for a slip)
_Match = tuple[str, float, float, str]


def _stem(value: str) -> str:
    return value.rstrip("0123456789")


def _grams_to_read(grams: set[str], frequency: dict[str, int]) -> list[str]:
    """The value's rarest trigrams, rarest first, within GRAM_BUDGET postings in all."""
    read: list[str] = []
    total = 0
    for gram in sorted(grams, key=lambda g: (frequency[g], g)):
        total += frequency[gram]
        if frequency[gram] >= GRAM_BUDGET or (total > GRAM_BUDGET and len(read) >= MIN_GRAMS):
            break
        read.append(gram)
    return read if len(read) >= MIN_GRAMS else []


def shared_grams_needed(value: str, grams: set[str]) -> int:
    """How many of `value`'s trigrams a string within FUZZY_CUTOFF of it must share.

    fuzz.ratio >= 90 allows at most 2/9 of the value's length in insertions and
    deletions (the other string is at most that much longer); each edit destroys at most
    three of its trigrams (the q-gram lemma). A third of them is the floor, as before.
    """
    loss = (100 - FUZZY_CUTOFF) / 100  # ratio allows indel <= loss * (both lengths)
    edits = int(2 * loss * len(value) / (1 - loss) + 1e-9)
    return max(2, len(grams) // 3, len(grams) - 3 * edits)


def _candidates(
    conn: ReadConnection, value: str, grams: set[str], frequency: dict[str, int], own: set[int]
) -> list[int]:
    """Fuzzy values sharing the most of a value's trigrams (the blocking step).

    A candidate must share as many trigrams as a string within FUZZY_CUTOFF can; the
    trigrams not read are assumed shared, so skipping them never drops a candidate that
    reading them would have kept.
    """
    read = _grams_to_read(grams, frequency)
    if not read:
        return []
    needed = max(1, shared_grams_needed(value, grams) - (len(grams) - len(read)))
    found = rows(
        conn,
        f"SELECT value_id, count(*) AS n FROM trigram WHERE gram IN ({marks_sql(len(read))}) "
        "GROUP BY value_id HAVING n >= ? ORDER BY n DESC, value_id LIMIT ?",
        (*read, needed, CANDIDATES + len(own)),
    )
    return [value_id for value_id, _ in found if value_id not in own][:CANDIDATES]


# Trigrams in GRAM_BUDGET or more values, per store. The trigram index only grows (a
# fuzzy value, once stored, stays), so a trigram once common stays common, and counting
# it again, GRAM_BUDGET index entries each time, would only say so again: two thirds of
# the counting work at 600,000 tips, on a few hundred distinct trigrams.
_COMMON_GRAMS: WeakKeyDictionary[Engine, set[str]] = WeakKeyDictionary()


def _common_grams(conn: ReadConnection) -> set[str]:
    """The store's known common trigrams: kept per engine, for the app's many searches; a
    command reading through bare sqlite3 searches once, so it starts empty."""
    if isinstance(conn, sqlite3.Connection):
        return set()
    return _COMMON_GRAMS.setdefault(conn.engine, set())


def _frequencies(conn: ReadConnection, grams: Sequence[str]) -> dict[str, int]:
    """How many values hold each trigram, counted up to GRAM_BUDGET."""
    common = _common_grams(conn)
    unknown = [g for g in grams if g not in common]
    counts = capped_counts(conn, "trigram", "gram = q.c0", [(g,) for g in unknown], GRAM_BUDGET)
    frequency = dict(zip(unknown, counts, strict=True))
    common.update(g for g, n in frequency.items() if n >= GRAM_BUDGET)
    frequency.update((g, GRAM_BUDGET) for g in grams if g not in frequency)
    return frequency


def _fuzzy_candidates(
    conn: ReadConnection, mine: Sequence[tuple[int, str, str]]
) -> dict[int, list[tuple[str, str]]]:
    """Candidate values for each of this tip's fuzzy values: candidate -> [(kind, value)]."""
    own_ids = {value_id for value_id, _, _ in mine}
    grams_of = {value: trigrams(value) for _, _, value in mine}
    all_grams = sorted(set().union(*grams_of.values()))
    frequency = _frequencies(conn, all_grams)
    wanted: dict[int, list[tuple[str, str]]] = {}
    for _, kind, value in mine:
        for candidate in _candidates(conn, value, grams_of[value], frequency, own_ids):
            wanted.setdefault(candidate, []).append((kind, value))
    return wanted


def _slip_candidates(
    conn: ReadConnection, mine: Sequence[tuple[int, str, str]], raw_of: dict[str, str]
) -> dict[int, tuple[str, str]]:
    """Screen names sharing a one-slip variant with one of mine: value id -> (mine, my raw)."""
    own_ids = {value_id for value_id, _, _ in mine}
    mark_of: dict[str, str] = {}
    for _, kind, value in mine:
        if kind == "screen_name":
            for variant in slip_variants(value):
                mark_of.setdefault(SLIP_MARK + variant, value)
    found: dict[int, tuple[str, str]] = {}
    for chunk in chunks(list(mark_of)):
        for gram, value_id in rows(
            conn,
            f"SELECT gram, value_id FROM trigram WHERE gram IN ({marks_sql(len(chunk))}) LIMIT ?",
            (*chunk, SLIP_CANDIDATES),
        ):
            if value_id not in own_ids:
                mine_value = mark_of[gram]
                found.setdefault(value_id, (mine_value, raw_of.get(mine_value, mine_value)))
    return found


def _fuzzy_matches(
    conn: ReadConnection,
    wanted: dict[int, list[tuple[str, str]]],
    slips: dict[int, tuple[str, str]],
) -> dict[int, list[_Match]]:
    """Candidates close enough: value id -> [(kind, similarity, weight, reason suffix)].

    Slip candidates that are one slip off (rapidfuzz's OSA distance) are strong; other
    candidates are scored by rapidfuzz's ratio.
    """
    matches: dict[int, list[_Match]] = {}
    for chunk in chunks(list(slips)):
        for value_id, other_value in rows(
            conn,
            f"SELECT id, value FROM fuzzy_value WHERE id IN ({marks_sql(len(chunk))})",
            tuple(chunk),
        ):
            mine, raw = slips[value_id]
            if one_slip(mine, other_value):
                matches[value_id] = [("screen_name", 0.0, SLIP_STRENGTH, f" ~ {raw})")]
    wanted = {v: w for v, w in wanted.items() if v not in matches}
    for chunk in chunks(list(wanted)):
        for value_id, other_kind, other_value in rows(
            conn,
            f"SELECT id, kind, value FROM fuzzy_value WHERE id IN ({marks_sql(len(chunk))})",
            tuple(chunk),
        ):
            for kind, value in wanted[value_id]:
                if _stem(value) == _stem(other_value):
                    continue  # same but for digits: the stem key's evidence already
                similarity = fuzz.ratio(value, other_value, score_cutoff=FUZZY_CUTOFF)
                if not similarity or similarity >= 100:
                    continue  # identical normalised values are exact-key evidence already
                strength = min(_FUZZY_STRENGTH.get(kind, 0.4), _FUZZY_STRENGTH.get(other_kind, 0.4))
                closeness = (similarity - FUZZY_CUTOFF) / (100 - FUZZY_CUTOFF)
                weight = strength * closeness
                matches.setdefault(value_id, []).append((kind, similarity, weight, ""))
    return matches


def fuzzy_evidence(conn: ReadConnection, report_id: int, evidence: dict[int, Evidence]) -> None:
    mine = rows(
        conn,
        "SELECT o.value_id, v.kind, v.value, min(o.raw) FROM fuzzy_occurrence o "
        "JOIN fuzzy_value v ON v.id = o.value_id WHERE o.report_id = ? GROUP BY o.value_id",
        (report_id,),
    )
    if not mine:
        return
    own_values = [(value_id, kind, value) for value_id, kind, value, _ in mine]
    wanted = _fuzzy_candidates(conn, own_values)
    slips = _slip_candidates(conn, own_values, {value: raw for _, _, value, raw in mine})
    matches = _fuzzy_matches(conn, wanted, slips) if wanted or slips else {}
    if not matches:
        return
    values = list(matches)
    counts = capped_counts(
        conn, "fuzzy_occurrence", "value_id = q.c0", [(v,) for v in values], OCCURRENCE_LIMIT + 1
    )
    usable = {v: n for v, n in zip(values, counts, strict=True) if 0 < n <= OCCURRENCE_LIMIT}
    for chunk in chunks(list(usable)):
        found = rows(
            conn,
            "SELECT value_id, report_id FROM fuzzy_occurrence "
            f"WHERE value_id IN ({marks_sql(len(chunk))})",
            tuple(chunk),
        )
        others_of: dict[int, set[int]] = {}
        for value_id, other in found:
            if other != report_id:
                others_of.setdefault(value_id, set()).add(other)
        for value_id, others in others_of.items():
            scarcity = rarity(len(others))
            for kind, similarity, weight, suffix in matches[value_id]:
                label = KIND_NAMES.get(kind, kind)
                reason: tuple[str, ...] = ("fuzzy", f"{label} {similarity:.0f}% ~ ", str(value_id))
                if suffix:
                    reason = ("fuzzy", f"{label} one letter off (", str(value_id), suffix)
                for other in others:
                    evidence.setdefault(other, Evidence()).add(
                        f"fuzzy:{kind}", weight * scarcity, reason
                    )
