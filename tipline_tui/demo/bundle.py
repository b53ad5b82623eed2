"""The recipe of the bundled demo_db.sqlite: `python -m tipline_tui.demo.bundle OUT`.

A mid-shift store (demo/shift.py) of BUNDLED_REPORTS tips from BUNDLED_SEED;
tests/test_demo_db.py rebuilds it from the meta it records and compares.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tipline_tui.demo.builder import build_demo_store

BUNDLED_REPORTS = 1500
BUNDLED_SEED = 1


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tipline_tui.demo.bundle OUT (a new file)", file=sys.stderr)
        return 2
    build_demo_store(Path(argv[0]), BUNDLED_REPORTS, BUNDLED_SEED, shift=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
