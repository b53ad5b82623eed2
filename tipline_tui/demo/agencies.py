"""The demo agency directory: every state's ICAC, a few federal, local and foreign partners.

All names end in "(DEMO)" and all contacts are example.org addresses, so a
demo referral can never look like, or reach, a real agency.
"""

from __future__ import annotations

from collections.abc import Iterable

from tipline_tui.demo.places import COUNTRY_NAMES, STATE_NAMES
from tipline_tui.domain.agency import Agency
from tipline_tui.domain.enums import US_STATES, AgencyKind

_TERRITORIES_WITHOUT_ICAC = ("GU", "VI")

_FEDERAL = (
    ("FBI (DEMO)", "fbi"),
    ("HSI (DEMO)", "hsi"),
    ("U.S. Postal Inspection Service (DEMO)", "uspis"),
)

# name, state, takes urgent referrals (a small department without a 24/7 desk does not)
_LOCAL = (
    ("Springfield Police Department (DEMO)", "IL", True),
    ("Riverside County Sheriff's Office (DEMO)", "CA", True),
    ("Franklin Police Department (DEMO)", "TN", True),
    ("Fairview Police Department (DEMO)", "OR", False),
    ("Greenville Police Department (DEMO)", "SC", True),
)


def demo_agencies(countries: Iterable[str]) -> list[Agency]:
    """ICACs for each state, DC and PR; federal; local; one partner per foreign country given.

    Countries are taken in the order given, duplicates and "US" skipped.
    """
    agencies = [
        Agency(
            kind=AgencyKind.ICAC.value,
            name=f"{STATE_NAMES[state]} ICAC Task Force (DEMO)",
            state=state,
            country="US",
            contact=f"cybertips.{state.lower()}@icac.example.org",
        )
        for state in US_STATES
        if state not in _TERRITORIES_WITHOUT_ICAC
    ]
    agencies += [
        Agency(
            kind=AgencyKind.FEDERAL.value,
            name=name,
            country="US",
            contact=f"tips@{slug}.example.org",
            takes_urgent=True,
        )
        for name, slug in _FEDERAL
    ]
    agencies += [
        Agency(
            kind=AgencyKind.LOCAL.value,
            name=name,
            state=state,
            country="US",
            contact=f"cyber.unit.{state.lower()}{i}@police.example.org",
            takes_urgent=urgent,
        )
        for i, (name, state, urgent) in enumerate(_LOCAL)
    ]
    seen: list[str] = []
    for code in countries:
        code = code.strip().upper()
        if code == "US" or not code or code in seen:
            continue
        seen.append(code)
        agencies.append(
            Agency(
                kind=AgencyKind.INTERNATIONAL.value,
                name=f"National Police Partner, {COUNTRY_NAMES.get(code, code)} (DEMO)",
                country=code,
                contact=f"liaison.{code.lower()}@partners.example.org",
            )
        )
    return agencies
