"""A store that cannot be written (full disk, read-only, damaged pages) is never silent."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from tests.conftest import queue_reports
from tests.factories import simple_report
from tests.hub_helpers import ThreadHub
from tests.storage_faults import StorageFaults, damage, fill_up
from tests.tui_helpers import CLOCK_NOW, settle, static_text
from tests.waiting import until
from tipline_tui.app import TiplineApp
from tipline_tui.cli import main
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.domain.views import TipView
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.operator import import_reports
from tipline_tui.screens.queue import QueueScreen
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import Store, open_store, sync_state, tip_load
from tipline_tui.store.problems import describe_failure, storage_problem
from tipline_tui.store.service import TipService
from tipline_tui.sync.client import HubConfig, SyncClient
from tipline_tui.sync.loop import SyncLoop


def _app(store: Store, log_path: Path) -> TiplineApp:
    return TiplineApp(
        TipService(store),
        clock=lambda: CLOCK_NOW,
        analyst="ana",
        urgent_poll_seconds=3600,
        log_path=log_path,
    )


async def test_claiming_on_a_full_disk_says_so_and_shows_the_tip_as_stored(
    make_store: Callable[..., Store], storage_faults: StorageFaults, tmp_path: Path
) -> None:
    log_path = tmp_path / "tipline.log"
    store = make_store(queue_reports(5))
    app = _app(store, log_path)
    loads: list[int] = []
    load_tip = app.service.load_tip

    async def counted(report_id: int) -> TipView | None:
        loads.append(report_id)
        return await load_tip(report_id)

    app.service.load_tip = counted  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        row = app.screen.table.cursor_row
        assert row is not None
        storage_faults.fill(store.path)
        holder = fill_up(store, row.id, analyst="ana", now=CLOCK_NOW)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        loaded = len(loads)
        await pilot.press("c")
        await settle(pilot)
        title = static_text(app, "#report-title")
        messages = [n.message for n in app._notifications]
    assert messages == [
        f"Claiming failed: the store's disk is full (store.sqlite)\nDetails in {log_path}"
    ]
    assert len(loads) > loaded  # reloaded from the store after the failed write
    with store.read() as conn:
        stored = tip_load.load_tip(conn, row.id)
    assert stored is not None and stored.analysis.claimed_by == holder  # unchanged
    assert (":ana" in title) == (holder == "ana"), title  # the screen says what is stored
    logged = log_path.read_text()
    assert "Claiming failed" in logged and "Traceback" in logged
    assert "database or disk is full" in logged and "INSERT INTO audit" in logged


# ------------------------------------------------------------------ the command line

XML = Path(__file__).parent / "fixtures" / "xml"


@pytest.fixture
def log_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Commands log to a temporary file, with no settings file of the user's."""
    monkeypatch.setenv("TIPLINE_CONFIG", str(tmp_path / "no-settings.toml"))
    path = tmp_path / "logs" / "tipline.log"
    monkeypatch.setenv("TIPLINE_LOG", str(path))
    return path


def _one_clear_line(err: str, words: str, path: Path) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert words in lines[0] and str(path) in lines[0], err
    for leak in ("Traceback", "sqlalchemy", "SQL", "INSERT", "parameters"):
        assert leak not in err, err


def test_import_onto_a_full_disk_is_one_line_exit_2_and_logged(
    tmp_path: Path,
    log_path: Path,
    storage_faults: StorageFaults,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "store.sqlite"
    open_store(db).close()
    storage_faults.fill(db)
    code = main(["import", "--db", str(db), str(XML)])
    out, err = capsys.readouterr()
    assert code == 2
    _one_clear_line(err, "import failed: the store's disk is full", db)
    assert f"details in {log_path}" in err
    assert "imported as tip" not in out  # the first batch was not stored
    logged = log_path.read_text()
    assert "tipline import failed" in logged and "Traceback" in logged
    assert "database or disk is full" in logged
    storage_faults.clear()
    store = open_store(db)
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM report").scalar_one() == 0
    store.close()


def test_a_read_only_store_is_named_as_such(
    tmp_path: Path,
    log_path: Path,
    storage_faults: StorageFaults,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "store.sqlite"
    open_store(db).close()
    storage_faults.read_only(db)
    code = main(["import", "--db", str(db), str(XML / "report_minimal.xml")])
    _, err = capsys.readouterr()
    assert code == 2  # met at open, which takes the write lock: the same words
    _one_clear_line(err, "the store is read-only", db)


def test_damaged_pages_met_mid_command_are_one_line_without_a_traceback(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store(queue_reports(20))
    store.close()
    bad = damage(store.path, tmp_path / "damaged.sqlite")
    log = tmp_path / "tipline.log"
    env = {**os.environ, "TIPLINE_LOG": str(log), "TIPLINE_CONFIG": str(tmp_path / "none")}
    result = subprocess.run(
        [sys.executable, "-m", "tipline_tui", "related", "--db", str(bad), "5"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    _one_clear_line(result.stderr, "related failed: the store file is damaged", bad)
    assert "database disk image is malformed" in log.read_text()


# ------------------------------------------------------------------ the words


def _raised(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except Exception as exc:
        return exc
    raise AssertionError("nothing was raised")


def test_each_sqlite_failure_has_its_words(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE t (x TEXT UNIQUE)")
        raw.execute("INSERT INTO t VALUES ('secret value')")
    raw.close()
    full = sqlite3.connect(path)
    full.execute("PRAGMA max_page_count = 2")
    big = "x" * 100_000
    too_big = _raised(lambda: full.execute("INSERT INTO t VALUES (?)", (big,)))
    assert storage_problem(too_big) == "the store's disk is full"
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    refused = _raised(lambda: read_only.execute("DELETE FROM t"))
    assert storage_problem(refused) == "the store is read-only"
    duplicate = _raised(lambda: full.execute("INSERT INTO t VALUES ('secret value')"))
    assert storage_problem(duplicate) == "UNIQUE constraint failed: t.x"  # no value
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("hello " * 1000)
    text = sqlite3.connect(not_a_store)
    unreadable = _raised(lambda: text.execute("SELECT * FROM t"))
    assert storage_problem(unreadable) == "the file is not a store, or is damaged"
    for conn in (full, read_only, text):
        conn.close()
    assert storage_problem(ValueError("not a database error")) is None
    hand_made = sqlite3.OperationalError("database is locked")  # no error code
    assert storage_problem(hand_made) == "the store is locked by another program"


def test_damaged_pages_read_through_sqlalchemy_are_named_too(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store(queue_reports(20))
    store.close()
    bad = damage(store.path, tmp_path / "damaged.sqlite")
    engine = create_engine(f"sqlite:///{bad}")

    def read() -> object:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT * FROM report").all()

    error = _raised(read)
    engine.dispose()
    assert isinstance(error, DBAPIError)  # its text holds the SQL
    assert describe_failure(error, bad.name) == "the store file is damaged (damaged.sqlite)"


# ------------------------------------------------------------------ sync


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[HubDB, ThreadHub]]:
    hub = open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", clock=lambda: CLOCK_NOW)
    running = ThreadHub(hub, tmp_path / "evidence").start()
    yield hub, running
    running.stop()


def _stored(store: Store) -> tuple[int, int]:
    """How many tips the store holds, and its change-feed cursor."""
    with store.read() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM report").scalar_one()
        return int(count), sync_state.cursor(conn)


async def test_the_sync_loop_on_a_full_disk_keeps_going_says_so_and_writes_no_half_page(
    make_store: Callable[..., Store],
    storage_faults: StorageFaults,
    server: tuple[HubDB, ThreadHub],
    tmp_path: Path,
) -> None:
    hub, running = server
    import_reports(hub, [report_to_xml(simple_report(n)) for n in range(1, 31)])
    with hub.write() as conn:
        secret = create_account(conn, kind="user", name="ana", role="analyst", now=CLOCK_NOW)
    store = make_store(queue_reports(3))  # not brand new: the feed's pages, not a snapshot
    before = _stored(store)
    storage_faults.fill(store.path)
    client = SyncClient(store, HubConfig(running.url, f"ana:{secret}"), clock=lambda: CLOCK_NOW)
    loop = SyncLoop(client, interval=3600, rng=lambda: 0.0)
    app = TiplineApp(
        TipService(store),
        clock=lambda: CLOCK_NOW,
        analyst="ana",
        urgent_poll_seconds=3600,
        log_path=tmp_path / "tipline.log",
        hub_url=running.url,
        sync=loop,
    )

    def badge() -> str:
        return static_text(app, "#sync-badge")

    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: loop.status.failed, pilot=pilot, what="a failed round")
        full = "SYNC ERROR: the store's disk is full (store.sqlite)"
        await until(lambda: full in badge(), pilot=pilot, what="the badge to say why")
        assert _stored(store) == before  # the page and its cursor: neither was written
        assert [w for w in app.workers if w.group == "sync" and w.is_running]
        storage_faults.clear()  # space freed
        loop.poke()
        await until(lambda: loop.status.online, pilot=pilot, what="the retry to succeed")
        await until(lambda: badge().startswith("online"), pilot=pilot, what="online")
    await client.aclose()
    assert _stored(store)[0] == before[0] + 30
    assert loop.status.store_problem is None
    assert "database or disk is full" in (tmp_path / "tipline.log").read_text()


async def test_an_assignment_the_disk_cannot_take_says_so_and_may_be_chosen_again(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    from tipline_tui.demo.generator import demo_agencies
    from tipline_tui.screens.assign import AssignScreen
    from tipline_tui.store.directory import write_agencies

    store = make_store(queue_reports(3))
    with store.write() as conn:
        write_agencies(conn, demo_agencies(["GB"]))
    app = _app(store, tmp_path / "tipline.log")
    act = app.service.act

    async def full(*args: Any, **kw: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    app.service.act = full  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        tip_id = app.screen.report_id
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("down", "enter")  # no jurisdiction signal: the analyst chooses
        await settle(pilot)
        still_open = isinstance(app.screen, AssignScreen)
        messages = [n.message for n in app._notifications]
        app.service.act = act  # type: ignore[method-assign]  # space freed
        await pilot.press("enter")
        await settle(pilot)
        assigned = isinstance(app.screen, ReportScreen)
    assert still_open and assigned
    assert messages[-1].startswith("Assigning failed: the store's disk is full (store.sqlite)")
    with store.read() as conn:
        tip = tip_load.load_tip(conn, tip_id)
    assert tip is not None and tip.analysis.jurisdiction
