"""Synthetic, obviously fictional reports for tests (reserved domains and ranges only)."""

from __future__ import annotations

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

BASE_TIME = 1_790_000_000  # 2026-09-21, the fixed clock of the tests
CSAM = "Child Pornography (possession, manufacture, and distribution)"
ENTICEMENT = "Online Enticement of Children for Sexual Acts"


def simple_report(
    n: int,
    *,
    escalated: bool = False,
    incident: str = CSAM,
    platform: str = "Examplegram (demo)",
    screen_name: str | None = None,
    email: str | None = None,
) -> Report:
    return Report(
        incident_type=incident,
        incident_date_time="2026-09-01T10:00:00Z",
        esp_name="Example ESP (demo)",
        platform=platform,
        received_at=BASE_TIME - 60 * n,
        escalate_to_high_priority="Synthetic: user says meeting is tonight" if escalated else None,
        persons=[
            Person(
                role="reported",
                screen_name=screen_name or f"user_{n}",
                person=PersonDetails(emails=[Email(email or f"user{n}@example.com")]),
            )
        ],
    )


def full_report() -> Report:
    """A report using every part of the schema the store keeps."""
    return Report(
        incident_type=ENTICEMENT,
        incident_date_time="2026-09-01T10:00:00-05:00",
        incident_date_time_description="Approximate; synthetic",
        esp_name="Example ESP (demo)",
        platform="ChatterBox Example (demo)",
        received_at=BASE_TIME,
        hub_id=4242,
        escalate_to_high_priority="Synthetic: stated plan to meet in person this weekend",
        report_annotations=["sextortion", "minorToMinorInteraction"],
        additional_info="Line one\nLine two",
        reporter=Reporter(
            reporting_person=PersonDetails(
                first_name="Rita",
                last_name="Reporterson",
                emails=[Email("trust@example.com", type="Business")],
            ),
            contact_person=ContactPerson(
                first_name="Cal", last_name="Contactwell", phones=[Phone("2125550100", type="Work")]
            ),
            company_template="Template text",
            terms_of_service="ToS text",
            legal_url="https://example.com/legal",
        ),
        internet_details=[
            InternetDetail(
                kind="webPageIncident",
                urls=["https://example.com/p/1"],
                third_party_hosted_content=True,
                additional_info="web",
            ),
            InternetDetail(
                kind="emailIncident",
                emails=[Email("x@example.org", verified=True)],
                content="synthetic content",
            ),
            InternetDetail(kind="newsgroupIncident", name="alt.example.test"),
            InternetDetail(kind="chatImIncident", chat_client="ExampleChat", chat_room_name="r1"),
            InternetDetail(
                kind="onlineGamingIncident", game_name="Example Quest", console="ExampleBox"
            ),
            InternetDetail(
                kind="cellPhoneIncident",
                phone=Phone("305-555-0111", country_calling_code="+1", extension="9"),
                latitude=25.76,
                longitude=-80.19,
            ),
            InternetDetail(
                kind="nonInternetIncident",
                location_name="A park (synthetic)",
                addresses=[Address(city="Springfield", state="OH", country="US", type="Home")],
            ),
            InternetDetail(
                kind="peer2peerIncident",
                client="ExampleShare",
                ip_capture_events=[
                    IpCaptureEvent("2001:db8::7", "Upload", "2026-08-30T01:02:03Z", False, 6881)
                ],
                file_names="a.bin",
            ),
        ],
        law_enforcement=LawEnforcement(
            agency_name="Example Police (demo)",
            case_number="C-1",
            officer=ContactPerson(first_name="Olive", emails=[Email("o@example.net")]),
            reported_to_le=True,
            served_legal_process_domestic=False,
            served_legal_process_international=True,
            flea_country="GB",
        ),
        persons=[
            Person(
                role="reported",
                person=PersonDetails(
                    first_name="Dale",
                    last_name="Demoson",
                    age=34,
                    date_of_birth="1992-01-01",
                    emails=[
                        Email(
                            "dark.wolf@example.com",
                            type="Home",
                            verified=True,
                            verification_date="2026-01-01T00:00:00Z",
                        )
                    ],
                    phones=[Phone("(212) 555-0147", type="Mobile", country_calling_code="+1")],
                    addresses=[
                        Address("1 Example St", "Albany", "12207", "NY", None, "US", "Home")
                    ],
                ),
                vehicle_description="grey car (synthetic)",
                esp_identifier="u-991",
                esp_service="Examplegram (demo)",
                compromised_account=False,
                screen_name="dark_wolf_77",
                display_names=["Dark Wolf", "DW"],
                profile_urls=["https://example.com/u/dark_wolf_77"],
                profile_bio="bio",
                ip_capture_events=[
                    IpCaptureEvent("192.0.2.44", "Login", "2026-08-30T01:00:00Z", True, 443)
                ],
                device_ids=[DeviceId("IMEI", "000000000000001", "Login")],
                third_party_user_reported=False,
                prior_ct_reports=[11, 12],
                group_identifier="g-1",
                temporarily_disabled=AccountDisabled(
                    True,
                    "2026-09-01T00:00:00Z",
                    True,
                    "2026-09-01T01:00:00Z",
                    "2026-09-02T00:00:00Z",
                ),
                permanently_disabled=AccountDisabled(False),
                estimated_location=EstimatedLocation(
                    "Albany", "NY", "US", True, "2026-08-30T01:00:00Z"
                ),
                all_emails_reported=True,
                associated_accounts=[
                    AssociatedAccount(
                        type="Linked",
                        platform="PixelPlay Games (demo)",
                        screen_name="dw_alt",
                        person=PersonDetails(emails=[Email("dw.alt@example.net")]),
                        ip_capture_events=[IpCaptureEvent("198.51.100.9")],
                    )
                ],
                additional_info=["note a"],
            ),
            Person(
                role="victim",
                person=PersonDetails(first_name="Vic", age=13),
                school_name="Example Middle School (demo)",
            ),
            Person(role="recipient", screen_name="kid_example_1"),
        ],
        files=[
            FileDetails(
                file_id="0123456789abcdef0123456789abcdef",
                file_name="f.jpg",
                original_file_name="orig.jpg",
                uploaded_to_esp_timestamp="2026-08-30T01:00:00Z",
                location_of_file="https://example.com/f",
                file_viewed_by_esp=True,
                exif_viewed_by_esp=True,
                publicly_available=False,
                file_relevance="Reported",
                annotations=["viral", "generativeAi"],
                industry_classification="A1",
                hashes=[FileHash("MD5", "d41d8cd98f00b204e9800998ecf8427e")],
                ip_capture_event=IpCaptureEvent("203.0.113.5", "Upload"),
                device_ids=[DeviceId("IDFA", "0000-EXAMPLE")],
                details=[FileMetadataGroup("EXIF", [NameValue("Make", "ExampleCam")])],
                additional_info=["file note"],
            )
        ],
    )
