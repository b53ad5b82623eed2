"""Writing the agency directory, demo ground truth and meta facts.

Plain inserts inside the caller's write transaction, like the rest of the
store layer; the demo builder and an agency import can share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tipline_tui.domain.agency import AGENCY_FIELDS, Agency, directory_changes
from tipline_tui.store.directory_read import list_agencies
from tipline_tui.store.tables import AgencyRow, MetaRow, PersonRow, SyntheticIdentityRow, table_of

_agency = table_of(AgencyRow)
_meta = table_of(MetaRow)
_person = table_of(PersonRow)
_synthetic = table_of(SyntheticIdentityRow)


def write_agencies(conn: Connection, agencies: Iterable[Agency]) -> list[int]:
    """Insert agencies (their `id` is ignored); return the new ids in order."""
    ids = []
    for agency in agencies:
        result = conn.execute(
            insert(_agency)
            .values(name=agency.name, **{f: getattr(agency, f) for f in AGENCY_FIELDS})
            .returning(_agency.c.id)
        )
        ids.append(int(result.scalar_one()))
    return ids


def upsert_agencies(conn: Connection, agencies: Iterable[Agency]) -> tuple[int, int]:
    """Add new agencies and update those whose name exists; return (added, updated).

    Matched by exact name so an agency keeps its id (referrals point at it);
    nothing is ever deleted, since past referrals name their agency.
    `updated` counts only agencies whose fields actually changed.
    """
    existing = {agency.name: agency for agency in list_agencies(conn)}
    changes = directory_changes(existing, agencies)
    changed = [agency for agency in changes if agency.id is not None]
    for agency in changed:
        values = {f: getattr(agency, f) for f in AGENCY_FIELDS}
        conn.execute(_agency.update().where(_agency.c.id == agency.id).values(**values))
    added = len(write_agencies(conn, [agency for agency in changes if agency.id is None]))
    return added, len(changed)


def write_meta(conn: Connection, facts: Mapping[str, str]) -> None:
    """Set meta keys, replacing values already there."""
    for key, value in facts.items():
        stmt = sqlite_insert(_meta).values(key=key, value=value)
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def read_meta(conn: Connection) -> dict[str, str]:
    return {row.key: row.value for row in conn.execute(select(_meta).order_by(_meta.c.key))}


def person_ids(conn: Connection, report_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(report id, person id) of every person of these reports, in report then position order."""
    if not report_ids:
        return []
    rows = conn.execute(
        select(_person.c.report_id, _person.c.id)
        .where(_person.c.report_id >= min(report_ids), _person.c.report_id <= max(report_ids))
        .order_by(_person.c.report_id, _person.c.position)
    )
    wanted = set(report_ids)
    return [(r.report_id, r.id) for r in rows if r.report_id in wanted]


def write_synthetic_identities(conn: Connection, rows: Iterable[tuple[int, int, int]]) -> None:
    """Ground truth rows (person id, report id, identity number) from the demo generator."""
    values = [{"person_id": p, "report_id": r, "identity": i} for p, r, i in rows]
    if values:
        conn.execute(insert(_synthetic), values)
