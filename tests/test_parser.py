"""The CyberTipline XML parser: every element lands in its field, every bad input is refused
with the problem, path and line an ESP needs to fix it, and nothing else ever escapes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tipline_tui.domain.cybertip_xml import (
    MAX_DOCUMENT_BYTES,
    Problem,
    ReportParseError,
    parse_document,
    parse_file_details,
    parse_report,
)
from tipline_tui.domain.enums import IncidentType, InternetDetailKind
from tipline_tui.domain.report import (
    AccountDisabled,
    Address,
    AssociatedAccount,
    ContactPerson,
    DeviceId,
    Email,
    EstimatedLocation,
    FileDetails,
    FileHash,
    FileMetadataGroup,
    InternetDetail,
    IpCaptureEvent,
    LawEnforcement,
    NameValue,
    Person,
    PersonDetails,
    Phone,
    Report,
    Reporter,
)
from tipline_tui.domain.xml_engine import Shape
from tipline_tui.domain.xml_shapes import FILE_DETAILS, REPORT

XSD = Path(__file__).resolve().parents[2] / "shared/spec/cyber_tipline.xsd"
NOW = datetime(2025, 1, 1, tzinfo=UTC)

# ------------------------------------------------------------------ a report with everything

PHONE = (
    '<phone type="Mobile" verified="true" verificationDate="2024-01-02T03:04:05Z"'
    ' countryCallingCode="+44" extension="12">07700 900123</phone>'
)
EMAIL = (
    '<email type="Work" verified="false" verificationDate="2024-01-02T03:04:05+01:00">'
    "ann@example.com</email>"
)
ADDRESS = (
    '<address type="Home"><address>1 Main St</address><city>Springfield</city>'
    "<zipCode>62701</zipCode><state>IL</state><nonUsaState>Ontario</nonUsaState>"
    "<country>US</country></address>"
)
PERSON = (
    f"<firstName>Ann</firstName><lastName>Lee</lastName>{PHONE}{EMAIL}{ADDRESS}"
    "<age>34</age><dateOfBirth>1990-05-06</dateOfBirth>"
)
IP = (
    "<ipCaptureEvent><ipAddress>2001:db8::1</ipAddress><eventName>Login</eventName>"
    "<dateTime>2024-06-01T12:00:00Z</dateTime><possibleProxy>true</possibleProxy>"
    "<port>443</port></ipCaptureEvent>"
)
IP_SHORT = "<ipCaptureEvent><ipAddress>192.0.2.7</ipAddress></ipCaptureEvent>"
DEVICE = (
    "<deviceId><idType>IMEI</idType><idValue>490154203237518</idValue>"
    "<eventName>Upload</eventName><dateTime>2024-06-01T12:00:00Z</dateTime></deviceId>"
)
TEMPORARILY = (
    '<accountTemporarilyDisabled disabledDate="2024-06-02T00:00:00Z" userNotified="true"'
    ' userNotifiedDate="2024-06-02T01:00:00Z" reenabledDate="2024-06-09T00:00:00Z">'
    "true</accountTemporarilyDisabled>"
)
PERMANENTLY = (
    '<accountPermanentlyDisabled disabledDate="2024-07-01T00:00:00Z" userNotified="false"'
    ' userNotifiedDate="2024-07-01T01:00:00Z">true</accountPermanentlyDisabled>'
)
LOCATION = (
    '<estimatedLocation verified="true" timestamp="2024-06-01T12:00:00Z"><city>Leeds</city>'
    "<region>West Yorkshire</region><countryCode>GB</countryCode></estimatedLocation>"
)
ACCOUNT = (
    '<associatedAccount type="Parent/Guardian"><platform thirdPartyUser="true">OtherApp</platform>'
    "<firstName>Al</firstName><middleName>B</middleName><lastName>Cee</lastName>"
    f"<approximateAge>40</approximateAge><dateOfBirth>1984-01-01</dateOfBirth>{PHONE}{EMAIL}"
    f"<allEmailsReported>true</allEmailsReported>{ADDRESS}<espService>Chat</espService>"
    "<espIdentifier>acc-1</espIdentifier><profileUrl>https://x.example/1</profileUrl>"
    "<profileUrl>https://x.example/2</profileUrl><screenName>al</screenName>"
    "<displayName>Al B</displayName><displayName>Big Al</displayName><profileBio>bio</profileBio>"
    "<groupIdentifier>grp</groupIdentifier><compromisedAccount>false</compromisedAccount>"
    f"{TEMPORARILY}{PERMANENTLY}{IP}{DEVICE}<priorCTReport>111</priorCTReport>"
    "<priorCTReport>222</priorCTReport><additionalInfo>account info</additionalInfo>"
    "</associatedAccount>"
)
ONLINE = (
    "<espIdentifier>{id}</espIdentifier><espService>Chat</espService>"
    "<compromisedAccount>true</compromisedAccount><screenName>{id}-screen</screenName>"
    "<displayName>{id} one</displayName><displayName>{id} two</displayName>"
    "<profileUrl>https://esp.example/{id}</profileUrl><profileBio>{id} bio</profileBio>"
    f"{IP}{DEVICE}"
)

FULL_REPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
<report>
  <incidentSummary>
    <incidentType>Online Enticement of Children for Sexual Acts</incidentType>
    <platform>ExampleChat</platform>
    <escalateToHighPriority>meeting planned tonight</escalateToHighPriority>
    <reportAnnotations><sextortion>true</sextortion><csamSolicitation>1</csamSolicitation>\
<minorToMinorInteraction/><spam>true</spam>\
<sadisticOnlineExploitation>true</sadisticOnlineExploitation></reportAnnotations>
    <incidentDateTime>2024-06-01T10:00:00-05:00</incidentDateTime>
    <incidentDateTimeDescription>first message</incidentDateTimeDescription>
  </incidentSummary>
  <internetDetails><webPageIncident thirdPartyHostedContent="true"><url>https://a.example/1</url>\
<url>https://a.example/2</url><additionalInfo>web</additionalInfo></webPageIncident></internetDetails>
  <internetDetails><emailIncident><emailAddress type="Home" verified="true" \
verificationDate="2024-05-01T00:00:00Z">x@example.com</emailAddress>\
<emailAddress>y@example.com</emailAddress><content>body</content>\
<additionalInfo>mail</additionalInfo></emailIncident></internetDetails>
  <internetDetails><newsgroupIncident><name>alt.example</name>\
<emailAddress type="Recovery">n@example.com</emailAddress><content>post</content>\
<additionalInfo>news</additionalInfo></newsgroupIncident></internetDetails>
  <internetDetails><chatImIncident><chatClient>Client</chatClient><chatRoomName>room</chatRoomName>\
<content>chat</content><additionalInfo>chat info</additionalInfo></chatImIncident></internetDetails>
  <internetDetails><onlineGamingIncident><gameName>Game</gameName><console>Box</console>\
<content>msg</content><additionalInfo>game info</additionalInfo></onlineGamingIncident>\
</internetDetails>
  <internetDetails><cellPhoneIncident><phoneNumber type="Fax" verified="false" \
verificationDate="2024-05-01T00:00:00Z" countryCallingCode="+1" extension="9">\
555-0100</phoneNumber>\
<latitude>51.5</latitude><longitude>-0.125</longitude><additionalInfo>cell</additionalInfo>\
</cellPhoneIncident></internetDetails>
  <internetDetails><nonInternetIncident><locationName>Park</locationName>\
<incidentAddress type="Business"><address>2 Side St</address><city>Leeds</city>\
<zipCode>LS1</zipCode>\
<state></state><nonUsaState>Yorkshire</nonUsaState><country>GB</country></incidentAddress>\
<additionalInfo>offline</additionalInfo></nonInternetIncident></internetDetails>
  <internetDetails><peer2peerIncident><client>Torrent</client>{IP}{IP_SHORT}\
<fileNames>a.jpg b.jpg</fileNames><additionalInfo>p2p</additionalInfo></peer2peerIncident>\
</internetDetails>
  <lawEnforcement><agencyName>West Yorkshire Police</agencyName><caseNumber>CASE-1</caseNumber>\
<officerContact><firstName>Off</firstName><lastName>Icer</lastName>{PHONE}{EMAIL}{ADDRESS}\
</officerContact><reportedToLe>true</reportedToLe>\
<servedLegalProcessDomestic>false</servedLegalProcessDomestic>\
<servedLegalProcessInternational fleaCountry="GB">true</servedLegalProcessInternational>\
</lawEnforcement>
  <reporter><reportingPerson>{PERSON}</reportingPerson><contactPerson><firstName>Con</firstName>\
<lastName>Tact</lastName>{PHONE}{EMAIL}{ADDRESS}</contactPerson>\
<companyTemplate>template</companyTemplate><termsOfService>tos</termsOfService>\
<legalURL>https://esp.example/legal</legalURL></reporter>
  <personOrUserReported><personOrUserReportedPerson>{PERSON}</personOrUserReportedPerson>\
<vehicleDescription>red van</vehicleDescription>{ONLINE.format(id="u1")}\
<thirdPartyUserReported>false</thirdPartyUserReported><priorCTReports>123</priorCTReports>\
<priorCTReports>456</priorCTReports><groupIdentifier>g1</groupIdentifier>\
{TEMPORARILY}{PERMANENTLY}{LOCATION}<allEmailsReported>true</allEmailsReported>{ACCOUNT}\
<additionalInfo>reported info</additionalInfo></personOrUserReported>
  <intendedRecipient><intendedRecipientPerson>{PERSON}</intendedRecipientPerson>\
{ONLINE.format(id="r1")}<priorCTReports>789</priorCTReports><groupIdentifier>g2</groupIdentifier>\
{TEMPORARILY}{PERMANENTLY}{LOCATION}<allEmailsReported>false</allEmailsReported>\
<additionalInfo>one</additionalInfo><additionalInfo>two</additionalInfo></intendedRecipient>
  <victim><victimPerson>{PERSON}</victimPerson>{ONLINE.format(id="v1")}\
<schoolName>School</schoolName><priorCTReports>-5</priorCTReports>\
{TEMPORARILY}{PERMANENTLY}{LOCATION}<allEmailsReported>true</allEmailsReported>{ACCOUNT}\
<additionalInfo>victim info</additionalInfo></victim>
  <additionalInfo>report info</additionalInfo>
</report>
""".encode()


def _phone() -> Phone:
    return Phone("07700 900123", "Mobile", True, "2024-01-02T03:04:05Z", "+44", "12")


def _email() -> Email:
    return Email("ann@example.com", "Work", False, "2024-01-02T03:04:05+01:00")


def _address() -> Address:
    return Address("1 Main St", "Springfield", "62701", "IL", "Ontario", "US", "Home")


def _person() -> PersonDetails:
    return PersonDetails("Ann", "Lee", [_phone()], [_email()], [_address()], 34, "1990-05-06")


def _ip() -> IpCaptureEvent:
    return IpCaptureEvent("2001:db8::1", "Login", "2024-06-01T12:00:00Z", True, 443)


def _device() -> DeviceId:
    return DeviceId("IMEI", "490154203237518", "Upload", "2024-06-01T12:00:00Z")


def _temporarily() -> AccountDisabled:
    return AccountDisabled(
        True, "2024-06-02T00:00:00Z", True, "2024-06-02T01:00:00Z", "2024-06-09T00:00:00Z"
    )


def _permanently() -> AccountDisabled:
    return AccountDisabled(True, "2024-07-01T00:00:00Z", False, "2024-07-01T01:00:00Z")


def _location() -> EstimatedLocation:
    return EstimatedLocation("Leeds", "West Yorkshire", "GB", True, "2024-06-01T12:00:00Z")


def _account() -> AssociatedAccount:
    return AssociatedAccount(
        type="Parent/Guardian",
        platform="OtherApp",
        platform_third_party_user=True,
        middle_name="B",
        approximate_age=40,
        person=PersonDetails("Al", "Cee", [_phone()], [_email()], [_address()], None, "1984-01-01"),
        all_emails_reported=True,
        esp_service="Chat",
        esp_identifier="acc-1",
        profile_urls=["https://x.example/1", "https://x.example/2"],
        screen_name="al",
        display_names=["Al B", "Big Al"],
        profile_bio="bio",
        group_identifier="grp",
        compromised_account=False,
        temporarily_disabled=_temporarily(),
        permanently_disabled=_permanently(),
        ip_capture_events=[_ip()],
        device_ids=[_device()],
        prior_ct_reports=[111, 222],
        additional_info="account info",
    )


def _online(esp_id: str) -> dict[str, object]:
    return {
        "person": _person(),
        "esp_identifier": esp_id,
        "esp_service": "Chat",
        "compromised_account": True,
        "screen_name": f"{esp_id}-screen",
        "display_names": [f"{esp_id} one", f"{esp_id} two"],
        "profile_urls": [f"https://esp.example/{esp_id}"],
        "profile_bio": f"{esp_id} bio",
        "ip_capture_events": [_ip()],
        "device_ids": [_device()],
        "temporarily_disabled": _temporarily(),
        "permanently_disabled": _permanently(),
        "estimated_location": _location(),
    }


EXPECTED_REPORT = Report(
    incident_type="Online Enticement of Children for Sexual Acts",
    incident_date_time="2024-06-01T10:00:00-05:00",
    reporter=Reporter(
        reporting_person=_person(),
        contact_person=ContactPerson("Con", "Tact", [_phone()], [_email()], [_address()]),
        company_template="template",
        terms_of_service="tos",
        legal_url="https://esp.example/legal",
    ),
    platform="ExampleChat",
    escalate_to_high_priority="meeting planned tonight",
    report_annotations=[
        "sextortion",
        "csamSolicitation",
        "minorToMinorInteraction",
        "spam",
        "sadisticOnlineExploitation",
    ],
    incident_date_time_description="first message",
    internet_details=[
        InternetDetail(
            "webPageIncident",
            urls=["https://a.example/1", "https://a.example/2"],
            third_party_hosted_content=True,
            additional_info="web",
        ),
        InternetDetail(
            "emailIncident",
            emails=[
                Email("x@example.com", "Home", True, "2024-05-01T00:00:00Z"),
                Email("y@example.com"),
            ],
            content="body",
            additional_info="mail",
        ),
        InternetDetail(
            "newsgroupIncident",
            name="alt.example",
            emails=[Email("n@example.com", "Recovery")],
            content="post",
            additional_info="news",
        ),
        InternetDetail(
            "chatImIncident",
            chat_client="Client",
            chat_room_name="room",
            content="chat",
            additional_info="chat info",
        ),
        InternetDetail(
            "onlineGamingIncident",
            game_name="Game",
            console="Box",
            content="msg",
            additional_info="game info",
        ),
        InternetDetail(
            "cellPhoneIncident",
            phone=Phone("555-0100", "Fax", False, "2024-05-01T00:00:00Z", "+1", "9"),
            latitude=51.5,
            longitude=-0.125,
            additional_info="cell",
        ),
        InternetDetail(
            "nonInternetIncident",
            location_name="Park",
            addresses=[Address("2 Side St", "Leeds", "LS1", "", "Yorkshire", "GB", "Business")],
            additional_info="offline",
        ),
        InternetDetail(
            "peer2peerIncident",
            client="Torrent",
            ip_capture_events=[_ip(), IpCaptureEvent("192.0.2.7")],
            file_names="a.jpg b.jpg",
            additional_info="p2p",
        ),
    ],
    law_enforcement=LawEnforcement(
        agency_name="West Yorkshire Police",
        case_number="CASE-1",
        officer=ContactPerson("Off", "Icer", [_phone()], [_email()], [_address()]),
        reported_to_le=True,
        served_legal_process_domestic=False,
        served_legal_process_international=True,
        flea_country="GB",
    ),
    persons=[
        Person(
            role="reported",
            vehicle_description="red van",
            third_party_user_reported=False,
            prior_ct_reports=[123, 456],
            group_identifier="g1",
            all_emails_reported=True,
            associated_accounts=[_account()],
            additional_info=["reported info"],
            **_online("u1"),  # type: ignore[arg-type]
        ),
        Person(
            role="recipient",
            prior_ct_reports=[789],
            group_identifier="g2",
            all_emails_reported=False,
            additional_info=["one", "two"],
            **_online("r1"),  # type: ignore[arg-type]
        ),
        Person(
            role="victim",
            school_name="School",
            prior_ct_reports=[-5],
            all_emails_reported=True,
            associated_accounts=[_account()],
            additional_info=["victim info"],
            **_online("v1"),  # type: ignore[arg-type]
        ),
    ],
    additional_info="report info",
)

FULL_FILE_DETAILS = f"""<?xml version="1.0" encoding="UTF-8"?>
<fileDetails>
  <reportId>12345</reportId>
  <fileId>0123456789abcdef0123456789abcdef</fileId>
  <fileName>a.jpg</fileName>
  <originalFileName>IMG_0001.JPG</originalFileName>
  <uploadedToEspTimestamp>2024-06-01T12:00:00Z</uploadedToEspTimestamp>
  <locationOfFile>https://cdn.example/x</locationOfFile>
  <fileViewedByEsp>true</fileViewedByEsp>
  <exifViewedByEsp>true</exifViewedByEsp>
  <publiclyAvailable>false</publiclyAvailable>
  <fileRelevance>Supplemental Reported</fileRelevance>
  <fileAnnotations><animeDrawingVirtualHentai>true</animeDrawingVirtualHentai>\
<potentialMeme>true</potentialMeme><viral>true</viral>\
<possibleSelfProduction>true</possibleSelfProduction><physicalHarm>true</physicalHarm>\
<violenceGore>true</violenceGore><bestiality>true</bestiality><liveStreaming>true</liveStreaming>\
<infant>true</infant><generativeAi>true</generativeAi></fileAnnotations>
  <industryClassification>B2</industryClassification>
  <originalFileHash hashType="MD5">d41d8cd98f00b204e9800998ecf8427e</originalFileHash>
  <originalFileHash hashType="SHA1">da39a3ee5e6b4b0d3255bfef95601890afd80709</originalFileHash>
  {IP}
  {DEVICE}
  <details type="EXIF"><nameValuePair><name>Make</name><value>Canon</value></nameValuePair>\
<nameValuePair><name>Model</name><value>EOS</value></nameValuePair></details>
  <details><nameValuePair><name>PDNA</name><value>abc</value></nameValuePair></details>
  <additionalInfo>one</additionalInfo>
  <additionalInfo>two</additionalInfo>
</fileDetails>
""".encode()

EXPECTED_FILE_DETAILS = FileDetails(
    file_id="0123456789abcdef0123456789abcdef",
    report_id=12345,
    file_name="a.jpg",
    original_file_name="IMG_0001.JPG",
    uploaded_to_esp_timestamp="2024-06-01T12:00:00Z",
    location_of_file="https://cdn.example/x",
    file_viewed_by_esp=True,
    exif_viewed_by_esp=True,
    publicly_available=False,
    file_relevance="Supplemental Reported",
    annotations=[
        "animeDrawingVirtualHentai",
        "potentialMeme",
        "viral",
        "possibleSelfProduction",
        "physicalHarm",
        "violenceGore",
        "bestiality",
        "liveStreaming",
        "infant",
        "generativeAi",
    ],
    industry_classification="B2",
    hashes=[
        FileHash("MD5", "d41d8cd98f00b204e9800998ecf8427e"),
        FileHash("SHA1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ],
    ip_capture_event=_ip(),
    device_ids=[_device()],
    details=[
        FileMetadataGroup("EXIF", [NameValue("Make", "Canon"), NameValue("Model", "EOS")]),
        FileMetadataGroup(None, [NameValue("PDNA", "abc")]),
    ],
    additional_info=["one", "two"],
)

BATCHED_REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<report>
  <batchedReport reason="VIRAL_POTENTIAL_MEME"/>
  <incidentSummary>
    <incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>
    <incidentDateTime>2024-06-01T10:00:00Z</incidentDateTime>
  </incidentSummary>
  <reporter><reportingPerson/></reporter>
  <personOrUserReported><espIdentifier>111</espIdentifier></personOrUserReported>
  <personOrUserReported><espIdentifier>222</espIdentifier></personOrUserReported>
</report>
"""

MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<report>
  <incidentSummary>
    <incidentType>Child Sex Tourism</incidentType>
    <incidentDateTime>2024-06-01T10:00:00Z</incidentDateTime>
  </incidentSummary>
  <reporter>
    <reportingPerson/>
  </reporter>
</report>
"""

MINIMAL_FILE = """<?xml version="1.0" encoding="UTF-8"?>
<fileDetails>
  <reportId>7</reportId>
  <fileId>f</fileId>
</fileDetails>
"""


def report_with(body: str = "", summary: str = "") -> bytes:
    """MINIMAL with `summary` appended to the incidentType line (line 4) and `body` on new
    lines after the reporter (from line 10), so the lines of the rest stay put."""
    text = MINIMAL.replace("</incidentType>", "</incidentType>" + summary)
    if body:
        text = text.replace("  </reporter>\n", f"  </reporter>\n{body}\n")
    return text.encode()


def problems_of(data: bytes, *, now: datetime = NOW) -> list[str]:
    with pytest.raises(ReportParseError) as caught:
        parse_document(data, now=now)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


# ------------------------------------------------------------------ mapping


def test_every_report_element_and_attribute_lands_in_its_field() -> None:
    assert parse_report(FULL_REPORT, now=NOW) == EXPECTED_REPORT


def test_every_file_details_element_and_attribute_lands_in_its_field() -> None:
    assert parse_file_details(FULL_FILE_DETAILS, now=NOW) == EXPECTED_FILE_DETAILS


def test_parse_document_dispatches_on_the_root() -> None:
    assert parse_document(FULL_REPORT, now=NOW) == EXPECTED_REPORT
    assert parse_document(FULL_FILE_DETAILS, now=NOW) == EXPECTED_FILE_DETAILS


def test_minimal_documents_leave_optional_fields_empty() -> None:
    report = parse_report(MINIMAL.encode(), now=NOW)
    assert report == Report("Child Sex Tourism", "2024-06-01T10:00:00Z")
    details = parse_file_details(MINIMAL_FILE.encode(), now=NOW)
    assert details == FileDetails(file_id="f", report_id=7)


def test_parse_report_and_parse_file_details_refuse_the_other_root() -> None:
    with pytest.raises(ReportParseError) as caught:
        parse_report(MINIMAL_FILE.encode())
    assert str(caught.value) == "wrong root element <fileDetails>; expected <report> (line 2)"
    with pytest.raises(ReportParseError) as caught:
        parse_file_details(MINIMAL.encode())
    assert str(caught.value) == "wrong root element <report>; expected <fileDetails> (line 2)"


@pytest.mark.parametrize("incident_type", [t.value for t in IncidentType])
def test_every_incident_type_parses(incident_type: str) -> None:
    data = MINIMAL.replace("Child Sex Tourism", incident_type).encode()
    assert parse_report(data, now=NOW).incident_type == incident_type


@pytest.mark.parametrize("kind", [k.value for k in InternetDetailKind])
def test_every_internet_detail_kind_parses(kind: str) -> None:
    data = report_with(f"  <internetDetails><{kind}/></internetDetails>")
    [detail] = parse_report(data, now=NOW).internet_details
    assert detail == InternetDetail(kind)


def test_every_internet_detail_kind_is_in_the_full_report() -> None:
    kinds = [d.kind for d in EXPECTED_REPORT.internet_details]
    assert sorted(kinds) == sorted(k.value for k in InternetDetailKind)


def test_international_legal_process_keeps_flea_country() -> None:
    data = report_with(
        "  <lawEnforcement><agencyName>Policia Federal</agencyName>"
        '<servedLegalProcessInternational fleaCountry="BR">1</servedLegalProcessInternational>'
        "</lawEnforcement>"
    )
    law = parse_report(data, now=NOW).law_enforcement
    assert law == LawEnforcement(
        "Policia Federal", served_legal_process_international=True, flea_country="BR"
    )


def test_a_batched_report_keeps_its_reason_and_esp_identifiers() -> None:
    report = parse_report(BATCHED_REPORT, now=NOW)
    assert report.batched_reason == "VIRAL_POTENTIAL_MEME"
    assert [(p.role, p.esp_identifier) for p in report.persons] == [
        ("reported", "111"),
        ("reported", "222"),
    ]


def test_persons_keep_document_order_across_roles() -> None:
    data = report_with(
        "  <victim><victimPerson><firstName>V</firstName></victimPerson></victim>\n"
        "  <personOrUserReported><espIdentifier>R</espIdentifier></personOrUserReported>\n"
        "  <intendedRecipient><espIdentifier>I</espIdentifier></intendedRecipient>"
    )
    persons = parse_report(data, now=NOW).persons
    assert [p.role for p in persons] == ["victim", "reported", "recipient"]
    assert persons[0].person.first_name == "V"


def test_top_level_potential_meme_is_the_potential_meme_annotation() -> None:
    data = MINIMAL_FILE.replace("</fileId>", "</fileId><potentialMeme>true</potentialMeme>")
    assert parse_file_details(data.encode()).annotations == ["potentialMeme"]
    data = MINIMAL_FILE.replace("</fileId>", "</fileId><potentialMeme>false</potentialMeme>")
    assert parse_file_details(data.encode()).annotations == []


def test_file_id_is_any_token_not_only_32_hex_digits() -> None:
    data = MINIMAL_FILE.replace("<fileId>f</fileId>", "<fileId>not-hex_123</fileId>")
    assert parse_file_details(data.encode()).file_id == "not-hex_123"


def test_lexical_variants_the_schema_allows() -> None:
    data = report_with(
        "  <personOrUserReported><personOrUserReportedPerson><age> +35 </age>"
        "<dateOfBirth>1989-02-01Z</dateOfBirth></personOrUserReportedPerson>"
        "<compromisedAccount> 0 </compromisedAccount>"
        "<ipCaptureEvent><ipAddress>198.51.100.7</ipAddress>"
        "<dateTime>2024-12-31T24:00:00+14:00</dateTime><port>0443</port></ipCaptureEvent>"
        "<priorCTReports>9223372036854775807</priorCTReports></personOrUserReported>\n"
        "  <internetDetails><cellPhoneIncident><latitude>-9E1</latitude>"
        "<longitude>.5</longitude></cellPhoneIncident></internetDetails>",
        summary="<platform/>",
    )
    report = parse_report(data, now=NOW)
    [person] = report.persons
    assert person.person.age == 35
    assert person.person.date_of_birth == "1989-02-01Z"
    assert person.compromised_account is False
    assert person.ip_capture_events == [
        IpCaptureEvent("198.51.100.7", date_time="2024-12-31T24:00:00+14:00", port=443)
    ]
    assert person.prior_ct_reports == [2**63 - 1]
    assert report.platform == ""
    assert (report.internet_details[0].latitude, report.internet_details[0].longitude) == (
        -90.0,
        0.5,
    )


def test_namespace_declarations_and_schema_location_hints_are_accepted() -> None:
    data = MINIMAL.replace(
        "<report>",
        '<report xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:noNamespaceSchemaLocation="cyber_tipline.xsd">',
    )
    assert parse_report(data.encode(), now=NOW).incident_type == "Child Sex Tourism"


# ------------------------------------------------------------------ text kept exactly

NON_LATIN = [
    "Дмитрий",  # Cyrillic
    "محمد",  # Arabic (right to left)
    "山田太郎",  # CJK
    "स्नेहा",  # Devanagari, combining marks
    "Zoë Ø'Brien",
    "🦊🏳️‍🌈 fox",  # emoji, a ZWJ sequence
    "e\u0301",  # a combining accent, not normalised to é
    "\U0001d54f",  # astral plane
]
HOSTILE = [
    "[bold]x[/bold]",
    "[@click=app.quit]quit[/]",
    "[link=https://evil.example]click[/link]",
    "\u202eevil.exe\u202c",  # right-to-left override
    "  leading and trailing  ",
    "line one\nline two\ttabbed",
    "<b>not markup</b> & &amp; ]]>",
    "\x1b[31mred\x1b[0m".replace("\x1b", "&#27;"),  # ESC is not an XML character at all
    "%s %d {0} {name} $(rm -rf /) '; DROP TABLE reports; --",
]


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("text", NON_LATIN + HOSTILE)
def test_text_is_kept_exactly_as_sent(text: str) -> None:
    data = report_with(
        f"  <personOrUserReported><screenName>{_escaped(text)}</screenName>"
        f"<displayName>{_escaped(text)}</displayName></personOrUserReported>\n"
        f"  <additionalInfo>{_escaped(text)}</additionalInfo>",
        summary=f"<platform>{_escaped(text)}</platform>",
    )
    report = parse_report(data, now=NOW)
    assert report.platform == text
    assert report.additional_info == text
    assert report.persons[0].screen_name == text
    assert report.persons[0].display_names == [text]


def test_cdata_character_references_and_carriage_returns_are_plain_text() -> None:
    data = report_with(
        "  <additionalInfo>a&#13;b&#x1F98A;<![CDATA[<i>&amp;</i>]]></additionalInfo>"
    )
    assert parse_report(data, now=NOW).additional_info == "a\rb🦊<i>&amp;</i>"


def test_the_declared_encoding_is_honoured() -> None:
    text = "Zoë Ø'Brien"
    latin = MINIMAL.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(
        "</incidentSummary>", "</incidentSummary>"
    )
    latin = latin.replace(
        "  </reporter>", f"  </reporter>\n  <additionalInfo>{text}</additionalInfo>"
    )
    assert parse_report(latin.encode("latin-1"), now=NOW).additional_info == text
    for codec in ("utf-16", "utf-16-le", "utf-16-be"):
        utf16 = latin.replace('encoding="ISO-8859-1"', 'encoding="UTF-16"')
        data = utf16.encode(codec)
        if codec != "utf-16":
            data = "\ufeff".encode(codec) + data
        assert parse_report(data, now=NOW).additional_info == text
    with_bom = b"\xef\xbb\xbf" + MINIMAL.encode()
    assert parse_report(with_bom, now=NOW).incident_type == "Child Sex Tourism"


# ------------------------------------------------------------------ refusals


def test_problem_renders_path_message_and_line() -> None:
    problem = Problem("report/incidentSummary/incidentDateTime", "required element missing", 3)
    assert (
        str(problem) == "report/incidentSummary/incidentDateTime: required element missing (line 3)"
    )
    assert str(Problem("report", "something", None)) == "report: something"
    assert str(Problem("", "empty document")) == "empty document"
    error = ReportParseError([problem, Problem("report", "x")])
    assert str(error) == f"{problem}\nreport: x"
    assert error.problems == [problem, Problem("report", "x")]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<report><additionalInfo>&lol9;</additionalInfo></report>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE report [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<report><additionalInfo>&xxe;</additionalInfo></report>
"""

BAD_UTF8 = MINIMAL.replace("Child Sex Tourism", "Child Sex Tourism\udcff").encode(
    "utf-8", "surrogateescape"
)


def _future_capture(minutes: int) -> bytes:
    when = (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return report_with(
        "  <personOrUserReported>\n"
        f"    <ipCaptureEvent><ipAddress>192.0.2.1</ipAddress><dateTime>{when}</dateTime>"
        "</ipCaptureEvent>\n"
        f"    <deviceId><idType>IDFA</idType><idValue>x</idValue><dateTime>{when}</dateTime>"
        "</deviceId>\n"
        "  </personOrUserReported>"
    )


REFUSALS: dict[str, tuple[bytes, list[str]]] = {
    "not well-formed": (
        b"<report>\n  <incidentSummary>\n</report>",
        ["report/incidentSummary: not well-formed XML: mismatched tag at column 3 (line 3)"],
    ),
    "billion laughs": (BILLION_LAUGHS, ["DTD/DOCTYPE not allowed (line 2)"]),
    "external entity": (EXTERNAL_ENTITY, ["DTD/DOCTYPE not allowed (line 2)"]),
    "undefined entity": (
        report_with("  <additionalInfo>&xxe;</additionalInfo>"),
        [
            "report/additionalInfo: undefined entity (only &lt; &gt; &amp; &quot; &apos; and "
            "&#...; are allowed) at column 19 (line 10)"
        ],
    ),
    "wrong root": (
        b'<?xml version="1.0"?>\n<html><body/></html>',
        ["wrong root element <html>; expected <report> or <fileDetails> (line 2)"],
    ),
    "several required elements missing": (
        b"<report>\n  <incidentSummary>\n    <platform>x</platform>\n  </incidentSummary>\n"
        b"</report>",
        [
            "report/reporter: required element missing (line 1)",
            "report/incidentSummary/incidentType: required element missing (line 2)",
            "report/incidentSummary/incidentDateTime: required element missing (line 2)",
        ],
    ),
    "bad enumeration": (
        MINIMAL.replace("Child Sex Tourism", "Spam").encode(),
        ["report/incidentSummary/incidentType: 'Spam' is not an allowed incident type (line 4)"],
    ),
    "bad date-time": (
        MINIMAL.replace("2024-06-01T10:00:00Z", "2024-02-30T10:00:00Z").encode(),
        [
            "report/incidentSummary/incidentDateTime: '2024-02-30T10:00:00Z' is not an ISO 8601 "
            "date-time such as 2024-05-01T13:45:00Z (line 5)"
        ],
    ),
    "date-time without zone": (
        MINIMAL.replace("2024-06-01T10:00:00Z", "2024-06-01T10:00:00").encode(),
        [
            "report/incidentSummary/incidentDateTime: date-time must include a time zone "
            "(Z or +hh:mm): '2024-06-01T10:00:00' (line 5)"
        ],
    ),
    "invalid UTF-8": (
        BAD_UTF8,
        [
            "report/incidentSummary/incidentType: invalid byte for the declared encoding or "
            "not well-formed XML at column 36 (line 4)"
        ],
    ),
    "unknown encoding": (
        MINIMAL.replace("UTF-8", "x-klingon").encode(),
        [
            "unknown or unsupported declared encoding 'x-klingon'; send UTF-8 "
            "(or UTF-16, ISO-8859-1, US-ASCII) (line 1)"
        ],
    ),
    "empty file": (b"", ["empty document"]),
    "only whitespace": (b"  \n ", ["empty document (line 2)"]),
    "oversized": (
        b" " * (MAX_DOCUMENT_BYTES + 1),
        ["document is 10,485,761 bytes; the limit is 10,485,760 bytes"],
    ),
    "future capture times": (
        _future_capture(6),
        [
            "report/personOrUserReported[1]/ipCaptureEvent[1]/dateTime: capture time "
            "2025-01-01T00:06:00Z is in the future (line 11)",
            "report/personOrUserReported[1]/deviceId[1]/dateTime: capture time "
            "2025-01-01T00:06:00Z is in the future (line 12)",
        ],
    ),
    "exifViewedByEsp without fileViewedByEsp": (
        MINIMAL_FILE.replace(
            "</fileId>", "</fileId>\n  <exifViewedByEsp>true</exifViewedByEsp>"
        ).encode(),
        [
            "fileDetails/exifViewedByEsp: exifViewedByEsp is true, so fileViewedByEsp must be "
            "true as well (line 5)"
        ],
    ),
    "batched report with a screenName": (
        BATCHED_REPORT.replace(
            b"<espIdentifier>222</espIdentifier>",
            b"<espIdentifier>222</espIdentifier><screenName>x</screenName>",
        ),
        [
            "report/personOrUserReported[2]/screenName: a batched report carries only "
            "espIdentifier under personOrUserReported, not <screenName> (line 10)"
        ],
    ),
    "length limit exceeded": (
        report_with(summary=f"<platform>{'p' * 257}</platform>"),
        ["report/incidentSummary/platform: 257 characters long; the limit is 256 (line 4)"],
    ),
    "unexpected element": (
        report_with("  <bogus>x</bogus>"),
        ["report/bogus: unexpected element <bogus> (line 10)"],
    ),
    "element twice that may appear once": (
        report_with("  <reporter><reportingPerson/></reporter>"),
        ["report/reporter[2]: <reporter> may appear only once here (line 10)"],
    ),
    "child element in a simple element": (
        report_with("  <additionalInfo>a<b>bold</b>c</additionalInfo>"),
        [
            "report/additionalInfo/b: unexpected element <b>: <additionalInfo> holds text only "
            "(line 10)"
        ],
    ),
    "text in an element-only element": (
        MINIMAL.replace("<reportingPerson/>", "<reportingPerson/>stray").encode(),
        ["report/reporter: unexpected text in <reporter>, which holds elements only (line 8)"],
    ),
    "unexpected attribute": (
        report_with('  <additionalInfo lang="en">x</additionalInfo>'),
        ["report/additionalInfo/@lang: unexpected attribute lang (line 10)"],
    ),
    "a default namespace": (
        MINIMAL.replace("<report>", '<report xmlns="urn:example">').encode(),
        [
            "report/@xmlns: default namespace 'urn:example' not allowed: the schema has none "
            "(line 2)"
        ],
    ),
    "nested too deep": (
        b"<report>" + b"<a>" * 70 + b"</a>" * 70 + b"</report>",
        ["report/" + "a/" * 63 + "a: elements nested more than 64 deep (line 1)"],
    ),
    "too many elements": (
        b"<report>\n" + b"<a/>" * 200_000 + b"</report>",
        ["report/a[200000]: more than 200,000 elements (line 2)"],
    ),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_bad_input_is_refused_with_its_problems(name: str) -> None:
    data, expected = REFUSALS[name]
    assert problems_of(data) == expected


def test_capture_times_may_run_five_minutes_ahead_for_clock_skew() -> None:
    report = parse_report(_future_capture(4), now=NOW)
    assert report.persons[0].ip_capture_events[0].date_time == "2025-01-01T00:04:00Z"
    assert problems_of(_future_capture(4), now=NOW - timedelta(minutes=2))  # 6 minutes ahead


def test_now_defaults_to_the_clock() -> None:
    with pytest.raises(ReportParseError, match="in the future"):
        parse_report(_future_capture(60 * 24 * 365 * 5))  # NOW + 5 years: ahead of any test run


VALUE_PROBLEMS: list[tuple[str, str, str]] = [
    # (body after the reporter, the path, the message)
    (
        "<personOrUserReported><personOrUserReportedPerson><age>151</age>"
        "</personOrUserReportedPerson></personOrUserReported>",
        "report/personOrUserReported[1]/personOrUserReportedPerson/age",
        "151 is out of range for an age in years (0 to 150)",
    ),
    (
        "<personOrUserReported><personOrUserReportedPerson><age>1_0</age>"
        "</personOrUserReportedPerson></personOrUserReported>",
        "report/personOrUserReported[1]/personOrUserReportedPerson/age",
        "'1_0' is not an age in years",
    ),
    (
        "<victim><victimPerson><dateOfBirth>2001-13-01</dateOfBirth></victimPerson></victim>",
        "report/victim[1]/victimPerson/dateOfBirth",
        "'2001-13-01' is not an ISO 8601 date such as 2009-06-30",
    ),
    (
        '<victim><victimPerson/><associatedAccount type="Linked">'
        "<approximateAge>-1</approximateAge></associatedAccount></victim>",
        "report/victim[1]/associatedAccount[1]/approximateAge",
        "-1 is out of range for an age in years (0 to 150)",
    ),
    (
        "<personOrUserReported><ipCaptureEvent><ipAddress>300.1.2.3</ipAddress>"
        "<port>65536</port><possibleProxy>yes</possibleProxy></ipCaptureEvent>"
        "</personOrUserReported>",
        "report/personOrUserReported[1]/ipCaptureEvent[1]/ipAddress",
        "'300.1.2.3' is not an IPv4 or IPv6 address",
    ),
    (
        "<personOrUserReported><ipCaptureEvent><ipAddress>::1</ipAddress>"
        "<port>65536</port></ipCaptureEvent></personOrUserReported>",
        "report/personOrUserReported[1]/ipCaptureEvent[1]/port",
        "65536 is out of range for a port number (0 to 65535)",
    ),
    (
        "<personOrUserReported><ipCaptureEvent><ipAddress>::1</ipAddress>"
        "<possibleProxy>yes</possibleProxy></ipCaptureEvent></personOrUserReported>",
        "report/personOrUserReported[1]/ipCaptureEvent[1]/possibleProxy",
        "'yes' is not a boolean (true, false, 1 or 0)",
    ),
    (
        "<personOrUserReported><ipCaptureEvent><eventName>Login</eventName></ipCaptureEvent>"
        "</personOrUserReported>",
        "report/personOrUserReported[1]/ipCaptureEvent[1]/ipAddress",
        "required element missing",
    ),
    (
        "<personOrUserReported><deviceId><idType>x</idType></deviceId></personOrUserReported>",
        "report/personOrUserReported[1]/deviceId[1]/idValue",
        "required element missing",
    ),
    (
        f"<personOrUserReported><deviceId><idType>x</idType><idValue>{'v' * 2084}</idValue>"
        "</deviceId></personOrUserReported>",
        "report/personOrUserReported[1]/deviceId[1]/idValue",
        "2084 characters long; the limit is 2083",
    ),
    (
        "<personOrUserReported><priorCTReports>9223372036854775808</priorCTReports>"
        "</personOrUserReported>",
        "report/personOrUserReported[1]/priorCTReports[1]",
        "9223372036854775808 is out of range for an integer (xs:long) "
        "(-9223372036854775808 to 9223372036854775807)",
    ),
    (
        "<internetDetails><cellPhoneIncident><latitude>90.5</latitude></cellPhoneIncident>"
        "</internetDetails>",
        "report/internetDetails[1]/cellPhoneIncident/latitude",
        "90.5 is out of range for a latitude (-90 to 90)",
    ),
    (
        "<internetDetails><cellPhoneIncident><longitude>NaN</longitude></cellPhoneIncident>"
        "</internetDetails>",
        "report/internetDetails[1]/cellPhoneIncident/longitude",
        "NaN is out of range for a longitude (-180 to 180)",
    ),
    (
        '<internetDetails><cellPhoneIncident><phoneNumber countryCallingCode="44">1'
        "</phoneNumber></cellPhoneIncident></internetDetails>",
        "report/internetDetails[1]/cellPhoneIncident/phoneNumber/@countryCallingCode",
        "'44' is not a country calling code such as +44",
    ),
    (
        '<internetDetails><cellPhoneIncident><phoneNumber extension="x1">1'
        "</phoneNumber></cellPhoneIncident></internetDetails>",
        "report/internetDetails[1]/cellPhoneIncident/phoneNumber/@extension",
        "'x1' is not a phone extension (digits only)",
    ),
    (
        '<internetDetails><emailIncident><emailAddress type="Spam">a</emailAddress>'
        "</emailIncident></internetDetails>",
        "report/internetDetails[1]/emailIncident/emailAddress[1]/@type",
        "'Spam' is not an allowed email type (one of 'Business', 'Home', 'Recovery', 'Work')",
    ),
    (
        '<internetDetails><nonInternetIncident><incidentAddress type="Moon">'
        "<state>XX</state><country>ZZ</country></incidentAddress></nonInternetIncident>"
        "</internetDetails>",
        "report/internetDetails[1]/nonInternetIncident/incidentAddress[1]/@type",
        "'Moon' is not an allowed address type "
        "(one of 'Billing', 'Business', 'Home', 'Shipping', 'Technical')",
    ),
    (
        "<internetDetails></internetDetails>",
        "report/internetDetails[1]",
        "internetDetails must hold one incident element (webPageIncident, emailIncident, "
        "newsgroupIncident, chatImIncident, onlineGamingIncident, cellPhoneIncident, "
        "nonInternetIncident, peer2peerIncident)",
    ),
    (
        "<internetDetails><webPageIncident/><emailIncident/></internetDetails>",
        "report/internetDetails[1]/emailIncident",
        "internetDetails holds one incident, already <webPageIncident>; "
        "send each incident in its own internetDetails",
    ),
    (
        "<lawEnforcement><caseNumber>1</caseNumber></lawEnforcement>",
        "report/lawEnforcement/agencyName",
        "required element missing",
    ),
    (
        f"<lawEnforcement><agencyName>{'a' * 256}</agencyName></lawEnforcement>",
        "report/lawEnforcement/agencyName",
        "256 characters long; the limit is 255",
    ),
    (
        "<lawEnforcement><agencyName>a</agencyName>"
        '<servedLegalProcessInternational fleaCountry="XX">true'
        "</servedLegalProcessInternational></lawEnforcement>",
        "report/lawEnforcement/servedLegalProcessInternational/@fleaCountry",
        "'XX' is not an allowed country code",
    ),
    (
        "<victim><espIdentifier>v</espIdentifier></victim>",
        "report/victim[1]/victimPerson",
        "required element missing",
    ),
    (
        "<victim><victimPerson/><associatedAccount/></victim>",
        "report/victim[1]/associatedAccount[1]/@type",
        "required attribute missing",
    ),
    (
        "<victim><victimPerson><firstName>{}</firstName></victimPerson></victim>".format("n" * 101),
        "report/victim[1]/victimPerson/firstName",
        "101 characters long; the limit is 100",
    ),
    (
        "<personOrUserReported><accountPermanentlyDisabled reenabledDate="
        '"2024-01-01T00:00:00Z">true</accountPermanentlyDisabled></personOrUserReported>',
        "report/personOrUserReported[1]/accountPermanentlyDisabled/@reenabledDate",
        "unexpected attribute reenabledDate",
    ),
    (
        "<personOrUserReported><estimatedLocation><countryCode>UK</countryCode>"
        "</estimatedLocation></personOrUserReported>",
        "report/personOrUserReported[1]/estimatedLocation/countryCode",
        "'UK' is not an allowed country code",
    ),
]


@pytest.mark.parametrize(("body", "path", "message"), VALUE_PROBLEMS)
def test_bad_values_are_named_with_their_path(body: str, path: str, message: str) -> None:
    problems = problems_of(report_with("  " + body))
    assert f"{path}: {message} (line 10)" in problems


def test_report_annotations_are_fixed_to_true() -> None:
    data = report_with(summary="<reportAnnotations><spam>false</spam></reportAnnotations>")
    assert problems_of(data) == [
        "report/incidentSummary/reportAnnotations/spam: the schema fixes this flag to true; "
        "leave the element out instead of false (line 4)"
    ]


def test_escalation_and_description_limits() -> None:
    data = report_with(
        summary=f"<escalateToHighPriority>{'e' * 3001}</escalateToHighPriority>"
        f"<incidentDateTimeDescription>{'d' * 3001}</incidentDateTimeDescription>"
    )
    assert problems_of(data) == [
        "report/incidentSummary/escalateToHighPriority: 3001 characters long; "
        "the limit is 3000 (line 4)",
        "report/incidentSummary/incidentDateTimeDescription: 3001 characters long; "
        "the limit is 3000 (line 4)",
    ]
    ok = report_with(summary=f"<escalateToHighPriority>{'e' * 3000}</escalateToHighPriority>")
    assert parse_report(ok, now=NOW).escalated


FILE_PROBLEMS: list[tuple[str, list[str]]] = [
    (
        "<fileName>x</fileName>",
        [
            "fileDetails/reportId: required element missing (line 2)",
            "fileDetails/fileId: required element missing (line 2)",
        ],
    ),
    (
        "<reportId>x</reportId><fileId>f</fileId>",
        ["fileDetails/reportId: 'x' is not an integer (xs:long) (line 3)"],
    ),
    (
        "<reportId>1</reportId><fileId>f</fileId><potentialMeme>true</potentialMeme>"
        "<fileAnnotations><viral>true</viral></fileAnnotations>",
        [
            "fileDetails/fileAnnotations: send either potentialMeme or fileAnnotations, not both "
            "(fileAnnotations/potentialMeme carries the same flag) (line 3)"
        ],
    ),
    (
        "<reportId>1</reportId><fileId>f</fileId><originalFileHash>abc</originalFileHash>",
        ["fileDetails/originalFileHash[1]/@hashType: required attribute missing (line 3)"],
    ),
    (
        '<reportId>1</reportId><fileId>f</fileId><details type="EXIF"/>',
        ["fileDetails/details[1]/nameValuePair: required element missing (line 3)"],
    ),
    (
        "<reportId>1</reportId><fileId>f</fileId><details><nameValuePair><name>n</name>"
        "</nameValuePair></details>",
        ["fileDetails/details[1]/nameValuePair[1]/value: required element missing (line 3)"],
    ),
    (
        "<reportId>1</reportId><fileId>f</fileId><industryClassification>C1"
        "</industryClassification><fileRelevance>Other</fileRelevance>",
        [
            "fileDetails/industryClassification: 'C1' is not an allowed industry classification "
            "(one of 'A1', 'A2', 'B1', 'B2') (line 3)",
            "fileDetails/fileRelevance: 'Other' is not an allowed file relevance "
            "(one of 'Reported', 'Supplemental Reported') (line 3)",
        ],
    ),
    (
        f"<reportId>1</reportId><fileId>f</fileId><originalFileName>{'n' * 2057}"
        "</originalFileName>",
        ["fileDetails/originalFileName: 2057 characters long; the limit is 2056 (line 3)"],
    ),
    (
        "<reportId>1</reportId><fileId>f</fileId><ipCaptureEvent><ipAddress>::1</ipAddress>"
        "</ipCaptureEvent><ipCaptureEvent><ipAddress>::2</ipAddress></ipCaptureEvent>",
        ["fileDetails/ipCaptureEvent[2]: <ipCaptureEvent> may appear only once here (line 3)"],
    ),
]


@pytest.mark.parametrize(("body", "expected"), FILE_PROBLEMS)
def test_bad_file_details_are_refused(body: str, expected: list[str]) -> None:
    data = f'<?xml version="1.0"?>\n<fileDetails>\n{body}\n</fileDetails>'.encode()
    assert problems_of(data) == expected


def test_every_problem_is_collected_not_only_the_first() -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<report>
  <incidentSummary>
    <incidentType>Spam</incidentType>
    <incidentDateTime>yesterday</incidentDateTime>
  </incidentSummary>
  <incidentSummary/>
  <reporter><reportingPerson><age>old</age></reportingPerson></reporter>
  <personOrUserReported>
    <ipCaptureEvent><ipAddress>1.2.3</ipAddress></ipCaptureEvent>
    <ipCaptureEvent><ipAddress>1.2.3.4</ipAddress><dateTime>2030-01-01T00:00:00Z</dateTime>
    </ipCaptureEvent>
  </personOrUserReported>
  <personOrUserReported><nickname>x</nickname></personOrUserReported>
</report>
"""
    assert problems_of(data) == [
        "report/incidentSummary/incidentType: 'Spam' is not an allowed incident type (line 4)",
        "report/incidentSummary/incidentDateTime: 'yesterday' is not an ISO 8601 date-time "
        "such as 2024-05-01T13:45:00Z (line 5)",
        "report/incidentSummary[2]: <incidentSummary> may appear only once here (line 7)",
        "report/reporter/reportingPerson/age: 'old' is not an age in years (line 8)",
        "report/personOrUserReported[1]/ipCaptureEvent[1]/ipAddress: '1.2.3' is not an IPv4 "
        "or IPv6 address (line 10)",
        "report/personOrUserReported[1]/ipCaptureEvent[2]/dateTime: capture time "
        "2030-01-01T00:00:00Z is in the future (line 11)",
        "report/personOrUserReported[2]/nickname: unexpected element <nickname> (line 14)",
    ]


def test_hostile_values_in_messages_are_escaped_and_cut_short() -> None:
    data = report_with(
        summary=f"<platform>ok</platform><reportAnnotations><spam>\u202e"
        f"{'x' * 100}</spam></reportAnnotations>"
    )
    [problem] = problems_of(data)
    assert "\u202e" not in problem and "\\u202e" in problem
    assert "(101 characters)" in problem


# ------------------------------------------------------------------ the schema, all of it


def _used(element: ET.Element, shape: Shape, seen: set[tuple[str, str]]) -> None:
    for name in element.attrib:
        seen.add((shape.name, "@" + name))
    for child in element:
        seen.add((shape.name, child.tag))
        spec = shape.children[child.tag]
        if spec.shape is not None:
            _used(child, spec.shape, seen)


def _declared(shape: Shape, seen: set[tuple[str, str]], out: set[tuple[str, str]]) -> None:
    if shape.name in seen:
        return
    seen.add(shape.name)
    out.update((shape.name, "@" + name) for name in shape.attrs)
    for tag, spec in shape.children.items():
        out.add((shape.name, tag))
        if spec.shape is not None:
            _declared(spec.shape, seen, out)


def test_the_full_documents_use_every_element_and_attribute_the_parser_knows() -> None:
    used: set[tuple[str, str]] = set()
    _used(ET.fromstring(FULL_REPORT), REPORT, used)
    _used(ET.fromstring(BATCHED_REPORT), REPORT, used)
    _used(ET.fromstring(FULL_FILE_DETAILS), FILE_DETAILS, used)
    top_meme = MINIMAL_FILE.replace("</fileId>", "</fileId><potentialMeme>1</potentialMeme>")
    _used(ET.fromstring(top_meme), FILE_DETAILS, used)
    declared: set[tuple[str, str]] = set()
    _declared(REPORT, set(), declared)
    _declared(FILE_DETAILS, set(), declared)
    assert declared - used == set()


@pytest.fixture(scope="module")
def schema():  # type: ignore[no-untyped-def]
    if not XSD.is_file():
        pytest.skip(f"the published XSD is not at {XSD}; CI keeps ../shared beside the repository")
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(XSD)


@pytest.mark.parametrize(
    "document",
    [FULL_REPORT, FULL_FILE_DETAILS, BATCHED_REPORT, MINIMAL.encode(), MINIMAL_FILE.encode()],
    ids=["full report", "full fileDetails", "batched", "minimal report", "minimal fileDetails"],
)
def test_the_documents_here_are_valid_against_the_xsd(schema, document: bytes) -> None:  # type: ignore[no-untyped-def]
    schema.validate(document.decode())


def _xsd_children(xsd_type):  # type: ignore[no-untyped-def]
    """(element, inside a choice) for each child element of a complex type, in any group."""

    def visit(group, in_choice):  # type: ignore[no-untyped-def]
        for item in group:
            if hasattr(item, "model"):
                yield from visit(item, in_choice or item.model == "choice")
            else:
                yield item, in_choice or group.model == "choice"

    if xsd_type.is_simple() or xsd_type.has_simple_content():
        return
    yield from visit(xsd_type.content, False)


def _leafish(xsd_type) -> bool:  # type: ignore[no-untyped-def]
    return xsd_type.is_simple() or (xsd_type.has_simple_content() and not xsd_type.attributes)


def _enumeration(xsd_type) -> list[str] | None:  # type: ignore[no-untyped-def]
    if xsd_type.is_complex():
        xsd_type = xsd_type.content
    return getattr(xsd_type, "enumeration", None)


def _compare(xsd_element, shape: Shape, path: str, errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    from tipline_tui.domain.xml_engine import Context
    from tipline_tui.domain.xml_values import Invalid

    ctx = Context(NOW)

    def accepts(convert, value: str) -> bool:  # type: ignore[no-untyped-def]
        try:
            if convert is not None:
                convert(value, ctx)
        except Invalid:
            return False
        return True

    xsd_type = xsd_element.type
    attrs = dict(xsd_type.attributes) if xsd_type.is_complex() else {}
    if set(attrs) != set(shape.attrs):
        errors.append(f"{path}: attributes {sorted(attrs)} != {sorted(shape.attrs)}")
    for name, attr in attrs.items():
        mine = shape.attrs.get(name)
        if mine is None:
            continue
        if bool(attr.use == "required") != mine.required:
            errors.append(f"{path}/@{name}: required differs")
        values = _enumeration(attr.type)
        if values and not all(accepts(mine.convert, v) for v in values):
            errors.append(f"{path}/@{name}: an XSD enumeration value is refused")
        if values and accepts(mine.convert, "no such value"):
            errors.append(f"{path}/@{name}: accepts a value outside the enumeration")
    if xsd_type.is_complex() and xsd_type.has_simple_content() and shape.content is None:
        errors.append(f"{path}: has simple content in the XSD")
    children = {child.name: (child, in_choice) for child, in_choice in _xsd_children(xsd_type)}
    if set(children) != set(shape.children):
        errors.append(f"{path}: children {sorted(children)} != {sorted(shape.children)}")
    for name, (child, in_choice) in children.items():
        spec = shape.children.get(name)
        if spec is None:
            continue
        where = f"{path}/{name}"
        many = child.max_occurs is None or child.max_occurs > 1
        if many != spec.many:
            errors.append(f"{where}: many={spec.many}, XSD maxOccurs={child.max_occurs}")
        if not in_choice and (child.min_occurs >= 1) != spec.required:
            errors.append(f"{where}: required={spec.required}, XSD minOccurs={child.min_occurs}")
        if _leafish(child.type):
            if spec.shape is not None:
                errors.append(f"{where}: a simple element in the XSD")
                continue
            values = _enumeration(child.type)
            if values and not all(accepts(spec.convert, v) for v in values):
                errors.append(f"{where}: an XSD enumeration value is refused")
            if values and accepts(spec.convert, "no such value"):
                errors.append(f"{where}: accepts a value outside the enumeration")
        elif spec.shape is None:
            errors.append(f"{where}: a complex element in the XSD")
        else:
            _compare(child, spec.shape, where, errors)


@pytest.mark.parametrize(("root", "shape"), [("report", REPORT), ("fileDetails", FILE_DETAILS)])
def test_the_parser_knows_exactly_the_xsd(schema, root: str, shape: Shape) -> None:  # type: ignore[no-untyped-def]
    """Every element, attribute, cardinality and enumeration of the XSD, and nothing more."""
    errors: list[str] = []
    _compare(schema.elements[root], shape, root, errors)
    assert errors == []


def _xsd_simple_types(schema) -> Iterator[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    for name, xsd_type in schema.types.items():
        values = getattr(xsd_type, "enumeration", None)
        if values:
            yield name, values


def test_the_code_tables_match_the_xsd_enumerations(schema) -> None:  # type: ignore[no-untyped-def]
    from tipline_tui.domain import xml_codes

    tables = {
        "addressType": xml_codes.ADDRESS_TYPES,
        "emailType": xml_codes.EMAIL_TYPES,
        "phoneType": xml_codes.PHONE_TYPES,
        "batchedReportReason": xml_codes.BATCHED_REPORT_REASONS,
        "incidentType": xml_codes.INCIDENT_TYPES,
        "ipCaptureType": xml_codes.IP_CAPTURE_TYPES,
        "associatedAccountType": xml_codes.ASSOCIATED_ACCOUNT_TYPES,
        "fileRelevance": xml_codes.FILE_RELEVANCES,
        "fileClassification": xml_codes.FILE_CLASSIFICATIONS,
        "metadataTypes": xml_codes.METADATA_TYPES,
        "country": xml_codes.COUNTRIES,
        "state": xml_codes.STATES,
    }
    found = dict(_xsd_simple_types(schema))
    assert set(found) == set(tables)
    for name, values in found.items():
        assert set(values) == tables[name], name


@pytest.mark.parametrize("digits", ["\uff13\uff15", "\u0663\u0665", "\u0969\u096b"])
def test_digits_of_other_scripts_are_not_numbers(digits: str) -> None:
    """Python's int() and \\d accept these; the schema does not."""
    data = report_with(
        f"  <victim><victimPerson><age>{digits}</age></victimPerson></victim>",
        summary="",
    )
    assert problems_of(data) == [
        f"report/victim[1]/victimPerson/age: {digits!r} is not an age in years (line 10)"
    ]
    dated = MINIMAL.replace("2024-06-01", f"2024-06-{digits}").encode()
    assert "is not an ISO 8601 date-time" in problems_of(dated)[0]


def test_only_the_first_hundred_problems_are_listed() -> None:
    data = report_with("\n".join(f"  <bogus{i}/>" for i in range(150)))
    problems = problems_of(data)
    assert len(problems) == 101
    assert problems[0] == "report/bogus0: unexpected element <bogus0> (line 10)"
    assert problems[-1] == "50 more problems not listed"


def test_bytes_like_input_is_read_and_anything_else_refused() -> None:
    assert parse_report(bytearray(MINIMAL.encode()), now=NOW).incident_type == "Child Sex Tourism"
    assert parse_report(memoryview(MINIMAL.encode()), now=NOW).incident_type == "Child Sex Tourism"
    with pytest.raises(ReportParseError, match="must be given as bytes"):
        parse_report(MINIMAL, now=NOW)  # type: ignore[arg-type]
