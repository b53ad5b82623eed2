"""Snapshots of every screen and dialog at the smallest supported size (80x24), some also roomy."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.conftest import queue_reports
from tests.factories import BASE_TIME, full_report, simple_report
from tests.tui_helpers import make_app
from tests.waiting import idle
from tipline_tui.demo.generator import demo_agencies
from tipline_tui.store import actions, intake, sync_state
from tipline_tui.store.directory import write_agencies

SIZES = [(80, 24), (120, 40)]
# the queue's header, footer and columns fit themselves to the width: also the narrowest
QUEUE_SIZES = [*SIZES, (60, 20)]


def _store(make_store):
    reports = queue_reports(40)
    reports.insert(0, full_report())
    return make_store(reports)


@pytest.mark.parametrize("size", QUEUE_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_queue_screen(snap_compare, make_store, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await idle(pilot)
        await pilot.press("j", "j")
        await idle(pilot)

    app = make_app(_store(make_store), demo=True)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_report_screen(snap_compare, make_store, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await idle(pilot)
        await pilot.press("enter")
        await idle(pilot)

    app = make_app(_store(make_store))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_report_people_pane(snap_compare, make_store) -> None:
    async def run_before(pilot: Pilot) -> None:
        await idle(pilot)
        await pilot.press("enter")
        await idle(pilot)
        await pilot.press("2")
        await idle(pilot)

    app = make_app(_store(make_store))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# ------------------------------------------------------------------ every screen and dialog
#
# Each is reached by the keys an analyst presses, one group at a time with the app settled
# after each, on a store of generated tips (with an agency directory) under the fixed clock.
# There are no toasts (as in run_test) and text cursors stop blinking: a toast's 3 s timeout
# and a blink's half second would otherwise decide what the picture shows.


def _dialog_store(make_store):  # type: ignore[no-untyped-def]
    reports = queue_reports(40)
    # an earlier tip on the full report's reported person: the Related pane has one
    reports.append(simple_report(60, screen_name="dark_wolf_77", email="dark.wolf@example.com"))
    reports.insert(0, full_report())
    store = make_store(reports)
    with store.write() as conn:
        write_agencies(conn, demo_agencies(["GB", "JP"]))
    return store


def _keys(*groups: Sequence[str]) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        await idle(pilot)
        for keys in groups:
            await pilot.press(*keys)
            await idle(pilot)
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        await idle(pilot)

    return run_before


def _snap(  # type: ignore[no-untyped-def]
    snap_compare, store, *groups: Sequence[str], size: tuple[int, int] = (80, 24)
) -> bool:
    app = make_app(store)
    app._disable_notifications = app._disable_tooltips = True  # run_test's defaults
    return bool(snap_compare(app, terminal_size=size, run_before=_keys(*groups)))


# the tip with every part of the schema filled in, found by search and opened
OPEN = (["slash", *"chatterbox", "enter"], ["enter"])


def test_on_call_queue(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), ["O"])


def test_empty_queue_says_how_to_get_data(snap_compare, make_store) -> None:
    assert _snap(snap_compare, make_store([]))


def test_empty_queue_at_60_columns(snap_compare, make_store) -> None:
    assert _snap(snap_compare, make_store([]), size=(60, 20))


@pytest.mark.parametrize(
    "key",
    ["3", "4", "5", "6", "7", "8"],
    ids=["internet", "files", "law", "analysis", "related", "history"],
)
def test_report_pane(snap_compare, make_store, key: str) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, [key])


def test_priority_picker(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, ["P"])


def test_labels_prompt(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, ["L"], list("sextortion"))


def test_labels_prompt_refuses_a_bad_tag(snap_compare, make_store) -> None:
    typed = [*"sextortion bad!tag", "enter"]
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, ["L"], typed)


def test_victim_age_prompt(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, ["v"], list("13-15"))


def test_note_prompt(snap_compare, make_store) -> None:
    typed = list("Synthetic note: [b]kept as written[/b]")
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, ["N"], typed)


def test_assign_dialog(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, ["a"])


# the full report's signals conflict, so nothing is preselected: the analyst chooses (down)
CHOOSE = (["a"], ["down"], ["enter"])


def test_dispatch_confirm(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, *CHOOSE, ["d"])


def test_dispatch_without_a_jurisdiction(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, ["d"])


def test_dispatch_a_second_referral(snap_compare, make_store) -> None:
    groups = (*OPEN, *CHOOSE, ["d"], ["y"], ["d"])
    assert _snap(snap_compare, _dialog_store(make_store), *groups)


def test_help(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), ["question_mark"])


def test_command_palette(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), ["ctrl+p"])


def test_quarantine(snap_compare, make_store) -> None:
    store = _dialog_store(make_store)
    with store.write() as conn:
        for n, (name, problems) in enumerate(QUARANTINED):
            content = f"<report>synthetic bad document {n}</report>".encode()
            digest = hashlib.sha256(content).hexdigest()
            intake.quarantine(conn, name, content, digest, problems, now=BASE_TIME - 3600 * n)
    assert _snap(snap_compare, store, ["Q"])  # the first one's detail shows at once


QUARANTINED = [
    ("wrong_root.xml", ["root element is <report>, expected <reportCollection>"]),
    ("no_incident.xml", ["incidentSummary is missing", "[bold]not markup[/bold] in a field"]),
]


def test_conflicts(snap_compare, make_store) -> None:
    store = _dialog_store(make_store)
    with store.write() as conn:
        actions.set_priority(conn, 2, "3", analyst="ana", now=BASE_TIME)
        actions.add_note(conn, 3, "Synthetic note", analyst="ana", now=BASE_TIME + 60)
        ids = [a for (a,) in conn.exec_driver_sql("SELECT action_id FROM outbox ORDER BY id")]
        answers = [
            {"action_id": ids[0], "outcome": "conflict", "current": {"priority": "1"}},
            {"action_id": ids[1], "outcome": "rejected", "reason": "tip closed on the hub"},
        ]
        sync_state.record_answers(conn, answers, now=BASE_TIME + 120)
    assert _snap(snap_compare, store, ["C"])


def test_conflicts_when_there_are_none(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), ["C"])


# ------------------------------------------------------------------ safety (issue 13: 9, 10, 14)


def test_assign_dialog_keeps_its_key_line_at_60x20(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), *OPEN, ["a"], size=(60, 20))


def test_assign_dialog_when_no_jurisdiction_is_found(snap_compare, make_store) -> None:
    """Nothing preselected, the reason said; enter alone has just been refused."""
    store = _dialog_store(make_store)
    assert _snap(snap_compare, store, ["a"], ["enter"])


def test_closing_an_urgent_tip_asks(snap_compare, make_store) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), ["x"])


# ------------------------------------------------------------------ the smallest terminal

# every screen and dialog again at 60x20, reached by the same keys (the queue, the empty
# queue and the assign dialog are above)
AT_60X20: dict[str, tuple[Sequence[str], ...]] = {
    "report": OPEN,
    "people": (*OPEN, ["2"]),
    "related": (*OPEN, ["7"]),
    "history": (*OPEN, ["8"]),
    "priority_picker": (*OPEN, ["P"]),
    "labels_prompt": (*OPEN, ["L"], list("sextortion")),
    "victim_age_prompt": (*OPEN, ["v"], list("13-15")),
    "note_prompt": (*OPEN, ["N"], list("Synthetic note")),
    "dispatch_confirm": (*OPEN, *CHOOSE, ["d"]),
    "dispatch_without_a_jurisdiction": (*OPEN, ["d"]),
    "help": (["question_mark"],),
    "command_palette": (["ctrl+p"],),
    "on_call": (["O"],),
    "conflicts": (["C"],),
    "close_asks": (["x"],),
}


@pytest.mark.parametrize("name", list(AT_60X20))
def test_every_screen_at_60x20(snap_compare, make_store, name: str) -> None:
    assert _snap(snap_compare, _dialog_store(make_store), *AT_60X20[name], size=(60, 20))
