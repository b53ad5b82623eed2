"""The text of each report pane, built from a TipView.

Every value from the report passes through `literal` and is appended to a
Rich `Text` as plain text: nothing in a report is ever read as markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text

from tipline_tui.domain.literal import literal
from tipline_tui.domain.report import (
    AccountDisabled,
    Address,
    AssociatedAccount,
    ContactPerson,
    DeviceId,
    Email,
    FileDetails,
    InternetDetail,
    IpCaptureEvent,
    Person,
    PersonDetails,
    Phone,
)
from tipline_tui.domain.triage import age_range_text
from tipline_tui.domain.views import ReferralView, TipView
from tipline_tui.widgets.format import age_text, plural, priority_text, report_time_text, utc_text

LABEL = "bold"
HEADING = "bold underline"


class _Pane:
    """A Text being written, with helpers that keep report text literal."""

    def __init__(self) -> None:
        self.text = Text()

    def heading(self, title: str) -> None:
        if self.text:
            self.text.append("\n")
        self.text.append(title, style=HEADING)
        self.text.append("\n")

    def line(self, label: str, value: Any, indent: int = 0) -> None:
        if value is None or value == "" or value == []:
            return
        if isinstance(value, bool):
            value = "yes" if value else "no"
        shown = literal(str(value))
        pad = " " * indent
        self.text.append(f"{pad}{label}: ", style=LABEL)
        if "\n" in shown:
            self.text.append("\n")
            for part in shown.split("\n"):
                self.text.append(f"{pad}  {part}\n")
        else:
            self.text.append(f"{shown}\n")

    def fields(self, indent: int, *pairs: tuple[str, Any]) -> None:
        """A run of `line`s at one indent; empty values are left out."""
        for label, value in pairs:
            self.line(label, value, indent)

    def plain(self, value: str, indent: int = 0) -> None:
        self.text.append(" " * indent + literal(value) + "\n")


def _email(e: Email) -> str:
    extra = [x for x in (e.type, "verified" if e.verified else None) if x]
    return e.value + (f" ({', '.join(extra)})" if extra else "")


def _phone(p: Phone) -> str:
    parts = [p.country_calling_code or "", p.value]
    text = " ".join(x for x in parts if x)
    if p.extension:
        text += f" ext {p.extension}"
    extra = [x for x in (p.type, "verified" if p.verified else None) if x]
    return text + (f" ({', '.join(extra)})" if extra else "")


def _address(a: Address) -> str:
    parts = [a.address, a.city, a.state or a.non_usa_state, a.zip_code, a.country]
    text = ", ".join(x for x in parts if x)
    return f"{text} ({a.type})" if a.type else text


def _ip(e: IpCaptureEvent) -> str:
    text = e.ip_address + (f" port {e.port}" if e.port is not None else "")
    when = report_time_text(e.date_time) if e.date_time else None
    extra = [x for x in (e.event_name, when, "possible proxy" if e.possible_proxy else None) if x]
    return text + (f"  {' · '.join(extra)}" if extra else "")


def _device(d: DeviceId) -> str:
    extra = [x for x in (d.event_name, report_time_text(d.date_time or "")) if x]
    return f"{d.id_type} {d.id_value}" + (f"  {' · '.join(extra)}" if extra else "")


def _disabled(label: str, d: AccountDisabled | None) -> tuple[str, str | None]:
    if d is None:
        return label, None
    facts = ["yes" if d.disabled else "no"]
    for name in ("disabled_date", "user_notified", "user_notified_date", "reenabled_date"):
        value = getattr(d, name)
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, str):
            value = report_time_text(value)
        if value is not None:
            facts.append(f"{name.replace('_', ' ')} {value}")
    return label, ", ".join(str(f) for f in facts)


def _details(pane: _Pane, person: PersonDetails | ContactPerson, indent: int) -> None:
    name = " ".join(x for x in (person.first_name, person.last_name) if x)
    pane.line("Name", name, indent)
    if isinstance(person, PersonDetails):
        pane.line("Age", person.age, indent)
        pane.line("Date of birth", person.date_of_birth, indent)
    for e in person.emails:
        pane.line("Email", _email(e), indent)
    for p in person.phones:
        pane.line("Phone", _phone(p), indent)
    for a in person.addresses:
        pane.line("Address", _address(a), indent)


def _many(pane: _Pane, label: str, values: Iterable[str], indent: int) -> None:
    for value in values:
        pane.line(label, value, indent)


def _identity(pane: _Pane, who: Person | AssociatedAccount, indent: int) -> None:
    """Who a person or an associated account is online: the same fields, in the same order."""
    pane.line("Screen name", who.screen_name, indent)
    _many(pane, "Display name", who.display_names, indent)
    pane.fields(indent, ("ESP id", who.esp_identifier), ("ESP service", who.esp_service))
    _details(pane, who.person, indent)
    _many(pane, "Profile URL", who.profile_urls, indent)
    _many(pane, "IP", (_ip(e) for e in who.ip_capture_events), indent)
    _many(pane, "Device", (_device(d) for d in who.device_ids), indent)


def _standing(pane: _Pane, who: Person | AssociatedAccount, indent: int) -> None:
    """The account's standing with the ESP, for a person and an associated account alike."""
    pane.fields(
        indent,
        ("Compromised account", who.compromised_account),
        ("Group", who.group_identifier),
        ("All emails reported", who.all_emails_reported),
        _disabled("Temporarily disabled", who.temporarily_disabled),
        _disabled("Permanently disabled", who.permanently_disabled),
        ("Prior CyberTipline reports", ", ".join(map(str, who.prior_ct_reports))),
        ("Profile bio", who.profile_bio),
    )


def _person(pane: _Pane, person: Person, number: int) -> None:
    titles = {
        "reported": "Reported person/user",
        "victim": "Victim",
        "recipient": "Intended recipient",
    }
    pane.heading(f"{titles.get(person.role, person.role)} {number}")
    _identity(pane, person, 1)
    loc = person.estimated_location
    if loc is not None:
        where = ", ".join(x for x in (loc.city, loc.region, loc.country_code) if x)
        pane.line("Estimated location", where + (" (verified)" if loc.verified else ""), 1)
    pane.fields(
        1,
        ("School", person.school_name),
        ("Vehicle", person.vehicle_description),
        ("Third-party user", person.third_party_user_reported),
    )
    _standing(pane, person, 1)
    _many(pane, "Additional info", person.additional_info, 1)
    for account in person.associated_accounts:
        pane.line("Associated account", account.type, 1)
        pane.fields(
            3,
            ("Platform", account.platform),
            ("Third-party user of the platform", account.platform_third_party_user),
            ("Middle name", account.middle_name),
            ("Approximate age", account.approximate_age),
        )
        _identity(pane, account, 3)
        _standing(pane, account, 3)
        pane.line("Additional info", account.additional_info, 3)


def summary_pane(tip: TipView, now: float) -> Text:
    report, pane = tip.report, _Pane()
    if report.escalated:
        pane.text.append("!! ESP ESCALATED TO HIGH PRIORITY !!\n", style="bold reverse")
        pane.plain(report.escalate_to_high_priority or "", indent=1)
        pane.text.append("\n")
    pane.line("Tip", f"#{tip.id}" + (f" (hub {report.hub_id})" if report.hub_id else ""))
    pane.line("Received", f"{utc_text(tip.received_at)} ({age_text(now - tip.received_at)} ago)")
    pane.line("Reporting ESP", report.esp_name)
    pane.line("Incident type", report.incident_type)
    pane.line("Platform", report.platform)
    pane.line("Incident time", report_time_text(report.incident_date_time))
    pane.line("Incident time note", report.incident_date_time_description)
    pane.line("ESP annotations", ", ".join(report.report_annotations))
    if report.batched_reason:
        pane.line("Batched report", report.batched_reason)
    counts = (
        plural(sum(p.role == role for p in report.persons), one, many)
        for role, one, many in (
            ("reported", "reported", "reported"),
            ("victim", "victim", "victims"),
            ("recipient", "recipient", "recipients"),
        )
    )
    pane.line("People", ", ".join(counts))
    pane.line("Files", len(report.files))
    pane.line("Additional info", report.additional_info)
    reporter = report.reporter
    pane.heading("Reporter")
    _details(pane, reporter.reporting_person, 1)
    if reporter.contact_person is not None:
        pane.line("Contact", "", 1)
        _details(pane, reporter.contact_person, 3)
    pane.line("Company template", reporter.company_template, 1)
    pane.line("Terms of service", reporter.terms_of_service, 1)
    pane.line("Legal URL", reporter.legal_url, 1)
    return pane.text


def people_pane(tip: TipView, now: float) -> Text:
    pane = _Pane()
    if not tip.report.persons:
        pane.plain("No people are named in this report.")
    counters: dict[str, int] = {}
    for person in tip.report.persons:
        counters[person.role] = counters.get(person.role, 0) + 1
        _person(pane, person, counters[person.role])
    return pane.text


_DETAIL_TITLES = {
    "webPageIncident": "Web page",
    "emailIncident": "Email",
    "newsgroupIncident": "Newsgroup",
    "chatImIncident": "Chat / IM",
    "onlineGamingIncident": "Online gaming",
    "cellPhoneIncident": "Cell phone",
    "nonInternetIncident": "Non-internet",
    "peer2peerIncident": "Peer-to-peer",
}


def _internet_detail(pane: _Pane, d: InternetDetail) -> None:
    pane.heading(_DETAIL_TITLES.get(d.kind, d.kind))
    _many(pane, "URL", d.urls, 1)
    pane.line("Third-party hosted", d.third_party_hosted_content, 1)
    pane.line("Newsgroup", d.name, 1)
    _many(pane, "Email", (_email(e) for e in d.emails), 1)
    pane.line("Chat client", d.chat_client, 1)
    pane.line("Chat room", d.chat_room_name, 1)
    pane.line("Game", d.game_name, 1)
    pane.line("Console", d.console, 1)
    pane.line("Phone", _phone(d.phone) if d.phone else None, 1)
    if d.latitude is not None or d.longitude is not None:
        pane.line("Coordinates", f"{d.latitude}, {d.longitude}", 1)
    pane.line("Location", d.location_name, 1)
    _many(pane, "Address", (_address(a) for a in d.addresses), 1)
    pane.line("Client", d.client, 1)
    _many(pane, "IP", (_ip(e) for e in d.ip_capture_events), 1)
    pane.line("File names", d.file_names, 1)
    pane.line("Content", d.content, 1)
    pane.line("Additional info", d.additional_info, 1)


def internet_pane(tip: TipView, now: float) -> Text:
    pane = _Pane()
    if not tip.report.internet_details:
        pane.plain("The report gives no internet details.")
    for detail in tip.report.internet_details:
        _internet_detail(pane, detail)
    return pane.text


def _file(pane: _Pane, number: int, f: FileDetails) -> None:
    pane.heading(f"File {number}: {literal(f.file_name or f.file_id, multiline=False)}")
    pane.fields(1, ("File id", f.file_id), ("Original name", f.original_file_name))
    pane.fields(1, *((h.hash_type, h.value) for h in f.hashes))
    pane.fields(
        1,
        ("Annotations", ", ".join(f.annotations)),
        ("Industry classification", f.industry_classification),
        ("Viewed by ESP", f.file_viewed_by_esp),
        ("EXIF viewed by ESP", f.exif_viewed_by_esp),
        ("Publicly available", f.publicly_available),
        ("Relevance", f.file_relevance),
        ("Uploaded to ESP", report_time_text(f.uploaded_to_esp_timestamp or "")),
        ("Location of file", f.location_of_file),
        ("IP", _ip(f.ip_capture_event) if f.ip_capture_event else None),
    )
    _many(pane, "Device", (_device(d) for d in f.device_ids), 1)
    for group in f.details:
        for pair in group.pairs:
            pane.line(
                f"{group.type or 'detail'} {literal(pair.name, multiline=False)}", pair.value, 1
            )
    _many(pane, "Additional info", f.additional_info, 1)


def files_pane(tip: TipView, now: float) -> Text:
    pane = _Pane()
    pane.plain("Metadata only: this tool never holds or shows images or video.")
    if not tip.report.files:
        pane.plain("No files are described for this report.")
    for number, f in enumerate(tip.report.files, 1):
        _file(pane, number, f)
    return pane.text


def law_pane(tip: TipView, now: float) -> Text:
    pane = _Pane()
    law = tip.report.law_enforcement
    if law is None:
        pane.plain("The ESP gave no law-enforcement information.")
        return pane.text
    pane.heading("Law enforcement")
    pane.line("Agency", law.agency_name, 1)
    pane.line("Case number", law.case_number, 1)
    pane.line("Reported to law enforcement", law.reported_to_le, 1)
    pane.line("Served legal process (domestic)", law.served_legal_process_domestic, 1)
    if law.served_legal_process_international is not None or law.flea_country:
        value = "yes" if law.served_legal_process_international else "no"
        if law.flea_country:
            value += f", from country {law.flea_country}"
        pane.line("Served legal process (international)", value, 1)
    if law.officer is not None:
        pane.line("Officer", "", 1)
        _details(pane, law.officer, 3)
    return pane.text


_OUTCOMES = {
    "none": "no jurisdiction can be determined from the report (stays with the clearinghouse)",
    "conflict": "the report's signals point to different places (see a: assign)",
    "suggested": "suggested from the report's signals (see a: assign)",
}


def analysis_pane(tip: TipView, now: float) -> Text:
    a, pane = tip.analysis, _Pane()
    pane.heading("Analysis")
    pane.line("Status", a.status, 1)
    pane.line("Priority", priority_text(a.priority), 1)
    pane.line("Claimed by", a.claimed_by or "nobody", 1)
    pane.line("Jurisdiction", a.jurisdiction or "not assigned", 1)
    if a.jurisdiction is None and a.jurisdiction_outcome in _OUTCOMES:
        pane.line("Signals", _OUTCOMES[a.jurisdiction_outcome], 1)
    pane.line("Labels", ", ".join(a.labels) or "none", 1)
    pane.line("Estimated victim age", age_range_text(a.victim_age_min, a.victim_age_max), 1)
    pane.line("Version", a.version, 1)
    pane.heading("Referrals")
    if not a.referrals:
        pane.plain("Not referred yet.", 1)
    for r in a.referrals:
        pane.line(
            f"{r.status.upper()} {literal(r.agency, multiline=False)}",
            _referral_times(r),
            1,
        )
        if r.outcome or r.detail:
            # a failure's text is both its outcome and its detail: say it once
            says = dict.fromkeys(x for x in (r.outcome, r.detail) if x)
            pane.line("Agency says", " ".join(says), 2)
    pane.heading("Notes")
    if not a.notes:
        pane.plain("No notes yet.", 1)
    for note in a.notes:
        pane.line(
            f"{utc_text(note.created_at)} {literal(note.author, multiline=False)}", note.body, 1
        )
    return pane.text


def _referral_times(r: ReferralView) -> str:
    parts = [
        f"queued {utc_text(r.created_at)} by {r.created_by}, priority {priority_text(r.priority)}"
    ]
    for label, at in (
        ("sent", r.sent_at),
        ("acknowledged", r.acknowledged_at),
        ("failed", r.failed_at),
    ):
        if at is not None:
            parts.append(f"{label} {utc_text(at)}")
    return "; ".join(parts)


PANES = (
    ("summary", "Summary", summary_pane),
    ("people", "People", people_pane),
    ("internet", "Internet", internet_pane),
    ("files", "Files", files_pane),
    ("law", "Law enf.", law_pane),
    ("analysis", "Analysis", analysis_pane),
)
