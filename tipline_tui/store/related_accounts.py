"""One handle, two accounts: a screen name on one service beside another account id.

A handle names one account on its service, but handles are released and taken again
(and a tip's spelling of a handle can be off by a digit): a person in another tip with
my screen name on my service but another ESP account id is another account, so the
screen name's keys say nothing about that tip. Persons are compared one to one (a
victim's account id in the other tip is not the reported person's), and two persons
whose platforms are both named and differ (one ESP, two platforms, two numberings) are
not compared.
"""

from __future__ import annotations

from collections.abc import Sequence

from tipline_tui.domain.key import nfkc
from tipline_tui.domain.name_keys import SCREEN, name_keys
from tipline_tui.store.related_common import chunks, marks_sql
from tipline_tui.store.sql_rows import ReadConnection, rows

# (screen-name keys of the person, their ESP account id, their platform if named)
_Account = tuple[frozenset[str], str, str]


def _accounts(conn: ReadConnection, report_ids: Sequence[int]) -> dict[int, list[_Account]]:
    """Each tip's persons that have both a screen name and an ESP account id."""
    out: dict[int, list[_Account]] = {}
    for chunk in chunks(report_ids):
        for report_id, screen_name, account, platform in rows(
            conn,
            "SELECT report_id, screen_name, esp_identifier, esp_service FROM person "
            f"WHERE report_id IN ({marks_sql(len(chunk))}) "
            "AND screen_name IS NOT NULL AND esp_identifier IS NOT NULL",
            tuple(chunk),
        ):
            names = frozenset(k.value for k in name_keys(screen_name, SCREEN) if k.type != "stem")
            ident = nfkc(account).strip().casefold()
            if names and ident:
                where = nfkc(platform or "").strip().casefold()
                out.setdefault(report_id, []).append((names, ident, where))
    return out


def other_accounts(conn: ReadConnection, report_id: int, holders: Sequence[int]) -> set[int]:
    """The tips among `holders` (which share a handle key with `report_id`) where a person
    with one of my persons' screen names has another ESP account id than mine."""
    if not holders:
        return set()
    accounts = _accounts(conn, [report_id, *holders])
    mine = accounts.get(report_id, [])
    if not mine:
        return set()
    renamed: set[int] = set()
    for other in holders:
        for their_names, their_id, theirs in accounts.get(other, ()):
            for my_names, my_id, where in mine:
                elsewhere = where and theirs and where != theirs
                if my_names & their_names and my_id != their_id and not elsewhere:
                    renamed.add(other)
    return renamed
