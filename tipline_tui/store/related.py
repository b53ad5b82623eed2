"""Related prior reports: exact keys, fuzzy names, analysts' judgements, combined.

Exact keys come from an ordinary index. Fuzzy candidates come from the
trigram blocking index, and only those candidates are scored by rapidfuzz,
never every string in the store. Evidence is weighted by how rare a value
is (a key shared by thousands of tips, like a viral file's hash or a big
network, says little about a person) and combined per prior tip as a
noisy-OR, taking the strongest piece of evidence per kind so one email
address seen three ways does not count three times.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import Connection

from tipline_tui.domain.views import RelatedReport
from tipline_tui.store.related_index import trigrams

KEY_LIMIT = 300  # more tips than this share the value: it says nothing about a person
MIN_SCORE = 0.2  # weaker combined evidence is noise to an analyst, not a lead
GRAM_LIMIT = 20000  # postings read per trigram at most
CANDIDATES = 300
FUZZY_CUTOFF = 90.0
FUZZY_CURVE = 1.0  # weight grows linearly from the cutoff to a perfect match
OCCURRENCE_LIMIT = 300

_KEY_REASONS = {
    "email": "same email",
    "email_base": "same email (ignoring +tag)",
    "email_local": "same email user name",
    "email_domain": "same email domain",
    "e164": "same phone",
    "digits": "same phone digits",
    "last7": "phone ends the same (last 7)",
    "ip": "same IP",
    "net24": "same /24",
    "net64": "same /64",
    "name": "same {kind}",
    "skeleton": "look-alike {kind}",
    "deleet": "{kind} same but for leetspeak",
    "leet": "{kind} same but for leetspeak",
    "stem": "{kind} same but for digits",
    "esp_id": "same ESP account id",
    "device": "same device id",
    "hash": "same file hash",
}
_KIND_NAMES = {"screen_name": "screen name", "display_name": "display name", "email": "email"}
# similar is not same: near-identical handles of different people are common
_FUZZY_STRENGTH = {"screen_name": 0.5, "display_name": 0.25, "email": 0.3}


@dataclass(slots=True)
class _Evidence:
    best: dict[str, tuple[float, str]] = field(default_factory=dict)  # family -> (weight, reason)

    def add(self, family: str, weight: float, reason: str) -> None:
        if weight > self.best.get(family, (0.0, ""))[0]:
            self.best[family] = (weight, reason)

    def score(self) -> float:
        return 1.0 - math.prod(1.0 - w for w, _ in self.best.values())

    def reasons(self) -> tuple[str, ...]:
        ranked = sorted(self.best.values(), reverse=True)
        return tuple(reason for _, reason in ranked)


# Keys that name one account: many tips sharing one usually means one prolific person,
# so their weight falls gently. Names, networks, files and partial keys are shared by
# different people, so theirs falls fast.
ACCOUNT_KEYS = frozenset({"email", "email_base", "e164", "esp_id", "device"})
ACCOUNT_DECAY = 0.25


def _rarity(count: int, key_type: str = "") -> float:
    """1 for a value only one other tip has, falling as more tips share it."""
    decay = ACCOUNT_DECAY if key_type in ACCOUNT_KEYS else 1.0
    return 1.0 / (1.0 + decay * math.log2(max(1, count)))


def _key_reason(key_type: str, kind: str, mine: str, theirs: str) -> str:
    template = _KEY_REASONS.get(key_type, f"same {key_type}")
    reason = template.format(kind=_KIND_NAMES.get(kind, kind.replace("_", " ")))
    if key_type in ("email", "e164", "name") and mine != theirs:
        reason += f" ({theirs})"
    return reason


def _exact(conn: Connection, report_id: int, evidence: dict[int, _Evidence]) -> None:
    keys = conn.exec_driver_sql(
        "SELECT kind, raw, key_type, key, strength FROM identifier_key WHERE report_id = ?",
        (report_id,),
    ).fetchall()
    for kind, raw, key_type, key, strength in keys:
        rows = conn.exec_driver_sql(
            "SELECT report_id, raw FROM identifier_key WHERE key_type = ? AND key = ? "
            "AND report_id != ? LIMIT ?",
            (key_type, key, report_id, KEY_LIMIT),
        ).fetchall()
        if not rows or len(rows) >= KEY_LIMIT:
            continue
        weight = strength * _rarity(len({r for r, _ in rows}), key_type)
        for other, other_raw in rows:
            evidence.setdefault(other, _Evidence()).add(
                kind, weight, _key_reason(key_type, kind, raw, other_raw)
            )


def _candidates(conn: Connection, value: str) -> list[int]:
    """Fuzzy values sharing the most trigrams with `value` (the blocking step)."""
    grams = trigrams(value)
    hits: Counter[int] = Counter()
    for gram in grams:
        hits.update(
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT value_id FROM trigram WHERE gram = ? LIMIT ?", (gram, GRAM_LIMIT)
            )
        )
    needed = max(2, len(grams) // 3)
    return [value_id for value_id, n in hits.most_common(CANDIDATES) if n >= needed]


def _fuzzy(conn: Connection, report_id: int, evidence: dict[int, _Evidence]) -> None:
    mine = conn.exec_driver_sql(
        "SELECT o.value_id, v.kind, v.value, o.raw FROM fuzzy_occurrence o "
        "JOIN fuzzy_value v ON v.id = o.value_id WHERE o.report_id = ?",
        (report_id,),
    ).fetchall()
    own_ids = {value_id for value_id, _, _, _ in mine}
    for _, kind, value, _raw in mine:
        candidates = [c for c in _candidates(conn, value) if c not in own_ids]
        if not candidates:
            continue
        marks = ", ".join("?" for _ in candidates)
        rows = conn.exec_driver_sql(
            f"SELECT id, kind, value FROM fuzzy_value WHERE id IN ({marks})", tuple(candidates)
        )
        for value_id, other_kind, other_value in rows:
            similarity = fuzz.ratio(value, other_value, score_cutoff=FUZZY_CUTOFF)
            if not similarity or similarity >= 100:
                continue  # identical normalised values are exact-key evidence already
            strength = min(_FUZZY_STRENGTH.get(kind, 0.4), _FUZZY_STRENGTH.get(other_kind, 0.4))
            weight = strength * ((similarity - FUZZY_CUTOFF) / (100 - FUZZY_CUTOFF)) ** FUZZY_CURVE
            occurrences = conn.exec_driver_sql(
                "SELECT report_id, raw FROM fuzzy_occurrence WHERE value_id = ? "
                "AND report_id != ? LIMIT ?",
                (value_id, report_id, OCCURRENCE_LIMIT),
            ).fetchall()
            if not occurrences or len(occurrences) >= OCCURRENCE_LIMIT:
                continue
            weight *= _rarity(len(occurrences))
            label = _KIND_NAMES.get(kind, kind)
            for other, other_raw in occurrences:
                evidence.setdefault(other, _Evidence()).add(
                    f"fuzzy:{kind}", weight, f"{label} {similarity:.0f}% ~ {other_raw}"
                )


def _marks(conn: Connection, report_id: int) -> dict[int, tuple[bool, str]]:
    rows = conn.exec_driver_sql(
        "SELECT low_id, high_id, same, analyst FROM pair_mark WHERE low_id = ? OR high_id = ?",
        (report_id, report_id),
    )
    return {
        (high if low == report_id else low): (bool(same), analyst)
        for low, high, same, analyst in rows
    }


def related_reports(conn: Connection, report_id: int, limit: int = 20) -> list[RelatedReport]:
    """Prior tips about the same people as `report_id`, strongest first, each with reasons."""
    evidence: dict[int, _Evidence] = {}
    _exact(conn, report_id, evidence)
    _fuzzy(conn, report_id, evidence)
    marks = _marks(conn, report_id)
    for other, (same, analyst) in marks.items():
        if same:
            evidence.setdefault(other, _Evidence()).add(
                "marked", 0.99, f"marked same person by {analyst}"
            )
    ranked = sorted(
        (
            (ev.score(), other)
            for other, ev in evidence.items()
            if not (other in marks and not marks[other][0]) and ev.score() >= MIN_SCORE
        ),
        reverse=True,
    )[:limit]
    if not ranked:
        return []
    ids = [other for _, other in ranked]
    marks_sql = ", ".join("?" for _ in ids)
    info = {
        row[0]: row
        for row in conn.exec_driver_sql(
            "SELECT r.id, r.received_at, r.incident_type, r.status, a.name FROM report r "
            f"LEFT JOIN agency a ON a.id = r.jurisdiction_id WHERE r.id IN ({marks_sql})",
            tuple(ids),
        )
    }
    return [
        RelatedReport(
            report_id=other,
            score=round(score, 3),
            received_at=info[other][1],
            incident_type=info[other][2],
            status=info[other][3],
            jurisdiction=info[other][4],
            reasons=evidence[other].reasons(),
            marked=marks[other][0] if other in marks else None,
        )
        for score, other in ranked
        if other in info
    ]


def mark_pair(conn: Connection, a: int, b: int, *, same: bool, analyst: str, now: int) -> None:
    """Record (or change) an analyst's judgement that two tips concern the same person."""
    low, high = sorted((a, b))
    conn.exec_driver_sql(
        "INSERT INTO pair_mark (low_id, high_id, same, analyst, marked_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (low_id, high_id) DO UPDATE SET same = excluded.same, "
        "analyst = excluded.analyst, marked_at = excluded.marked_at",
        (low, high, same, analyst, now),
    )
