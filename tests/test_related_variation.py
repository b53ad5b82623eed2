"""Related reports that survive how people vary their traces (issue 14).

Keys first (pure functions), then real SQLite stores: the varied report is found with a
reason that says which, and the look-alike who is another person is not.
"""

from __future__ import annotations

from pathlib import Path

from tests.factories import simple_report
from tipline_tui.domain.identifiers import report_identifiers
from tipline_tui.domain.ip_keys import near_network_keys
from tipline_tui.domain.keys import identifier_keys
from tipline_tui.domain.name_keys import one_slip, slip_variants
from tipline_tui.domain.person_keys import names_agree, normalise_dob
from tipline_tui.domain.report import (
    Address,
    Email,
    IpCaptureEvent,
    Person,
    PersonDetails,
    Phone,
    Report,
)
from tipline_tui.store import open_store
from tipline_tui.store.related import related_reports

DEREK_CYRILLIC = "\u0414\u0435\u0440\u0435\u043a \u0412\u0430\u043d\u0441"  # Derek Vance by ear


def _keys(kind: str, raw: str) -> set[tuple[str, str]]:
    return {(k.type, k.value) for k in identifier_keys(kind, raw)}


# ------------------------------------------------------------------ keys


def test_international_call_prefixes_are_read() -> None:
    for raw in ("001 518 555 0168", "011 1 518 555 0168", "+1.518.555.0168", "5185550168"):
        assert ("e164", "+15185550168") in _keys("phone", raw), raw
    assert ("e164", "+447700900123") in _keys("phone", "00 44 7700 900123")


def test_a_full_name_travels_with_the_birth_date() -> None:
    report = simple_report(0)
    report.persons[0].person = PersonDetails(
        first_name="Derek", last_name="Vance", date_of_birth="08/21/1981"
    )
    names = [i for i in report_identifiers(report) if i.kind == "full_name"]
    assert [i.raw for i in names] == ["Derek Vance, born 1981-08-21"]
    assert _keys("full_name", names[0].raw) == {
        ("dob", "1981-08-21"),
        ("fullname", "derek vance"),
    }
    assert normalise_dob("1981-08-21T00:00:00Z") == "1981-08-21"
    assert normalise_dob("21.08.1981") is None


def test_names_agree_across_a_slip_a_swap_and_another_script_but_not_twins() -> None:
    assert names_agree("Derek Vance", "Derek Vanse")
    assert names_agree("Derek Vance", "Vance Derek")
    assert names_agree(DEREK_CYRILLIC, "Derek Vance")
    assert names_agree("Derek Vance", "Dana Vance") is None, "twins share a surname and a birthday"


def test_a_screen_name_in_another_script_meets_its_latin_spelling() -> None:
    cyrillic = "\u0434\u0435\u0440\u0435\u043a_\u0432\u0430\u043d\u0441"  # a Cyrillic handle
    assert _keys("screen_name", cyrillic) & _keys("screen_name", "derek_vans")


def test_one_slip_in_a_distinctive_screen_name_but_not_in_its_digits() -> None:
    assert one_slip("shadowviper17", "shadowvipen17")  # changed
    assert one_slip("shadowviper17", "shadowvipre17")  # swapped
    assert one_slip("shadowviper17", "shadowvper17")  # dropped
    assert not one_slip("shadowviper17", "shadowviper42"), "other digits: another person"
    assert not one_slip("rustyfinch", "dustyfinch"), "no number: not distinctive"
    assert not one_slip("wolf17", "golf17"), "too short to be distinctive"
    assert slip_variants("shadowvipen17") & slip_variants("shadowviper17")
    assert slip_variants("shadowvipre17") & slip_variants("shadowviper17")


def test_a_network_on_one_service_meets_itself_within_days_only() -> None:
    a = near_network_keys("2001:db8:1:2::1a", "SnapTalk", "2026-09-01T10:00:00Z")
    day_later = near_network_keys("2001:db8:1:2::99", "SnapTalk", "2026-09-02T09:00:00Z")
    week_later = near_network_keys("2001:db8:1:2::99", "SnapTalk", "2026-09-08T10:00:00Z")
    elsewhere = near_network_keys("2001:db8:1:2::99", "Other", "2026-09-02T09:00:00Z")
    assert set(a) & set(day_later)
    assert not set(a) & set(week_later)
    assert not set(a) & set(elsewhere)
    assert near_network_keys("fe80::1", "SnapTalk", "2026-09-01T10:00:00Z") == []
    assert near_network_keys("2001:db8:1:2::1a", "SnapTalk", None) == []


# ------------------------------------------------------------------ stores


def _tip(n: int, person: Person, esp: str = "SnapTalk (demo)") -> Report:
    report = simple_report(n)
    report.esp_name = esp
    report.persons = [person]
    return report


def _named(first: str, last: str, dob: str | None, state: str | None = None) -> Person:
    addresses = [Address(state=state, country="US")] if state else []
    details = PersonDetails(first_name=first, last_name=last, date_of_birth=dob)
    details.addresses = addresses
    return Person(role="reported", person=details)


def _profile() -> Person:
    person = _named("Derek", "Vance", "1981-08-21", "NY")
    person.person.phones = [Phone("(518) 555-0168", country_calling_code="1")]
    person.person.emails = [Email("d.vance.1981@example.org")]
    person.screen_name = "shadowviper17"
    person.ip_capture_events = [
        IpCaptureEvent("2001:db8:aa:bb::1a", "Login", "2026-09-01T10:00:00Z")
    ]
    return person


def _by_id(store, report_id: int = 1) -> dict:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return {r.report_id: r for r in related_reports(conn, report_id)}


def test_name_and_birth_date_find_a_slip_and_another_script_not_a_namesake(make_store) -> None:
    store = make_store(
        [
            _tip(0, _profile()),  # 1
            _tip(1, _named("Derek", "Vanse", "1981-08-21")),  # 2: a slipped letter
            _tip(2, _named(*DEREK_CYRILLIC.split(), "1981-08-21")),  # 3: Cyrillic
            _tip(3, _named("Vance", "Derek", "1981-08-21")),  # 4: first and last swapped
            _tip(4, _named("Derek", "Vance", "1990-03-02", "TX")),  # 5: a namesake
            _tip(5, _named("Dana", "Vance", "1981-08-21")),  # 6: a twin
            _tip(6, _named("Derek", "Vance", None)),  # 7: the name alone
        ]
    )
    found = _by_id(store)
    assert found[2].reasons == ("same name and date of birth (1981-08-21)",)
    assert found[3].reasons == (f"same name in another script ({DEREK_CYRILLIC} ~ Derek Vance)",)
    assert 4 in found
    assert 5 not in found and 6 not in found, "another birth date or first name: another person"
    assert 7 not in found, "a name alone is weak"


def test_the_same_name_with_another_birth_date_counts_against(make_store) -> None:
    first = _named("Derek", "Vance", "1981-08-21")
    first.display_names = ["Derek the Viper"]
    namesake = _named("Derek", "Vance", "1990-03-02")
    namesake.display_names = ["Derek the Viper"]
    plain = Person(role="reported", display_names=["Derek the Viper"])
    store = make_store([_tip(0, first), _tip(1, namesake), _tip(2, plain)])
    found = _by_id(store)
    assert 3 in found
    assert 2 not in found or found[2].score < found[3].score


def test_one_slip_in_a_screen_name_is_found_and_other_digits_rank_below(make_store) -> None:
    slip = Person(role="reported", screen_name="shadowvipen17")
    digits = Person(role="reported", screen_name="shadowviper42")
    email = Person(role="reported", person=PersonDetails(emails=[Email("d.vance.1981@x.test")]))
    store = make_store([_tip(0, _profile()), _tip(1, slip), _tip(2, digits), _tip(3, email)])
    found = _by_id(store)
    assert found[2].reasons == ("screen name one letter off (shadowvipen17 ~ shadowviper17)",)
    assert 3 not in found or found[3].score < min(found[2].score, found[4].score)


def test_a_phone_after_an_international_prefix_without_country_is_found(make_store) -> None:
    later = Person(role="reported", person=PersonDetails(phones=[Phone("001 518 555 0168")]))
    found = _by_id(make_store([_tip(0, _profile()), _tip(1, later)]))
    assert found[2].reasons[0].startswith("same phone")


def test_the_same_ipv6_64_on_the_same_service_a_day_later_is_found(make_store) -> None:
    def at(address: str, when: str) -> Person:
        return Person(role="reported", ip_capture_events=[IpCaptureEvent(address, "Login", when)])

    store = make_store(
        [
            _tip(0, _profile()),
            _tip(1, at("2001:db8:aa:bb::77", "2026-09-02T11:00:00Z")),  # 2: a day later
            _tip(2, at("2001:db8:aa:bb::78", "2026-09-02T11:00:00Z"), esp="Other (demo)"),
            _tip(3, at("2001:db8:aa:bb::79", "2026-09-20T11:00:00Z")),  # 4: weeks later
        ]
    )
    found = _by_id(store)
    assert found[2].reasons == ("same IPv6 /64 on SnapTalk (demo), 1 day apart",)
    assert 3 not in found and 4 not in found, "a shared /64 alone elsewhere or later is weak"


def test_the_v8_migration_indexes_names_slips_and_networks(make_store, tmp_path: Path) -> None:
    slip = Person(role="reported", screen_name="shadowvipen17")
    slipped_name = _named("Derek", "Vanse", "1981-08-21")
    store = make_store([_tip(0, _profile()), _tip(1, slipped_name), _tip(2, slip)])
    with store.write() as conn:  # as a v7 store had it: none of the v8 rows
        conn.exec_driver_sql("DELETE FROM identifier WHERE kind = 'full_name'")
        conn.exec_driver_sql(
            "DELETE FROM identifier_key WHERE key_type IN ('dob', 'fullname', 'net64_near')"
        )
        conn.exec_driver_sql("DELETE FROM trigram WHERE gram LIKE char(30) || '%'")
        conn.exec_driver_sql("PRAGMA user_version = 7")
    store.close()
    upgraded = open_store(tmp_path / "store.sqlite")
    try:
        found = _by_id(upgraded)
        assert found[2].reasons == ("same name and date of birth (1981-08-21)",)
        assert "screen name one letter off" in found[3].reasons[0]
    finally:
        upgraded.close()
