"""Reading the agency directory, as SQL run on either connection (store/sql_rows.py).

Apart from the writers in directory.py so that a command listing or exporting the
directory, or suggesting agencies, reads it without importing SQLAlchemy.
"""

from __future__ import annotations

from tipline_tui.domain.agency import Agency
from tipline_tui.store.sql_rows import ReadConnection, rows

_DIRECTORY = (
    "SELECT id, kind, name, state, country, contact, takes_urgent FROM agency "
    "ORDER BY kind, state, country, name"
)


def list_agencies(conn: ReadConnection) -> list[Agency]:
    """The whole directory, ordered by kind, state, country, name."""
    return [
        Agency(
            kind=kind,
            name=name,
            state=state,
            country=country,
            contact=contact,
            takes_urgent=bool(takes_urgent),
            id=agency_id,
        )
        for agency_id, kind, name, state, country, contact, takes_urgent in rows(conn, _DIRECTORY)
    ]
