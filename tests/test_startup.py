"""Quick to start: `tipline --help` and every command's help import nothing heavy.

Each case runs in a fresh interpreter and reads which modules it imported, not
how long it took (times belong in bench/startup.py, not in a test).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence

from tests.conftest import queue_reports
from tipline_tui.cli import build_parser
from tipline_tui.domain.report import Report
from tipline_tui.store import Store

# The store's SQL, the settings' validation, the UI, the network, the fuzzy matcher, the hub.
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "aiosqlite",
    "pydantic",
    "pydantic_settings",
    "textual",
    "rich",
    "httpx",
    "rapidfuzz",
    "phonenumbers",
    "maxminddb",
    "fastapi",
    "uvicorn",
    "psycopg",
)

# Runs main() on each argv of its JSON argument, then prints every module it imported.
RUNNER = """
import contextlib, io, json, sys
from tipline_tui.cli import main
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
        except SystemExit:
            pass
print(json.dumps(sorted(sys.modules)))
"""


def heavy_among(modules: list[str]) -> list[str]:
    return sorted({name.split(".")[0] for name in modules} & set(HEAVY))


def command_paths(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[list[str]]:
    """Every command and sub-command: [], ["agencies"], ["agencies", "import"], ..."""
    yield list(path)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from command_paths(sub, (*path, name))


def imported_by(argvs: list[list[str]]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(argvs)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules: list[str] = json.loads(done.stdout)
    return modules


def test_python_m_tipline_help_imports_nothing_heavy() -> None:
    """The command as a user types it, `-m` and all: its import trace names no heavy module."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tipline_tui", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: tipline")
    traced = [
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]
    assert "tipline_tui.cli" in traced
    assert heavy_among(traced) == []


def test_every_commands_help_and_the_version_import_nothing_heavy() -> None:
    paths = list(command_paths(build_parser()))
    assert ["agencies", "import"] in paths and ["hub", "user", "add"] in paths
    modules = imported_by([[*path, "--help"] for path in paths] + [["--version"]])
    assert "tipline_tui.cli.hub" in modules
    assert heavy_among(modules) == []


def test_a_usage_error_imports_nothing_heavy() -> None:
    """argparse's own refusals (exit 2) come before any command runs."""
    modules = imported_by([["related"], ["suggest", "not-a-number"], ["no-such-command"]])
    assert heavy_among(modules) == []


def test_a_command_given_its_store_reads_no_settings_and_loads_no_ui(
    make_store: Callable[[Sequence[Report]], Store],
) -> None:
    """With --db the settings (pydantic-settings) are not read; the store's SQL is all it needs."""
    store = make_store(queue_reports(3))
    store.close()
    db = ["--db", str(store.path)]
    modules = imported_by([["agencies", "list", *db], ["audit", "verify", *db]])
    assert "sqlalchemy" in modules
    assert heavy_among(modules) == ["sqlalchemy"]
    # commands read in sync: the app's async engine (SQLAlchemy's asyncio layer) is not loaded
    assert "sqlalchemy.ext.asyncio" not in modules


def test_a_store_reading_command_loads_no_orm_sqlmodel_or_pydantic(
    make_store: Callable[[Sequence[Report]], Store],
) -> None:
    """The store's tables are Core tables: mapping them through the ORM and pydantic
    (SQLModel) cost each command ~0.4 s of CPU before it read a row (issue 13). `suggest`
    reads the settings (pydantic-settings) for its GeoIP path, so it is not among these."""
    store = make_store(queue_reports(3))
    store.close()
    db = ["--db", str(store.path)]
    commands = [["agencies", "list"], ["related", "1"], ["audit", "show", "1"], ["audit", "verify"]]
    modules = imported_by([[*command, *db] for command in commands])
    assert "tipline_tui.store.tip_load" in modules
    orm = sorted(m for m in modules if m.startswith(("sqlalchemy.orm", "sqlmodel", "pydantic")))
    assert orm == []


# Opens the store named by argv[1] in the app as `tipline` wires it (no hub configured),
# waits for the queue's rows, then prints every module imported by then.
APP_RUNNER = """
import asyncio, json, sys
from tipline_tui.store import open_store
from tests.tui_helpers import make_app, settle, table_lines

async def first_paint():
    store = open_store(sys.argv[1], create=False)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any(" 7 " in line for line in table_lines(app)), table_lines(app)
    store.close()

asyncio.run(first_paint())
print(json.dumps(sorted(sys.modules)))
"""

# What the queue's first paint does not need: the sync client (httpx), the hub, the
# XML reader (a pull or an import parses XML), the importer, related-report matching.
NOT_BEFORE_FIRST_PAINT = (
    "httpx",
    "rapidfuzz",
    "fastapi",
    "uvicorn",
    "tipline_tui.sync.client",
    "tipline_tui.hub.db",
    "tipline_tui.domain.cybertip_xml",
    "tipline_tui.importer",
)


def test_the_queue_paints_without_the_sync_client_hub_or_xml_reader(
    make_store: Callable[[Sequence[Report]], Store],
) -> None:
    store = make_store(queue_reports(10))
    store.close()
    done = subprocess.run(
        [sys.executable, "-c", APP_RUNNER, str(store.path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    assert "tipline_tui.screens.queue" in modules
    assert sorted(set(NOT_BEFORE_FIRST_PAINT) & modules) == []
