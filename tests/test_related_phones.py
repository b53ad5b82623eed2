"""Phones without country context (issue 14 item 4), and network reasons that say which.

A national number is read with the calling code written beside it, else the report's
other country signals (its addresses, the ESP's location estimate, its other phones),
else the reporting ESP's own country, else as NANP. Real SQLite stores throughout.
"""

from __future__ import annotations

from tests.factories import simple_report
from tipline_tui.domain.contact_keys import phone_country_hints, phone_region
from tipline_tui.domain.keys import identifier_keys
from tipline_tui.domain.report import (
    Address,
    IpCaptureEvent,
    Person,
    PersonDetails,
    Phone,
    Report,
)
from tipline_tui.store.related import related_reports
from tipline_tui.store.related_networks import near_reason

UK = "+44 7700 900456"  # a fictional UK mobile (Ofcom's drama range)


def _tip(n: int, phones: list[Phone], esp: str = "SnapTalk (demo)") -> Report:
    report = simple_report(n)
    report.esp_name = esp
    report.persons = [Person(role="reported", person=PersonDetails(phones=phones))]
    return report


def _found(store, report_id: int = 1) -> dict:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return {r.report_id: r.reasons for r in related_reports(conn, report_id)}


def _e164(raw: str, hints: tuple[str, ...] = (), code: str | None = None) -> set[str]:
    keys = identifier_keys("phone", raw, country_hints=hints, calling_code=code)
    return {k.value for k in keys if k.type == "e164"}


def test_international_prefixes_are_understood() -> None:
    assert _e164("001 518 555 0168") == _e164("+1.518.555.0168") == {"+15185550168"}
    assert _e164("00 44 7700 900456") == {"+447700900456"}
    assert _e164("5185550168") == {"+15185550168"}, "no context at all: NANP"


def test_the_calling_code_beside_a_number_comes_first() -> None:
    assert _e164("7700 900456", code="+44") == {"+447700900456"}
    assert _e164("07700 900456", hints=("US",), code="44") == {"+447700900456"}
    assert _e164("+1 518 555 0168", code="+44") == {"+15185550168"}, "a +code wins"


def test_hints_come_in_order_named_countries_other_phones_then_the_esp() -> None:
    assert phone_region("+44 7700 900456") == "GB"
    assert phone_region("07700 900456", "+44") == "GB"
    assert phone_region("07700 900456") is None
    hints = phone_country_hints(["de"], [("+33 6 12 34 56 78", None)], ["GB"])
    assert hints == ["DE", "FR", "GB"]


def test_a_national_number_is_read_with_the_calling_code_written_beside_it(make_store) -> None:
    store = make_store(
        [_tip(0, [Phone(UK)]), _tip(1, [Phone("7700 900456", country_calling_code="+44")])]
    )
    assert _found(store).get(2) == ("same phone: 7700 900456",)


def test_a_national_number_is_read_with_the_reports_other_phones(make_store) -> None:
    other = [Phone("+44 7700 900123"), Phone("07700 900456")]
    store = make_store([_tip(0, [Phone(UK)]), _tip(1, other)])
    assert "same phone: 07700 900456" in _found(store).get(2, ())


def test_a_national_number_is_read_with_the_reporting_esps_country(make_store) -> None:
    later = _tip(1, [Phone("07700 900456")])
    later.reporter.reporting_person.addresses = [Address(city="London", country="GB")]
    store = make_store([_tip(0, [Phone(UK)]), later])
    assert _found(store).get(2) == ("same phone: 07700 900456",)


def test_a_network_reason_names_the_service_and_the_days_apart(make_store) -> None:
    def at(address: str, when: str) -> Report:
        report = simple_report(0)
        report.esp_name = "SnapTalk (demo)"
        events = [IpCaptureEvent(address, "Login", when)]
        report.persons = [Person(role="reported", ip_capture_events=events)]
        return report

    store = make_store(
        [
            at("2001:db8:aa:bb::1", "2026-09-01T10:00:00Z"),
            at("2001:db8:aa:bb::2", "2026-09-01T18:00:00Z"),
        ]
    )
    assert _found(store)[2] == ("same IPv6 /64 on SnapTalk (demo), the same day",)
    assert near_reason("net24_near", "SnapTalk", 1.2) == "same /24 on SnapTalk, 1 day apart"
    assert near_reason("net64_near", None, None) == (
        "same IPv6 /64 on the same service within 2 days"
    )
