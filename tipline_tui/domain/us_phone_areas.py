"""The area a +1 phone number is from, by phonenumbers' own geocoder data and lookup, with
only the +1 part of that data read.

The geocoder loads every country's area names at once (0.5 s of CPU, most of what
`tipline suggest` costs on a tip with a phone). Its data modules hold the prefixes in
sorted order, so the +1 ones are in the first few: only those files are read.
`tests/test_us_phone_areas.py` holds the answers equal to the whole geocoder's for every
+1 prefix it knows, so a phonenumbers release that orders its data otherwise fails there.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import sys
from pathlib import Path

import phonenumbers
from phonenumbers.prefix import _prefix_description_for_number

AreaNames = dict[str, dict[str, str]]  # prefix -> language -> area name


def area_description(number: phonenumbers.PhoneNumber) -> str:
    """What `geocoder.description_for_number(number, "en", region="US")` says of a valid
    US number: its area ("New York, NY", "Florida"), or "" where it names none (a toll-free
    number; it would name the country, but not to a user in that country)."""
    kind = phonenumbers.number_type(number)
    if phonenumbers.is_number_type_geographical(kind, number.country_code or 0):
        areas = _plus_one_areas()
        longest = max(len(prefix) for prefix in areas)
        found = _prefix_description_for_number(areas, longest, number, "en", None, "US")
        if found:
            return str(found)
    return ""


@functools.cache
def _plus_one_areas() -> AreaNames:
    loaded = sys.modules.get("phonenumbers.geodata")
    if loaded is not None:  # the whole geocoder is in memory already (the app loads it)
        every: AreaNames = loaded.GEOCODE_DATA
        return {prefix: names for prefix, names in every.items() if prefix.startswith("1")}
    return read_plus_one_areas()


def read_plus_one_areas() -> AreaNames:
    """The geocoder's +1 prefixes, read from its first data files alone."""
    folder = Path(phonenumbers.__file__).parent / "geodata"
    areas: AreaNames = {}
    for index in itertools.count():
        data = _data_module(folder, index)
        if data is None:
            break
        areas.update((p, names) for p, names in data.items() if p.startswith("1"))
        if any(not prefix.startswith("1") for prefix in data):
            break  # sorted: every prefix after this file is another country's
    return areas


def _data_module(folder: Path, index: int) -> AreaNames | None:
    """One of the geocoder's data files, run on its own: importing it as usual would run
    its package first, which loads them all."""
    path = folder / f"data{index}.py"
    spec = importlib.util.spec_from_file_location(f"phonenumbers.geodata.data{index}", path)
    if spec is None or spec.loader is None or not path.is_file():
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data: AreaNames = module.data
    return data
