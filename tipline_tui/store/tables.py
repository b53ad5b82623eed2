"""Tables of the local store, mirroring the CyberTipline report.

Date-times from reports are kept as the ISO 8601 text that was sent; the
store's own times (received, notes) are integer UTC epoch seconds so they
sort and index cheaply. Nested parts that are read but never queried
(officer contacts, account-disabled facts, EXIF pairs) are JSON columns.

SQLAlchemy Core tables, not SQLModel classes: every query here is Core, and
mapping 23 classes through the ORM and pydantic cost a command that reads the
store about 0.4 s of CPU before it did anything (issue 13). The DDL is the
same as the SQLModel classes made (tests/test_store_schema.py holds it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    text,
)

metadata = MetaData()


def table_of(table: Table) -> Table:
    """The table itself: kept so code written against the old model classes reads the same."""
    return table


def _id(name: str = "id") -> Column[Any]:
    return Column(name, Integer, primary_key=True)


def _required(name: str, type_: Any, *args: Any, **kw: Any) -> Column[Any]:
    return Column(name, type_, *args, nullable=False, **kw)


def _optional(name: str, type_: Any, *args: Any, **kw: Any) -> Column[Any]:
    return Column(name, type_, *args, nullable=True, **kw)


def _json(name: str) -> Column[Any]:
    """A nullable JSON column (SQL NULL, not JSON null, for None)."""
    return Column(name, JSON(none_as_null=True), nullable=True)


def _owner_key(table: str = "report", name: str = "report_id") -> Column[Any]:
    """The indexed key of the row this one belongs to, deleted with it."""
    return _required(name, Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True)


def _person_key() -> Column[Any]:
    return _optional("person_id", Integer, ForeignKey("person.id", ondelete="CASCADE"))


ReportRow = Table(
    "report",
    metadata,
    _id(),
    _optional("hub_id", Integer, unique=True),
    _required("received_at", Integer),
    _optional("esp_name", String),
    _required("incident_type", String),
    _optional("platform", String),
    _optional("escalate_text", String),
    _required("incident_at", String),
    _optional("incident_at_desc", String),
    _json("annotations"),
    _optional("additional_info", String),
    _optional("batched_reason", String),
    _json("reporter"),
    _optional("source_sha256", String, index=True),
    # the analyst's fields
    _required("status", String, default="new"),
    _optional("priority", String),
    _required("urgency_rank", Integer, default=2),
    _json("labels"),
    _optional("victim_age_min", Integer),
    _optional("victim_age_max", Integer),
    _optional("claimed_by", String),
    _optional("jurisdiction_id", Integer, ForeignKey("agency.id")),
    # where the report's own signals point: suggested, conflict or none (schema v4)
    _optional("jurisdiction_outcome", String),
    # the place(s) the outcome names, as labels: "US-NY", or "US-NY US-CA" for a conflict (v7)
    _optional("jurisdiction_place", String),
    _optional("claimed_at", Integer),
    # sync bookkeeping
    _required("version", Integer, default=1),
    _optional("hub_seq", Integer),
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

InternetDetailRow = Table(
    "internet_detail",
    metadata,
    _id(),
    _owner_key(),
    _required("position", Integer),
    _required("kind", String),
    _json("fields"),
)

PersonRow = Table(
    "person",
    metadata,
    _id(),
    _owner_key(),
    _required("position", Integer),
    _required("role", String),
    _optional("first_name", String),
    _optional("last_name", String),
    _optional("age", Integer),
    _optional("date_of_birth", String),
    _optional("screen_name", String),
    _optional("esp_identifier", String),
    _optional("esp_service", String),
    _optional("est_city", String),
    _optional("est_region", String),
    _optional("est_country", String),
    _json("extra"),
)

# Emails, phones, display names and profile URLs of a person, in order.
PersonContactRow = Table(
    "person_contact",
    metadata,
    _id(),
    _owner_key("person", "person_id"),
    _required("kind", String),
    _required("value", String),
    _json("attrs"),
)

AddressRow = Table(
    "address",
    metadata,
    _id(),
    _owner_key(),
    _person_key(),
    _required("owner", String),
    _optional("type", String),
    _optional("address", String),
    _optional("city", String),
    _optional("zip_code", String),
    _optional("state", String),
    _optional("non_usa_state", String),
    _optional("country", String),
)

IpEventRow = Table(
    "ip_event",
    metadata,
    _id(),
    _owner_key(),
    _person_key(),
    _required("owner", String),
    _required("ip_address", String),
    _optional("event_name", String),
    _optional("date_time", String),
    _optional("possible_proxy", Boolean),
    _optional("port", Integer),
)

DeviceIdRow = Table(
    "device_id",
    metadata,
    _id(),
    _owner_key(),
    _person_key(),
    _required("owner", String),
    _required("id_type", String),
    _required("id_value", String),
    _optional("event_name", String),
    _optional("date_time", String),
)

LawEnforcementRow = Table(
    "law_enforcement",
    metadata,
    Column("report_id", Integer, ForeignKey("report.id", ondelete="CASCADE"), primary_key=True),
    _required("agency_name", String),
    _optional("case_number", String),
    _json("officer"),
    _optional("reported_to_le", Boolean),
    _optional("served_domestic", Boolean),
    _optional("served_international", Boolean),
    _optional("flea_country", String),
)

# File metadata only: the tool never holds a file's bytes.
FileRow = Table(
    "file",
    metadata,
    _id(),
    _owner_key(),
    _required("file_id", String),
    _optional("file_name", String),
    _optional("original_file_name", String),
    _optional("uploaded_at", String),
    _optional("location", String),
    _optional("viewed_by_esp", Boolean),
    _optional("exif_viewed_by_esp", Boolean),
    _optional("publicly_available", Boolean),
    _optional("relevance", String),
    _json("annotations"),
    _optional("classification", String),
    _json("hashes"),
    _json("extra"),
)

IdentifierRow = Table(
    "identifier",
    metadata,
    _id(),
    _owner_key(),
    _required("kind", String),
    _required("raw", String),
    _required("norm", String),
    _required("role", String),
    Index("ix_identifier_kind_norm", "kind", "norm", "report_id"),
)

# A note; two with the same author and text are two notes, told apart by their ids.
NoteRow = Table(
    "note",
    metadata,
    _id(),
    _owner_key(),
    _required("author", String),
    _required("created_at", Integer),
    _required("body", String),
    # the id of the action that wrote it: what a pulled note is matched by (None: from an
    # older hub, or a note from before schema 6 that was never pushed from here)
    _optional("action_id", String, index=True, unique=True),
    _optional("hub_id", Integer, index=True, unique=True),  # the hub's note_id
)

# An agency; the hub's agency table has the same columns (hub/tables.py).
AgencyRow = Table(
    "agency",
    metadata,
    _id(),
    _required("kind", String),
    _required("name", String, unique=True),
    _optional("state", String, index=True),
    _optional("country", String, index=True),
    _optional("contact", String),
    _required("takes_urgent", Boolean, default=True),
)

# Ground truth written only by the demo generator: which person row is which fiction.
SyntheticIdentityRow = Table(
    "synthetic_identity",
    metadata,
    Column("person_id", Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
    _required("report_id", Integer, index=True),
    _required("identity", Integer, index=True),
)

# Small key/value facts about the store (e.g. the demo seed).
MetaRow = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    _required("value", String),
)

# A document that could not be imported, kept whole with every reason (schema v2).
QuarantineRow = Table(
    "quarantine",
    metadata,
    _id(),
    _required("received_at", Integer, index=True),
    _required("file_name", String),
    _required("sha256", String, index=True),
    _required("size", Integer),
    _required("content", LargeBinary),
    _json("problems"),
)

# Canonical keys of every identifier, for exact related-report lookups (schema v3).
IdentifierKeyRow = Table(
    "identifier_key",
    metadata,
    _id(),
    _owner_key(),
    _required("kind", String),
    _required("raw", String),
    _required("key_type", String),
    _required("key", String),
    _required("strength", Float),
    Index("ix_identifier_key_lookup", "key_type", "key", "report_id"),
)

# A distinct name-like string, compared by rapidfuzz after trigram blocking (schema v3).
FuzzyValueRow = Table(
    "fuzzy_value",
    metadata,
    _id(),
    _required("kind", String),
    _required("value", String),
    Index("ux_fuzzy_value", "kind", "value", unique=True),
)

FuzzyOccurrenceRow = Table(
    "fuzzy_occurrence",
    metadata,
    _id(),
    _required("value_id", Integer, ForeignKey("fuzzy_value.id")),
    _owner_key(),
    _required("raw", String),
    Index("ix_fuzzy_occurrence_value", "value_id", "report_id"),
)

# The blocking index: which fuzzy values contain a trigram.
TrigramRow = Table(
    "trigram",
    metadata,
    Column("gram", String, primary_key=True),
    Column("value_id", Integer, primary_key=True),
    sqlite_with_rowid=False,
)

# An analyst's judgement that two tips are (or are not) about the same person.
PairMarkRow = Table(
    "pair_mark",
    metadata,
    Column("low_id", Integer, ForeignKey("report.id", ondelete="CASCADE"), primary_key=True),
    Column("high_id", Integer, ForeignKey("report.id", ondelete="CASCADE"), primary_key=True),
    _required("same", Boolean),
    _required("analyst", String),
    _required("marked_at", Integer),
)

# An analyst action waiting for (or answered by) the hub (schema v4).
#
# Written in the same transaction as the action itself, so an action is
# either applied locally and queued, or neither. `action_id` is made here
# and sent with every retry: the hub applies each action once.
OutboxRow = Table(
    "outbox",
    metadata,
    _id(),
    _required("action_id", String, unique=True),
    _required("kind", String),
    _optional("report_id", Integer, ForeignKey("report.id"), index=True),
    _optional("base_version", Integer),
    _json("payload"),
    _required("analyst", String),
    _required("created_at", Integer),
    # pending, applied, duplicate, conflict, rejected
    _required("state", String, default="pending"),
    _required("attempts", Integer, default=0),
    _optional("answered_at", Integer),
    _json("answer"),  # the hub's answer: reason, or its current state
    Index("ix_outbox_state", "state", "id"),
)

# A tip sent (or waiting to be sent) to one agency (schema v4). The hub's referral
# table has the same columns but its own keys, status default and `contents`.
ReferralRow = Table(
    "referral",
    metadata,
    _id(),
    _required("action_id", String, unique=True),
    _required("report_id", Integer, ForeignKey("report.id", ondelete="CASCADE")),
    _required("agency_id", Integer, ForeignKey("agency.id")),
    _required("status", String, default="queued"),  # queued, sent, acknowledged, failed
    _optional("priority", String),
    _required("created_by", String),
    _required("created_at", Integer),
    _optional("sent_at", Integer),
    _optional("acknowledged_at", Integer),
    _optional("failed_at", Integer),
    _optional("detail", String),  # why it failed, or the agency's outcome text
    _optional("outcome", String),
    _json("contents"),  # what travels: related ids, file count, analysis
    Index("ix_referral_report_agency", "report_id", "agency_id"),
)

# Append-only record of every view and action, hash-chained (schema v4).
#
# `before` and `after` are canonical JSON text, exactly what was hashed,
# so verification recomputes the same bytes.
AuditRow = Table(
    "audit",
    metadata,
    _id("seq"),
    _required("at", Integer),
    _required("actor", String),
    _required("action", String),
    _optional("report_id", Integer, index=True),
    _optional("before", String),
    _optional("after", String),
    _required("prev_hash", String),
    _required("hash", String),
)
