"""Store commands change nothing that is not a tipline store, create no store by mistake,
fail in one line, and stop quietly when the reader of their output goes away."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tipline_tui.config import bundled_demo_store
from tipline_tui.store import StoreError, open_store

FIXTURES = Path(__file__).parent / "fixtures" / "xml"
REPORT_XML = FIXTURES / "report_minimal.xml"
AGENCY_CSV = "kind,name,state,country,contact,takes_urgent\nicac,Example ICAC,NY,US,,yes\n"
SIDECARS = ("-wal", "-shm", "-journal")

# Every command that opens the local store, with arguments that are valid on their own.
READING = [
    ["related", "1"],
    ["suggest", "1"],
    ["quarantine"],
    ["quarantine", "1"],
    ["audit", "verify"],
    ["audit", "show", "1"],
    ["agencies", "list"],
    ["agencies", "export"],
]
WRITING = [["import", str(REPORT_XML)], ["agencies", "import", "{csv}"], ["sync"], []]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sidecars(path: Path) -> list[str]:
    return [tail for tail in SIDECARS if Path(f"{path}{tail}").exists()]


@pytest.fixture
def tipline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str]]:
    """Run `tipline ARGS --db DB` in-process: (exit status, stderr). A hub is configured (so
    `sync` gets as far as the store) and the app never starts its terminal UI."""
    from tipline_tui.app import TiplineApp
    from tipline_tui.cli import main

    monkeypatch.setenv("TIPLINE_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("TIPLINE_HUB_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TIPLINE_HUB_TOKEN", "ana:secret")
    monkeypatch.delenv("TIPLINE_GEOIP", raising=False)
    monkeypatch.setattr(TiplineApp, "run", lambda self, **kw: None)
    csv = tmp_path / "agencies.csv"
    csv.write_text(AGENCY_CSV)

    def run(args: list[str], db: Path) -> tuple[int, str]:
        argv = [a.replace("{csv}", str(csv)) for a in args]
        status = main([*argv, "--db", str(db)] if argv else ["--db", str(db)])
        return status, capsys.readouterr().err

    return run


def _foreign_sqlite(path: Path, app_id: int) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA application_id = {app_id}")
        raw.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        raw.executemany("INSERT INTO notes (body) VALUES (?)", [("a",), ("b" * 5000,)])
    raw.close()


@pytest.mark.parametrize("kind", ["application id 0x1234", "no application id", "not SQLite"])
def test_a_file_that_is_not_a_store_is_unchanged_by_every_command(
    kind: str, tmp_path: Path, tipline: Callable[..., tuple[int, str]]
) -> None:
    folder = tmp_path / "theirs"
    folder.mkdir()
    other = folder / "other.db"
    if kind == "not SQLite":
        other.write_bytes(b"just some notes\n" * 500)
    else:
        _foreign_sqlite(other, 0x1234 if kind.startswith("application") else 0)
    before = _digest(other)
    for args in READING + WRITING:
        status, err = tipline(args, other)
        assert status == 2, (args, err)
        assert err.count("\n") == 1 and str(other) in err and "refusing to change it" in err
        assert _digest(other) == before, args
        assert sorted(p.name for p in folder.iterdir()) == ["other.db"], args


def test_the_bundled_demo_store_is_read_but_never_changed(
    tipline: Callable[..., tuple[int, str]],
) -> None:
    demo = bundled_demo_store()
    before = _digest(demo)
    for args in [["related", "66"], ["suggest", "66"], ["audit", "show", "66"], *READING]:
        status, err = tipline(args, demo)
        assert status in (0, 2), (args, err)  # 2: a tip a command names may not exist
        assert "demo store" not in err, (args, err)
        assert _digest(demo) == before and not _sidecars(demo), args
    assert tipline(["audit", "verify"], demo)[0] == 0
    for args in WRITING:
        status, err = tipline(args, demo)
        assert status == 2 and "bundled demo store, which tipline never changes" in err, args
        assert _digest(demo) == before and not _sidecars(demo), args


def test_related_on_the_demo_store_from_the_command_line_leaves_it_unchanged() -> None:
    """The reported case, as a user runs it: `git status` showed demo_db.sqlite modified."""
    demo = bundled_demo_store()
    before = _digest(demo)
    result = subprocess.run(
        [sys.executable, "-m", "tipline_tui", "related", "--db", str(demo), "66"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and result.stdout, result.stderr
    assert _digest(demo) == before and not _sidecars(demo)


def test_db_in_a_missing_directory_is_an_error_and_creates_nothing(
    tmp_path: Path, tipline: Callable[..., tuple[int, str]]
) -> None:
    missing = tmp_path / "no" / "such" / "store.sqlite"
    status, err = tipline(["import", str(REPORT_XML)], missing)
    assert status == 2 and err == (
        f"tipline: no directory {missing.parent} for a new store {missing}; "
        "create the directory first\n"
    )
    status, err = tipline(["related", "1"], missing)
    assert status == 2 and err == f"tipline: no store at {missing}\n"
    assert not (tmp_path / "no").exists()


def test_demo_data_out_is_an_explicit_new_store_and_may_make_its_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tipline_tui.cli import main

    out = tmp_path / "new" / "dir" / "demo.sqlite"
    assert main(["demo-data", "--reports", "3", "--out", str(out)]) == 0
    store = open_store(out, create=False)
    store.close()


@pytest.mark.parametrize(
    "args",
    [
        ["related", "99999999"],
        ["suggest", "99999999"],
        ["audit", "show", "99999999"],
        ["quarantine", "99999999"],
        ["import", "missing.xml"],
        ["agencies", "list"],
    ],
)
def test_a_command_failing_on_its_arguments_creates_no_store(
    args: list[str], tmp_path: Path, tipline: Callable[..., tuple[int, str]]
) -> None:
    db = tmp_path / "store.sqlite"
    status, err = tipline(args, db)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert not db.exists() and not _sidecars(db)


def test_an_sqlite_error_while_a_command_runs_is_one_line_naming_the_file(
    tmp_path: Path,
) -> None:
    db = tmp_path / "damaged.sqlite"
    open_store(db).close()
    with sqlite3.connect(db) as raw:
        raw.execute("DROP TABLE agency")
    raw.close()
    log = tmp_path / "tipline.log"  # the details go here, never to the user's log
    result = subprocess.run(
        [sys.executable, "-m", "tipline_tui", "agencies", "list", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "TIPLINE_LOG": str(log)},
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"tipline: agencies failed: no such table: agency ({db}); details in {log}\n"
    )
    assert "Traceback" in log.read_text()


def test_store_level_refusals_touch_nothing(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    _foreign_sqlite(other, 0x1234)
    before = _digest(other)
    with pytest.raises(StoreError, match="refusing to change it"):
        open_store(other, only_reads=True)
    assert _digest(other) == before and not _sidecars(other)
    with pytest.raises(StoreError, match="no store at"):
        open_store(tmp_path / "absent.sqlite", create=False)
    demo = open_store(bundled_demo_store(), create=False, only_reads=True)
    try:
        with pytest.raises(StoreError, match="read-only"), demo.write():
            pass
    finally:
        demo.close()


# ------------------------------------------------------------------ pipes


def _closed_early(args: list[str], *, read_lines: int) -> tuple[int, str]:
    """Run tipline with stdout to a pipe whose reader takes `read_lines` lines and closes it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tipline_tui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    for _ in range(read_lines):
        proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    return proc.wait(timeout=120), err


def test_output_piped_to_a_reader_that_closes_at_once_ends_quietly() -> None:
    """`tipline suggest 66 | head -0`: nothing of the output can be written."""
    status, err = _closed_early(["suggest", "--db", str(bundled_demo_store()), "66"], read_lines=0)
    assert (status, err) == (141, "")


def test_long_output_piped_to_head_ends_quietly(tmp_path: Path) -> None:
    """More than a pipe buffer of output and a reader that stops after three lines."""
    from tipline_tui.domain.agency import Agency
    from tipline_tui.store.directory import write_agencies

    db = tmp_path / "many.sqlite"
    store = open_store(db)
    with store.write() as conn:
        write_agencies(conn, [Agency("local", f"Police Department {n:05d}") for n in range(4000)])
    store.close()
    status, err = _closed_early(["agencies", "list", "--db", str(db)], read_lines=3)
    assert (status, err) == (141, "")
