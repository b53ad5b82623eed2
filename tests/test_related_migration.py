"""The schema-9 migration (phones re-keyed): it says it is upgrading and for how long,
it re-keys stored phones, and a kill -9 in the middle leaves the store as it was,
ready to migrate again. Real store files, a real `tipline` process killed for real."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.factories import simple_report
from tipline_tui.domain.report import Person, PersonDetails, Phone, Report
from tipline_tui.store import open_store
from tipline_tui.store.migrations import SCHEMA_VERSION, upgrade_notice
from tipline_tui.store.related import related_reports


def _tip(n: int, phone: Phone) -> Report:
    report = simple_report(n)
    report.persons = [Person(role="reported", person=PersonDetails(phones=[phone]))]
    return report


def _as_schema_8(path: Path) -> int:
    """The store as schema 8 left it: here, no phone keys at all. Returns the key count."""
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM identifier_key WHERE kind = 'phone'")
        raw.execute("PRAGMA user_version = 8")
        return int(raw.execute("SELECT count(*) FROM identifier_key").fetchone()[0])


def _related(path: Path) -> dict[int, tuple[str, ...]]:
    store = open_store(path)
    try:
        with store.read() as conn:
            return {r.report_id: r.reasons for r in related_reports(conn, 1)}
    finally:
        store.close()


def _stored_pair(make_store, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    uk = Phone("7700 900456", country_calling_code="+44")
    make_store([_tip(0, Phone("+44 7700 900456")), _tip(1, uk)]).close()
    return tmp_path / "store.sqlite"


def test_the_notice_says_what_and_how_long() -> None:
    notice = upgrade_notice(7, SCHEMA_VERSION)
    assert notice.startswith(f"upgrading the store from schema 7 to {SCHEMA_VERSION}")
    assert "related-report keys" in notice and "s per 100,000 tips" in notice
    assert "safe to interrupt" in notice


def test_schema_9_re_keys_stored_phones_with_their_calling_codes(make_store, tmp_path) -> None:
    path = _stored_pair(make_store, tmp_path)
    _as_schema_8(path)
    result = subprocess.run(
        [sys.executable, "-m", "tipline_tui", "related", "--db", str(path), "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "upgrading the store from schema 8 to 9 for related-report keys" in result.stderr
    assert "s per 100,000 tips" in result.stderr
    assert _related(path)[2] == ("same phone: 7700 900456",)


# Runs the real migration in a real process, then stops (after all of it, before the
# commit) and says so, so the test can kill it there with SIGKILL.
_HALTING = textwrap.dedent(
    """
    import sys, time
    from tipline_tui.store import migrations, open_store
    real = migrations.MIGRATIONS[9]
    def halting(conn):
        real(conn)
        print("migrated, not committed", flush=True)
        time.sleep(120)
    migrations.MIGRATIONS[9] = halting
    open_store(sys.argv[1])
    """
)


def test_a_kill_mid_migration_leaves_the_store_as_it_was(make_store, tmp_path) -> None:
    path = _stored_pair(make_store, tmp_path)
    keys_before = _as_schema_8(path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    child = subprocess.Popen(
        [sys.executable, "-c", _HALTING, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "migrated, not committed"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 8
        assert raw.execute("SELECT count(*) FROM identifier_key").fetchone()[0] == keys_before
    assert _related(path)[2] == ("same phone: 7700 900456",), "and it migrates again"
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_re_keyed_phones_match_the_keys_a_new_tip_gets(make_store) -> None:
    from tipline_tui.domain.report import Address, AssociatedAccount, InternetDetail
    from tipline_tui.store.related_index import rebuild_keys

    national = _tip(0, Phone("07700 900456"))
    national.persons[0].person.addresses = [Address(country="GB")]
    beside = _tip(1, Phone("7700 900123", country_calling_code="+44"))
    others = _tip(2, Phone("+44 7700 900111"))
    others.persons[0].person.phones.append(Phone("07700 900222"))
    esp = _tip(3, Phone("07700 900333"))
    esp.reporter.reporting_person.phones = [Phone("+44 20 7946 0000")]
    incident = _tip(4, Phone("+44 7700 900444"))
    incident.internet_details = [InternetDetail(kind="chat_im", phone=Phone("07700 900555"))]
    linked = _tip(5, Phone("+44 7700 900666"))
    account = AssociatedAccount(type="other", person=PersonDetails(phones=[Phone("07700 900777")]))
    linked.persons[0].associated_accounts = [account]
    store = make_store([national, beside, others, esp, incident, linked])
    query = "SELECT report_id, raw, key_type, key FROM identifier_key WHERE kind = 'phone'"
    with store.write() as conn:
        written = set(conn.exec_driver_sql(query))
        rebuild_keys(conn, ("phone",))
        rebuilt = set(conn.exec_driver_sql(query))
    assert rebuilt == written
    assert sum(1 for row in written if row[3].startswith("+44")) >= 9
