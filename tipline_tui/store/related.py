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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tipline_tui.domain.keys import SCOPE_MARK, email_account
from tipline_tui.domain.views import RelatedReport
from tipline_tui.store.related_accounts import other_accounts
from tipline_tui.store.related_common import (
    KIND_NAMES,
    SQL_CHUNK,
    Evidence,
    Reason,
    capped_counts,
    chunks,
    marks_sql,
    rarity,
)
from tipline_tui.store.related_fuzzy import fuzzy_evidence
from tipline_tui.store.related_networks import NEAR_KEYS, near_reasons
from tipline_tui.store.related_people import PERSON_KEYS, person_evidence
from tipline_tui.store.sql_rows import ReadConnection, rows

if TYPE_CHECKING:  # mark_pair writes through the engine; the search reads on either connection
    from sqlalchemy import Connection

KEY_LIMIT = 300  # more tips than this share the value: it says nothing about a person
ACCOUNT_COUNT_CAP = 5000  # accounts shared more widely than this count as shared this widely
MIN_SCORE = 0.2  # weaker combined evidence is noise to an analyst, not a lead

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
    "net24_near": "same /24 on the same service within 2 days",
    "net64_near": "same IPv6 /64 on the same service within 2 days",
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


# Keys that name one account: many tips sharing one usually means one prolific person,
# so their weight falls gently, and an account shared by more than KEY_LIMIT tips is
# still used (its newest tips). A handle names one account only on its own service
# (the "handle" key is scoped to the reporting ESP); across services the same handle is
# often someone else, like names, networks, files and partial keys, whose weight falls
# fast.
ACCOUNT_KEYS = frozenset(
    {"email", "email_base", "e164", "esp_id", "device", "handle", "handle_alike"}
)
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
# A screen name's keys: on a tip of another account of the same service (see
# related_accounts) they say nothing.
HANDLE_KEYS = ("handle", "handle_alike")
SCREEN_NAME_KEYS = frozenset({*HANDLE_KEYS, *NAME_ACCOUNTS, "stem"})
# An email user name stands for that name at several providers: how many people share
# one is told by how many distinct addresses stand behind its tips, not by how many
# tips, since one prolific address's forty tips are one person. (A handle's digit-less
# stem is not counted so: different people who liked the same words share it as a rule,
# so it stays weak evidence that needs support from elsewhere.)
PARTIAL_KEYS = frozenset({"email_local"})


def _key_template(key_type: str, kind: str) -> str:
    template = _KEY_REASONS.get(key_type, f"same {key_type}")
    return template.format(kind=KIND_NAMES.get(kind, kind.replace("_", " ")))


# A tip's own keys: (key type, key) -> [(identifier kind, raw value, strength)]
_Mine = dict[tuple[str, str], list[tuple[str, str, float]]]


def _own_keys(conn: ReadConnection, report_id: int) -> _Mine:
    mine: _Mine = {}
    for kind, raw, key_type, key, strength in rows(
        conn,
        "SELECT kind, raw, key_type, key, strength FROM identifier_key WHERE report_id = ?",
        (report_id,),
    ):
        if key_type not in PERSON_KEYS:  # compared by related_people, never shared as such
            mine.setdefault((key_type, key), []).append((kind, raw, strength))
    return mine


@dataclass(slots=True)
class _Usable:
    counts: dict[tuple[str, str], int]  # key -> how many others share it (tips or accounts)
    overflow: list[tuple[str, str]]  # accounts shared by more than KEY_LIMIT: newest used
    services: dict[tuple[str, str], int]  # screen-name key -> other accounts carrying it
    generic: set[tuple[str, str]]  # handles whose name is everywhere: not one account


def _usable_keys(conn: ReadConnection, mine: _Mine) -> _Usable:
    """The keys worth following: how many others share each, which overflow, name spreads.

    The tip's own row is among each count. KEY_LIMIT or more other tips sharing a name,
    a network or a file say nothing about a person. An account (email, phone, ESP id,
    device, a handle on one service) shared by that many is one prolific person or one
    shared account: still a lead, so its newest KEY_LIMIT tips are used (it overflows),
    weighted by how many share it.
    """
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
    counted: dict[tuple[str, str], int] = {}
    for group, cap in ((others_, KEY_LIMIT + 1), (accounts, ACCOUNT_COUNT_CAP)):
        counts = capped_counts(conn, "identifier_key", "key_type = q.c0 AND key = q.c1", group, cap)
        counted.update(zip(group, counts, strict=True))
        for k, n in zip(group, counts, strict=True):
            spread = services.get(k)
            if spread == 0:
                continue  # only my own account has the name: its handle key says it all
            if 1 < n <= KEY_LIMIT:
                usable[k] = n - 1 if spread is None else spread
            elif n > KEY_LIMIT and (group is accounts or (spread or KEY_LIMIT) < KEY_LIMIT):
                usable[k] = n - 1 if spread is None else spread
                overflow.append(k)
    _bare_words_count(usable, counted, names)
    return _Usable(usable, overflow, services, _generic_handles(accounts, counted))


def _generic_handles(
    accounts: list[tuple[str, str]], counted: dict[tuple[str, str], int]
) -> set[tuple[str, str]]:
    """Handles whose screen name more than KEY_LIMIT tips carry, most on other services.

    Such a "name" is a placeholder or a generic string ("unknown", a template left in a
    form), not one account, even on one service: weighed by its tips like a name. (A
    busy account's handle has most of its name's tips on its own service.)
    """
    generic: set[tuple[str, str]] = set()
    for key_type, key in accounts:
        if key_type in HANDLE_KEYS:
            name = key.partition(SCOPE_MARK)[0]
            widest = max(counted.get((t, name), 0) for t in NAME_ACCOUNTS)
            if widest > KEY_LIMIT and 2 * counted[(key_type, key)] < widest:
                generic.add((key_type, key))
    return generic


def _bare_words_count(
    usable: dict[tuple[str, str], int],
    counts: dict[tuple[str, str], int],
    names: list[tuple[str, str]],
) -> None:
    """Count a bare-word screen name (no digits) as common as the words it is made of.

    "boldheron" across services is whoever else liked those words: the tips whose
    screen names spell its digit-less stem another way (boldheron17, bold_heron1990)
    say how many people chose them, and in a large store that is far more than the
    tips with the bare name itself. Its stem key, one of its own keys, is counted
    already; a distinctive name's stem is spelled few other ways, and nothing changes.
    """
    for name in names:
        stem = counts.get(("stem", name[1]))
        if name in usable and stem is not None:
            usable[name] = max(usable[name], stem - counts[name])


# A network seen on one service within days (see ip_keys.near_network_keys) is evidence
# only when the network itself is rare: the plain key of a network many tips share
# (a carrier block, a documentation range) is not usable, and then neither is this.
_NEAR_NETWORKS = {"net24_near": "net24", "net64_near": "net64"}


def _rare_networks_only(usable: dict[tuple[str, str], int]) -> None:
    for key_type, key in list(usable):
        plain = _NEAR_NETWORKS.get(key_type)
        if plain and (plain, key.partition(SCOPE_MARK)[0]) not in usable:
            del usable[(key_type, key)]


def _newest_holders(conn: ReadConnection, key_type: str, key: str, report_id: int) -> list[int]:
    """The newest KEY_LIMIT other tips holding an overflowing key."""
    return [
        other
        for (other,) in rows(
            conn,
            "SELECT report_id FROM identifier_key WHERE key_type = ? AND key = ? "
            "AND report_id != ? ORDER BY report_id DESC LIMIT ?",
            (key_type, key, report_id, KEY_LIMIT),
        )
    ]


def _exact(
    conn: ReadConnection, report_id: int, evidence: dict[int, Evidence]
) -> tuple[set[tuple[str, str]], dict[int, float]]:
    """Tips sharing a canonical key: counts in one statement, postings in one or two.

    Returns this tip's own keys, and the tips that share an account with it with the
    weight of the strongest such account, for following links one step further.
    """
    mine = _own_keys(conn, report_id)
    if not mine:
        return set(), {}
    found = _usable_keys(conn, mine)
    usable, overflow, services = found.counts, found.overflow, found.services
    _rare_networks_only(usable)
    if not usable:
        return set(mine), {}
    whole = [k for k in usable if k not in overflow and k[0] not in PARTIAL_KEYS]
    partial = [k for k in usable if k[0] in PARTIAL_KEYS]
    postings = _postings(conn, whole, report_id)
    for key_type, key in overflow:
        postings[(key_type, key)] = _newest_holders(conn, key_type, key, report_id)
    linked: dict[int, float] = {}
    handle_holders = {o for (t, _), os in postings.items() if t in HANDLE_KEYS for o in os}
    renamed = other_accounts(conn, report_id, sorted(handle_holders))
    for (key_type, key), others in postings.items():
        if key_type in SCREEN_NAME_KEYS:
            others = [other for other in others if other not in renamed]
        for kind, raw, strength in mine[(key_type, key)]:
            account = key_type in ACCOUNT_KEYS and (key_type, key) not in found.generic
            weight = strength * rarity(usable[(key_type, key)], account)
            if (key_type, key) in services:
                weight *= CROSS_SERVICE
            template = _key_template(key_type, kind)
            reason: Reason = template
            if key_type in RAW_REASON_KEYS:
                reason = ("key", template, key_type, key, raw)
            elif key_type in NEAR_KEYS:  # which service, how many days apart: when shown
                reason = ("near", template, key_type, key, raw)
            for other in others:
                evidence.setdefault(other, Evidence()).add(kind, weight, reason)
                if account and weight > linked.get(other, 0.0):
                    linked[other] = weight
    _partial(conn, report_id, {k: mine[k] for k in partial}, evidence)
    return set(mine), linked


def _linked(
    conn: ReadConnection,
    report_id: int,
    own: set[tuple[str, str]],
    sources: dict[int, float],
    evidence: dict[int, Evidence],
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
    for chunk in chunks(followed):
        for source, key_type, key in rows(
            conn,
            "SELECT report_id, key_type, key FROM identifier_key "
            f"WHERE report_id IN ({marks_sql(len(chunk))}) "
            f"AND +key_type IN ({marks_sql(len(ACCOUNT_KEYS))})",
            (*chunk, *sorted(ACCOUNT_KEYS)),
        ):
            if (key_type, key) not in own:
                via.setdefault((key_type, key), []).append(source)
    keys = list(via)
    counts = capped_counts(
        conn, "identifier_key", "key_type = q.c0 AND key = q.c1", keys, KEY_LIMIT + 1
    )
    usable = {k: n for k, n in zip(keys, counts, strict=True) if 1 < n <= KEY_LIMIT}
    for (key_type, key), others in _postings(conn, list(usable), report_id).items():
        step = rarity(usable[(key_type, key)] - 1, account=True)
        source = max(via[(key_type, key)], key=lambda s: sources[s])
        weight = LINK_WEIGHT * sources[source] * step
        # account keys with a {kind} in their reason are the handle keys of screen names
        reason = f"linked through tip {source} ({_key_template(key_type, 'screen_name')})"
        for other in others:
            if other not in sources:
                evidence.setdefault(other, Evidence()).add("linked", weight, reason)


def _services_of(
    conn: ReadConnection,
    names: list[tuple[str, str]],
    mine: _Mine,
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
    for chunk in chunks(params, SQL_CHUNK // 3):
        values_sql = ", ".join("(?, ?, ?)" for _ in chunk)
        counted.extend(
            n
            for (n,) in rows(
                conn,
                f"WITH q(t, lo, hi) AS (VALUES {values_sql}) SELECT (SELECT count(*) FROM "
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
    conn: ReadConnection, keys: list[tuple[str, str]], report_id: int
) -> dict[tuple[str, str], list[int]]:
    """Other tips holding each key, read from the covering index only."""
    postings: dict[tuple[str, str], list[int]] = {}
    for chunk in chunks(keys, SQL_CHUNK // 2):
        values_sql = ", ".join("(?, ?)" for _ in chunk)
        for key_type, key, other in rows(
            conn,
            f"WITH q(t, k) AS (VALUES {values_sql}) SELECT i.key_type, i.key, i.report_id "
            "FROM q JOIN identifier_key i ON i.key_type = q.t AND i.key = q.k",
            tuple(v for pair in chunk for v in pair),
        ):
            if other != report_id:
                postings.setdefault((key_type, key), []).append(other)
    return postings


def _partial(
    conn: ReadConnection,
    report_id: int,
    mine: _Mine,
    evidence: dict[int, Evidence],
) -> None:
    """Evidence from keys looser than an account, weighted by the accounts behind them."""
    held: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for chunk in chunks(list(mine), SQL_CHUNK // 2):
        marks = ", ".join("(?, ?)" for _ in chunk)
        for key_type, key, other, raw in rows(
            conn,
            f"WITH q(t, k) AS (VALUES {marks}) SELECT i.key_type, i.key, i.report_id, i.raw "
            "FROM q JOIN identifier_key i ON i.key_type = q.t AND i.key = q.k",
            tuple(v for pair in chunk for v in pair),
        ):
            if other != report_id:
                held.setdefault((key_type, key), []).append((other, raw))
    for (key_type, key), others in held.items():
        for kind, raw, strength in mine[(key_type, key)]:
            own = email_account(raw)  # the one partial key is an email's user name
            form_of = {other: email_account(r) for other, r in others}
            forms = set(form_of.values()) - {own}
            if not forms:
                continue  # only my own account: the stronger keys have said it
            reason: Reason = ("key", _key_template(key_type, kind), key_type, key, raw)
            weight = strength * rarity(len(forms))
            for other in form_of:
                evidence.setdefault(other, Evidence()).add(kind, weight, reason)


def _reason_texts(
    conn: ReadConnection, report_id: int, shown: dict[int, list[Reason]]
) -> dict[int, tuple[str, ...]]:
    """Final reason texts for the tips shown, with the other tip's own spelling."""
    near = near_reasons(
        conn,
        report_id,
        [
            (other, x[2], x[3], x[4])
            for other, reasons in shown.items()
            for x in reasons
            if isinstance(x, tuple) and x[0] == "near"
        ],
    )
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
    for chunk in chunks(need_keys):
        for other, key_type, key, raw in rows(
            conn,
            "SELECT report_id, key_type, key, raw FROM identifier_key "
            f"WHERE report_id IN ({marks_sql(len(chunk))}) "
            f"AND +key_type IN ({marks_sql(len(RAW_REASON_KEYS))})",  # report_id index
            (*chunk, *RAW_REASON_KEYS),
        ):
            key_raw.setdefault((other, key_type, key), raw)
    for chunk in chunks(need_values):
        for other, value_id, raw in rows(
            conn,
            "SELECT report_id, value_id, raw FROM fuzzy_occurrence "
            f"WHERE report_id IN ({marks_sql(len(chunk))})",
            tuple(chunk),
        ):
            value_raw.setdefault((other, value_id), raw)
    out: dict[int, tuple[str, ...]] = {}
    for other, reasons in shown.items():
        texts = []
        for reason in reasons:
            if isinstance(reason, str):
                texts.append(reason)
            elif reason[0] == "near":
                texts.append(near.get((other, reason[2], reason[3]), reason[1]))
            elif reason[0] == "key":
                _, template, key_type, key, mine = reason
                theirs = key_raw.get((other, key_type, key), mine)
                # the other tip's spelling after a colon: a phone's own parentheses stay single
                texts.append(template + (f": {theirs}" if theirs != mine else ""))
            else:
                _, prefix, value_id, *suffix = reason
                texts.append(prefix + value_raw.get((other, int(value_id)), "?") + "".join(suffix))
        out[other] = tuple(texts)
    return out


def _marks(conn: ReadConnection, report_id: int) -> dict[int, tuple[bool, str]]:
    found = rows(
        conn,
        "SELECT low_id, high_id, same, analyst FROM pair_mark WHERE low_id = ? OR high_id = ?",
        (report_id, report_id),
    )
    return {
        (high if low == report_id else low): (bool(same), analyst)
        for low, high, same, analyst in found
    }


def related_reports(conn: ReadConnection, report_id: int, limit: int = 20) -> list[RelatedReport]:
    """Prior tips about the same people as `report_id`, strongest first, each with reasons."""
    evidence: dict[int, Evidence] = {}
    own, sources = _exact(conn, report_id, evidence)
    _linked(conn, report_id, own, sources, evidence)
    fuzzy_evidence(conn, report_id, evidence)
    person_evidence(conn, report_id, evidence)
    marks = _marks(conn, report_id)
    for other, (same, analyst) in marks.items():
        if same:
            evidence.setdefault(other, Evidence()).add(
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
    for chunk in chunks(ids):
        for row in rows(
            conn,
            "SELECT r.id, r.received_at, r.incident_type, r.status, a.name FROM report r "
            "LEFT JOIN agency a ON a.id = r.jurisdiction_id "
            f"WHERE r.id IN ({marks_sql(len(chunk))})",
            tuple(chunk),
        ):
            info[row[0]] = row
    reasons = _reason_texts(conn, report_id, {other: evidence[other].ranked() for other in ids})
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
