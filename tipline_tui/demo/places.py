"""Places the synthetic identities live in: real cities, fictional streets.

Cities, states and area codes are real so jurisdiction rules have something
to work with (an area code maps to its state); street addresses are made up,
and phone numbers use only the ranges reserved for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    """A city an identity can live in, with how its phones and addresses look."""

    country: str  # ISO 3166 alpha-2
    state: str | None  # US state code, None outside the US
    region: str  # state code in the US, province/region name elsewhere
    city: str
    postcode: str  # US: a 3-digit ZIP prefix; elsewhere a whole (generic) postcode
    lat: float
    lon: float
    utc_offset_min: int
    phone_plan: str | None  # "nanp", "gb", "au" or None (no fictional range known)
    area_codes: tuple[str, ...] = ()


STATE_NAMES = {
    "AK": "Alaska",
    "AL": "Alabama",
    "AR": "Arkansas",
    "AZ": "Arizona",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DC": "District of Columbia",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "GU": "Guam",
    "HI": "Hawaii",
    "IA": "Iowa",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "MA": "Massachusetts",
    "MD": "Maryland",
    "ME": "Maine",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MO": "Missouri",
    "MS": "Mississippi",
    "MT": "Montana",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "NE": "Nebraska",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NV": "Nevada",
    "NY": "New York",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "PR": "Puerto Rico",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VA": "Virginia",
    "VI": "U.S. Virgin Islands",
    "VT": "Vermont",
    "WA": "Washington",
    "WI": "Wisconsin",
    "WV": "West Virginia",
    "WY": "Wyoming",
}

COUNTRY_NAMES = {
    "US": "United States",
    "GB": "United Kingdom",
    "CA": "Canada",
    "AU": "Australia",
    "DE": "Germany",
    "FR": "France",
    "BR": "Brazil",
    "IN": "India",
    "PH": "Philippines",
    "MX": "Mexico",
    "JP": "Japan",
    "NG": "Nigeria",
}

# Countries other than the US that demo identities live in.
DEMO_COUNTRIES = ("GB", "CA", "AU", "DE", "FR", "BR", "IN", "PH", "MX", "JP", "NG")

_ET, _CT, _MT, _PT = -300, -360, -420, -480

# state: (rough population weight, UTC offset, [(city, ZIP prefix, area codes, lat, lon)])
_US: dict[str, tuple[float, int, list[tuple[str, str, tuple[str, ...], float, float]]]] = {
    "AL": (5.0, _CT, [("Birmingham", "352", ("205",), 33.52, -86.80)]),
    "AK": (0.7, -540, [("Anchorage", "995", ("907",), 61.22, -149.90)]),
    "AZ": (7.4, _MT, [("Phoenix", "850", ("602",), 33.45, -112.07)]),
    "AR": (3.0, _CT, [("Little Rock", "722", ("501",), 34.75, -92.29)]),
    "CA": (
        39.0,
        _PT,
        [
            ("San Francisco", "941", ("415",), 37.77, -122.42),
            ("Los Angeles", "900", ("213", "323"), 34.05, -118.24),
            ("San Diego", "921", ("619",), 32.72, -117.16),
            ("Sacramento", "958", ("916",), 38.58, -121.49),
        ],
    ),
    "CO": (5.8, _MT, [("Denver", "802", ("303", "720"), 39.74, -104.99)]),
    "CT": (3.6, _ET, [("Hartford", "061", ("860",), 41.76, -72.69)]),
    "DE": (1.0, _ET, [("Wilmington", "198", ("302",), 39.74, -75.55)]),
    "DC": (0.7, _ET, [("Washington", "200", ("202",), 38.91, -77.04)]),
    "FL": (
        22.0,
        _ET,
        [
            ("Miami", "331", ("305", "786"), 25.76, -80.19),
            ("Orlando", "328", ("407",), 28.54, -81.38),
            ("Tampa", "336", ("813",), 27.95, -82.46),
        ],
    ),
    "GA": (10.9, _ET, [("Atlanta", "303", ("404", "678"), 33.75, -84.39)]),
    "HI": (1.4, -600, [("Honolulu", "968", ("808",), 21.31, -157.86)]),
    "ID": (1.9, _MT, [("Boise", "837", ("208",), 43.62, -116.20)]),
    "IL": (
        12.6,
        _CT,
        [
            ("Chicago", "606", ("312", "773"), 41.88, -87.63),
            ("Springfield", "627", ("217",), 39.78, -89.65),
        ],
    ),
    "IN": (6.8, _ET, [("Indianapolis", "462", ("317",), 39.77, -86.16)]),
    "IA": (3.2, _CT, [("Des Moines", "503", ("515",), 41.59, -93.62)]),
    "KS": (2.9, _CT, [("Wichita", "672", ("316",), 37.69, -97.34)]),
    "KY": (4.5, _ET, [("Louisville", "402", ("502",), 38.25, -85.76)]),
    "LA": (4.6, _CT, [("New Orleans", "701", ("504",), 29.95, -90.07)]),
    "ME": (1.4, _ET, [("Portland", "041", ("207",), 43.66, -70.26)]),
    "MD": (6.2, _ET, [("Baltimore", "212", ("410", "443"), 39.29, -76.61)]),
    "MA": (7.0, _ET, [("Boston", "021", ("617",), 42.36, -71.06)]),
    "MI": (10.0, _ET, [("Detroit", "482", ("313",), 42.33, -83.05)]),
    "MN": (5.7, _CT, [("Minneapolis", "554", ("612",), 44.98, -93.27)]),
    "MS": (2.9, _CT, [("Jackson", "392", ("601",), 32.30, -90.18)]),
    "MO": (6.2, _CT, [("St. Louis", "631", ("314",), 38.63, -90.20)]),
    "MT": (1.1, _MT, [("Billings", "591", ("406",), 45.78, -108.50)]),
    "NE": (2.0, _CT, [("Omaha", "681", ("402",), 41.26, -95.93)]),
    "NV": (3.2, _PT, [("Las Vegas", "891", ("702",), 36.17, -115.14)]),
    "NH": (1.4, _ET, [("Manchester", "031", ("603",), 42.99, -71.46)]),
    "NJ": (9.3, _ET, [("Newark", "071", ("973",), 40.74, -74.17)]),
    "NM": (2.1, _MT, [("Albuquerque", "871", ("505",), 35.08, -106.65)]),
    "NY": (
        19.6,
        _ET,
        [
            ("New York", "100", ("212", "646", "718"), 40.71, -74.01),
            ("Buffalo", "142", ("716",), 42.89, -78.88),
        ],
    ),
    "NC": (10.7, _ET, [("Charlotte", "282", ("704",), 35.23, -80.84)]),
    "ND": (0.8, _CT, [("Fargo", "581", ("701",), 46.88, -96.79)]),
    "OH": (
        11.8,
        _ET,
        [
            ("Columbus", "432", ("614",), 39.96, -83.00),
            ("Cleveland", "441", ("216",), 41.50, -81.69),
        ],
    ),
    "OK": (4.0, _CT, [("Oklahoma City", "731", ("405",), 35.47, -97.52)]),
    "OR": (4.2, _PT, [("Portland", "972", ("503",), 45.52, -122.68)]),
    "PA": (
        13.0,
        _ET,
        [
            ("Philadelphia", "191", ("215",), 39.95, -75.17),
            ("Pittsburgh", "152", ("412",), 40.44, -80.00),
        ],
    ),
    "PR": (3.2, -240, [("San Juan", "009", ("787",), 18.47, -66.11)]),
    "RI": (1.1, _ET, [("Providence", "029", ("401",), 41.82, -71.41)]),
    "SC": (5.2, _ET, [("Columbia", "292", ("803",), 34.00, -81.03)]),
    "SD": (0.9, _CT, [("Sioux Falls", "571", ("605",), 43.54, -96.73)]),
    "TN": (7.0, _CT, [("Nashville", "372", ("615",), 36.16, -86.78)]),
    "TX": (
        30.0,
        _CT,
        [
            ("Austin", "787", ("512",), 30.27, -97.74),
            ("Houston", "770", ("713", "832"), 29.76, -95.37),
            ("Dallas", "752", ("214",), 32.78, -96.80),
        ],
    ),
    "UT": (3.4, _MT, [("Salt Lake City", "841", ("801",), 40.76, -111.89)]),
    "VT": (0.6, _ET, [("Burlington", "054", ("802",), 44.48, -73.21)]),
    "VA": (8.6, _ET, [("Richmond", "232", ("804",), 37.54, -77.44)]),
    "WA": (7.8, _PT, [("Seattle", "981", ("206",), 47.61, -122.33)]),
    "WV": (1.8, _ET, [("Charleston", "253", ("304",), 38.35, -81.63)]),
    "WI": (5.9, _CT, [("Milwaukee", "532", ("414",), 43.04, -87.91)]),
    "WY": (0.6, _MT, [("Cheyenne", "820", ("307",), 41.14, -104.82)]),
}

# country: (weight, [(region, city, postcode, lat, lon, UTC offset, phone plan, area codes)])
_INTL: dict[str, tuple[float, list[tuple[str, str, str, float, float, int, str | None, tuple]]]] = {
    "GB": (
        4.0,
        [
            ("England", "London", "N1 0AA", 51.51, -0.13, 0, "gb", ()),
            ("England", "Manchester", "M1 0AA", 53.48, -2.24, 0, "gb", ()),
            ("Scotland", "Glasgow", "G1 0AA", 55.86, -4.25, 0, "gb", ()),
        ],
    ),
    "CA": (
        3.0,
        [
            ("Ontario", "Toronto", "M5V 0A1", 43.65, -79.38, -300, "nanp", ("416", "647")),
            ("British Columbia", "Vancouver", "V6B 0A1", 49.28, -123.12, -480, "nanp", ("604",)),
            ("Quebec", "Montreal", "H2X 0A1", 45.50, -73.57, -300, "nanp", ("514",)),
        ],
    ),
    "AU": (
        2.0,
        [
            ("New South Wales", "Sydney", "2000", -33.87, 151.21, 600, "au", ()),
            ("Victoria", "Melbourne", "3000", -37.81, 144.96, 600, "au", ()),
        ],
    ),
    "DE": (
        1.5,
        [
            ("Berlin", "Berlin", "10115", 52.52, 13.40, 60, None, ()),
            ("Bayern", "München", "80331", 48.14, 11.58, 60, None, ()),
        ],
    ),
    "FR": (1.2, [("Île-de-France", "Paris", "75001", 48.86, 2.35, 60, None, ())]),
    "BR": (
        1.5,
        [
            ("São Paulo", "São Paulo", "01000-000", -23.55, -46.63, -180, None, ()),
            ("Rio de Janeiro", "Rio de Janeiro", "20000-000", -22.91, -43.17, -180, None, ()),
        ],
    ),
    "IN": (
        1.5,
        [
            ("Maharashtra", "Mumbai", "400001", 19.08, 72.88, 330, None, ()),
            ("Karnataka", "Bengaluru", "560001", 12.97, 77.59, 330, None, ()),
        ],
    ),
    "PH": (1.5, [("Metro Manila", "Manila", "1000", 14.60, 120.98, 480, None, ())]),
    "MX": (
        1.2,
        [
            ("Ciudad de México", "Mexico City", "06000", 19.43, -99.13, -360, None, ()),
            ("Nuevo León", "Monterrey", "64000", 25.69, -100.32, -360, None, ()),
        ],
    ),
    "JP": (0.8, [("Tokyo", "Tokyo", "100-0001", 35.68, 139.69, 540, None, ())]),
    "NG": (0.8, [("Lagos", "Lagos", "100001", 6.52, 3.38, 60, None, ())]),
}


def _us_places() -> list[tuple[Place, float]]:
    out = []
    for state, (weight, offset, cities) in _US.items():
        for city, zip3, codes, lat, lon in cities:
            place = Place("US", state, state, city, zip3, lat, lon, offset, "nanp", codes)
            out.append((place, weight / len(cities)))
    return out


def _intl_places() -> list[tuple[Place, float]]:
    out = []
    for country, (weight, cities) in _INTL.items():
        for region, city, postcode, lat, lon, offset, plan, codes in cities:
            place = Place(country, None, region, city, postcode, lat, lon, offset, plan, codes)
            out.append((place, weight / len(cities)))
    return out


US_PLACES: tuple[tuple[Place, float], ...] = tuple(_us_places())
INTL_PLACES: tuple[tuple[Place, float], ...] = tuple(_intl_places())
US_STATES_WITH_PLACES = tuple(_US)

STREETS = (
    "Example Street",
    "Demo Avenue",
    "Sample Road",
    "Placeholder Lane",
    "Testing Way",
    "Fixture Court",
    "Mockup Boulevard",
    "Specimen Drive",
    "Prototype Place",
    "Sandbox Terrace",
)
