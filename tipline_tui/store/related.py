"""Related prior reports: exact keys, fuzzy names, analysts' judgements, combined.

Exact keys come from an ordinary index. Fuzzy candidates come from the
trigram blocking index, and only those candidates are scored by rapidfuzz,
never every string in the store. Evidence is weighted by how rare a value
is (a key shared by thousands of tips, like a viral file's hash or a big
network, says little about a person), counted by person where the index
can tell: the accounts behind a key, not the tips (one busy account's forty
tips are one person). A path through another tip's account adds a little,
enough to lift weak direct evidence but never to show a tip on its own.
Evidence is combined per prior tip as a noisy-OR, taking the strongest piece
per kind so one email address seen three ways does not count three times.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import Connection

from tipline_tui.domain.keys import SCOPE_MARK, email_account
from tipline_tui.domain.views import RelatedReport
from tipline_tui.store.related_index import trigrams

KEY_LIMIT = 300  # more tips than this share the value: it says nothing about a person
ACCOUNT_COUNT_CAP = 5000  # accounts shared more widely than this count as shared this widely
MIN_SCORE = 0.2  # weaker combined evidence is noise to an analyst, not a lead
CANDIDATES = 300
FUZZY_CUTOFF = 90.0
FUZZY_CURVE = 1.0  # weight grows linearly from the cutoff to a perfect match
OCCURRENCE_LIMIT = 300
# Blocking reads the postings of a value's rarest trigrams only, rarest first, until
# about GRAM_BUDGET postings. A trigram in thousands of values ("wol", "er ") costs the
# most to read and tells the least. Document frequencies are counted only up to
# GRAM_BUDGET, through the trigram table's own key. A value with fewer than MIN_GRAMS
# trigrams under the budget is made of common pieces and has thousands of near
# neighbours: it is not fuzzy-matched (it still matches exactly).
GRAM_BUDGET = 4000
MIN_GRAMS = 2
DIGITS_ONLY_IS_STEM = True
SQL_CHUNK = 400  # host parameters per IN list, well under SQLite's limit

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
    "handle": "same {kind} on the same service",
    "handle_alike": "look-alike {kind} on the same service",
    "device": "same device id",
    "hash": "same file hash",
}
# reasons from these keys also show the other tip's spelling
RAW_REASON_KEYS = ("email", "e164", "name", "handle", "handle_alike", "stem", "email_local")
_KIND_NAMES = {"screen_name": "screen name", "display_name": "display name", "email": "email"}
# similar is not same: near-identical handles of different people are common
_FUZZY_STRENGTH = {"screen_name": 0.5, "display_name": 0.25, "email": 0.3}


# A reason is either final text or a note to fill in from the other tip's own raw value
# (read only for the tips that are shown): ("key", template, key_type, key, mine) or
# ("fuzzy", prefix, value_id).
Reason = str | tuple[str, ...]


@dataclass(slots=True)
class _Evidence:
    best: dict[str, tuple[float, Reason]] = field(default_factory=dict)  # family -> best

    def add(self, family: str, weight: float, reason: Reason) -> None:
        if weight > self.best.get(family, (0.0, ""))[0]:
            self.best[family] = (weight, reason)

    def score(self) -> float:
        return 1.0 - math.prod(1.0 - w for w, _ in self.best.values())

    def ranked(self) -> list[Reason]:
        return [reason for _, reason in sorted(self.best.values(), key=lambda wr: -wr[0])]


# Keys that name one account: many tips sharing one usually means one prolific person,
# so their weight falls gently, and an account shared by more than KEY_LIMIT tips is
# still used (its newest tips). A handle names one account only on its own service
# (the "handle" key is scoped to the reporting ESP); across services the same handle is
# often someone else, like names, networks, files and partial keys, whose weight falls
# fast.
ACCOUNT_KEYS = frozenset(
    {"email", "email_base", "e164", "esp_id", "device", "handle", "handle_alike"}
)
ACCOUNT_DECAY = 0.1
# A path through another tip's account (see _linked): at most this many tips are
# followed, and a path weighs LINK_WEIGHT times both of its steps.
LINK_SOURCES = 10
LINK_WEIGHT = 0.2
# A screen name's own keys, seen across services, stand for as many accounts as there
# are services it was reported on: counted through the handle keys of the same value
# (next to each other in the index), a prolific person's forty tips on two services are
# two accounts, and a common name on three hundred services is three hundred.
NAME_ACCOUNTS = {"name": "handle", "skeleton": "handle_alike", "deleet": "handle_alike"}
CROSS_SERVICE = 0.7  # the same handle elsewhere is less sure than an account itself
# An email user name stands for that name at several providers: how many people share
# one is told by how many distinct addresses stand behind its tips, not by how many
# tips, since one prolific address's forty tips are one person. (A handle's digit-less
# stem is not counted so: different people who liked the same words share it as a rule,
# so it stays weak evidence that needs support from elsewhere.)
PARTIAL_KEYS = frozenset({"email_local"})


def _rarity(count: int, account: bool = False) -> float:
    """1 for a value only one other tip (or account) has, falling as more share it."""
    decay = ACCOUNT_DECAY if account else 1.0
    return 1.0 / (1.0 + decay * math.log2(max(1, count)))


def _key_template(key_type: str, kind: str) -> str:
    template = _KEY_REASONS.get(key_type, f"same {key_type}")
    return template.format(kind=_KIND_NAMES.get(kind, kind.replace("_", " ")))


def _marks_sql(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def _chunks(values: list, size: int = SQL_CHUNK) -> Iterator[list]:  # type: ignore[type-arg]
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _capped_counts(
    conn: Connection,
    table: str,
    where: str,
    params: list[tuple],
    cap: int,  # type: ignore[type-arg]
) -> list[int]:
    """For each parameter tuple, how many `table` rows match `where`, counted up to `cap`.

    One statement for all of them; each count stops at `cap` rows of the index.
    """
    if not params:
        return []
    width = len(params[0])
    columns = ", ".join(f"c{i}" for i in range(width))
    counts: list[int] = []
    for chunk in _chunks(params, SQL_CHUNK // width):
        rows = ", ".join(f"({_marks_sql(width)})" for _ in chunk)
        sql = (
            f"WITH q({columns}) AS (VALUES {rows}) "
            f"SELECT (SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT {cap})) "
            "FROM q"
        )
        counts.extend(n for (n,) in conn.exec_driver_sql(sql, tuple(v for p in chunk for v in p)))
    return counts


def _exact(
    conn: Connection, report_id: int, evidence: dict[int, _Evidence]
) -> tuple[set[tuple[str, str]], dict[int, float]]:
    """Tips sharing a canonical key: counts in one statement, postings in one or two.

    Returns this tip's own keys, and the tips that share an account with it with the
    weight of the strongest such account, for following links one step further.
    """
    mine: dict[tuple[str, str], list[tuple[str, str, float]]] = {}
    for kind, raw, key_type, key, strength in conn.exec_driver_sql(
        "SELECT kind, raw, key_type, key, strength FROM identifier_key WHERE report_id = ?",
        (report_id,),
    ):
        mine.setdefault((key_type, key), []).append((kind, raw, strength))
    if not mine:
        return set(), {}
    # The tip's own row is among each count. KEY_LIMIT or more other tips sharing a name,
    # a network or a file say nothing about a person. An account (email, phone, ESP id,
    # device, a handle on one service) shared by that many is one prolific person or one
    # shared account: still a lead, so its newest KEY_LIMIT tips are used, weighted by
    # how many share it.
    accounts = [k for k in mine if k[0] in ACCOUNT_KEYS]
    usable: dict[tuple[str, str], int] = {}
    overflow: list[tuple[str, str]] = []
    others_ = [k for k in mine if k[0] not in ACCOUNT_KEYS]  # names, networks, files, parts
    names = [
        k
        for k in others_
        if k[0] in NAME_ACCOUNTS and any(kind == "screen_name" for kind, _, _ in mine[k])
    ]
    services = _services_of(conn, names, mine)  # other accounts behind each name key
    for group, cap in ((others_, KEY_LIMIT + 1), (accounts, ACCOUNT_COUNT_CAP)):
        counts = _capped_counts(
            conn, "identifier_key", "key_type = q.c0 AND key = q.c1", group, cap
        )
        for k, n in zip(group, counts, strict=True):
            spread = services.get(k)
            if spread == 0:
                continue  # only my own account has the name: its handle key says it all
            if 1 < n <= KEY_LIMIT:
                usable[k] = n - 1 if spread is None else spread
            elif n > KEY_LIMIT and (group is accounts or (spread or KEY_LIMIT) < KEY_LIMIT):
                usable[k] = n - 1 if spread is None else spread
                overflow.append(k)
    if not usable:
        return set(mine), {}
    whole = [k for k in usable if k not in overflow and k[0] not in PARTIAL_KEYS]
    partial = [k for k in usable if k[0] in PARTIAL_KEYS]
    postings = _postings(conn, whole, report_id)
    for key_type, key in overflow:
        postings[(key_type, key)] = [
            other
            for (other,) in conn.exec_driver_sql(
                "SELECT report_id FROM identifier_key WHERE key_type = ? AND key = ? "
                "AND report_id != ? ORDER BY report_id DESC LIMIT ?",
                (key_type, key, report_id, KEY_LIMIT),
            )
        ]
    linked: dict[int, float] = {}
    for (key_type, key), others in postings.items():
        for kind, raw, strength in mine[(key_type, key)]:
            account = key_type in ACCOUNT_KEYS
            weight = strength * _rarity(usable[(key_type, key)], account)
            if (key_type, key) in services:
                weight *= CROSS_SERVICE
            reason: Reason = _key_template(key_type, kind)
            if key_type in RAW_REASON_KEYS:
                reason = ("key", reason, key_type, key, raw)
            for other in others:
                evidence.setdefault(other, _Evidence()).add(kind, weight, reason)
                if account and weight > linked.get(other, 0.0):
                    linked[other] = weight
    _partial(conn, report_id, {k: mine[k] for k in partial}, evidence)
    return set(mine), linked


def _linked(
    conn: Connection,
    report_id: int,
    own: set[tuple[str, str]],
    sources: dict[int, float],
    evidence: dict[int, _Evidence],
) -> None:
    """Tips sharing an account with a tip that shares an account with this one.

    One person shows up under several accounts, and each tip names only some of them:
    a tip naming the handle and email of this one's ESP account is about the same
    person even if it shares nothing with this tip directly. Such a path is
    corroboration, weighted below any direct account match, so on its own it stays
    under MIN_SCORE and only lifts a tip that has weak direct evidence too.
    """
    if not sources:
        return
    followed = sorted(sources, key=lambda s: (-sources[s], -s))[:LINK_SOURCES]
    via: dict[tuple[str, str], list[int]] = {}
    for chunk in _chunks(followed):
        for source, key_type, key in conn.exec_driver_sql(
            "SELECT report_id, key_type, key FROM identifier_key "
            f"WHERE report_id IN ({_marks_sql(len(chunk))}) "
            f"AND +key_type IN ({_marks_sql(len(ACCOUNT_KEYS))})",
            (*chunk, *sorted(ACCOUNT_KEYS)),
        ):
            if (key_type, key) not in own:
                via.setdefault((key_type, key), []).append(source)
    keys = list(via)
    counts = _capped_counts(
        conn, "identifier_key", "key_type = q.c0 AND key = q.c1", keys, KEY_LIMIT + 1
    )
    usable = {k: n for k, n in zip(keys, counts, strict=True) if 1 < n <= KEY_LIMIT}
    for (key_type, key), others in _postings(conn, list(usable), report_id).items():
        step = _rarity(usable[(key_type, key)] - 1, account=True)
        source = max(via[(key_type, key)], key=lambda s: sources[s])
        weight = LINK_WEIGHT * sources[source] * step
        # account keys with a {kind} in their reason are the handle keys of screen names
        reason = f"linked through tip {source} ({_key_template(key_type, 'screen_name')})"
        for other in others:
            if other not in sources:
                evidence.setdefault(other, _Evidence()).add("linked", weight, reason)


def _services_of(
    conn: Connection,
    names: list[tuple[str, str]],
    mine: dict[tuple[str, str], list[tuple[str, str, float]]],
) -> dict[tuple[str, str], int]:
    """For each screen-name key, how many other accounts (name on a service) carry it.

    Counted up to KEY_LIMIT through the handle keys, whose values start with the name
    key's value; this tip's own account is not counted, so 0 means that every other tip
    with the name is on this tip's account. Names no tip has a service for are left out.
    """
    if not names:
        return {}
    params = [
        (NAME_ACCOUNTS[t], f"{k}{SCOPE_MARK}", f"{k}{chr(ord(SCOPE_MARK) + 1)}") for t, k in names
    ]
    counted: list[int] = []
    for chunk in _chunks(params, SQL_CHUNK // 3):
        rows = ", ".join("(?, ?, ?)" for _ in chunk)
        counted.extend(
            n
            for (n,) in conn.exec_driver_sql(
                f"WITH q(t, lo, hi) AS (VALUES {rows}) SELECT (SELECT count(*) FROM "
                "(SELECT DISTINCT key FROM identifier_key WHERE key_type = q.t "
                f"AND key >= q.lo AND key < q.hi LIMIT {KEY_LIMIT + 1})) FROM q",
                tuple(v for p in chunk for v in p),
            )
        )
    mine_handles = {k for t, k in mine if t in ("handle", "handle_alike")}
    out: dict[tuple[str, str], int] = {}
    for (key_type, key), (_, lo, _), n in zip(names, params, counted, strict=True):
        own = any(h.startswith(lo) for h in mine_handles)
        if n or own:  # no service known anywhere: the tips are counted instead
            out[(key_type, key)] = n - own
    return out


def _postings(
    conn: Connection, keys: list[tuple[str, str]], report_id: int
) -> dict[tuple[str, str], list[int]]:
    """Other tips holding each key, read from the covering index only."""
    postings: dict[tuple[str, str], list[int]] = {}
    for chunk in _chunks(keys, SQL_CHUNK // 2):
        rows = ", ".join("(?, ?)" for _ in chunk)
        for key_type, key, other in conn.exec_driver_sql(
            f"WITH q(t, k) AS (VALUES {rows}) SELECT i.key_type, i.key, i.report_id "
            "FROM q JOIN identifier_key i ON i.key_type = q.t AND i.key = q.k",
            tuple(v for pair in chunk for v in pair),
        ):
            if other != report_id:
                postings.setdefault((key_type, key), []).append(other)
    return postings


def _partial(
    conn: Connection,
    report_id: int,
    mine: dict[tuple[str, str], list[tuple[str, str, float]]],
    evidence: dict[int, _Evidence],
) -> None:
    """Evidence from keys looser than an account, weighted by the accounts behind them."""
    rows: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for chunk in _chunks(list(mine), SQL_CHUNK // 2):
        marks = ", ".join("(?, ?)" for _ in chunk)
        for key_type, key, other, raw in conn.exec_driver_sql(
            f"WITH q(t, k) AS (VALUES {marks}) SELECT i.key_type, i.key, i.report_id, i.raw "
            "FROM q JOIN identifier_key i ON i.key_type = q.t AND i.key = q.k",
            tuple(v for pair in chunk for v in pair),
        ):
            if other != report_id:
                rows.setdefault((key_type, key), []).append((other, raw))
    for (key_type, key), others in rows.items():
        for kind, raw, strength in mine[(key_type, key)]:
            own = email_account(raw)  # the one partial key is an email's user name
            form_of = {other: email_account(r) for other, r in others}
            forms = set(form_of.values()) - {own}
            if not forms:
                continue  # only my own account: the stronger keys have said it
            reason: Reason = ("key", _key_template(key_type, kind), key_type, key, raw)
            weight = strength * _rarity(len(forms))
            for other in form_of:
                evidence.setdefault(other, _Evidence()).add(kind, weight, reason)


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


def _candidates(
    conn: Connection, grams: set[str], frequency: dict[str, int], own: set[int]
) -> list[int]:
    """Fuzzy values sharing the most of a value's trigrams (the blocking step).

    A candidate must share a third of all the value's trigrams; the trigrams not
    read are assumed shared, so skipping them never drops a candidate that
    reading them would have kept.
    """
    read = _grams_to_read(grams, frequency)
    if not read:
        return []
    needed = max(1, max(2, len(grams) // 3) - (len(grams) - len(read)))
    rows = conn.exec_driver_sql(
        f"SELECT value_id, count(*) AS n FROM trigram WHERE gram IN ({_marks_sql(len(read))}) "
        "GROUP BY value_id HAVING n >= ? ORDER BY n DESC, value_id LIMIT ?",
        (*read, needed, CANDIDATES + len(own)),
    )
    return [value_id for value_id, _ in rows if value_id not in own][:CANDIDATES]


def _fuzzy(conn: Connection, report_id: int, evidence: dict[int, _Evidence]) -> None:
    mine = conn.exec_driver_sql(
        "SELECT DISTINCT o.value_id, v.kind, v.value FROM fuzzy_occurrence o "
        "JOIN fuzzy_value v ON v.id = o.value_id WHERE o.report_id = ?",
        (report_id,),
    ).fetchall()
    if not mine:
        return
    own_ids = {value_id for value_id, _, _ in mine}
    grams_of = {value: trigrams(value) for _, _, value in mine}
    all_grams = sorted(set().union(*grams_of.values()))
    frequency = dict(
        zip(
            all_grams,
            _capped_counts(conn, "trigram", "gram = q.c0", [(g,) for g in all_grams], GRAM_BUDGET),
            strict=True,
        )
    )
    wanted: dict[int, list[tuple[str, str]]] = {}  # candidate -> [(my kind, my value)]
    for _, kind, value in mine:
        for candidate in _candidates(conn, grams_of[value], frequency, own_ids):
            wanted.setdefault(candidate, []).append((kind, value))
    if not wanted:
        return
    matches: dict[int, list[tuple[str, float, float]]] = {}  # value -> [(kind, similarity, w)]
    for chunk in _chunks(list(wanted)):
        for value_id, other_kind, other_value in conn.exec_driver_sql(
            f"SELECT id, kind, value FROM fuzzy_value WHERE id IN ({_marks_sql(len(chunk))})",
            tuple(chunk),
        ):
            for kind, value in wanted[value_id]:
                if DIGITS_ONLY_IS_STEM and _stem(value) == _stem(other_value):
                    continue  # same but for digits: the stem key's evidence already
                similarity = fuzz.ratio(value, other_value, score_cutoff=FUZZY_CUTOFF)
                if not similarity or similarity >= 100:
                    continue  # identical normalised values are exact-key evidence already
                strength = min(_FUZZY_STRENGTH.get(kind, 0.4), _FUZZY_STRENGTH.get(other_kind, 0.4))
                closeness = (similarity - FUZZY_CUTOFF) / (100 - FUZZY_CUTOFF)
                weight = strength * closeness**FUZZY_CURVE
                matches.setdefault(value_id, []).append((kind, similarity, weight))
    if not matches:
        return
    values = list(matches)
    counts = _capped_counts(
        conn, "fuzzy_occurrence", "value_id = q.c0", [(v,) for v in values], OCCURRENCE_LIMIT + 1
    )
    usable = {v: n for v, n in zip(values, counts, strict=True) if 0 < n <= OCCURRENCE_LIMIT}
    for chunk in _chunks(list(usable)):
        rows = conn.exec_driver_sql(
            "SELECT value_id, report_id FROM fuzzy_occurrence "
            f"WHERE value_id IN ({_marks_sql(len(chunk))})",
            tuple(chunk),
        ).fetchall()
        others_of: dict[int, set[int]] = {}
        for value_id, other in rows:
            if other != report_id:
                others_of.setdefault(value_id, set()).add(other)
        for value_id, others in others_of.items():
            rarity = _rarity(len(others))
            for kind, similarity, weight in matches[value_id]:
                label = _KIND_NAMES.get(kind, kind)
                reason = ("fuzzy", f"{label} {similarity:.0f}% ~ ", str(value_id))
                for other in others:
                    evidence.setdefault(other, _Evidence()).add(
                        f"fuzzy:{kind}", weight * rarity, reason
                    )


def _reason_texts(conn: Connection, shown: dict[int, list[Reason]]) -> dict[int, tuple[str, ...]]:
    """Final reason texts for the tips shown, with the other tip's own spelling."""
    key_raw: dict[tuple[int, str, str], str] = {}
    value_raw: dict[tuple[int, int], str] = {}
    need_keys = [
        r
        for r, reasons in shown.items()
        if any(x[0] == "key" for x in reasons if isinstance(x, tuple))
    ]
    need_values = [
        r
        for r, reasons in shown.items()
        if any(x[0] == "fuzzy" for x in reasons if isinstance(x, tuple))
    ]
    for chunk in _chunks(need_keys):
        for other, key_type, key, raw in conn.exec_driver_sql(
            "SELECT report_id, key_type, key, raw FROM identifier_key "
            f"WHERE report_id IN ({_marks_sql(len(chunk))}) "
            f"AND +key_type IN ({_marks_sql(len(RAW_REASON_KEYS))})",  # report_id index
            (*chunk, *RAW_REASON_KEYS),
        ):
            key_raw.setdefault((other, key_type, key), raw)
    for chunk in _chunks(need_values):
        for other, value_id, raw in conn.exec_driver_sql(
            "SELECT report_id, value_id, raw FROM fuzzy_occurrence "
            f"WHERE report_id IN ({_marks_sql(len(chunk))})",
            tuple(chunk),
        ):
            value_raw.setdefault((other, value_id), raw)
    out: dict[int, tuple[str, ...]] = {}
    for other, reasons in shown.items():
        texts = []
        for reason in reasons:
            if isinstance(reason, str):
                texts.append(reason)
            elif reason[0] == "key":
                _, template, key_type, key, mine = reason
                theirs = key_raw.get((other, key_type, key), mine)
                texts.append(template + (f" ({theirs})" if theirs != mine else ""))
            else:
                _, prefix, value_id = reason
                texts.append(prefix + value_raw.get((other, int(value_id)), "?"))
        out[other] = tuple(texts)
    return out


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
    own, sources = _exact(conn, report_id, evidence)
    _linked(conn, report_id, own, sources, evidence)
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
    info = {}
    for chunk in _chunks(ids):
        for row in conn.exec_driver_sql(
            "SELECT r.id, r.received_at, r.incident_type, r.status, a.name FROM report r "
            "LEFT JOIN agency a ON a.id = r.jurisdiction_id "
            f"WHERE r.id IN ({_marks_sql(len(chunk))})",
            tuple(chunk),
        ):
            info[row[0]] = row
    reasons = _reason_texts(conn, {other: evidence[other].ranked() for other in ids})
    return [
        RelatedReport(
            report_id=other,
            score=round(score, 3),
            received_at=info[other][1],
            incident_type=info[other][2],
            status=info[other][3],
            jurisdiction=info[other][4],
            reasons=reasons[other],
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
