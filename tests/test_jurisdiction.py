"""Jurisdiction suggestion: signals, places, outcomes, agency ranking, `tipline suggest`, GeoIP.

Synthetic data only: example.com domains, 555-01xx phones, documentation IP ranges.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.factories import full_report, simple_report
from tipline_tui.cli import main
from tipline_tui.demo.agencies import demo_agencies
from tipline_tui.domain.agency import Agency
from tipline_tui.domain.jurisdiction import Outcome, locate, suggest
from tipline_tui.domain.jurisdiction_places import Place, place_of_coordinates
from tipline_tui.domain.jurisdiction_signals import jurisdiction_signals
from tipline_tui.domain.report import (
    Address,
    EstimatedLocation,
    InternetDetail,
    IpCaptureEvent,
    LawEnforcement,
    Person,
    PersonDetails,
    Phone,
    Report,
    Reporter,
)
from tipline_tui.geoip import GEOIP_ENV, GeoIpError, open_geoip
from tipline_tui.store import Store
from tipline_tui.store.directory import list_agencies, write_agencies

AGENCIES = demo_agencies(["GB", "DE", "MX"])


def report(
    *people: Person,
    law: LawEnforcement | None = None,
    details: Sequence[InternetDetail] = (),
    reporter: Reporter | None = None,
) -> Report:
    return Report(
        incident_type="Online Enticement of Children for Sexual Acts",
        incident_date_time="2026-09-01T10:00:00Z",
        esp_name="Example ESP (demo)",
        persons=list(people),
        law_enforcement=law,
        internet_details=list(details),
        reporter=reporter or Reporter(),
    )


def reported(
    *,
    addresses: Sequence[Address] = (),
    phones: Sequence[Phone] = (),
    location: EstimatedLocation | None = None,
    ips: Sequence[IpCaptureEvent] = (),
    role: str = "reported",
) -> Person:
    return Person(
        role=role,
        screen_name="example_user",
        person=PersonDetails(addresses=list(addresses), phones=list(phones)),
        estimated_location=location,
        ip_capture_events=list(ips),
    )


def names(suggestion_agencies: Sequence) -> list[str]:  # type: ignore[type-arg]
    return [c.agency.name for c in suggestion_agencies]


# ------------------------------------------------------------------ domain


def test_us_state_by_address_ranks_icac_then_local_then_federal() -> None:
    tip = report(reported(addresses=[Address("1 Example St", "Riverside", None, "CA", None, "US")]))
    s = suggest(tip, AGENCIES)
    assert s.outcome is Outcome.SUGGESTED
    assert s.summary == "US-CA (address)"
    assert s.places[0] == (Place("US", "CA"), pytest.approx(0.8))
    assert s.signals[0].reason == "address of reported person: Riverside, CA, US"
    ranked = names(s.agencies)
    assert ranked[0] == "California ICAC Task Force (DEMO)"
    assert ranked[1] == "Riverside County Sheriff's Office (DEMO)"
    assert set(ranked[2:]) == {"FBI (DEMO)", "HSI (DEMO)", "U.S. Postal Inspection Service (DEMO)"}
    assert s.agencies[0].score > s.agencies[1].score > s.agencies[2].score
    assert s.agencies[0].reasons == (
        "ICAC task force for US-CA",
        "address of reported person: Riverside, CA, US",
    )
    assert not any(c.agency.kind == "international" for c in s.agencies)


def test_us_state_by_phone_area_code() -> None:
    tip = report(reported(phones=[Phone("+1 202-555-0143")]))
    s = suggest(tip, AGENCIES)
    assert s.outcome is Outcome.SUGGESTED
    assert s.summary == "US-DC (phone)"
    (signal,) = s.signals
    assert signal.reason == "phone +1 202-555-0143: area code 202, District of Columbia"
    assert signal.strength == pytest.approx(0.5)
    assert names(s.agencies)[0] == "District of Columbia ICAC Task Force (DEMO)"


def test_phone_without_country_code_uses_report_hints_and_city_form_of_geocoder() -> None:
    # the geocoder answers "New York, NY" for 212 and "Florida" for 305: both map to states
    tip = report(reported(phones=[Phone("(212) 555-0147"), Phone("305-555-0111")]))
    places = {s.place for s in jurisdiction_signals(tip)}
    assert places == {Place("US", "NY"), Place("US", "FL")}
    gb = report(
        reported(
            addresses=[Address(city="London", country="GB")],
            phones=[Phone("07700 900123")],  # the UK's fictional range: possible, never valid
        )
    )
    phone = next(s for s in jurisdiction_signals(gb) if s.source == "phone")
    assert phone.place == Place("GB") and phone.strength == pytest.approx(0.4)


def test_one_number_written_twice_is_one_signal() -> None:
    cell = InternetDetail(
        kind="cellPhoneIncident", phone=Phone("5125550142", country_calling_code="+1")
    )
    tip = report(reported(phones=[Phone("+1 (512) 555-0142")]), details=[cell])
    (signal,) = jurisdiction_signals(tip)
    assert signal.place == Place("US", "TX") and signal.strength == pytest.approx(0.5)
    victim = report(reported(phones=[Phone("+1 512 555 0142")], role="victim"))
    (weaker,) = jurisdiction_signals(victim)
    assert weaker.strength == pytest.approx(0.375)
    assert weaker.reason == "phone +1 512-555-0142 (victim): area code 512, Texas"


def test_address_outweighs_one_phone_area_code_elsewhere() -> None:
    tip = report(
        reported(
            addresses=[Address(city="Austin", state="TX", country="US")],
            phones=[Phone("+1 212-555-0199")],
        )
    )
    s = suggest(tip, AGENCIES)
    assert s.outcome is Outcome.SUGGESTED and s.summary == "US-TX (address)"
    assert [p.label() for p, _ in s.places] == ["US-TX", "US-NY", "US"]


def test_international_by_legal_process() -> None:
    law = LawEnforcement(
        agency_name="Example Constabulary (demo)",
        served_legal_process_international=True,
        flea_country="GB",
    )
    s = suggest(report(reported(), law=law), AGENCIES)
    assert s.outcome is Outcome.SUGGESTED
    assert s.summary == "GB (legal process)"
    assert s.legal_process == "legal process served internationally (fleaCountry GB)"
    assert s.signals[0].strength == pytest.approx(0.9)
    assert names(s.agencies) == ["National Police Partner, United Kingdom (DEMO)", "HSI (DEMO)"]
    assert s.agencies[1].reasons[0] == "federal agency with reach abroad, for GB"


def test_international_by_address() -> None:
    tip = report(reported(addresses=[Address(city="Berlin", non_usa_state="Berlin", country="DE")]))
    s = suggest(tip, AGENCIES)
    assert s.outcome is Outcome.SUGGESTED and s.summary == "DE (address)"
    assert s.signals[0].reason == "address of reported person: Berlin, Berlin, DE"
    assert names(s.agencies) == ["National Police Partner, Germany (DEMO)", "HSI (DEMO)"]
    # a country with no partner in the directory still gets HSI, not nothing
    jp = report(reported(addresses=[Address(city="Tokyo", country="JP")]))
    assert names(suggest(jp, AGENCIES).agencies) == ["HSI (DEMO)"]


def test_conflict_between_countries_lists_agencies_for_each_side() -> None:
    law = LawEnforcement(agency_name="Example Constabulary (demo)", flea_country="GB")
    tip = report(reported(addresses=[Address(city="Fresno", state="CA", country="US")]), law=law)
    s = suggest(tip, AGENCIES)
    assert s.outcome is Outcome.CONFLICT
    assert s.summary == "conflict: GB vs US-CA"
    by_name = {c.agency.name: c for c in s.agencies}
    assert "legal process served internationally (fleaCountry GB)" in (
        by_name["National Police Partner, United Kingdom (DEMO)"].reasons
    )
    assert "address of reported person: Fresno, CA, US" in (
        by_name["California ICAC Task Force (DEMO)"].reasons
    )
    assert names(s.agencies)[:2] == [
        "National Police Partner, United Kingdom (DEMO)",
        "California ICAC Task Force (DEMO)",
    ]


def test_conflict_between_us_states() -> None:
    tip = report(
        reported(addresses=[Address(city="Dallas", state="TX", country="US")]),
        reported(addresses=[Address(city="Buffalo", state="NY", country="US")]),
    )
    s = suggest(tip, AGENCIES)
    assert s.outcome is Outcome.CONFLICT
    assert s.summary == "conflict: US-NY vs US-TX"  # equal strength: by label
    assert {"New York ICAC Task Force (DEMO)", "Texas ICAC Task Force (DEMO)"} <= set(
        names(s.agencies)
    )


def test_full_report_is_a_conflict_with_every_signal_explained() -> None:
    s = suggest(full_report(), AGENCIES)
    assert s.outcome is Outcome.CONFLICT
    assert {sig.source for sig in s.signals} == {
        "legal_process",
        "address",
        "estimated_location",
        "phone",
        "coordinates",
    }
    strengths = [sig.strength for sig in s.signals]
    assert strengths == sorted(strengths, reverse=True)
    # the reporter's own phone (212-555-0100) is not a signal; the reported person's is
    assert not any("555-0100" in sig.reason for sig in s.signals)


def test_none_keeps_the_tip_with_the_clearinghouse() -> None:
    s = suggest(simple_report(1), AGENCIES)
    assert s.outcome is Outcome.NONE
    assert s.signals == () and s.places == () and s.agencies == ()
    assert s.summary == (
        "no jurisdiction can be determined: no address, phone, location or legal process"
    )
    assert locate(simple_report(1)) == (Outcome.NONE, ())
    with_ip = report(reported(ips=[IpCaptureEvent("192.0.2.10")]))
    assert "IP geolocation not configured" in suggest(with_ip, AGENCIES).summary


def test_reporter_address_is_not_a_signal() -> None:
    reporter = Reporter(
        reporting_person=PersonDetails(
            addresses=[Address(city="Menlo Park", state="CA", country="US")],
            phones=[Phone("+1 650-555-0100")],
        )
    )
    assert jurisdiction_signals(report(reported(), reporter=reporter)) == []


def test_victim_address_is_weaker_than_reported_person() -> None:
    tip = report(
        reported(addresses=[Address(city="Omaha", state="NE", country="US")]),
        reported(addresses=[Address(city="Reno", state="NV", country="US")], role="victim"),
    )
    s = suggest(tip, AGENCIES)
    assert s.outcome is Outcome.SUGGESTED and s.summary.startswith("US-NE")
    victim = next(sig for sig in s.signals if "victim" in sig.reason)
    assert victim.strength == pytest.approx(0.5)


def test_estimated_location_and_territory() -> None:
    tip = report(reported(location=EstimatedLocation("San Juan", None, "PR", True)))
    s = suggest(tip, AGENCIES)
    assert s.summary == "US-PR (estimated location)"
    assert names(s.agencies)[0] == "Puerto Rico ICAC Task Force (DEMO)"
    by_name = report(reported(location=EstimatedLocation("Denver", "Colorado", "US")))
    assert jurisdiction_signals(by_name)[0].place == Place("US", "CO")


def test_urgent_tips_put_agencies_taking_urgent_referrals_first() -> None:
    directory = [
        Agency("icac", "Oregon ICAC (test)", "OR", "US", takes_urgent=False),
        Agency("local", "Fairview PD (test)", "OR", "US", takes_urgent=True),
        Agency("federal", "FBI (test)", None, "US", takes_urgent=True),
    ]
    tip = report(reported(addresses=[Address(city="Portland", state="OR", country="US")]))
    calm = suggest(tip, directory)
    assert names(calm.agencies) == ["Oregon ICAC (test)", "Fairview PD (test)", "FBI (test)"]
    urgent = suggest(tip, directory, urgent=True)
    assert names(urgent.agencies) == ["Fairview PD (test)", "FBI (test)", "Oregon ICAC (test)"]


def test_coordinates_resolve_only_where_the_box_table_is_sure() -> None:
    assert place_of_coordinates(37.77, -122.42)[0] == Place("US", "CA")  # type: ignore[index]
    assert place_of_coordinates(51.51, -0.13)[0] == Place("GB")  # type: ignore[index]
    assert place_of_coordinates(43.65, -79.38) is None  # Toronto: Canada's and New York's boxes
    assert place_of_coordinates(40.71, -74.01)[0] == Place("US")  # type: ignore[index]
    assert place_of_coordinates(0.0, -30.0) is None  # mid-Atlantic
    cell = InternetDetail(kind="cellPhoneIncident", latitude=33.45, longitude=-112.07)
    (signal,) = jurisdiction_signals(report(details=[cell]))
    assert signal.source == "coordinates" and signal.place == Place("US", "AZ")
    assert signal.strength == pytest.approx(0.7)


def test_injected_geoip_gives_ip_signals_weaker_behind_a_proxy() -> None:
    table = {"192.0.2.44": Place("US", "WA"), "198.51.100.9": Place("GB")}
    tip = report(
        reported(
            ips=[IpCaptureEvent("192.0.2.44"), IpCaptureEvent("198.51.100.9", possible_proxy=True)]
        )
    )
    signals = jurisdiction_signals(tip, geoip=table.get)
    assert [(s.place.label(), s.strength) for s in signals] == [("US-WA", 0.4), ("GB", 0.2)]
    assert signals[1].reason == (
        "IP 198.51.100.9 (reported person), possible proxy: geolocated to GB"
    )
    assert jurisdiction_signals(tip) == []  # no GeoIP: IPs are not signals
    # ports and brackets are dropped; a database's "PR" is the US territory
    with_ports = report(
        reported(ips=[IpCaptureEvent("[2001:db8::5]:443"), IpCaptureEvent("203.0.113.7:8080")])
    )
    lookup = {"2001:db8::5": Place("PR"), "203.0.113.7": Place("US", "not a state")}.get
    assert [s.place for s in jurisdiction_signals(with_ports, geoip=lookup)] == [
        Place("US"),
        Place("US", "PR"),
    ]


def test_locate_agrees_with_suggest() -> None:
    for tip in (
        full_report(),
        simple_report(2),
        report(reported(phones=[Phone("+1 415-555-0100")])),
    ):
        outcome, places = locate(tip)
        s = suggest(tip, AGENCIES)
        assert (outcome, places) == (s.outcome, s.places)


def test_report_text_in_reasons_is_literal() -> None:
    tip = report(
        reported(addresses=[Address(city="Evil\x1b[31m\u202eTown", state="CA", country="US")])
    )
    reason = jurisdiction_signals(tip)[0].reason
    assert "\x1b" not in reason and "<RLO>" in reason


# ------------------------------------------------------------------ store and CLI


@pytest.fixture
def suggest_store(make_store: Callable[[Sequence[Report]], Store]) -> Store:
    tips = [
        report(reported(addresses=[Address(city="Riverside", state="CA", country="US")])),
        simple_report(2),
        report(reported(ips=[IpCaptureEvent("192.0.2.44")])),
    ]
    store = make_store(tips)
    with store.write() as conn:
        write_agencies(conn, AGENCIES)
    return store


def test_list_agencies_reads_the_directory_in_order(suggest_store: Store) -> None:
    with suggest_store.read() as conn:
        agencies = list_agencies(conn)
    assert len(agencies) == len(AGENCIES) and all(a.id for a in agencies)
    keys = [(a.kind, a.state or "", a.country or "", a.name) for a in agencies]
    assert keys == sorted(keys)


def test_cli_suggest_human(
    suggest_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(GEOIP_ENV, raising=False)
    path = str(suggest_store.path)
    assert main(["suggest", "--db", path, "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tip #1: US-CA (address)"
    assert out[1] == "signals (1; IP geolocation not configured):"
    assert " ".join(out[2].split()) == "0.80 US-CA address of reported person: Riverside, CA, US"
    assert out[3] == "agencies (best first):"
    assert "California ICAC Task Force (DEMO)" in out[4]
    assert main(["suggest", "--db", path, "2"]) == 0
    out = capsys.readouterr().out
    assert "no jurisdiction can be determined" in out and "stays with the clearinghouse" in out


def test_cli_suggest_json(
    suggest_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(GEOIP_ENV, raising=False)
    assert main(["suggest", "--db", str(suggest_store.path), "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "suggested" and data["summary"] == "US-CA (address)"
    assert data["signals"][0] == {
        "source": "address",
        "place": "US-CA",
        "strength": 0.8,
        "reason": "address of reported person: Riverside, CA, US",
    }
    assert data["places"][0] == {"place": "US-CA", "strength": 0.8}
    top = data["agencies"][0]
    assert top["name"] == "California ICAC Task Force (DEMO)" and top["kind"] == "icac"
    assert top["id"] and top["reasons"][0] == "ICAC task force for US-CA"


def test_cli_suggest_unknown_tip(suggest_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    # the same exit status and message as `tipline related` for an unknown tip
    assert main(["suggest", "--db", str(suggest_store.path), "99"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == "tipline: no tip #99 in this store" and captured.out == ""


# ------------------------------------------------------------------ GeoIP


def test_geoip_absent_is_not_an_error(
    suggest_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert open_geoip(None) is None
    assert open_geoip(tmp_path / "missing.mmdb") is None
    monkeypatch.setenv(GEOIP_ENV, str(tmp_path / "missing.mmdb"))
    assert main(["suggest", "--db", str(suggest_store.path), "3"]) == 0
    out = capsys.readouterr().out
    assert "missing.mmdb not found" in out and "no jurisdiction can be determined" in out


def test_geoip_unreadable_file_is_a_clear_error(
    suggest_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"not a MaxMind database" * 10)
    with pytest.raises(GeoIpError, match=r"bad\.mmdb"):
        open_geoip(bad)
    monkeypatch.setenv(GEOIP_ENV, str(bad))
    assert main(["suggest", "--db", str(suggest_store.path), "3"]) == 2
    err = capsys.readouterr().err
    assert "cannot read the IP geolocation database" in err and "Traceback" not in err


def test_geoip_present(
    suggest_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mmdb_writer = pytest.importorskip(
        "mmdb_writer", reason="mmdb-writer (test extra) builds the tiny database"
    )
    from netaddr import IPSet

    writer = mmdb_writer.MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    writer.insert_network(
        IPSet(["192.0.2.0/24"]),
        {"country": {"iso_code": "US"}, "subdivisions": [{"iso_code": "WA"}]},
    )
    writer.insert_network(IPSet(["198.51.100.0/24"]), {"country": {"iso_code": "GB"}})
    writer.insert_network(IPSet(["2001:db8::/32"]), {"registered_country": {"iso_code": "DE"}})
    path = tmp_path / "doc-ranges.mmdb"
    writer.to_db_file(str(path))

    geoip = open_geoip(path)
    assert geoip is not None
    assert geoip("192.0.2.44") == Place("US", "WA")
    assert geoip("198.51.100.9") == Place("GB")
    assert geoip("2001:db8::7") == Place("DE")
    assert geoip("203.0.113.5") is None  # not in the database
    assert geoip("not an address") is None

    monkeypatch.setenv(GEOIP_ENV, str(path))
    assert main(["suggest", "--db", str(suggest_store.path), "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ip_geolocation"] is True and data["summary"] == "US-WA (ip)"
    assert data["signals"][0]["reason"] == ("IP 192.0.2.44 (reported person): geolocated to US-WA")
    assert data["agencies"][0]["name"] == "Washington ICAC Task Force (DEMO)"


def test_box_table_never_names_a_wrong_place_for_demo_cities() -> None:
    from tipline_tui.demo.places import INTL_PLACES, US_PLACES

    for city, _ in (*US_PLACES, *INTL_PLACES):
        for dlat, dlon in ((0, 0), (0.05, 0.05), (-0.05, -0.05), (0.05, -0.05), (-0.05, 0.05)):
            found = place_of_coordinates(city.lat + dlat, city.lon + dlon)
            if found is None:
                continue  # unsure is allowed; wrong is not
            place = found[0]
            assert place.country == city.country, city.city
            assert place.state in (None, city.state), city.city
