"""The demo generator: repeatable, realistic in shape, fictional in every identifier."""

from __future__ import annotations

import dataclasses
import ipaddress
import itertools
import random
import re
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tipline_tui.demo import DEMO_COUNTRIES, DEMO_EPOCH, build_demo_store, demo_agencies
from tipline_tui.demo.generator import generate_reports
from tipline_tui.demo.identity import make_identity
from tipline_tui.domain.enums import (
    FILE_ANNOTATIONS,
    US_STATES,
    AgencyKind,
    IncidentType,
    InternetDetailKind,
)
from tipline_tui.domain.report import Email, IpCaptureEvent, Person, Phone, Report

SEED = 2026
COUNT = 2000
DOC_NETS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
EMAIL_DOMAIN = re.compile(
    r"(?:[a-z0-9-]+\.)*(?:example\.(?:com|org|net)|[a-z0-9-]+\.(?:test|example))"
)
# NANP 555-01xx; Ofcom drama numbers; ACMA fictitious landline blocks
FICTIONAL_PHONE = re.compile(
    r"1?\d{3}55501\d{2}"
    r"|(?:44|0)?(?:7700900|1632960|2079460|1614960|1414960|1314960)\d{3}"
    r"|(?:61|0)?[23](?:5550|7010)\d{4}"
)
URL_HOST = re.compile(r"(?:[a-z0-9-]+\.)*example\.(?:com|org|net)")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
MARKUP = re.compile(r"\[/?[a-z@]|<script>|DROP TABLE|\\x1b|\$\{")


@pytest.fixture(scope="module")
def sample() -> list[tuple[Report, list[int]]]:
    return list(generate_reports(COUNT, SEED))


@pytest.fixture(scope="module")
def reports(sample: list[tuple[Report, list[int]]]) -> list[Report]:
    return [report for report, _ in sample]


def walk(obj: Any) -> Iterator[Any]:
    """Every dataclass instance and scalar reachable from `obj`."""
    yield obj
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from walk(getattr(obj, f.name))
    elif isinstance(obj, list):
        for item in obj:
            yield from walk(item)


def table_contents(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }
    finally:
        conn.close()


# ------------------------------------------------------------------ determinism


def test_same_seed_builds_identical_stores_and_another_seed_differs(tmp_path: Path) -> None:
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        build_demo_store(tmp_path / f"{name}.sqlite", 300, seed)
    a, b, c = (table_contents(tmp_path / f"{n}.sqlite") for n in "abc")
    assert a["report"] and a["person"] and a["synthetic_identity"]
    assert a == b
    assert a["report"] != c["report"]
    assert a["identifier"] != c["identifier"]


def test_generation_ignores_global_random_state() -> None:
    random.seed(1)
    first = list(generate_reports(50, 5))
    random.seed(2)
    assert list(generate_reports(50, 5)) == first


def test_same_output_in_fresh_interpreters_whatever_their_hash_seed() -> None:
    code = (
        "import hashlib; from tipline_tui.demo import generate_reports; "
        "print(hashlib.sha256(repr(list(generate_reports(200, 4))).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": hash_seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_a_slice_equals_the_same_slice_of_a_full_run() -> None:
    assert list(generate_reports(20, 3, start=10)) == list(generate_reports(30, 3))[10:]


def test_times_increase_within_ninety_days_and_incidents_precede_receipt(
    reports: list[Report],
) -> None:
    received = [r.received_at for r in reports]
    assert all(t is not None for t in received)
    assert received == sorted(received)
    assert received[0] >= DEMO_EPOCH - 91 * 86400
    assert received[-1] < DEMO_EPOCH
    gaps = [b - a for a, b in itertools.pairwise(received)]
    assert len(set(gaps)) > 100  # jittered, not a fixed step
    zones = Counter()
    for r in reports:
        when = datetime.fromisoformat(r.incident_date_time)
        assert when.tzinfo is not None
        assert when.timestamp() < r.received_at
        zones["Z" if r.incident_date_time.endswith("Z") else "offset"] += 1
    assert zones["Z"] and zones["offset"]


# ------------------------------------------------------------------ proportions


def test_incident_types_in_plausible_proportions(reports: list[Report]) -> None:
    counts = Counter(r.incident_type for r in reports)
    assert set(counts) == {t.value for t in IncidentType}
    assert 0.80 <= counts[IncidentType.CHILD_PORNOGRAPHY] / COUNT <= 0.92
    assert 0.04 <= counts[IncidentType.ENTICEMENT] / COUNT <= 0.10
    small = list(generate_reports(300, 99))
    assert {r.incident_type for r, _ in small} == {t.value for t in IncidentType}


def test_every_internet_detail_kind_appears(reports: list[Report]) -> None:
    kinds = Counter(d.kind for r in reports for d in r.internet_details)
    assert set(kinds) == {k.value for k in InternetDetailKind}
    for r in reports:
        for d in r.internet_details:
            if d.kind == InternetDetailKind.CHAT_IM:
                assert d.chat_client
            elif d.kind == InternetDetailKind.ONLINE_GAMING:
                assert d.game_name and d.console
            elif d.kind == InternetDetailKind.CELL_PHONE:
                # none only when the reported person has no fictional number on record
                assert d.phone is not None or (r.persons and r.persons[0].person.phones == [])
            elif d.kind == InternetDetailKind.NON_INTERNET:
                assert d.location_name and d.addresses
            elif d.kind == InternetDetailKind.PEER_TO_PEER:
                assert d.client and d.ip_capture_events and d.file_names


def test_escalations_are_rare_short_and_marked_synthetic(reports: list[Report]) -> None:
    escalated = [r for r in reports if r.escalated]
    assert 0.01 <= len(escalated) / COUNT <= 0.06
    for r in escalated:
        assert "synthetic" in r.escalate_to_high_priority
        assert len(r.escalate_to_high_priority) < 120


def test_report_annotations_law_enforcement_and_people(reports: list[Report]) -> None:
    annotations = Counter(a for r in reports for a in r.report_annotations)
    assert annotations["sextortion"] > 0
    law = [r.law_enforcement for r in reports if r.law_enforcement is not None]
    assert law
    foreign = [le for le in law if le.served_legal_process_international]
    assert foreign and all(le.flea_country in DEMO_COUNTRIES for le in foreign)
    roles = Counter(p.role for r in reports for p in r.persons)
    assert roles["reported"] and roles["victim"] and roles["recipient"]
    assert any(p.person.age for r in reports for p in r.persons if p.role == "victim")
    for r in reports:
        assert r.esp_name.endswith("(demo)") and r.platform.endswith("(demo)")
        emails = r.reporter.reporting_person.emails
        assert emails and emails[0].value.endswith("example.com")


def test_batched_reports_follow_the_batched_rules(reports: list[Report]) -> None:
    batched = [r for r in reports if r.batched_reason is not None]
    assert 5 <= len(batched) <= 60
    for r in batched:
        assert r.batched_reason == "VIRAL_POTENTIAL_MEME"
        assert r.persons
        for p in r.persons:
            assert p.esp_identifier
            assert p == Person(role="reported", esp_identifier=p.esp_identifier)
        flagged = [f for f in r.files if {"viral", "potentialMeme"} & set(f.annotations)]
        assert len(flagged) == 1


def test_viral_hashes_are_shared_by_many_reports(reports: list[Report]) -> None:
    per_hash = Counter(h for r in reports for h in {x.value for f in r.files for x in f.hashes})
    top = per_hash.most_common(5)
    assert top[0][1] >= 20
    assert sum(1 for _, n in top if n >= 8) >= 3
    viral_reports = sum(
        1 for r in reports if any(x.value in dict(top) for f in r.files for x in f.hashes)
    )
    assert 0.02 <= viral_reports / COUNT <= 0.12


def test_file_metadata_is_well_formed(reports: list[Report]) -> None:
    files = [f for r in reports for f in r.files]
    assert len(files) > COUNT // 2
    for f in files:
        assert re.fullmatch(r"[0-9a-f]{32}", f.file_id)
        for h in f.hashes:
            length = {"MD5": 32, "SHA1": 40}[h.hash_type]
            assert re.fullmatch(f"[0-9a-f]{{{length}}}", h.value)
        assert f.industry_classification in (None, "A1", "A2", "B1", "B2")
        assert set(f.annotations) <= set(FILE_ANNOTATIONS)
        if f.exif_viewed_by_esp:
            assert f.file_viewed_by_esp is True
    assert len({c.industry_classification for c in files}) == 5
    assert any(f.annotations for f in files)


# ------------------------------------------------------------------ fiction only


def test_every_identifier_is_in_a_reserved_range(reports: list[Report]) -> None:
    seen = Counter()
    for r in reports:
        for node in walk(r):
            if isinstance(node, Email):
                local, _, domain = node.value.rpartition("@")
                assert local and EMAIL_DOMAIN.fullmatch(domain.lower()), node.value
                seen["email"] += 1
            elif isinstance(node, Phone):
                digits = re.sub(r"\D", "", node.value)
                assert FICTIONAL_PHONE.fullmatch(digits), node.value
                seen["phone"] += 1
            elif isinstance(node, IpCaptureEvent):
                address = ipaddress.ip_address(node.ip_address)
                assert any(address in net for net in DOC_NETS), node.ip_address
                seen["ipv6" if address.version == 6 else "ipv4"] += 1
        urls = [u for d in r.internet_details for u in d.urls]
        urls += [u for p in r.persons for u in p.profile_urls]
        urls += [f.location_of_file for f in r.files if f.location_of_file]
        for url in urls:
            assert URL_HOST.fullmatch(urlsplit(url).hostname or ""), url
            seen["url"] += 1
    assert all(seen[k] > 50 for k in ("email", "phone", "ipv4", "ipv6", "url")), seen
    digits = [re.sub(r"\D", "", n.value) for r in reports for n in walk(r) if isinstance(n, Phone)]
    assert any(d.startswith("44") or d.startswith("07700") for d in digits)
    assert any(d.startswith("61") or d[:2] in ("02", "03") for d in digits)
    assert len({d[-10:-7] for d in digits if len(d) >= 10 and "55501" in d}) > 20


def test_text_has_no_control_characters_but_some_markup(reports: list[Report]) -> None:
    strings = [s for r in reports for s in walk(r) if isinstance(s, str)]
    assert not [s for s in strings if CONTROL.search(s)]
    marked = [r for r in reports if any(isinstance(s, str) and MARKUP.search(s) for s in walk(r))]
    assert 3 <= len(marked) <= 60  # about 1%


def test_locations_us_international_and_missing(reports: list[Report]) -> None:
    states, countries, located = set(), set(), 0
    for r in reports:
        found = False
        for node in walk(r):
            country = getattr(node, "country", None) or getattr(node, "country_code", None)
            if type(node).__name__ in ("Address", "EstimatedLocation") and country:
                found = True
                countries.add(country)
                if country == "US" and getattr(node, "state", None):
                    states.add(node.state)
        located += found
    assert len(states) >= 20
    assert len(countries & set(DEMO_COUNTRIES)) >= 8
    assert 0 < located < COUNT


# ------------------------------------------------------------------ identities


def test_identities_recur_with_varied_identifiers(
    sample: list[tuple[Report, list[int]]],
) -> None:
    names: dict[int, set[str]] = defaultdict(set)
    emails: dict[int, set[str]] = defaultdict(set)
    reports_of: Counter[int] = Counter()
    places: dict[int, set[tuple]] = defaultdict(set)
    for report, truth in sample:
        assert len(truth) == len(report.persons)
        for person, identity in zip(report.persons, truth, strict=True):
            if identity < 0:
                assert person.role != "reported"
                continue
            assert person.role == "reported"
            reports_of[identity] += 1
            if person.screen_name:
                names[identity].add(person.screen_name)
            emails[identity].update(e.value for e in person.person.emails)
            for a in person.person.addresses:
                places[identity].add((a.country, a.state or a.non_usa_state))
            loc = person.estimated_location
            if loc is not None:
                places[identity].add((loc.country_code, loc.region))
    assert 200 <= len(reports_of) <= COUNT // 2
    assert reports_of.most_common(1)[0][1] >= 20
    varied = [i for i, n in reports_of.items() if n >= 3 and len(names[i]) > 1]
    assert len(varied) >= 20
    assert sum(1 for i in varied if len(emails[i]) > 1) >= 10
    assert all(len(p) == 1 for p in places.values())  # one home, used consistently


def test_ground_truth_stored_for_every_pool_person(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    done: list[int] = []
    build_demo_store(path, 250, 8, progress=done.append)
    assert done == [250]
    expected = {
        (index + 1, position, identity)
        for index, (_, truth) in enumerate(generate_reports(250, 8))
        for position, identity in enumerate(truth)
        if identity >= 0
    }
    conn = sqlite3.connect(path)
    try:
        stored = set(
            conn.execute(
                "SELECT p.report_id, p.position, s.identity FROM synthetic_identity s "
                "JOIN person p ON p.id = s.person_id AND p.report_id = s.report_id"
            )
        )
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        icac_states = {r[0] for r in conn.execute("SELECT state FROM agency WHERE kind = 'icac'")}
        varied = conn.execute(
            "SELECT s.identity, count(DISTINCT p.report_id), count(DISTINCT p.screen_name) "
            "FROM synthetic_identity s JOIN person p ON p.id = s.person_id "
            "GROUP BY s.identity ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    assert stored == expected
    assert meta["demo_seed"] == "8" and meta["demo_reports"] == "250"
    assert meta["generator_version"]
    assert icac_states == set(US_STATES) - {"GU", "VI"}
    assert varied[1] >= 5 and varied[2] >= 2


def test_build_refuses_an_existing_path(tmp_path: Path) -> None:
    path = tmp_path / "taken.sqlite"
    path.write_bytes(b"")
    with pytest.raises(FileExistsError):
        build_demo_store(path, 10, 1)
    assert path.read_bytes() == b""


# ------------------------------------------------------------------ agencies


def test_demo_agencies_cover_states_federal_local_and_partners() -> None:
    agencies = demo_agencies(["GB", "de", "GB", "US", "JP"])
    by_kind = defaultdict(list)
    for a in agencies:
        by_kind[a.kind].append(a)
        assert "(DEMO)" in a.name
        assert a.contact and a.contact.endswith(".example.org")
    assert len({a.name for a in agencies}) == len(agencies)
    icac = by_kind[AgencyKind.ICAC]
    assert {a.state for a in icac} == set(US_STATES) - {"GU", "VI"}
    assert any(a.name == "Ohio ICAC Task Force (DEMO)" for a in icac)
    federal = {a.name for a in by_kind[AgencyKind.FEDERAL] if a.takes_urgent}
    assert {"FBI (DEMO)", "HSI (DEMO)"} <= federal
    assert by_kind[AgencyKind.LOCAL] and all(a.state for a in by_kind[AgencyKind.LOCAL])
    partners = by_kind[AgencyKind.INTERNATIONAL]
    assert [a.country for a in partners] == ["GB", "DE", "JP"]
    assert partners[0].name == "National Police Partner, United Kingdom (DEMO)"


def test_each_fictional_person_has_their_own_handle_and_number() -> None:
    # real platforms and carriers never give two people one username or one number
    people = [make_identity(5, n) for n in range(30_000)]
    handles = [p.screen_name.lower() for p in people]
    assert len(set(handles)) == len(handles)
    phones = [p.phone for p in people if p.phone is not None]
    assert len(set(phones)) == len(phones) > 3_000
    assert all(make_identity(5, n).phone == people[n].phone for n in (0, 17, 29_999))
