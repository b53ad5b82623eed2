"""Places for jurisdiction: country and US state codes as the reports write them, and coordinates.

Pure: no I/O. IP geolocation is the one lookup that needs a database, so it is
injected as a `GeoIp` callable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from tipline_tui.domain.enums import US_STATES


@dataclass(frozen=True, slots=True)
class Place:
    """Where a signal points: a country, and for the US optionally a state or territory."""

    country: str  # ISO 3166-1 alpha-2, upper case
    state: str | None = None  # US state/territory postal code when country == "US"

    def label(self) -> str:
        return f"{self.country}-{self.state}" if self.state else self.country


GeoIp = Callable[[str], Place | None]

_STATE_NAMES = {
    "AK": "Alaska", "AL": "Alabama", "AR": "Arkansas", "AZ": "Arizona", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DC": "District of Columbia", "DE": "Delaware",
    "FL": "Florida", "GA": "Georgia", "GU": "Guam", "HI": "Hawaii", "IA": "Iowa", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "MA": "Massachusetts", "MD": "Maryland", "ME": "Maine", "MI": "Michigan", "MN": "Minnesota",
    "MO": "Missouri", "MS": "Mississippi", "MT": "Montana", "NC": "North Carolina",
    "ND": "North Dakota", "NE": "Nebraska", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NV": "Nevada", "NY": "New York", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "PR": "Puerto Rico", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VA": "Virginia", "VI": "U.S. Virgin Islands", "VT": "Vermont", "WA": "Washington",
    "WI": "Wisconsin", "WV": "West Virginia", "WY": "Wyoming",
}  # fmt: skip
_STATE_BY_NAME = {name.casefold(): code for code, name in _STATE_NAMES.items()} | {
    "washington d.c.": "DC",
    "washington, d.c.": "DC",
    "virgin islands": "VI",
}
_US_CODES = frozenset(US_STATES)
# codes in the schema's country list that are not places: anonymous proxy, satellite,
# other, Asia/Pacific, Europe
_NOT_PLACES = frozenset({"A1", "A2", "O1", "AP", "EU", "ZZ", "XX"})
COUNTRY_ALIASES = {"UK": "GB", "USA": "US"}
# territories with their own ISO country code: those with a postal code among US_STATES
# become US states (PR has an ICAC; GU and VI have federal cover), the rest plain US
_US_TERRITORIES = frozenset({"PR", "GU", "VI"})
_US_WITHOUT_STATE_CODE = frozenset({"AS", "MP", "UM"})


def state_name(code: str) -> str:
    """English name of a US state or territory code (the code itself if unknown)."""
    return _STATE_NAMES.get(code, code)


def us_state(text: str | None) -> str | None:
    """A US state code from a postal code or a name, else None."""
    if not text:
        return None
    value = text.strip()
    if value.upper() in _US_CODES:
        return value.upper()
    return _STATE_BY_NAME.get(value.casefold())


def place_of(country: str | None, state: str | None = None) -> Place | None:
    """A Place from report codes; US territories with their own ISO code become US states."""
    if not country:
        return None
    code = country.strip().upper()
    code = COUNTRY_ALIASES.get(code, code)
    if len(code) != 2 or not code.isalpha() or code in _NOT_PLACES:
        return None
    if code in _US_TERRITORIES:
        return Place("US", code)
    if code in _US_WITHOUT_STATE_CODE:
        return Place("US")
    if code == "US":
        return Place("US", us_state(state))
    return Place(code)


# ------------------------------------------------------------------ coordinates

# (south, west, north, east) in degrees. Rough bounding boxes, not borders: a point
# resolves only when it falls in exactly one country's boxes; inside the US, in exactly
# one state's box (several states' boxes: the US only). Limits: boxes overlap along
# every border, so points near one are left to the country or skipped; Canada's boxes
# cover the Great Lakes, so most of the US north-east beside them (Detroit, Buffalo,
# Toronto) resolves to nothing; Alaska's Aleutians west of 180 are missing; only these
# countries are known.
_STATE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "AL": (30.14, -88.47, 35.01, -84.89), "AK": (51.2, -179.15, 71.4, -129.98),
    "AZ": (31.33, -114.82, 37.0, -109.04), "AR": (33.0, -94.62, 36.5, -89.64),
    "CA": (32.53, -124.41, 42.01, -114.13), "CO": (36.99, -109.06, 41.0, -102.04),
    "CT": (40.98, -73.73, 42.05, -71.79), "DE": (38.45, -75.79, 39.84, -75.05),
    "DC": (38.79, -77.12, 39.0, -76.91), "FL": (24.4, -87.63, 31.0, -80.03),
    "GA": (30.36, -85.61, 35.0, -80.84), "HI": (18.91, -160.25, 22.24, -154.81),
    "ID": (41.99, -117.24, 49.0, -111.04), "IL": (36.97, -91.51, 42.51, -87.49),
    "IN": (37.77, -88.1, 41.76, -84.78), "IA": (40.38, -96.64, 43.5, -90.14),
    "KS": (36.99, -102.05, 40.0, -94.59), "KY": (36.5, -89.57, 39.15, -81.96),
    "LA": (28.93, -94.04, 33.02, -88.82), "ME": (43.06, -71.08, 47.46, -66.95),
    "MD": (37.91, -79.49, 39.72, -75.05), "MA": (41.24, -73.51, 42.89, -69.93),
    "MI": (41.7, -90.42, 48.31, -82.41), "MN": (43.5, -97.24, 49.38, -89.49),
    "MS": (30.17, -91.66, 35.0, -88.1), "MO": (35.99, -95.77, 40.61, -89.1),
    "MT": (44.36, -116.05, 49.0, -104.04), "NE": (40.0, -104.05, 43.0, -95.31),
    "NV": (35.0, -120.01, 42.0, -114.04), "NH": (42.7, -72.56, 45.31, -70.61),
    "NJ": (38.93, -75.56, 41.36, -73.89), "NM": (31.33, -109.05, 37.0, -103.0),
    "NY": (40.5, -79.76, 45.02, -71.86), "NC": (33.84, -84.32, 36.59, -75.46),
    "ND": (45.94, -104.05, 49.0, -96.55), "OH": (38.4, -84.82, 41.98, -80.52),
    "OK": (33.62, -103.0, 37.0, -94.43), "OR": (41.99, -124.57, 46.29, -116.46),
    "PA": (39.72, -80.52, 42.27, -74.69), "RI": (41.15, -71.91, 42.02, -71.12),
    "SC": (32.03, -83.35, 35.22, -78.54), "SD": (42.48, -104.06, 45.95, -96.44),
    "TN": (34.98, -90.31, 36.68, -81.65), "TX": (25.84, -106.65, 36.5, -93.51),
    "UT": (37.0, -114.05, 42.0, -109.04), "VT": (42.73, -73.44, 45.02, -71.46),
    "VA": (36.54, -83.68, 39.47, -75.24), "WA": (45.54, -124.85, 49.0, -116.92),
    "WV": (37.2, -82.64, 40.64, -77.72), "WI": (42.49, -92.89, 47.31, -86.25),
    "WY": (40.99, -111.06, 45.01, -104.05), "PR": (17.88, -67.95, 18.52, -65.22),
}  # fmt: skip
_COUNTRY_BOXES: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "CA": (
        (49.0, -141.0, 83.1, -52.6),  # north of the 49th parallel
        (45.0, -95.2, 62.6, -52.6),  # Ontario and Quebec north of 45
        (41.68, -83.2, 45.0, -74.3),  # southern Ontario: overlaps the Great Lakes states
    ),
    "MX": ((14.53, -118.4, 25.8, -86.7), (25.8, -117.2, 31.3, -106.5), (25.8, -106.5, 29.5, -99.5)),
    "GB": ((49.9, -8.65, 60.86, 1.77),),
    "IE": ((51.42, -10.48, 55.39, -5.99),),
    "FR": ((41.33, -5.14, 51.09, 9.56),),
    "DE": ((47.27, 5.87, 55.06, 15.04),),
    "AU": ((-43.7, 113.3, -10.6, 153.6),),
    "BR": ((-33.75, -73.99, 5.27, -34.79),),
    "IN": ((6.75, 68.1, 35.5, 97.4),),
    "PH": ((4.6, 116.9, 21.1, 126.6),),
    "JP": ((24.2, 122.9, 45.6, 153.99),),
    "NG": ((4.27, 2.69, 13.89, 14.68),),
}


def _inside(lat: float, lon: float, box: tuple[float, float, float, float]) -> bool:
    south, west, north, east = box
    return south <= lat <= north and west <= lon <= east


def place_of_coordinates(lat: float, lon: float) -> tuple[Place, str] | None:
    """The place a point falls in by the bounding-box table, and how; None if unsure."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    states = [s for s, box in _STATE_BOXES.items() if _inside(lat, lon, box)]
    countries = {
        c for c, boxes in _COUNTRY_BOXES.items() if any(_inside(lat, lon, b) for b in boxes)
    }
    if states:
        countries.add("US")
    if len(countries) != 1:
        return None
    country = countries.pop()
    if country != "US":
        return Place(country), f"inside the box of {country}"
    if len(states) == 1:
        return Place("US", states[0]), f"inside the box of {state_name(states[0])} only"
    return Place("US"), f"in the boxes of {', '.join(sorted(states))}: US, state unsure"


# ------------------------------------------------------------------ signals
