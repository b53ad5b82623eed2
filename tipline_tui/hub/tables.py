"""The hub's own tables, in their own metadata so no local store ever gets them.

Portable across SQLite and PostgreSQL: plain types, JSON columns, BigInteger
sequence numbers. `change.seq` is the one monotonic order every client pulls in.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

hub_metadata = MetaData()
hub_registry = registry(metadata=hub_metadata)


@cache
def table_of(model: type[SQLModel]) -> Table:
    """The Table of a `table=True` model, typed: SQLModel's stubs do not declare `__table__`."""
    return cast(Table, sa_inspect(model).local_table)


def json_field(**kw: Any) -> Any:
    """A nullable JSON column (SQL NULL, not JSON null, for None)."""
    return Field(default=None, sa_column=Column(JSON(none_as_null=True), **kw))


class AgencyColumns(SQLModel):
    """An agency's columns, the same as the local store's agency table (store/tables.py)."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    name: str = Field(unique=True)
    state: str | None = None
    country: str | None = None
    contact: str | None = None
    takes_urgent: bool = True


class ReferralColumns(SQLModel):
    """A referral's columns, the same as the local store's referral table (store/tables.py).

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


class HubModel(SQLModel, registry=hub_registry):
    pass


class Account(HubModel, table=True):
    """An ESP, an analyst (role analyst, oncall or supervisor) or an agency; secrets hashed."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # esp, user, agency
    name: str = Field(unique=True)
    role: str | None = None  # users: analyst, oncall, supervisor
    agency_id: int | None = None  # agency accounts: which agency
    secret_hash: str  # never the secret itself
    created_at: int
    disabled: bool = False


class HubAgency(HubModel, AgencyColumns, table=True):
    __tablename__ = "agency"


class HubReport(HubModel, table=True):
    """One ESP report (its XML as received) and the authoritative analysis of it."""

    __tablename__ = "hub_report"
    __table_args__ = (Index("ix_hub_report_esp_state", "esp_account_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)  # the ESP's reportId
    esp_account_id: int | None = None  # None: imported by an operator
    state: str = "open"  # open, finished, retracted, expired
    opened_at: int
    changed_at: int
    finished_at: int | None = None
    xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # the analysis (authoritative; `version` bumps on every state change)
    status: str = "new"
    priority: str | None = None
    labels: list[str] | None = json_field()
    victim_age_min: int | None = None
    victim_age_max: int | None = None
    claimed_by: str | None = None
    jurisdiction_id: int | None = None
    version: int = 1


class HubFile(HubModel, table=True):
    """An uploaded file's metadata; its bytes live in the evidence directory only."""

    __tablename__ = "hub_file"

    file_id: str = Field(primary_key=True)  # 32 hex digits
    report_id: int = Field(index=True)
    size: int
    md5: str
    sha1: str
    sha256: str = Field(index=True)
    original_name: str | None = None
    details_xml: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    uploaded_at: int
    # where the bytes are (hub/evidence_store.py): "directory" (this host's) or "database"
    stored_in: str = Field(
        default="directory", sa_column=Column(String, nullable=False, server_default="directory")
    )


class HubBlob(HubModel, table=True):
    """File bytes kept in the database (PostgreSQL hubs): one row a distinct SHA-256."""

    __tablename__ = "hub_blob"

    sha256: str = Field(primary_key=True)
    size: int = Field(default=0, sa_type=BigInteger)
    complete: bool = False  # every chunk committed; until then no file row may name it
    stored_at: int  # the last chunk's time: a copy that stopped is swept by age


class HubBlobChunk(HubModel, table=True):
    __tablename__ = "hub_blob_chunk"

    sha256: str = Field(primary_key=True)
    n: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class HubSnapshot(HubModel, table=True):
    """A published snapshot (PostgreSQL fleets): its bytes are the blob named by sha256."""

    __tablename__ = "hub_snapshot"

    seq: int = Field(primary_key=True, sa_type=BigInteger)
    sha256: str
    size: int = Field(sa_type=BigInteger)
    published_at: int


class EvidenceDownload(HubModel, table=True):
    """Every file an agency downloaded, for the record."""

    __tablename__ = "evidence_download"

    id: int | None = Field(default=None, primary_key=True)
    file_id: str = Field(index=True)
    referral_id: int
    agency_id: int
    account: str
    at: int


class HubNote(HubModel, table=True):
    __tablename__ = "hub_note"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(index=True)
    author: str
    created_at: int
    body: str


class HubReferral(HubModel, ReferralColumns, table=True):
    __tablename__ = "hub_referral"
    __table_args__ = (Index("ix_hub_referral_agency", "agency_id", "id"),)

    report_id: int = Field(index=True)
    status: str = "sent"  # sent, acknowledged, failed
    contents: dict | None = json_field()


class HubAction(HubModel, table=True):
    """Every action ever answered, by its client-made id: a retry gets the same answer."""

    __tablename__ = "hub_action"

    action_id: str = Field(primary_key=True)
    account_id: int
    kind: str
    report_id: int | None = None
    received_at: int
    answer: dict | None = json_field()


class Change(HubModel, table=True):
    """The change feed: every row clients must learn about, in `seq` order."""

    __tablename__ = "change"

    seq: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    kind: str  # report, analysis, note, referral, agency
    entity_id: int
    at: int
    payload: dict | None = json_field()


class EspUsage(HubModel, table=True):
    """Bytes an ESP sent on one UTC day (documents and files): its daily quota's meter."""

    __tablename__ = "esp_usage"

    account_id: int = Field(primary_key=True)
    day: int = Field(primary_key=True)  # seconds since the epoch // 86,400
    sent: int = Field(default=0, sa_type=BigInteger)
