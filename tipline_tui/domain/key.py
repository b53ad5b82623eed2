"""The matching key: one canonical spelling of an identifier, with how strongly sharing it links."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Between a key's value and its scope (a service, a time window): a handle key is the name
# key's value, this mark, then the service, so the handles of one name on every service
# sit together in the index and can be counted as accounts.
SCOPE_MARK = "\x1f"


@dataclass(frozen=True, slots=True)
class Key:
    """One canonical key; strength in (0, 1] before rarity weighting."""

    type: str
    value: str
    strength: float


def nfkc(raw: str) -> str:
    """NFKC form of a value; ASCII (nearly every value) is returned as it is."""
    return raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
