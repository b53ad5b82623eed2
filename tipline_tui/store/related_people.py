"""Related-report evidence from people's full names and birth dates.

A shared birth date alone says nothing (thousands share each one), so the "dob" key is
only a block: the tips holding it are compared by name (see domain.person_keys), and
only those whose name agrees are evidence, strong. A full name alone is weak evidence;
the same name with another birth date is evidence of another person and scales a tip
down whatever else it shares.
"""

from __future__ import annotations

from tipline_tui.domain.person_keys import (
    DOB_STRENGTH,
    SCRIPT_STRENGTH,
    names_agree,
    other_script,
    split_full_name,
)
from tipline_tui.store.related_common import Evidence, rarity
from tipline_tui.store.sql_rows import ReadConnection, rows

PERSON_KEYS = ("dob", "fullname")
BLOCK_LIMIT = 300  # more tips than this share the value: read none of them
AGAINST = 0.8  # the same name with another birth date: another person, nearly surely


def _holders(
    conn: ReadConnection, key_type: str, key: str, report_id: int
) -> list[tuple[int, str]]:
    found = rows(
        conn,
        "SELECT report_id, raw FROM identifier_key WHERE key_type = ? AND key = ? LIMIT ?",
        (key_type, key, BLOCK_LIMIT + 1),
    )
    if len(found) > BLOCK_LIMIT:
        return []
    return [(other, raw) for other, raw in found if other != report_id]


def _same_birth_date(
    conn: ReadConnection, report_id: int, born: str, mine: str, evidence: dict[int, Evidence]
) -> None:
    my_name = split_full_name(mine)[0]
    for other, raw in _holders(conn, "dob", born, report_id):
        their_name = split_full_name(raw)[0]
        if names_agree(my_name, their_name) is None:
            continue  # another person born the same day
        if other_script(my_name, their_name):
            reason = f"same name in another script ({their_name} ~ {my_name})"
            weight = SCRIPT_STRENGTH
        else:
            reason = f"same name and date of birth ({born})"
            weight = DOB_STRENGTH
        evidence.setdefault(other, Evidence()).add("person", weight, reason)


def _same_name(
    conn: ReadConnection,
    report_id: int,
    key: tuple[str, float],
    mine: str,
    evidence: dict[int, Evidence],
) -> None:
    latin, strength = key
    my_born = split_full_name(mine)[1]
    holders = _holders(conn, "fullname", latin, report_id)
    weight = strength * rarity(len({other for other, _ in holders}))
    for other, raw in holders:
        their_born = split_full_name(raw)[1]
        entry = evidence.setdefault(other, Evidence())
        if my_born and their_born and my_born != their_born:
            entry.oppose(AGAINST)
        else:
            # a display name is often the full name: one name, counted once
            entry.add("display_name", weight, "same full name")


def person_evidence(conn: ReadConnection, report_id: int, evidence: dict[int, Evidence]) -> None:
    """Add name-and-birth-date evidence, and evidence against, for `report_id`'s people."""
    found = rows(
        conn,
        "SELECT key_type, key, raw, strength FROM identifier_key "
        f"WHERE report_id = ? AND +key_type IN ({', '.join('?' for _ in PERSON_KEYS)})",
        (report_id, *PERSON_KEYS),
    )
    for key_type, key, raw, strength in found:
        if key_type == "dob":
            _same_birth_date(conn, report_id, key, raw, evidence)
        else:
            _same_name(conn, report_id, (key, strength), raw, evidence)
