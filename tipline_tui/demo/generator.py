"""The demo data API: synthetic reports, the demo agency directory, a whole demo store.

The work is done in `synth` (reports), `agencies` and `builder` (the store);
this module is the one place callers import from.
"""

from __future__ import annotations

from tipline_tui.demo.agencies import demo_agencies
from tipline_tui.demo.builder import BATCH_SIZE, build_demo_store
from tipline_tui.demo.clock import DEMO_EPOCH, SPAN_SECONDS
from tipline_tui.demo.places import DEMO_COUNTRIES
from tipline_tui.demo.synth import GENERATOR_VERSION, NOT_IN_POOL, generate_reports

__all__ = [
    "BATCH_SIZE",
    "DEMO_COUNTRIES",
    "DEMO_EPOCH",
    "GENERATOR_VERSION",
    "NOT_IN_POOL",
    "SPAN_SECONDS",
    "build_demo_store",
    "demo_agencies",
    "generate_reports",
]
