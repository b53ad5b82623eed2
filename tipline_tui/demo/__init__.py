"""Synthetic, obviously fictional demo data: reports, identities, agencies, the demo store."""

from tipline_tui.demo.generator import (
    DEMO_COUNTRIES,
    DEMO_EPOCH,
    GENERATOR_VERSION,
    build_demo_store,
    demo_agencies,
    generate_reports,
)

__all__ = [
    "DEMO_COUNTRIES",
    "DEMO_EPOCH",
    "GENERATOR_VERSION",
    "build_demo_store",
    "demo_agencies",
    "generate_reports",
]
