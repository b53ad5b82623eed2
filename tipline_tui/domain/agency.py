"""An agency that can receive a referral, and how an imported directory changes the existing one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

# said wherever a directory is needed and the store has none (the assign dialog, `suggest`)
NO_DIRECTORY = (
    "This store has no agency directory. Load one with "
    "`tipline agencies import FILE.csv`, or sync with a hub, which sends its directory."
)

# what an import may change; the name is the key (referrals name their agency)
AGENCY_FIELDS = ("kind", "state", "country", "contact", "takes_urgent")


@dataclass(slots=True)
class Agency:
    kind: str
    name: str
    state: str | None = None
    country: str | None = None
    contact: str | None = None
    takes_urgent: bool = True
    id: int | None = None


def directory_changes(existing: Mapping[str, Agency], incoming: Iterable[Agency]) -> list[Agency]:
    """The incoming agencies that add to or change the `existing` directory (by exact name).

    In incoming order: an agency with `id` None is new; one with an id changes
    the existing agency of that id (only when a field differs). A name given
    twice counts once, the last wins. Nothing is ever deleted. The analyst's
    store and the hub both apply an import this way.
    """
    latest: dict[str, Agency] = {}
    for agency in incoming:
        latest[agency.name] = agency
    changes = []
    for name, agency in latest.items():
        old = existing.get(name)
        if old is None:
            changes.append(replace(agency, id=None))
        elif any(getattr(old, f) != getattr(agency, f) for f in AGENCY_FIELDS):
            changes.append(replace(agency, id=old.id))
    return changes
