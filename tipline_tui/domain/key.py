"""The matching key: one canonical spelling of an identifier, with how strongly sharing it links."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Key:
    """One canonical key; strength in (0, 1] before rarity weighting."""

    type: str
    value: str
    strength: float


def nfkc(raw: str) -> str:
    """NFKC form of a value; ASCII (nearly every value) is returned as it is."""
    return raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
