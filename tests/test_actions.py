"""Analyst actions against a real store: applied, queued for sync and audited together."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest

from tests.factories import BASE_TIME, simple_report
from tipline_tui.domain.agency import Agency
from tipline_tui.domain.report import Report
from tipline_tui.domain.triage import TimeLimits, TriageError, clock_text, parse_age_range
from tipline_tui.domain.views import QueueFilter, QueueSort
from tipline_tui.store import Store, actions
from tipline_tui.store.directory import write_agencies
from tipline_tui.store.queue import fetch_window
from tipline_tui.store.tip_load import load_tip

NOW = BASE_TIME + 3600
MakeStore = Callable[[Sequence[Report]], Store]


@pytest.fixture
def store(make_store: MakeStore) -> Store:
    store = make_store([simple_report(n, escalated=n == 2) for n in range(5)])
    with store.write() as conn:
        write_agencies(
            conn,
            [
                Agency(kind="icac", name="Example ICAC Task Force (DEMO)", state="CA"),
                Agency(kind="international", name="Example Partner (DEMO)", country="GB"),
            ],
        )
    return store


def _outbox(store: Store) -> list[tuple]:  # type: ignore[type-arg]
    with store.read() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT kind, report_id, base_version, payload, analyst, state FROM outbox "
                "ORDER BY id"
            )
        ]


def _audit(store: Store) -> list[tuple]:  # type: ignore[type-arg]
    with store.read() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT actor, action, report_id, before, after FROM audit ORDER BY seq"
            )
        ]


def test_claim_is_applied_queued_and_audited_in_one_go(store: Store) -> None:
    with store.write() as conn:
        result = actions.claim(conn, 1, analyst="ana", now=NOW)
    assert result.version == 2
    with store.read() as conn:
        tip = load_tip(conn, 1)
    assert tip is not None
    assert (tip.analysis.claimed_by, tip.analysis.status, tip.analysis.version) == (
        "ana",
        "claimed",
        2,
    )
    assert _outbox(store) == [("claim", 1, 1, "{}", "ana", "pending")]
    actor, action, report_id, before, after = _audit(store)[0]
    assert (actor, action, report_id) == ("ana", "claim", 1)
    assert json.loads(before) == {"claimed_by": None, "status": "new"}
    assert json.loads(after) == {"claimed_by": "ana", "status": "claimed"}


def test_a_tip_claimed_by_someone_else_is_refused_and_nothing_is_written(store: Store) -> None:
    with store.write() as conn:
        actions.claim(conn, 1, analyst="ana", now=NOW)
    with pytest.raises(actions.ActionError, match="claimed by ana"), store.write() as conn:
        actions.claim(conn, 1, analyst="bob", now=NOW)
    with pytest.raises(actions.ActionError, match="claimed by ana, not you"), store.write() as conn:
        actions.release(conn, 1, analyst="bob", now=NOW)
    assert len(_outbox(store)) == 1 and len(_audit(store)) == 1


def test_a_failure_mid_action_leaves_tip_outbox_and_audit_untouched(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as conn:
        actions.set_priority(conn, 1, "E", analyst="ana", now=NOW)
        raise RuntimeError("crash after the write, before commit")
    with store.read() as conn:
        tip = load_tip(conn, 1)
    assert tip is not None and tip.analysis.priority is None
    assert _outbox(store) == [] and _audit(store) == []


def test_priority_moves_the_tip_in_the_queue_and_info_only_is_its_own_action(
    store: Store,
) -> None:
    with store.write() as conn:
        actions.set_priority(conn, 5, "E", analyst="ana", now=NOW)
        actions.set_priority(conn, 4, "info", analyst="ana", now=NOW)
        rows = fetch_window(conn, QueueSort.URGENCY, QueueFilter(), limit=10)
    assert {r.id for r in rows[:2]} == {3, 5}  # escalated, and newly E
    assert rows[-1].id == 4
    with store.write() as conn:  # the analyst's judgement outranks the ESP's escalation
        actions.set_priority(conn, 3, "2", analyst="ana", now=NOW)
        rows = fetch_window(conn, QueueSort.URGENCY, QueueFilter(), limit=10)
    assert rows[0].id == 5
    assert [k for k, *_ in _outbox(store)] == ["priority", "info_only", "priority"]
    with pytest.raises(TriageError, match="E, 1, 2, 3 or info"), store.write() as conn:
        actions.set_priority(conn, 1, "urgent", analyst="ana", now=NOW)


def test_labels_age_and_notes(store: Store) -> None:
    with store.write() as conn:
        actions.set_labels(
            conn, 1, ["Sextortion", "#viral-batch-7", "apparent-csam"], analyst="a", now=NOW
        )
        actions.set_victim_age(conn, 1, *parse_age_range("13-15"), analyst="a", now=NOW)
        note = actions.add_note(conn, 1, "  spoke to the ESP  ", analyst="a", now=NOW)
        tip = load_tip(conn, 1)
    assert tip is not None
    assert tip.analysis.labels == ["apparent-csam", "sextortion", "viral-batch-7"]
    assert (tip.analysis.victim_age_min, tip.analysis.victim_age_max) == (13, 15)
    assert [(n.author, n.body) for n in tip.analysis.notes] == [("a", "spoke to the ESP")]
    assert note.version == tip.analysis.version == 3  # a note does not bump the version
    kinds = [(k, base) for k, _, base, *_ in _outbox(store)]
    assert kinds == [("labels", 1), ("victim_age", 2), ("note", None)]
    for bad in ("bad tag!", "x" * 40):
        with pytest.raises(TriageError, match="free tag"), store.write() as conn:
            actions.set_labels(conn, 1, [bad], analyst="a", now=NOW)
    for bad in ("15-13", "thirteen", "40"):
        with pytest.raises(TriageError):
            parse_age_range(bad)
    with pytest.raises(TriageError, match="needs some text"), store.write() as conn:
        actions.add_note(conn, 1, "   ", analyst="a", now=NOW)


def test_close_reopen_returns_to_the_furthest_status(store: Store) -> None:
    with store.write() as conn:
        actions.claim(conn, 1, analyst="a", now=NOW)
        actions.assign(conn, 1, 1, analyst="a", now=NOW)
        actions.close(conn, 1, analyst="a", now=NOW)
        with pytest.raises(actions.ActionError, match="closed; reopen"):
            actions.set_priority(conn, 1, "2", analyst="a", now=NOW)
        actions.reopen(conn, 1, analyst="a", now=NOW)
        tip = load_tip(conn, 1)
    assert tip is not None and tip.analysis.status == "assigned"


def test_dispatch_queues_a_referral_and_refuses_the_same_agency_twice_unless_confirmed(
    store: Store,
) -> None:
    contents = {"related": [2, 3], "files": 0}
    with store.write() as conn:
        actions.assign(conn, 1, 1, analyst="a", now=NOW)
        actions.dispatch(conn, 1, 1, analyst="a", now=NOW, contents=contents)
    with pytest.raises(actions.ActionError, match="already referred"), store.write() as conn:
        actions.dispatch(conn, 1, 1, analyst="a", now=NOW, contents=contents)
    with store.write() as conn:
        actions.dispatch(conn, 1, 1, analyst="a", now=NOW + 1, contents=contents, again=True)
        actions.dispatch(conn, 1, 2, analyst="a", now=NOW + 2, contents=contents)
        tip = load_tip(conn, 1)
        assert actions.pending_count(conn) == 4  # assign and three dispatches
    assert tip is not None and tip.analysis.status == "referred"
    assert [(r.agency, r.status, r.created_by) for r in tip.analysis.referrals] == [
        ("Example ICAC Task Force (DEMO)", "queued", "a"),
        ("Example ICAC Task Force (DEMO)", "queued", "a"),
        ("Example Partner (DEMO)", "queued", "a"),
    ]
    payload = json.loads(_outbox(store)[1][3])
    assert payload["agency_id"] == 1 and payload["contents"] == contents


def test_bulk_applies_to_each_and_reports_each_refusal(store: Store) -> None:
    with store.write() as conn:
        actions.close(conn, 3, analyst="a", now=NOW)
    with store.write() as conn:
        done, refused = actions.bulk(conn, [1, 2, 3], "priority", "3", analyst="a", now=NOW)
        labelled, _ = actions.bulk(conn, [1, 2], "labels", ["viral-meme"], analyst="a", now=NOW)
        closed, _ = actions.bulk(conn, [1, 2], "close", analyst="a", now=NOW)
    assert [r.report_id for r in done] == [1, 2]
    assert refused == ["#3: tip #3 is closed; reopen it before you change its priority"]
    assert len(labelled) == len(closed) == 2


def test_on_call_filter_shows_urgent_and_overdue_only(store: Store) -> None:
    limits = TimeLimits()
    with store.write() as conn:
        actions.set_priority(conn, 1, "1", analyst="a", now=NOW)
        actions.set_priority(conn, 2, "3", analyst="a", now=NOW)
        # tip 1 (priority 1) is more than a day old at `later`; tip 2 (priority 3) is not late
        later = BASE_TIME + 2 * 86400
        filt = QueueFilter(on_call=tuple(limits.cutoffs(later).items()))
        ids = [r.id for r in fetch_window(conn, QueueSort.URGENCY, filt, limit=10)]
    assert 3 in ids and 1 in ids and 2 not in ids  # 3 is ESP-escalated


def test_clock_text_says_late_in_words() -> None:
    limits = TimeLimits()
    deadline = limits.deadline(0, "E", False)
    assert clock_text(0, deadline) == "1h"
    assert clock_text(3600 + 7200, deadline) == "LATE 2h"
    assert limits.deadline(0, None, True) == 3600  # escalated counts as E until judged
    assert limits.deadline(0, "info", False) is None
