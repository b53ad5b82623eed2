"""An agency that can receive a referral."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Agency:
    kind: str
    name: str
    state: str | None = None
    country: str | None = None
    contact: str | None = None
    takes_urgent: bool = True
    id: int | None = None


# every field but `id`, which the store gives; columns of the same names hold them
AGENCY_FIELDS = ("kind", "name", "state", "country", "contact", "takes_urgent")
