"""The rule of dependencies, as tests: pure domain, UI-free store, SQL-free screens."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tipline_tui"


def test_import_contracts_hold() -> None:
    # the one beside this interpreter: the venv's, not whatever PATH finds first
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"lint-imports failed:\n{result.stdout}{result.stderr}"


SQL = re.compile(
    r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+TABLE|PRAGMA)\b",
    re.IGNORECASE,
)


def test_screens_and_widgets_build_no_sql() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for folder in ("screens", "widgets")
        for path in (PACKAGE / folder).rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if SQL.search(line)
    ]
    assert not offenders, offenders
    assert (PACKAGE / "app.py").read_text().count("sqlalchemy") == 0
