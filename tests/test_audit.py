"""The audit log on a real store: append-only triggers, tamper detection by the hash chain, CLI."""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from tests.factories import BASE_TIME, simple_report
from tipline_tui.cli import main
from tipline_tui.domain.report import Report
from tipline_tui.domain.views import AuditCheck, AuditEntry
from tipline_tui.store import Store
from tipline_tui.store.audit import GENESIS, canonical, entry_hash, history, recent, record, verify

MakeStore = Callable[[Sequence[Report]], Store]


def _fill(store: Store, count: int = 6) -> None:
    """`count` entries: tips 1 and 2 in turn, entry 5 with no tip, JSON values of every shape."""
    values: list[object] = [None, "2", {"labels": ["spam"], "age": [8, 12]}, ["x"], 3, True]
    with store.write() as conn:
        for n in range(count):
            record(
                conn,
                actor="ana" if n % 2 else "ben",
                action=f"action-{n + 1}",
                at=BASE_TIME + 60 * n,
                report_id=None if n == 4 else 1 + n % 2,
                before=values[n % len(values)],
                after=values[(n + 1) % len(values)],
            )


@pytest.fixture
def store(make_store: MakeStore) -> Store:
    s = make_store([simple_report(1), simple_report(2)])
    _fill(s)
    return s


@contextmanager
def raw(store: Store, *, unprotect: bool = True) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the store file, as someone holding the file would use."""
    with closing(sqlite3.connect(store.path, isolation_level=None)) as conn:
        if unprotect:
            conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
            conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        yield conn


def check(store: Store) -> AuditCheck:
    with store.read() as conn:
        return verify(conn)


def _row(conn: sqlite3.Connection, seq: int) -> tuple:
    return conn.execute(
        "SELECT seq, at, actor, action, report_id, before, after, prev_hash, hash "
        "FROM audit WHERE seq = ?",
        (seq,),
    ).fetchone()


# ------------------------------------------------------------------ the chain


def test_a_chain_of_records_verifies(store: Store) -> None:
    assert check(store) == AuditCheck(ok=True, entries=6, problems=())


def test_an_empty_log_verifies(make_store: MakeStore) -> None:
    assert check(make_store([])) == AuditCheck(ok=True, entries=0, problems=())


def test_entries_are_linked_and_the_head_is_kept(store: Store) -> None:
    with raw(store, unprotect=False) as conn:
        rows = [_row(conn, seq) for seq in range(1, 7)]
        head = conn.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()[0]
    assert rows[0][7] == GENESIS
    for previous, row in itertools.pairwise(rows):
        assert row[7] == previous[8]
    for row in rows:
        assert entry_hash(*row[:8]) == row[8]
    assert head == f"6:{rows[-1][8]}"


def test_history_is_one_tips_entries_oldest_first_with_values_decoded(store: Store) -> None:
    with store.read() as conn:
        tip1 = history(conn, 1)
        assert history(conn, 99) == []
    assert [e.seq for e in tip1] == [1, 3]  # entry 5 has no tip
    assert tip1[0] == AuditEntry(
        seq=1, at=BASE_TIME, actor="ben", action="action-1", report_id=1, before=None, after="2"
    )
    assert tip1[1].before == {"labels": ["spam"], "age": [8, 12]} and tip1[1].after == ["x"]


def test_recent_is_newest_first_and_limited(store: Store) -> None:
    with store.read() as conn:
        assert [e.seq for e in recent(conn, 3)] == [6, 5, 4]
        assert [e.seq for e in recent(conn)] == [6, 5, 4, 3, 2, 1]
        assert recent(conn, 0) == []
    assert recent.__defaults__ == (50,)


def test_verify_reads_the_log_in_batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import tipline_tui.store.audit as audit

    monkeypatch.setattr(audit, "_BATCH", 4)
    _fill(store, 6)  # 12 entries: batches of 4, 4, 4 and an empty one
    assert check(store) == AuditCheck(ok=True, entries=12, problems=())
    with raw(store) as conn:
        conn.execute("UPDATE audit SET actor = 'eve' WHERE seq = 9")
    assert check(store).problems == ("entry 9 was changed (its hash does not match its contents)",)


# ------------------------------------------------------------------ append-only


def test_the_triggers_refuse_update_and_delete(store: Store) -> None:
    for statement in ("UPDATE audit SET actor = 'eve' WHERE seq = 2", "DELETE FROM audit"):
        with pytest.raises(IntegrityError, match="append-only"), store.write() as conn:
            conn.exec_driver_sql(statement)
    with raw(store, unprotect=False) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit WHERE seq = 6")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit SET after = '\"1\"' WHERE seq = 1")
    assert check(store).ok


# ------------------------------------------------------------------ tampering


def test_a_changed_field_names_its_entry(store: Store) -> None:
    with raw(store) as conn:
        conn.execute("""UPDATE audit SET after = '"info"' WHERE seq = 3""")
    result = check(store)
    assert not result.ok and result.entries == 6
    assert result.problems == ("entry 3 was changed (its hash does not match its contents)",)


def test_each_field_is_covered_by_the_hash(store: Store) -> None:
    changes = {
        "at": "at + 1",
        "actor": "'eve'",
        "action": "'close'",
        "report_id": "report_id + 10",
        "before": "NULL",
        "prev_hash": f"'{GENESIS}'",
    }
    for seq, (column, value) in enumerate(changes.items(), start=1):
        with raw(store) as conn:
            conn.execute(f"UPDATE audit SET {column} = {value} WHERE seq = ?", (seq,))
    problems = check(store).problems
    for seq in range(1, 7):
        assert f"entry {seq} was changed (its hash does not match its contents)" in problems


def test_a_changed_and_rehashed_entry_breaks_the_next_link(store: Store) -> None:
    with raw(store) as conn:
        seq, at, actor, action, report_id, before, _after, prev, _hash = _row(conn, 3)
        forged_after = canonical("E")
        new_hash = entry_hash(seq, at, actor, action, report_id, before, forged_after, prev)
        conn.execute("UPDATE audit SET after = ?, hash = ? WHERE seq = 3", (forged_after, new_hash))
    assert check(store).problems == (
        "entry 4's link to the previous entry is broken "
        "(entry 3 was changed and re-hashed, or replaced)",
    )


def test_a_deleted_middle_entry_is_named(store: Store) -> None:
    with raw(store) as conn:
        conn.execute("DELETE FROM audit WHERE seq IN (3, 4)")
    result = check(store)
    assert result.entries == 4
    assert result.problems == ("entry 5 does not follow entry 2: entries 3..4 were deleted",)


def test_deleting_the_first_entries_is_named(store: Store) -> None:
    with raw(store) as conn:
        conn.execute("DELETE FROM audit WHERE seq = 1")
    assert check(store).problems == ("entry 2 is the first entry: entry 1 was deleted",)


def test_deleting_the_newest_entries_is_detected_through_the_head(store: Store) -> None:
    with raw(store) as conn:
        conn.execute("DELETE FROM audit WHERE seq >= 5")
    assert check(store).problems == ("the newest 2 entries were deleted (head was seq 6)",)


def test_deleting_every_entry_is_detected(store: Store) -> None:
    with raw(store) as conn:
        conn.execute("DELETE FROM audit")
    result = check(store)
    assert result.entries == 0
    assert result.problems == ("the newest 6 entries were deleted (head was seq 6)",)


def test_a_record_after_a_tail_deletion_keeps_the_deletion_visible(store: Store) -> None:
    with raw(store) as conn:
        conn.execute("DELETE FROM audit WHERE seq = 6")
    with store.write() as conn:
        assert record(conn, actor="ana", action="view", at=BASE_TIME + 999, report_id=1) == 7
    assert check(store).problems == ("entry 7 does not follow entry 5: entry 6 was deleted",)


def test_deleting_the_head_record_is_a_problem(store: Store) -> None:
    with raw(store) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'audit_head'")
    (problem,) = check(store).problems
    assert "head" in problem and "missing" in problem


def test_a_forged_entry_with_a_made_up_hash_is_named(store: Store) -> None:
    with raw(store) as conn:
        last_hash = _row(conn, 6)[8]
        conn.execute(
            "INSERT INTO audit (seq, at, actor, action, report_id, before, after, prev_hash, hash)"
            " VALUES (7, ?, 'eve', 'close', 1, NULL, NULL, ?, ?)",
            (BASE_TIME + 999, last_hash, "f" * 64),
        )
    assert check(store).problems == (
        "entry 7 was changed (its hash does not match its contents)",
        "entry 7 was added outside tipline (head was seq 6)",
    )


def test_a_well_forged_entry_is_caught_by_the_head(store: Store) -> None:
    """Someone who computes the chain correctly but does not know about the head."""
    with raw(store) as conn:
        last_hash = _row(conn, 6)[8]
        digest = entry_hash(7, BASE_TIME + 999, "eve", "close", 1, None, None, last_hash)
        conn.execute(
            "INSERT INTO audit (seq, at, actor, action, report_id, before, after, prev_hash, hash)"
            " VALUES (7, ?, 'eve', 'close', 1, NULL, NULL, ?, ?)",
            (BASE_TIME + 999, last_hash, digest),
        )
    assert check(store).problems == ("entry 7 was added outside tipline (head was seq 6)",)


def test_a_replaced_newest_entry_is_caught_by_the_head(store: Store) -> None:
    with raw(store) as conn:
        seq, at, actor, action, report_id, before, _after, prev, _hash = _row(conn, 6)
        after = canonical("closed")
        digest = entry_hash(seq, at, actor, action, report_id, before, after, prev)
        conn.execute("UPDATE audit SET after = ?, hash = ? WHERE seq = 6", (after, digest))
    assert check(store).problems == (
        "entry 6 is not the entry recorded as the newest (head) entry",
    )


def test_every_problem_is_listed_not_just_the_first(store: Store) -> None:
    with raw(store) as conn:
        conn.execute("UPDATE audit SET actor = 'eve' WHERE seq = 1")
        conn.execute("DELETE FROM audit WHERE seq = 3")
        conn.execute("DELETE FROM audit WHERE seq = 6")
    assert check(store).problems == (
        "entry 1 was changed (its hash does not match its contents)",
        "entry 4 does not follow entry 2: entry 3 was deleted",
        "the newest entry was deleted (head was seq 6)",
    )


def test_a_tampered_value_that_is_not_json_still_reads(store: Store) -> None:
    with raw(store) as conn:
        conn.execute("UPDATE audit SET before = 'not json' WHERE seq = 1")
    with store.read() as conn:
        assert history(conn, 1)[0].before == "not json"


# ------------------------------------------------------------------ CLI


def test_cli_verify_exit_codes(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(store.path)
    assert main(["audit", "verify", "--db", db]) == 0
    assert capsys.readouterr().out == "audit log intact: 6 entries\n"
    with raw(store) as conn:
        conn.execute("UPDATE audit SET actor = 'eve' WHERE seq = 2")
        conn.execute("DELETE FROM audit WHERE seq = 4")
    assert main(["--db", db, "audit", "verify"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "audit log NOT intact: 2 problems in 5 entries",
        "  entry 2 was changed (its hash does not match its contents)",
        "  entry 5 does not follow entry 3: entry 4 was deleted",
    ]
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_text("not a store " * 500)
    assert main(["audit", "verify", "--db", str(garbage)]) == 2
    assert "cannot open store" in capsys.readouterr().err


def test_cli_show_lists_a_tips_history(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "show", "--db", str(store.path), "1"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        '2026-09-21 14:13:20 UTC  ben  action-1  - → "2"',
        '2026-09-21 14:15:20 UTC  ben  action-3  {"age":[8,12],"labels":["spam"]} → ["x"]',
    ]


def test_cli_show_json(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "show", "--db", str(store.path), "2", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["seq"] for e in entries] == [2, 4, 6]
    assert entries[0] == {
        "seq": 2,
        "at": BASE_TIME + 60,
        "actor": "ana",
        "action": "action-2",
        "report_id": 2,
        "before": "2",
        "after": {"labels": ["spam"], "age": [8, 12]},
    }


def test_cli_show_unknown_tip_and_a_tip_without_history(
    make_store: MakeStore, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store([simple_report(1)])
    assert main(["audit", "show", "--db", str(store.path), "1"]) == 0
    assert capsys.readouterr().out == "no audit entries for tip #1\n"
    assert main(["audit", "show", "--db", str(store.path), "42"]) == 2
    assert "no tip #42" in capsys.readouterr().err


HOSTILE_ACTOR = "[bold red]eve[/]\x1b[2J\x1b]8;;https://example.com\x07\u202eana"
HOSTILE_VALUE = {"note": "[@click=app.quit]x[/]\x9b31m\x1b[0m\u2066done"}


def test_cli_show_draws_hostile_text_inert(
    make_store: MakeStore, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store([simple_report(1)])
    with store.write() as conn:
        record(conn, actor=HOSTILE_ACTOR, action="note\x1b[1m", at=BASE_TIME, report_id=1,
               before=None, after=HOSTILE_VALUE)  # fmt: skip
    assert main(["audit", "show", "--db", str(store.path), "1"]) == 0
    out = capsys.readouterr().out
    for bad in ("\x1b", "\x9b", "\x07", "\u202e", "\u2066"):
        assert bad not in out
    assert "[bold red]eve[/]" in out and "<RLO>ana" in out  # shown as the characters they are
    assert "[@click=app.quit]" in out and "<LRI>done" in out
    assert out.count("\n") == 1

    assert main(["audit", "show", "--db", str(store.path), "1", "--json"]) == 0
    text = capsys.readouterr().out
    for bad in ("\x1b", "\x9b", "\x07", "\u202e", "\u2066"):
        assert bad not in text
    (entry,) = json.loads(text)
    assert entry["actor"] == HOSTILE_ACTOR and entry["after"] == HOSTILE_VALUE  # exact, escaped


def test_the_analyst_actions_leave_a_chain_that_verifies(
    make_store: MakeStore, capsys: pytest.CaptureFixture[str]
) -> None:
    from tipline_tui.store import actions

    store = make_store([simple_report(1), simple_report(2)])
    with store.write() as conn:
        actions.record_view(conn, 1, analyst="ana", now=BASE_TIME)
        actions.claim(conn, 1, analyst="ana", now=BASE_TIME + 5)
        actions.set_priority(conn, 1, "E", analyst="ana", now=BASE_TIME + 9)
        actions.claim(conn, 2, analyst="ben", now=BASE_TIME + 12)
    assert check(store) == AuditCheck(ok=True, entries=4, problems=())
    with store.read() as conn:
        assert [(e.actor, e.action) for e in history(conn, 1)] == [
            ("ana", "view"),
            ("ana", "claim"),
            ("ana", "priority"),
        ]
        assert [e.report_id for e in recent(conn, 2)] == [2, 1]
    assert main(["audit", "show", "--db", str(store.path), "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
