"""A CyberTipline report as domain objects, element for element.

Strings are kept exactly as the ESP sent them; date-times are kept as the
ISO 8601 text that was sent (with its zone) so nothing is reinterpreted.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Email:
    value: str
    type: str | None = None
    verified: bool | None = None
    verification_date: str | None = None


@dataclass(slots=True)
class Phone:
    value: str
    type: str | None = None
    verified: bool | None = None
    verification_date: str | None = None
    country_calling_code: str | None = None
    extension: str | None = None


@dataclass(slots=True)
class Address:
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    state: str | None = None
    non_usa_state: str | None = None
    country: str | None = None
    type: str | None = None


@dataclass(slots=True)
class IpCaptureEvent:
    ip_address: str
    event_name: str | None = None
    date_time: str | None = None
    possible_proxy: bool | None = None
    port: int | None = None


@dataclass(slots=True)
class DeviceId:
    id_type: str
    id_value: str
    event_name: str | None = None
    date_time: str | None = None


@dataclass(slots=True)
class EstimatedLocation:
    city: str | None = None
    region: str | None = None
    country_code: str | None = None
    verified: bool | None = None
    timestamp: str | None = None


@dataclass(slots=True)
class AccountDisabled:
    """accountTemporarilyDisabled / accountPermanentlyDisabled."""

    disabled: bool
    disabled_date: str | None = None
    user_notified: bool | None = None
    user_notified_date: str | None = None
    reenabled_date: str | None = None


@dataclass(slots=True)
class PersonDetails:
    """The schema's `person` type: names, contacts, age."""

    first_name: str | None = None
    last_name: str | None = None
    phones: list[Phone] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    age: int | None = None
    date_of_birth: str | None = None


@dataclass(slots=True)
class ContactPerson:
    first_name: str | None = None
    last_name: str | None = None
    phones: list[Phone] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)


@dataclass(slots=True)
class AssociatedAccount:
    type: str
    platform: str | None = None
    platform_third_party_user: bool | None = None
    middle_name: str | None = None
    approximate_age: int | None = None
    person: PersonDetails = field(default_factory=PersonDetails)
    all_emails_reported: bool | None = None
    esp_service: str | None = None
    esp_identifier: str | None = None
    profile_urls: list[str] = field(default_factory=list)
    screen_name: str | None = None
    display_names: list[str] = field(default_factory=list)
    profile_bio: str | None = None
    group_identifier: str | None = None
    compromised_account: bool | None = None
    temporarily_disabled: AccountDisabled | None = None
    permanently_disabled: AccountDisabled | None = None
    ip_capture_events: list[IpCaptureEvent] = field(default_factory=list)
    device_ids: list[DeviceId] = field(default_factory=list)
    prior_ct_reports: list[int] = field(default_factory=list)
    additional_info: str | None = None


@dataclass(slots=True)
class Person:
    """A reported person/user, an intended recipient or a victim."""

    role: str
    person: PersonDetails = field(default_factory=PersonDetails)
    vehicle_description: str | None = None
    esp_identifier: str | None = None
    esp_service: str | None = None
    compromised_account: bool | None = None
    screen_name: str | None = None
    display_names: list[str] = field(default_factory=list)
    profile_urls: list[str] = field(default_factory=list)
    profile_bio: str | None = None
    ip_capture_events: list[IpCaptureEvent] = field(default_factory=list)
    device_ids: list[DeviceId] = field(default_factory=list)
    third_party_user_reported: bool | None = None
    school_name: str | None = None
    prior_ct_reports: list[int] = field(default_factory=list)
    group_identifier: str | None = None
    temporarily_disabled: AccountDisabled | None = None
    permanently_disabled: AccountDisabled | None = None
    estimated_location: EstimatedLocation | None = None
    all_emails_reported: bool | None = None
    associated_accounts: list[AssociatedAccount] = field(default_factory=list)
    additional_info: list[str] = field(default_factory=list)


@dataclass(slots=True)
class InternetDetail:
    """One internetDetails choice. `kind` is the element name; the rest are its children.

    Fields that a kind does not have stay empty.
    """

    kind: str
    urls: list[str] = field(default_factory=list)
    third_party_hosted_content: bool | None = None
    emails: list[Email] = field(default_factory=list)
    content: str | None = None
    name: str | None = None
    chat_client: str | None = None
    chat_room_name: str | None = None
    game_name: str | None = None
    console: str | None = None
    phone: Phone | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_name: str | None = None
    addresses: list[Address] = field(default_factory=list)
    client: str | None = None
    ip_capture_events: list[IpCaptureEvent] = field(default_factory=list)
    file_names: str | None = None
    additional_info: str | None = None


@dataclass(slots=True)
class LawEnforcement:
    agency_name: str
    case_number: str | None = None
    officer: ContactPerson | None = None
    reported_to_le: bool | None = None
    served_legal_process_domestic: bool | None = None
    served_legal_process_international: bool | None = None
    flea_country: str | None = None


@dataclass(slots=True)
class Reporter:
    reporting_person: PersonDetails = field(default_factory=PersonDetails)
    contact_person: ContactPerson | None = None
    company_template: str | None = None
    terms_of_service: str | None = None
    legal_url: str | None = None


@dataclass(slots=True)
class FileHash:
    hash_type: str
    value: str


@dataclass(slots=True)
class NameValue:
    name: str
    value: str


@dataclass(slots=True)
class FileMetadataGroup:
    """A `details` block: EXIF or HASH name/value pairs."""

    type: str | None
    pairs: list[NameValue] = field(default_factory=list)


@dataclass(slots=True)
class FileDetails:
    """Metadata of one file. Never the file's bytes."""

    file_id: str
    report_id: int | None = None
    file_name: str | None = None
    original_file_name: str | None = None
    uploaded_to_esp_timestamp: str | None = None
    location_of_file: str | None = None
    file_viewed_by_esp: bool | None = None
    exif_viewed_by_esp: bool | None = None
    publicly_available: bool | None = None
    file_relevance: str | None = None
    annotations: list[str] = field(default_factory=list)
    industry_classification: str | None = None
    hashes: list[FileHash] = field(default_factory=list)
    ip_capture_event: IpCaptureEvent | None = None
    device_ids: list[DeviceId] = field(default_factory=list)
    details: list[FileMetadataGroup] = field(default_factory=list)
    additional_info: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    """A whole CyberTipline report plus the files described for it."""

    incident_type: str
    incident_date_time: str
    reporter: Reporter = field(default_factory=Reporter)
    esp_name: str | None = None
    received_at: int | None = None
    hub_id: int | None = None
    batched_reason: str | None = None
    platform: str | None = None
    escalate_to_high_priority: str | None = None
    report_annotations: list[str] = field(default_factory=list)
    incident_date_time_description: str | None = None
    internet_details: list[InternetDetail] = field(default_factory=list)
    law_enforcement: LawEnforcement | None = None
    persons: list[Person] = field(default_factory=list)
    additional_info: str | None = None
    files: list[FileDetails] = field(default_factory=list)

    @property
    def escalated(self) -> bool:
        return bool(self.escalate_to_high_priority and self.escalate_to_high_priority.strip())
