"""Quick to start: `tipline --help` and every command's help import nothing heavy.

Each case runs in a fresh interpreter and reads which modules it imported, not
how long it took (times belong in bench/startup.py, not in a test).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import queue_reports
from tipline_tui.cli import build_parser
from tipline_tui.config import bundled_demo_store
from tipline_tui.domain.report import Report
from tipline_tui.store import Store, open_store

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


def test_the_version_does_not_look_up_the_default_paths() -> None:
    """platformdirs (~20 ms) is imported when --help names the default store, not before."""
    assert "platformdirs" not in imported_by([["--version"]])
    assert "platformdirs" in imported_by([["--help"]])


def test_a_usage_error_imports_nothing_heavy() -> None:
    """argparse's own refusals (exit 2) come before any command runs."""
    modules = imported_by([["related"], ["suggest", "not-a-number"], ["no-such-command"]])
    assert heavy_among(modules) == []


# Runs main() on the argv of its JSON argument with stdout kept, then prints the exit
# status, what it wrote and every module imported by then.
COMMAND_RUNNER = """
import contextlib, io, json, sys
from tipline_tui.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(json.loads(sys.argv[1]))
print(json.dumps([status, out.getvalue(), sorted(sys.modules)]))
"""


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled demo store (agencies, tips with phones, addresses, related
    keys), with a quarantined document and an audit entry about tip 1 added."""
    from tipline_tui.store import intake
    from tipline_tui.store.audit import record

    path = tmp_path_factory.mktemp("startup") / "demo.sqlite"
    shutil.copyfile(bundled_demo_store(), path)
    store = open_store(path)
    with store.write() as conn:
        intake.quarantine(conn, "bad.xml", b"<report>", "ab" * 32, ["not XML"], now=1)
        record(conn, actor="ana", action="viewed", at=2, report_id=1)
    store.close()
    return path


# Every command that only reads the store, and what each may import of HEAVY: related
# matches names with rapidfuzz (the stored keys need no phone parsing), and suggest reads
# the tip's phone numbers with phonenumbers.
READING_COMMANDS: dict[str, tuple[str, ...]] = {
    "agencies list": (),
    "agencies export": (),
    "audit verify": (),
    "audit show 1": (),
    "audit show 1 --json": (),
    "quarantine": (),
    "quarantine 1": (),
    "related 1": ("rapidfuzz",),
    "related 1 --json": ("rapidfuzz",),
    "suggest 1": ("phonenumbers",),
    "suggest 1 --json": ("phonenumbers",),
}


@pytest.mark.parametrize("command", list(READING_COMMANDS))
def test_a_command_that_only_reads_the_store_never_imports_sqlalchemy(
    command: str, demo_copy: Path, tmp_path: Path
) -> None:
    """Importing SQLAlchemy alone costs more than such a command may take (issue 13): it
    reads through bare sqlite3 (Store.plain_read), with its settings unread given --db."""
    allowed = READING_COMMANDS[command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIPLINE_")}
    env["TIPLINE_CONFIG"] = str(tmp_path / "absent.toml")
    argv = [*command.split(), "--db", str(demo_copy)]
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_RUNNER, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=env,
    )
    status, output, modules = json.loads(done.stdout.splitlines()[-1])
    assert status == 0, done.stderr
    assert output.strip()
    assert [m for m in modules if m.split(".")[0] == "sqlalchemy"] == []
    assert set(heavy_among(modules)) <= set(allowed)
    assert "platformdirs" not in modules  # the default paths: not asked for given --db


def test_the_readers_give_the_same_on_the_engine_and_on_bare_sqlite3(
    demo_copy: Path,
) -> None:
    """The same readers, run by the app through its engine, give the same rows."""
    from tipline_tui.store import audit
    from tipline_tui.store.directory_read import list_agencies
    from tipline_tui.store.quarantine_read import get_quarantined, list_quarantine
    from tipline_tui.store.related import related_reports
    from tipline_tui.store.tip_load import load_tip

    store = open_store(demo_copy, create=False, only_reads=True)
    readers: list[Callable[[Any], Any]] = [
        list_agencies,
        audit.verify,
        lambda c: audit.history(c, 1),
        list_quarantine,
        lambda c: get_quarantined(c, 1),
        lambda c: related_reports(c, 1),
        lambda c: [load_tip(c, n) for n in range(1, 40)],
    ]
    try:
        for reader in readers:
            with store.read() as engine_conn:
                through_engine = reader(engine_conn)
            with store.plain_read() as plain:
                assert reader(plain) == through_engine
    finally:
        store.close()


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
