"""The `tipline` command as a user runs it: clear messages, exit status, no tracebacks."""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tipline_tui.store import open_store
from tipline_tui.store.migrations import SCHEMA_VERSION


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tipline_tui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("tipline ")
    usage = run("--help").stdout
    assert "demo" in usage and "demo-data" in usage and "--db" in usage


def test_an_older_store_is_upgraded_with_a_word_first(tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "v1.sqlite"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "store_v1.sqlite", old)
    result = run("related", "--db", str(old), "1")
    assert result.returncode in (0, 2), result.stderr  # 2: tip 1 may have no relatives
    assert f"upgrading the store from schema 1 to {SCHEMA_VERSION}" in result.stderr
    again = run("related", "--db", str(old), "1")
    assert "upgrading" not in again.stderr, "only once"


def test_newer_store_gives_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    open_store(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    result = run("--db", str(path))
    assert result.returncode == 2
    assert "newer tipline" in result.stderr and "Traceback" not in result.stderr


def test_not_a_store_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello " * 1000)
    result = run("--db", str(path))
    assert result.returncode == 2
    assert "cannot open store" in result.stderr and "Traceback" not in result.stderr


def test_tipline_db_environment_variable_is_honoured(tmp_path: Path) -> None:
    import os

    path = tmp_path / "env.sqlite"
    path.write_text("garbage " * 1000)
    result = run(env={**os.environ, "TIPLINE_DB": str(path)})
    assert result.returncode == 2 and str(path) in result.stderr


def test_demo_data_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "exists.sqlite"
    out.write_text("x")
    result = run("demo-data", "--reports", "5", "--out", str(out))
    assert result.returncode == 2 and "already exists" in result.stderr
    assert out.read_text() == "x"


def test_plain_tipline_opens_the_app_with_on_call_and_settings(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tipline_tui.app import TiplineApp
    from tipline_tui.cli import main

    monkeypatch.setenv("TIPLINE_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("TIPLINE_HUB_URL", raising=False)
    monkeypatch.delenv("TIPLINE_HUB_TOKEN", raising=False)
    seen: list[TiplineApp] = []
    monkeypatch.setattr(TiplineApp, "run", lambda self, **kw: seen.append(self))
    assert main(["--db", str(tmp_path / "store.sqlite"), "--on-call"]) == 0
    assert main(["--db", str(tmp_path / "store.sqlite")]) == 0
    assert [app.on_call for app in seen] == [True, False]
    assert all(app.sync is None and not app.demo for app in seen)  # no hub configured


# ------------------------------------------------------------------ suggest and urgency


def _oregon_store(tmp_path: Path, priority: str | None) -> int:
    """One ESP-escalated tip about a person in Portland, OR; optionally an analyst's priority."""
    from tests.factories import BASE_TIME
    from tipline_tui.domain.agency import Agency
    from tipline_tui.domain.report import Address, Person, PersonDetails, Report
    from tipline_tui.store import actions
    from tipline_tui.store.directory import write_agencies
    from tipline_tui.store.reports import write_reports

    tip = Report(
        incident_type="Online Enticement of Children for Sexual Acts",
        incident_date_time="2026-09-01T10:00:00Z",
        esp_name="Example ESP (demo)",
        received_at=BASE_TIME,
        escalate_to_high_priority="Synthetic: user says meeting is tonight",
        persons=[
            Person(
                role="reported",
                screen_name="example_user",
                person=PersonDetails(
                    addresses=[Address(city="Portland", state="OR", country="US")]
                ),
            )
        ],
    )
    store = open_store(tmp_path / "oregon.sqlite")
    with store.write() as conn:
        (report_id,) = write_reports(conn, [tip], now=BASE_TIME)
        write_agencies(
            conn,
            [
                Agency("icac", "Oregon ICAC (test)", "OR", "US", takes_urgent=False),
                Agency("local", "Fairview PD (test)", "OR", "US", takes_urgent=True),
            ],
        )
        if priority is not None:
            actions.set_priority(conn, report_id, priority, analyst="ana", now=BASE_TIME + 60)
    store.close()
    return report_id


def _suggested(
    tmp_path: Path, report_id: int, capsys: pytest.CaptureFixture[str], *extra: str
) -> str:
    from tipline_tui.cli import main

    db = str(tmp_path / "oregon.sqlite")
    assert main(["suggest", "--db", db, str(report_id), *extra]) == 0
    return capsys.readouterr().out


def test_suggest_escalated_tip_with_priority_2_is_not_ranked_as_urgent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """is_urgent: the ESP's escalation counts only until an analyst sets a priority."""
    import json

    monkeypatch.delenv("TIPLINE_GEOIP", raising=False)
    report_id = _oregon_store(tmp_path, "2")
    out = _suggested(tmp_path, report_id, capsys).splitlines()
    assert "agencies (best first):" in out
    ranked = [line for line in out if "(test)" in line]
    assert "Oregon ICAC (test)  (no urgent referrals)" in ranked[0]
    assert "Fairview PD (test)" in ranked[1]
    data = json.loads(_suggested(tmp_path, report_id, capsys, "--json"))
    assert data["urgent"] is False
    assert [a["name"] for a in data["agencies"]] == ["Oregon ICAC (test)", "Fairview PD (test)"]


def test_suggest_escalated_tip_without_a_priority_is_urgent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.delenv("TIPLINE_GEOIP", raising=False)
    report_id = _oregon_store(tmp_path, None)
    out = _suggested(tmp_path, report_id, capsys).splitlines()
    assert "agencies (urgent tip: agencies taking urgent referrals first):" in out
    ranked = [line for line in out if "(test)" in line]
    assert "Fairview PD (test)" in ranked[0] and "(no urgent referrals)" not in ranked[0]
    assert "Oregon ICAC (test)  (no urgent referrals)" in ranked[1]
    data = json.loads(_suggested(tmp_path, report_id, capsys, "--json"))
    assert data["urgent"] is True
    assert [a["name"] for a in data["agencies"]] == ["Fairview PD (test)", "Oregon ICAC (test)"]
    assert [a["takes_urgent"] for a in data["agencies"]] == [True, False]


def _parsers(parser: argparse.ArgumentParser, name: str = "tipline") -> Iterator[tuple[str, Any]]:
    """Every (sub)parser of `tipline`, named as typed: "tipline hub user add"."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {command}")


def test_every_argument_of_every_command_says_what_it_is() -> None:
    from tipline_tui.cli import build_parser

    missing = []
    for name, parser in _parsers(build_parser()):
        for action in parser._actions:
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name}: {action.metavar or action.dest}")
            if isinstance(action, argparse._SubParsersAction):
                missing += [
                    f"{name} {choice.dest}" for choice in action._choices_actions if not choice.help
                ]
    assert missing == []


def test_help_lists_the_exit_codes_the_readme_lists() -> None:
    from tipline_tui.cli.exits import EXIT_CODES

    usage = run("--help").stdout
    tail = " ".join(usage.split("exit status:", 1)[1].split())  # unwrapped
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert [code for code, _ in EXIT_CODES] == [0, 1, 2, 130, 141]
    for code, meaning in EXIT_CODES:
        assert f"{code} {meaning}" in tail
        assert f"| {code} | {meaning} |" in readme
