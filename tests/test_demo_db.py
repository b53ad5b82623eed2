"""The bundled demo store is exactly what the generator makes from its recorded seed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.test_generator import table_contents
from tipline_tui.config import bundled_demo_store
from tipline_tui.demo.generator import GENERATOR_VERSION, build_demo_store


def _meta(path: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return dict(conn.execute("SELECT key, value FROM meta"))


def test_bundled_demo_store_regenerates_identically(tmp_path: Path) -> None:
    bundled = bundled_demo_store()
    meta = _meta(bundled)
    assert meta["generator_version"] == GENERATOR_VERSION, "regenerate demo_db.sqlite"
    assert 1000 <= int(meta["demo_reports"]) <= 5000 and bundled.stat().st_size < 10_000_000
    fresh = tmp_path / "fresh.sqlite"
    build_demo_store(fresh, int(meta["demo_reports"]), int(meta["demo_seed"]))
    assert table_contents(fresh) == table_contents(bundled)
