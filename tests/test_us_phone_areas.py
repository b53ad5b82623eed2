"""The US area of a +1 number from the geocoder's +1 data alone says what the whole
geocoder says, for every +1 prefix it knows, and loads no other country's data."""

from __future__ import annotations

import subprocess
import sys

import phonenumbers
from phonenumbers import geocoder
from phonenumbers.geodata import GEOCODE_DATA

from tipline_tui.domain.us_phone_areas import area_description, read_plus_one_areas


def test_the_first_data_files_hold_every_plus_one_prefix() -> None:
    expected = {prefix: names for prefix, names in GEOCODE_DATA.items() if prefix.startswith("1")}
    assert read_plus_one_areas() == expected


def _valid_us_numbers() -> list[phonenumbers.PhoneNumber]:
    """A valid US number under every +1 prefix that has one (a few padding digits tried)."""
    numbers = []
    for prefix in sorted(p for p in GEOCODE_DATA if p.startswith("1")):
        for pad in "5", "2":
            digits = (prefix + pad * 11)[:11]
            number = phonenumbers.parse("+" + digits)
            if phonenumbers.is_valid_number(number) and (
                phonenumbers.region_code_for_number(number) == "US"
            ):
                numbers.append(number)
                break
    return numbers


def test_every_plus_one_prefix_gets_the_whole_geocoders_answer() -> None:
    numbers = _valid_us_numbers()
    assert len(numbers) > 20_000  # the test covers the data, not a sample of it
    differ = [
        phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        for n in numbers
        if area_description(n) != geocoder.description_for_number(n, "en", region="US")
    ]
    assert differ == []


def test_toll_free_and_unnamed_areas_say_what_the_geocoder_says() -> None:
    for text in "+18005550123", "+12025550123", "+19075550123":
        number = phonenumbers.parse(text)
        assert area_description(number) == geocoder.description_for_number(
            number, "en", region="US"
        )


ALONE = """
import sys, phonenumbers
from tipline_tui.domain.us_phone_areas import area_description
print(area_description(phonenumbers.parse("+15185550168")))
print("phonenumbers.geodata" in sys.modules)
"""


def test_only_the_plus_one_data_is_loaded() -> None:
    done = subprocess.run(
        [sys.executable, "-c", ALONE], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split("\n")[:2] == ["New York", "False"]
