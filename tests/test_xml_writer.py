"""The CyberTipline XML writer: order, escaping, omission, refusal of what XML cannot carry."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import full_report, simple_report
from tipline_tui.demo import generate_reports
from tipline_tui.demo.xml_export import export_xml
from tipline_tui.domain.cybertip_xml import parse_file_details, parse_report
from tipline_tui.domain.cybertip_xml_write import file_details_to_xml, report_to_xml
from tipline_tui.domain.report import (
    AccountDisabled,
    AssociatedAccount,
    Email,
    FileDetails,
    FileHash,
    FileMetadataGroup,
    InternetDetail,
    LawEnforcement,
    NameValue,
    Person,
    PersonDetails,
    Phone,
    Report,
)

CSAM = "Child Pornography (possession, manufacture, and distribution)"


def _minimal(**kw: object) -> Report:
    return Report(incident_type=CSAM, incident_date_time="2024-06-01T12:00:00Z", **kw)  # type: ignore[arg-type]


def _full() -> Report:
    """The factories' full report: every part of the schema the store keeps."""
    return full_report()


def _root(report: Report) -> ET.Element:
    return ET.fromstring(report_to_xml(report))


def _tags(elem: ET.Element | None) -> list[str]:
    assert elem is not None
    return [child.tag for child in elem]


# ------------------------------------------------------------------ document and order


def test_document_is_utf8_with_declaration() -> None:
    data = report_to_xml(_minimal(platform="ПримерЧат 🦊 (demo)"))
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<report>')
    assert "ПримерЧат 🦊 (demo)".encode() in data


def test_minimal_report_has_only_required_elements() -> None:
    root = _root(_minimal())
    assert _tags(root) == ["incidentSummary", "reporter"]
    assert _tags(root.find("incidentSummary")) == ["incidentType", "incidentDateTime"]
    assert _tags(root.find("reporter")) == ["reportingPerson"]


def test_top_level_and_summary_follow_the_schema_sequence() -> None:
    report = _full()
    report.batched_reason = "VIRAL_POTENTIAL_MEME"
    report.law_enforcement = LawEnforcement("Example Police (demo)", reported_to_le=True)
    root = _root(report)
    order = [
        "batchedReport",
        "incidentSummary",
        "internetDetails",
        "lawEnforcement",
        "reporter",
        "personOrUserReported",
        "intendedRecipient",
        "victim",
        "additionalInfo",
    ]
    seen = list(dict.fromkeys(_tags(root)))
    assert seen == [tag for tag in order if tag in seen]
    assert _tags(root.find("incidentSummary")) == [
        "incidentType",
        "platform",
        "escalateToHighPriority",
        "reportAnnotations",
        "incidentDateTime",
        "incidentDateTimeDescription",
    ]
    assert root.find("batchedReport").attrib == {"reason": "VIRAL_POTENTIAL_MEME"}  # type: ignore[union-attr]


def test_persons_are_grouped_by_role_in_schema_order() -> None:
    report = _minimal(
        persons=[
            Person(role="victim", screen_name="v1"),
            Person(role="recipient", screen_name="r1"),
            Person(role="reported", screen_name="p1"),
            Person(role="victim", screen_name="v2"),
            Person(role="reported", screen_name="p2"),
        ]
    )
    root = _root(report)
    people = [(e.tag, e.findtext("screenName")) for e in root if e.tag not in _NON_PERSON]
    assert people == [
        ("personOrUserReported", "p1"),
        ("personOrUserReported", "p2"),
        ("intendedRecipient", "r1"),
        ("victim", "v1"),
        ("victim", "v2"),
    ]


_NON_PERSON = {"incidentSummary", "reporter", "internetDetails", "additionalInfo"}


def test_person_children_in_schema_order_and_victim_person_always_present() -> None:
    person = Person(
        role="reported",
        person=PersonDetails(first_name="Jo (demo)", age=30),
        additional_info=["note"],
        screen_name="jo",
        esp_identifier="1",
        vehicle_description="car",
        permanently_disabled=AccountDisabled(True, disabled_date="2024-01-01T00:00:00Z"),
    )
    root = _root(_minimal(persons=[person, Person(role="victim")]))
    assert _tags(root.find("personOrUserReported")) == [
        "personOrUserReportedPerson",
        "vehicleDescription",
        "espIdentifier",
        "screenName",
        "accountPermanentlyDisabled",
        "additionalInfo",
    ]
    assert _tags(root.find("personOrUserReported/personOrUserReportedPerson")) == [
        "firstName",
        "age",
    ]
    assert _tags(root.find("victim")) == ["victimPerson"]  # required, even when empty


def test_reported_person_without_details_has_no_person_element() -> None:
    root = _root(_minimal(persons=[Person(role="reported", esp_identifier="eg-1")]))
    assert _tags(root.find("personOrUserReported")) == ["espIdentifier"]


def test_file_details_order_annotations_and_report_id_argument() -> None:
    details = FileDetails(
        file_id="0" * 32,
        report_id=999,
        file_name="IMG_0001.jpg",
        file_viewed_by_esp=True,
        annotations=["viral", "generativeAi"],
        industry_classification="A1",
        hashes=[FileHash("MD5", "a" * 32), FileHash("SHA1", "b" * 40)],
        details=[FileMetadataGroup("EXIF", [NameValue("Make", "DemoCam")])],
        additional_info=["one", "two"],
    )
    root = ET.fromstring(file_details_to_xml(details, 7))
    assert _tags(root) == [
        "reportId",
        "fileId",
        "fileName",
        "fileViewedByEsp",
        "fileAnnotations",
        "industryClassification",
        "originalFileHash",
        "originalFileHash",
        "details",
        "additionalInfo",
        "additionalInfo",
    ]
    assert root.findtext("reportId") == "7"
    assert [(e.tag, e.text) for e in root.find("fileAnnotations")] == [  # type: ignore[union-attr]
        ("viral", "true"),
        ("generativeAi", "true"),
    ]
    assert [e.get("hashType") for e in root.iter("originalFileHash")] == ["MD5", "SHA1"]
    assert root.find("details").get("type") == "EXIF"  # type: ignore[union-attr]


# ------------------------------------------------------------------ values


def test_booleans_numbers_and_attributes() -> None:
    detail = InternetDetail(
        "cellPhoneIncident",
        phone=Phone("555-0100", verified=False, country_calling_code="+1", extension="12"),
        latitude=float("inf"),
        longitude=-0.5,
    )
    web = InternetDetail("webPageIncident", third_party_hosted_content=True)
    root = _root(_minimal(internet_details=[detail, web]))
    phone = root.find("internetDetails/cellPhoneIncident/phoneNumber")
    assert phone is not None and phone.text == "555-0100"
    assert phone.attrib == {"verified": "false", "countryCallingCode": "+1", "extension": "12"}
    assert root.findtext("internetDetails/cellPhoneIncident/latitude") == "INF"
    assert root.findtext("internetDetails/cellPhoneIncident/longitude") == "-0.5"
    web_elem = root.find("internetDetails/webPageIncident")
    assert web_elem is not None and web_elem.attrib == {"thirdPartyHostedContent": "true"}
    assert _tags(web_elem) == []


def test_annotations_are_true_flags() -> None:
    root = _root(_minimal(report_annotations=["spam", "sextortion"]))
    flags = root.find("incidentSummary/reportAnnotations")
    assert [(e.tag, e.text) for e in flags] == [("spam", "true"), ("sextortion", "true")]  # type: ignore[union-attr]


HOSTILE = "a < b && c > \"d\" 'e' ]]> [bold]x[/bold] [@click=app.quit] \u202eevil"


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        "line one\r\nline two\rthree\ttab\n",
        "  leading and trailing  ",
        "C1 \x9b31m and DEL \x7f are XML 1.0 characters",
        "",
        "ПримерЧат 架空 سامي 😀 👩\u200d👧",
    ],
)
def test_strings_round_trip_exactly_through_an_xml_parser(text: str) -> None:
    report = _minimal(
        additional_info=text,
        persons=[Person(role="reported", person=PersonDetails(emails=[Email("x", type=text)]))],
    )
    root = _root(report)
    assert root.findtext("additionalInfo") == text
    email = root.find("personOrUserReported/personOrUserReportedPerson/email")
    assert email is not None and email.get("type") == text


def test_markup_characters_are_escaped() -> None:
    data = report_to_xml(_minimal(additional_info='<b a="1">&amp;</b>'))
    assert b'<additionalInfo>&lt;b a="1"&gt;&amp;amp;&lt;/b&gt;</additionalInfo>' in data
    attr = report_to_xml(
        _minimal(
            persons=[Person(role="reported", person=PersonDetails(emails=[Email("x", '"<&\n')]))]
        )
    )
    assert b'type="&quot;&lt;&amp;&#10;"' in attr


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x1b[31m", "\x0b", "\ud800", "\ufffe", "\uffff"])
def test_characters_outside_xml_raise_naming_the_field(bad: str) -> None:
    report = _minimal(persons=[Person(role="reported", screen_name=f"x{bad}y")])
    with pytest.raises(ValueError, match=r"persons\[0\]\.screen_name.*U\+"):
        report_to_xml(report)


def test_control_character_in_attribute_raises() -> None:
    details = FileDetails(file_id="f", hashes=[FileHash("MD5\x07", "a")])
    with pytest.raises(ValueError, match=r"file_details\.hashes\[0\]@hashType"):
        file_details_to_xml(details, 1)


@pytest.mark.parametrize(
    ("report", "field"),
    [
        (
            _minimal(persons=[Person(role="reported", school_name="x")]),
            r"persons\[0\]\.school_name",
        ),
        (
            _minimal(persons=[Person(role="recipient", vehicle_description="x")]),
            "vehicle_description",
        ),
        (_minimal(persons=[Person(role="victim", additional_info=["a", "b"])]), "additional_info"),
        (_minimal(persons=[Person(role="associated")]), r"persons\[0\]\.role"),
        (_minimal(internet_details=[InternetDetail("chatImIncident", urls=["u"])]), "urls"),
        (_minimal(internet_details=[InternetDetail("ftpIncident")]), "kind"),
        (_minimal(report_annotations=["spam", "spam"]), "report_annotations"),
        (_minimal(report_annotations=["unknown"]), "report_annotations"),
        (_minimal(law_enforcement=LawEnforcement("X", flea_country="DE")), "flea_country"),
        (
            _minimal(
                persons=[
                    Person(
                        role="reported",
                        permanently_disabled=AccountDisabled(True, reenabled_date="2024"),
                    )
                ]
            ),
            "reenabled_date",
        ),
        (
            _minimal(
                persons=[
                    Person(
                        role="reported",
                        associated_accounts=[
                            AssociatedAccount("Linked", person=PersonDetails(age=30))
                        ],
                    )
                ]
            ),
            "age",
        ),
    ],
)
def test_data_the_xml_cannot_carry_raises(report: Report, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        report_to_xml(report)


def test_details_group_without_pairs_raises() -> None:
    details = FileDetails(file_id="f", details=[FileMetadataGroup("EXIF", [])])
    with pytest.raises(ValueError, match="pairs"):
        file_details_to_xml(details, 1)


# ------------------------------------------------------------------ factories and export


def test_factory_reports_are_writable() -> None:
    for report in (_full(), simple_report(1, escalated=True)):
        root = _root(report)
        assert root.findtext("incidentSummary/incidentType") == report.incident_type
        for f in report.files:
            ET.fromstring(file_details_to_xml(f, 1))


def test_export_writes_reports_and_their_files(tmp_path: Path) -> None:
    written = export_xml(tmp_path / "out", 30, seed=3)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == written
    reports = [n for n in names if n.startswith("report-")]
    assert reports == [f"report-{i:06d}.xml" for i in range(1, 31)]
    files = [n for n in names if n.startswith("filedetails-")]
    assert files and len(files) == written - 30
    first = files[0]
    report_index = int(first.split("-")[1])
    root = ET.parse(tmp_path / "out" / first).getroot()
    assert root.findtext("reportId") == str(report_index)


# ------------------------------------------------------------------ round trip through the parser

ROUND_TRIP_NOW = datetime(2027, 1, 1, tzinfo=UTC)  # after every demo date, so none is "future"
ROLE_ORDER = {"reported": 0, "recipient": 1, "victim": 2}
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xml"


def _as_carried(original: Report, parsed: Report) -> Report:
    """`original` as XML can carry it: no store fields or files, persons grouped by role."""
    return replace(
        original,
        received_at=parsed.received_at,
        esp_name=parsed.esp_name,
        hub_id=parsed.hub_id,
        files=parsed.files,
        persons=sorted(original.persons, key=lambda p: ROLE_ORDER[p.role]),
    )


def test_generated_reports_round_trip_through_the_parser() -> None:
    files = 0
    for index, (report, _truth) in enumerate(generate_reports(300, seed=5), 1):
        parsed = parse_report(report_to_xml(report), now=ROUND_TRIP_NOW)
        assert parsed == _as_carried(report, parsed), index
        for details in report.files:
            back = parse_file_details(file_details_to_xml(details, index), now=ROUND_TRIP_NOW)
            assert back == replace(details, report_id=index), (index, details.file_id)
            files += 1
    assert files > 100


def test_factory_report_round_trips_through_the_parser() -> None:
    report = _full()
    parsed = parse_report(report_to_xml(report), now=ROUND_TRIP_NOW)
    assert parsed == _as_carried(report, parsed)
    for details in report.files:
        back = parse_file_details(file_details_to_xml(details, 3), now=ROUND_TRIP_NOW)
        assert back == replace(details, report_id=3)


@pytest.mark.parametrize(
    "path",
    sorted(FIXTURES.glob("report_*.xml")) + sorted(FIXTURES.glob("filedetails_*.xml")),
    ids=lambda p: p.name,
)
def test_fixtures_survive_parse_write_parse(path: Path) -> None:
    """Whatever the parser reads from a fixture, the writer writes back to the same objects."""
    if path.name.startswith("report_"):
        first = parse_report(path.read_bytes(), now=ROUND_TRIP_NOW)
        again = parse_report(report_to_xml(first), now=ROUND_TRIP_NOW)
        assert again == _as_carried(first, again)
    else:
        details = parse_file_details(path.read_bytes(), now=ROUND_TRIP_NOW)
        assert details.report_id is not None
        xml = file_details_to_xml(details, details.report_id)
        assert parse_file_details(xml, now=ROUND_TRIP_NOW) == details


_XML_TEXT = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]))
        + "\ufffe\uffff",
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(text=_XML_TEXT, attr=_XML_TEXT)
def test_any_xml_text_round_trips_exactly(text: str, attr: str) -> None:
    """Whitespace, CR, quotes, brackets: the parser gets back exactly what was written."""
    report = _minimal(
        additional_info=text,
        persons=[Person(role="reported", screen_name=text, esp_identifier="1")],
    )
    parsed = parse_report(report_to_xml(report), now=ROUND_TRIP_NOW)
    assert parsed.additional_info == text
    assert parsed.persons[0].screen_name == text
    details = FileDetails(file_id="a" * 32, hashes=[FileHash(attr, text)])
    back = parse_file_details(file_details_to_xml(details, 1), now=ROUND_TRIP_NOW)
    assert back.hashes == details.hashes
