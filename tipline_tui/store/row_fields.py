"""Which columns hold which dataclass fields: shared by the writer (reports.py) and the
reader (tip_load.py), kept apart from both so the reader needs no SQLAlchemy."""

from __future__ import annotations

import dataclasses

from tipline_tui.domain.report import Address, DeviceId, IpCaptureEvent


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


# Rows whose columns are named as the fields of the dataclass they hold, in its order
# (so loading can pass them positionally); writing and loading share these lists.
ADDRESS_FIELDS = _field_names(Address)
IP_EVENT_FIELDS = _field_names(IpCaptureEvent)
DEVICE_ID_FIELDS = _field_names(DeviceId)

# A person's facts kept in its `extra` JSON column, by field name.
PERSON_EXTRA = (
    "vehicle_description",
    "compromised_account",
    "profile_bio",
    "third_party_user_reported",
    "school_name",
    "prior_ct_reports",
    "group_identifier",
    "temporarily_disabled",
    "permanently_disabled",
    "all_emails_reported",
    "associated_accounts",
    "additional_info",
)
