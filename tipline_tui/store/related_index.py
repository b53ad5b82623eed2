"""Keeping the related-report index: canonical keys, fuzzy values and their trigrams.

Written in the same transaction as the report, so a new tip is searchable
as soon as it is stored. Fuzzy values are stored once per distinct string
(a username seen in a thousand tips has one row and one set of trigrams),
which keeps the trigram index proportional to distinct names, not to tips.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tipline_tui.domain.contact_keys import phone_country_hints, phone_region
from tipline_tui.domain.enums import IdentifierKind, PersonRole
from tipline_tui.domain.identifiers import Identifier, normalise
from tipline_tui.domain.ip_keys import near_network_keys
from tipline_tui.domain.key import Key
from tipline_tui.domain.keys import fuzzy_text, handle_keys, identifier_keys
from tipline_tui.domain.name_keys import slip_variants
from tipline_tui.domain.person_keys import FULL_NAME, full_name_value
from tipline_tui.domain.report import Report
from tipline_tui.store.related_common import SLIP_MARK, chunks, marks_sql, trigrams

if TYPE_CHECKING:  # the index is written through the engine
    from sqlalchemy import Connection

FUZZY_KINDS = ("screen_name", "display_name", "email")


def blocking_grams(kind: str, value: str) -> set[str]:
    """The value's trigrams, and for a screen name its marked one-slip variants."""
    grams = trigrams(value)
    if kind == IdentifierKind.SCREEN_NAME:
        grams.update(SLIP_MARK + variant for variant in slip_variants(value))
    return grams


def country_hints(report: Report) -> list[str]:
    """Where the report's phone numbers written without +code are likely from: the
    countries it names, its other phones' countries, then the reporting ESP's own."""
    named: list[str] = []
    phones: list[tuple[str, str | None]] = []
    for person in report.persons:
        named += [address.country for address in person.person.addresses if address.country]
        if person.estimated_location and person.estimated_location.country_code:
            named.append(person.estimated_location.country_code)
        phones += [(ph.value, ph.country_calling_code) for ph in person.person.phones]
        for account in person.associated_accounts:
            phones += [(ph.value, ph.country_calling_code) for ph in account.person.phones]
    for detail in report.internet_details:
        named += [address.country for address in detail.addresses if address.country]
        if detail.phone is not None:
            phones.append((detail.phone.value, detail.phone.country_calling_code))
    reporting = report.reporter.reporting_person
    esp = [address.country for address in reporting.addresses if address.country]
    esp += [r for ph in reporting.phones if (r := phone_region(ph.value, ph.country_calling_code))]
    return phone_country_hints(named, phones, esp)


@dataclass(slots=True)
class IndexItem:
    report_id: int
    identifiers: Sequence[Identifier]
    hints: Sequence[str]
    service: str | None = None  # the reporting ESP: its users' handles are its accounts


def _keys_of(item: IndexItem, ident: Identifier) -> list[Key]:
    keys = identifier_keys(
        ident.kind, ident.raw, country_hints=item.hints, calling_code=ident.calling_code
    )
    if (
        ident.kind == IdentifierKind.SCREEN_NAME
        and item.service
        and ident.role != PersonRole.ASSOCIATED.value  # a linked account lives elsewhere
    ):
        keys[:0] = handle_keys(item.service, ident.raw)
    if ident.kind == IdentifierKind.IP and item.service:
        keys.extend(near_network_keys(ident.raw, item.service, ident.when))
    return keys


# (report id, identifier kind, raw value, key type, key, strength)
_KeyRow = tuple[int, str, str, str, str, float]


def _key_rows(items: Sequence[IndexItem]) -> list[_KeyRow]:
    rows: list[_KeyRow] = []
    for item in items:
        seen: set[tuple[str, str]] = set()
        for ident in item.identifiers:
            for key in _keys_of(item, ident):
                if (key.type, key.value) not in seen:
                    seen.add((key.type, key.value))
                    rows.append(
                        (item.report_id, ident.kind, ident.raw, key.type, key.value, key.strength)
                    )
    return rows


_INSERT_KEYS = (
    "INSERT INTO identifier_key (report_id, kind, raw, key_type, key, strength) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def index_identifiers(conn: Connection, items: Sequence[IndexItem]) -> None:
    """Write keys, fuzzy values, occurrences and trigrams for freshly stored tips."""
    key_rows = _key_rows(items)
    occurrences: list[tuple[str, str, int, str]] = []
    for item in items:
        for ident in item.identifiers:
            if ident.kind in FUZZY_KINDS:
                text = fuzzy_text(ident.kind, ident.raw)
                if text:
                    occurrences.append((ident.kind, text, item.report_id, ident.raw))
    if key_rows:
        conn.exec_driver_sql(_INSERT_KEYS, key_rows)
    if not occurrences:
        return
    values = list(dict.fromkeys((kind, text) for kind, text, _, _ in occurrences))
    ids = _value_ids(conn, values)
    new = [v for v in values if v not in ids]
    if new:
        conn.exec_driver_sql("INSERT INTO fuzzy_value (kind, value) VALUES (?, ?)", new)
        ids.update(_value_ids(conn, new))
        grams = [(gram, ids[v]) for v in new for gram in blocking_grams(*v)]
        conn.exec_driver_sql("INSERT OR IGNORE INTO trigram (gram, value_id) VALUES (?, ?)", grams)
    conn.exec_driver_sql(
        "INSERT INTO fuzzy_occurrence (value_id, report_id, raw) VALUES (?, ?, ?)",
        [(ids[(kind, text)], report_id, raw) for kind, text, report_id, raw in occurrences],
    )


def _value_ids(conn: Connection, values: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids of (kind, value) pairs already stored, looked up through the unique index."""
    by_kind: dict[str, list[str]] = {}
    for kind, text in values:
        by_kind.setdefault(kind, []).append(text)
    found: dict[tuple[str, str], int] = {}
    for kind, texts in by_kind.items():
        for chunk in chunks(texts):
            rows = conn.exec_driver_sql(
                "SELECT id, value FROM fuzzy_value "
                f"WHERE kind = ? AND value IN ({marks_sql(len(chunk))})",
                (kind, *chunk),
            )
            found.update({(kind, value): value_id for value_id, value in rows})
    return found


# The stored parts of a tip that say where its phone numbers are from, as country_hints
# reads them from a Report, for the tips with phones: (report id, country) and
# (report id, number, calling code).
_WITH_PHONES = "IN (SELECT report_id FROM identifier WHERE kind = 'phone')"
_NAMED_COUNTRIES = (
    "SELECT report_id, country FROM address "
    f"WHERE country IS NOT NULL AND report_id {_WITH_PHONES} "
    "UNION ALL SELECT report_id, est_country FROM person "
    f"WHERE est_country IS NOT NULL AND report_id {_WITH_PHONES}"
)
_PHONES = (
    "SELECT p.report_id, c.value, json_extract(c.attrs, '$.country_calling_code') "
    "FROM person_contact c JOIN person p ON p.id = c.person_id WHERE c.kind = 'phone' "
    "UNION ALL SELECT p.report_id, json_extract(ph.value, '$.value'), "
    "json_extract(ph.value, '$.country_calling_code') FROM person p, "
    "json_each(p.extra, '$.associated_accounts') a, json_each(a.value, '$.person.phones') ph "
    "WHERE p.extra LIKE '%associated_accounts%' "
    "UNION ALL SELECT report_id, json_extract(fields, '$.phone.value'), "
    "json_extract(fields, '$.phone.country_calling_code') FROM internet_detail "
    "WHERE json_extract(fields, '$.phone.value') IS NOT NULL"
)
_ESP_COUNTRIES = (
    "SELECT r.id, 'address', json_extract(a.value, '$.country'), NULL FROM report r, "
    f"json_each(r.reporter, '$.reporting_person.addresses') a WHERE r.id {_WITH_PHONES} "
    "UNION ALL SELECT r.id, 'phone', json_extract(ph.value, '$.value'), "
    "json_extract(ph.value, '$.country_calling_code') FROM report r, "
    f"json_each(r.reporter, '$.reporting_person.phones') ph WHERE r.id {_WITH_PHONES}"
)


@dataclass(slots=True)
class _PhoneContext:
    hints: dict[int, list[str]]  # report id -> phone country hints
    calling_codes: dict[tuple[int, str], str]  # (report id, number) -> its calling code


def _phone_context(conn: Connection) -> _PhoneContext:
    """Every stored tip's phone country hints and calling codes (see country_hints)."""
    named: dict[int, list[str]] = {}
    for report_id, country in conn.exec_driver_sql(_NAMED_COUNTRIES):
        named.setdefault(report_id, []).append(country)
    phones: dict[int, list[tuple[str, str | None]]] = {}
    codes: dict[tuple[int, str], str] = {}
    for report_id, value, code in conn.exec_driver_sql(_PHONES):
        if value:
            phones.setdefault(report_id, []).append((value, code))
            if code:
                codes.setdefault((report_id, value), code)
    esp: dict[int, list[str]] = {}
    for report_id, part, value, code in conn.exec_driver_sql(_ESP_COUNTRIES):
        country = value if part == "address" else phone_region(value, code) if value else None
        if country:
            esp.setdefault(report_id, []).append(country)
    hints = {
        report_id: phone_country_hints(
            named.get(report_id, ()), phones.get(report_id, ()), esp.get(report_id, ())
        )
        for report_id in named.keys() | phones.keys() | esp.keys()
    }
    return _PhoneContext(hints, codes)


def _capture_times(conn: Connection) -> dict[tuple[int, str], str]:
    """An address's first capture time in each tip (people's and incidents' events, then
    files'), for the networks-in-time keys; one time per address, not per role."""
    seen_at: dict[tuple[int, str], str] = {}
    for report_id, address, date_time in conn.exec_driver_sql(
        "SELECT report_id, ip_address, date_time FROM ip_event WHERE date_time IS NOT NULL "
        "UNION ALL SELECT report_id, json_extract(extra, '$.ip_capture_event.ip_address'), "
        "json_extract(extra, '$.ip_capture_event.date_time') FROM file "
        "WHERE json_extract(extra, '$.ip_capture_event.date_time') IS NOT NULL"
    ):
        seen_at.setdefault((report_id, address), date_time)
    return seen_at


def _stored_items(
    conn: Connection, kinds: Sequence[str] | None, only: str = ""
) -> Iterator[IndexItem]:
    """Index items rebuilt from stored identifier rows, one tip at a time, in id order.

    `only` is an SQL condition on the identifier row `i` narrowing which are read.
    """
    phone = _PhoneContext({}, {})
    if not kinds or IdentifierKind.PHONE in kinds:
        phone = _phone_context(conn)
    seen_at = _capture_times(conn) if not kinds or IdentifierKind.IP in kinds else {}
    where = f"WHERE i.kind IN ({', '.join('?' for _ in kinds)}) " if kinds else ""
    if only:
        where = f"{where}AND {only} " if where else f"WHERE {only} "
    rows = conn.exec_driver_sql(
        "SELECT i.report_id, i.kind, i.raw, i.norm, i.role, r.esp_name FROM identifier i "
        f"JOIN report r ON r.id = i.report_id {where}ORDER BY i.report_id",
        tuple(kinds or ()),
    ).fetchall()
    item: IndexItem | None = None
    identifiers: list[Identifier] = []
    for report_id, kind, raw, norm, role, esp in rows:
        if item is None or item.report_id != report_id:
            if item is not None:
                yield item
            identifiers = []
            item = IndexItem(report_id, identifiers, phone.hints.get(report_id, []), esp)
        at, code = seen_at.get((report_id, raw)), phone.calling_codes.get((report_id, raw))
        identifiers.append(Identifier(kind, raw, norm, role, at, code))
    if item is not None:
        yield item


def backfill(conn: Connection, batch: int = 2000) -> None:
    """Index tips stored before the index existed, from their identifier rows."""
    items: list[IndexItem] = []
    for item in _stored_items(conn, None):
        items.append(item)
        if len(items) >= batch:
            index_identifiers(conn, items)
            items = []
    index_identifiers(conn, items)


def rebuild_keys(conn: Connection, kinds: Sequence[str], batch: int = 5000, only: str = "") -> None:
    """Recompute the canonical keys of these identifier kinds after their rules changed.

    `only` (an SQL condition on the `raw` value, e.g. non-ASCII ones) limits the rebuild
    to the values whose keys the change can alter.
    """
    marks = marks_sql(len(kinds))
    narrowed = f" AND {only.replace('i.raw', 'raw')}" if only else ""
    conn.exec_driver_sql(
        f"DELETE FROM identifier_key WHERE kind IN ({marks}){narrowed}", tuple(kinds)
    )
    _insert_keys(conn, _stored_items(conn, kinds, only), batch)


def _insert_keys(
    conn: Connection, items_in: Iterator[IndexItem], batch: int, key_types: Sequence[str] = ()
) -> None:
    """Insert the keys of these items (only those of `key_types`, if given), in batches."""
    items: list[IndexItem] = []
    for item in items_in:
        items.append(item)
        if len(items) >= batch:
            _insert_rows(conn, _key_rows(items), key_types)
            items = []
    _insert_rows(conn, _key_rows(items), key_types)


def _insert_rows(conn: Connection, rows: list[_KeyRow], key_types: Sequence[str]) -> None:
    if key_types:
        rows = [row for row in rows if row[3] in key_types]
    if rows:
        conn.exec_driver_sql(_INSERT_KEYS, rows)


def add_near_network_keys(conn: Connection, batch: int = 5000) -> None:
    """Add the networks-in-time keys of IPs stored before v8 (their other keys stand)."""
    near = ("net24_near", "net64_near")
    _insert_keys(conn, _stored_items(conn, (IdentifierKind.IP,)), batch, near)


def add_full_names(conn: Connection) -> None:
    """Identifier rows for the full names (and birth dates) of people stored before v8."""
    rows = []
    for report_id, role, first, last, born in conn.exec_driver_sql(
        "SELECT report_id, role, first_name, last_name, date_of_birth FROM person "
        "WHERE first_name IS NOT NULL AND last_name IS NOT NULL"
    ):
        value = full_name_value(first, last, born)
        if value is not None:
            rows.append((report_id, FULL_NAME, value, normalise(FULL_NAME, value), role))
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO identifier (report_id, kind, raw, norm, role) VALUES (?, ?, ?, ?, ?)",
            rows,
        )


def add_slip_variants(conn: Connection, batch: int = 20_000) -> None:
    """Index the one-slip variants of screen names stored before v8."""
    values = conn.exec_driver_sql(
        "SELECT id, value FROM fuzzy_value WHERE kind = 'screen_name'"
    ).fetchall()
    for rows in chunks(values, batch):
        grams = [
            (SLIP_MARK + variant, value_id)
            for value_id, value in rows
            for variant in slip_variants(value)
        ]
        if grams:
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO trigram (gram, value_id) VALUES (?, ?)", grams
            )
