"""`tipline import` and `tipline quarantine` on real documents and real store files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tui_helpers import make_app, settle, static_text
from tipline_tui.domain.intake import Outcome
from tipline_tui.importer import Importer
from tipline_tui.screens.quarantine import QuarantineScreen
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import open_store
from tipline_tui.store.intake import get_quarantined, list_quarantine
from tipline_tui.store.tip_load import load_tip

FIXTURES = Path(__file__).parent / "fixtures" / "xml"
REPORTS = sorted(FIXTURES.glob("report_*.xml"))
BAD = {
    "not_well_formed.xml": b"<report><incidentSummary></report>",
    "empty.xml": b"",
    "wrong_root.xml": b"<?xml version='1.0'?><reportResponse><responseCode>0</responseCode>"
    b"<responseDescription>x</responseDescription></reportResponse>",
    "bomb.xml": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><report>&b;</report>',
    "bad_utf8.xml": b'<?xml version="1.0" encoding="UTF-8"?><report>\xff\xfe</report>',
}


def tipline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tipline_tui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_report_fixture_imports_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in REPORTS:
        shutil.copy(path, inbox)
    db = tmp_path / "store.sqlite"
    first = tipline("import", "--db", str(db), str(inbox))
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == len(REPORTS)
    assert all(re.search(r": imported as tip #\d+$", line) for line in lines), lines
    again = tipline("--db", str(db), "import", str(inbox))  # --db before the command works too
    assert again.returncode == 0
    assert all("already imported as tip #" in line for line in again.stdout.splitlines())
    store = open_store(db)
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM report").scalar() == len(REPORTS)
    store.close()


def test_bad_documents_are_quarantined_whole_with_every_reason(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, content in BAD.items():
        (inbox / name).write_bytes(content)
    shutil.copy(FIXTURES / "report_minimal.xml", inbox)
    db = tmp_path / "store.sqlite"
    result = tipline("import", "--db", str(db), str(inbox))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout.count("QUARANTINED as #") == len(BAD)
    assert "report_minimal.xml: imported as tip #1" in result.stdout
    assert "DOCTYPE" in result.stdout and "empty" in result.stdout
    store = open_store(db)
    with store.read() as conn:
        quarantined = {q.file_name.rsplit("/", 1)[-1]: q for q in list_quarantine(conn)}
        assert set(quarantined) == set(BAD)
        for name, content in BAD.items():
            kept = get_quarantined(conn, quarantined[name].id)
            assert kept is not None and kept.content == content and kept.problems
    store.close()
    listing = tipline("quarantine", "--db", str(db))
    assert listing.returncode == 0 and len(listing.stdout.splitlines()) == len(BAD)
    one_id = quarantined["wrong_root.xml"].id
    shown = tipline("quarantine", "--db", str(db), str(one_id))
    assert "wrong root element" in shown.stdout and "reportResponse" in shown.stdout
    raw = subprocess.run(
        [sys.executable, "-m", "tipline_tui", "quarantine", "--db", str(db), str(one_id), "--raw"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert raw.stdout == BAD["wrong_root.xml"]


def test_file_details_attach_to_the_tip_they_name(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store.sqlite")
    report = tmp_path / "a-report.xml"
    shutil.copy(FIXTURES / "report_all_fields.xml", report)
    details = (FIXTURES / "filedetails_all_fields.xml").read_bytes()
    attached = tmp_path / "b-files.xml"
    attached.write_bytes(re.sub(rb"<reportId>\d+</reportId>", b"<reportId>1</reportId>", details))
    orphan = tmp_path / "c-orphan.xml"
    orphan.write_bytes(re.sub(rb"<reportId>\d+</reportId>", b"<reportId>999</reportId>", details))
    results = {Path(r.name).name: r for r in Importer(store).run([tmp_path])}
    assert results["a-report.xml"].outcome is Outcome.IMPORTED
    assert results["b-files.xml"].outcome is Outcome.ATTACHED
    assert results["b-files.xml"].report_id == 1
    assert results["c-orphan.xml"].outcome is Outcome.QUARANTINED
    assert "no tip 999" in results["c-orphan.xml"].problems[0]
    again = {Path(r.name).name: r for r in Importer(store).run([attached])}
    assert again["b-files.xml"].outcome is Outcome.DUPLICATE
    with store.read() as conn:
        tip = load_tip(conn, 1)
        hashes = conn.exec_driver_sql(
            "SELECT count(*) FROM identifier WHERE kind = 'file_hash' AND report_id = 1"
        ).scalar()
    assert tip is not None and len(tip.report.files) >= 1 and hashes >= 1
    store.close()


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = tipline("import", "--db", str(tmp_path / "s.sqlite"), str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "no such file or directory" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "fixture", ["report_all_fields.xml", "report_hostile_text.xml", "report_non_latin_scripts.xml"]
)
async def test_imported_report_reads_in_the_tui(tmp_path: Path, fixture: str) -> None:
    store = open_store(tmp_path / "store.sqlite")
    [result] = Importer(store).run([FIXTURES / fixture])
    assert result.outcome is Outcome.IMPORTED
    with store.read() as conn:
        tip = load_tip(conn, result.report_id)
    assert tip is not None
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        summary = static_text(app, "#text-summary")
        people = static_text(app, "#text-people")
        assert tip.report.incident_type in summary
        for person in tip.report.persons:
            if person.screen_name:
                assert person.screen_name.replace("\u202e", "<RLO>") in people
        assert "\x1b" not in summary + people and "\u202e" not in summary + people


async def test_quarantine_screen_shows_reasons_literally(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store.sqlite")
    hostile = tmp_path / "[bold]x[@click=app.quit].xml"
    hostile.write_bytes(b"<report>[red]not closed")
    list(Importer(store).run([hostile]))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "1 quarantined" in static_text(app, "#queue-counts")
        await pilot.press("Q")
        await settle(pilot)
        assert isinstance(app.screen, QuarantineScreen)
        await pilot.press("down")
        await settle(pilot)
        text = static_text(app, "#quarantine-text")
        assert "[bold]x[@click=app.quit].xml" in text and "<report>[red]not closed" in text
        assert app.is_running
