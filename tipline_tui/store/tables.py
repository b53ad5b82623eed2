"""Tables of the local store, mirroring the CyberTipline report.

Date-times from reports are kept as the ISO 8601 text that was sent; the
store's own times (received, notes) are integer UTC epoch seconds so they
sort and index cheaply. Nested parts that are read but never queried
(officer contacts, account-disabled facts, EXIF pairs) are JSON columns.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import JSON, Column, Index, LargeBinary, Table, text
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Field, SQLModel


@cache
def table_of(model: type[SQLModel]) -> Table:
    """The Table of a `table=True` model, typed: SQLModel's stubs do not declare `__table__`."""
    return cast(Table, sa_inspect(model).local_table)


def json_field(**kw: Any) -> Any:
    """A nullable JSON column (SQL NULL, not JSON null, for None)."""
    return Field(default=None, sa_column=Column(JSON(none_as_null=True), **kw))


class ReportRow(SQLModel, table=True):
    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_urgency", "urgency_rank", "received_at", "id"),
        Index("ix_report_status_urgency", "status", "urgency_rank", "received_at", "id"),
        Index("ix_report_received", "received_at", "id"),
        Index("ix_report_status_received", "status", "received_at", "id"),
        Index("ix_report_priority_urgency", "priority", "urgency_rank", "received_at", "id"),
        Index(
            "ix_report_unassigned",
            "received_at",
            sqlite_where=text("jurisdiction_id IS NULL AND status != 'closed'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    hub_id: int | None = Field(default=None, unique=True)
    received_at: int
    esp_name: str | None = None
    incident_type: str
    platform: str | None = None
    escalate_text: str | None = None
    incident_at: str
    incident_at_desc: str | None = None
    annotations: list[str] | None = json_field()
    additional_info: str | None = None
    batched_reason: str | None = None
    reporter: dict | None = json_field()
    source_sha256: str | None = Field(default=None, index=True)
    # the analyst's fields
    status: str = "new"
    priority: str | None = None
    urgency_rank: int = 2
    labels: list[str] | None = json_field()
    victim_age_min: int | None = None
    victim_age_max: int | None = None
    claimed_by: str | None = None
    jurisdiction_id: int | None = Field(default=None, foreign_key="agency.id")
    # where the report's own signals point: suggested, conflict or none (schema v4)
    jurisdiction_outcome: str | None = None
    # the place(s) the outcome names, as labels: "US-NY", or "US-NY US-CA" for a conflict (v7)
    jurisdiction_place: str | None = None
    claimed_at: int | None = None
    # sync bookkeeping
    version: int = 1
    hub_seq: int | None = None


class InternetDetailRow(SQLModel, table=True):
    __tablename__ = "internet_detail"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    position: int
    kind: str
    fields: dict | None = json_field()


class PersonRow(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    position: int
    role: str
    first_name: str | None = None
    last_name: str | None = None
    age: int | None = None
    date_of_birth: str | None = None
    screen_name: str | None = None
    esp_identifier: str | None = None
    esp_service: str | None = None
    est_city: str | None = None
    est_region: str | None = None
    est_country: str | None = None
    extra: dict | None = json_field()


class PersonContactRow(SQLModel, table=True):
    """Emails, phones, display names and profile URLs of a person, in order."""

    __tablename__ = "person_contact"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    kind: str
    value: str
    attrs: dict | None = json_field()


class AddressRow(SQLModel, table=True):
    __tablename__ = "address"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    owner: str
    type: str | None = None
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    state: str | None = None
    non_usa_state: str | None = None
    country: str | None = None


class IpEventRow(SQLModel, table=True):
    __tablename__ = "ip_event"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    owner: str
    ip_address: str
    event_name: str | None = None
    date_time: str | None = None
    possible_proxy: bool | None = None
    port: int | None = None


class DeviceIdRow(SQLModel, table=True):
    __tablename__ = "device_id"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    owner: str
    id_type: str
    id_value: str
    event_name: str | None = None
    date_time: str | None = None


class LawEnforcementRow(SQLModel, table=True):
    __tablename__ = "law_enforcement"

    report_id: int = Field(foreign_key="report.id", primary_key=True, ondelete="CASCADE")
    agency_name: str
    case_number: str | None = None
    officer: dict | None = json_field()
    reported_to_le: bool | None = None
    served_domestic: bool | None = None
    served_international: bool | None = None
    flea_country: str | None = None


class FileRow(SQLModel, table=True):
    """File metadata only: the tool never holds a file's bytes."""

    __tablename__ = "file"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    file_id: str
    file_name: str | None = None
    original_file_name: str | None = None
    uploaded_at: str | None = None
    location: str | None = None
    viewed_by_esp: bool | None = None
    exif_viewed_by_esp: bool | None = None
    publicly_available: bool | None = None
    relevance: str | None = None
    annotations: list[str] | None = json_field()
    classification: str | None = None
    hashes: list[dict] | None = json_field()
    extra: dict | None = json_field()


class IdentifierRow(SQLModel, table=True):
    __tablename__ = "identifier"
    __table_args__ = (Index("ix_identifier_kind_norm", "kind", "norm", "report_id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    kind: str
    raw: str
    norm: str
    role: str


class NoteRow(SQLModel, table=True):
    """A note; two with the same author and text are two notes, told apart by their ids."""

    __tablename__ = "note"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    author: str
    created_at: int
    body: str
    # the id of the action that wrote it: what a pulled note is matched by (None: from an
    # older hub, or a note from before schema 6 that was never pushed from here)
    action_id: str | None = Field(default=None, index=True, unique=True)
    hub_id: int | None = Field(default=None, index=True, unique=True)  # the hub's note_id


class AgencyColumns(SQLModel):
    """An agency's columns, the same on the hub and in the local store."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    name: str = Field(unique=True)
    state: str | None = None
    country: str | None = None
    contact: str | None = None
    takes_urgent: bool = True


class AgencyRow(AgencyColumns, table=True):
    __tablename__ = "agency"

    state: str | None = Field(default=None, index=True)
    country: str | None = Field(default=None, index=True)


class SyntheticIdentityRow(SQLModel, table=True):
    """Ground truth written only by the demo generator: which person row is which fiction."""

    __tablename__ = "synthetic_identity"

    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    report_id: int = Field(index=True)
    identity: int = Field(index=True)


class MetaRow(SQLModel, table=True):
    """Small key/value facts about the store (e.g. the demo seed)."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str


class QuarantineRow(SQLModel, table=True):
    """A document that could not be imported, kept whole with every reason (schema v2)."""

    __tablename__ = "quarantine"

    id: int | None = Field(default=None, primary_key=True)
    received_at: int = Field(index=True)
    file_name: str
    sha256: str = Field(index=True)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    problems: list[str] | None = json_field()


class IdentifierKeyRow(SQLModel, table=True):
    """Canonical keys of every identifier, for exact related-report lookups (schema v3)."""

    __tablename__ = "identifier_key"
    __table_args__ = (Index("ix_identifier_key_lookup", "key_type", "key", "report_id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    kind: str
    raw: str
    key_type: str
    key: str
    strength: float


class FuzzyValueRow(SQLModel, table=True):
    """A distinct name-like string, compared by rapidfuzz after trigram blocking (schema v3)."""

    __tablename__ = "fuzzy_value"
    __table_args__ = (Index("ux_fuzzy_value", "kind", "value", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    value: str


class FuzzyOccurrenceRow(SQLModel, table=True):
    __tablename__ = "fuzzy_occurrence"
    __table_args__ = (Index("ix_fuzzy_occurrence_value", "value_id", "report_id"),)

    id: int | None = Field(default=None, primary_key=True)
    value_id: int = Field(foreign_key="fuzzy_value.id")
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    raw: str


class TrigramRow(SQLModel, table=True):
    """The blocking index: which fuzzy values contain a trigram."""

    __tablename__ = "trigram"
    __table_args__ = ({"sqlite_with_rowid": False},)

    gram: str = Field(primary_key=True)
    value_id: int = Field(primary_key=True)


class PairMarkRow(SQLModel, table=True):
    """An analyst's judgement that two tips are (or are not) about the same person."""

    __tablename__ = "pair_mark"

    low_id: int = Field(foreign_key="report.id", primary_key=True, ondelete="CASCADE")
    high_id: int = Field(foreign_key="report.id", primary_key=True, ondelete="CASCADE")
    same: bool
    analyst: str
    marked_at: int


class OutboxRow(SQLModel, table=True):
    """An analyst action waiting for (or answered by) the hub (schema v4).

    Written in the same transaction as the action itself, so an action is
    either applied locally and queued, or neither. `action_id` is made here
    and sent with every retry: the hub applies each action once.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state", "state", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: str = Field(unique=True)
    kind: str
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    base_version: int | None = None
    payload: dict | None = json_field()
    analyst: str
    created_at: int
    state: str = "pending"  # pending, applied, duplicate, conflict, rejected
    attempts: int = 0
    answered_at: int | None = None
    answer: dict | None = json_field()  # the hub's answer: reason, or its current state


class ReferralColumns(SQLModel):
    """A referral's columns, the same on the hub and in the local store.

    Each table adds its own keys, its status default and its JSON `contents` (a JSON
    column object belongs to one table); a column it redefines keeps its place.
    """

    id: int | None = Field(default=None, primary_key=True)
    action_id: str = Field(unique=True)
    report_id: int
    agency_id: int
    status: str
    priority: str | None = None
    created_by: str
    created_at: int
    sent_at: int | None = None
    acknowledged_at: int | None = None
    failed_at: int | None = None
    detail: str | None = None  # why it failed, or the agency's outcome text
    outcome: str | None = None


class ReferralRow(ReferralColumns, table=True):
    """A tip sent (or waiting to be sent) to one agency (schema v4)."""

    __tablename__ = "referral"
    __table_args__ = (Index("ix_referral_report_agency", "report_id", "agency_id"),)

    report_id: int = Field(foreign_key="report.id", ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id")
    status: str = "queued"  # queued, sent, acknowledged, failed
    contents: dict | None = json_field()  # what travels: related ids, file count, analysis


class AuditRow(SQLModel, table=True):
    """Append-only record of every view and action, hash-chained (schema v4).

    `before` and `after` are canonical JSON text, exactly what was hashed,
    so verification recomputes the same bytes.
    """

    __tablename__ = "audit"

    seq: int | None = Field(default=None, primary_key=True)
    at: int
    actor: str
    action: str
    report_id: int | None = Field(default=None, index=True)
    before: str | None = None
    after: str | None = None
    prev_hash: str
    hash: str
