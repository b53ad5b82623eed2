"""Remapped keys in the running app, on a real store: they act, the old keys do not, help,
the footer and the palette show them, and typed as one burst they still run in order."""

from __future__ import annotations

from textual.screen import ModalScreen

from tests.conftest import queue_reports
from tests.test_tui_triage import _located_report, _tip, _with_directory
from tests.tui_helpers import SETTINGS, make_app, screen_lines, settle, type_burst
from tests.waiting import until
from tipline_tui.screens.help import HelpScreen
from tipline_tui.settings import AppSettings
from tipline_tui.sync.loop import SyncStatus
from tipline_tui.widgets.queue_table import QueueTable


def _mapped(**keys: str) -> AppSettings:
    """The test settings with a [keys] table (ids written with _ for the dots)."""
    table = {binding_id.replace("__", "."): value for binding_id, value in keys.items()}
    return SETTINGS.model_copy(update={"keys": table})


async def test_a_remapped_claim_key_claims_and_the_old_key_no_longer_does(make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(queue_reports(5))
    app = make_app(store, settings=_mapped(triage__claim="K"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tip_id = app.screen.query_one(QueueTable).cursor_row.id
        await pilot.press("c")
        await settle(pilot)
        assert _tip(store, tip_id).analysis.claimed_by is None
        await pilot.press("K")
        await settle(pilot)
        assert _tip(store, tip_id).analysis.claimed_by == "ana"


async def test_help_footer_and_palette_show_the_keys_as_mapped(make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(queue_reports(5))
    settings = _mapped(triage__claim="K", app__palette="f2", queue__conflicts="ctrl+o")
    app = make_app(store, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = screen_lines(app)[-1]
        assert "K Claim" in footer and "c Claim" not in footer
        # in the place claim has by default: right after Open
        assert footer.split()[:4] == ["⏎", "Open", "K", "Claim"]
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert commands["Claim"] == "key: K"
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = str(app.screen.query_one("#help Static").render())
        lines = [line.split() for line in shown.splitlines()]
        assert ["K", "Claim"] in lines and ["c", "Claim"] not in lines
        assert "Sync conflicts (ctrl+o)" in shown
        assert "f2 opens the command palette" in shown


async def test_the_six_key_on_call_path_runs_in_order_with_remapped_keys(make_store) -> None:  # type: ignore[no-untyped-def]
    """`J K E A enter D Y` as one terminal read, every key remapped but enter: the remapped
    bindings keep their priority, so the move counts first and the six keys act on the
    row it moved to, as `j c e a enter d y` does with the default keys."""
    store = make_store(
        [
            *queue_reports(5),
            _located_report(30, escalated=True),
            _located_report(31, escalated=True),
        ]
    )
    _with_directory(store)
    settings = _mapped(
        queue__down="down,J",
        triage__claim="K",
        triage__e="E",
        triage__assign="A",
        triage__dispatch="D",
        dispatch__yes="Y",
    )
    app = make_app(store, settings=settings, on_call=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        first = table.cursor_row.id
        await pilot.press("j")  # no longer a move
        await settle(pilot)
        assert table.cursor_row.id == first
        await pilot.press("J")
        await settle(pilot)
        second = table.cursor_row.id
        await pilot.press("k")
        await settle(pilot)
        type_burst(app, "J", "K", "E", "A", "enter", "D", "Y")
        await until(
            lambda: _tip(store, second).analysis.referrals or _tip(store, first).analysis.referrals,
            pilot=pilot,
            what="the dispatch",
        )
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ModalScreen)
    assert second != first
    assert _tip(store, first).analysis.claimed_by is None
    target = _tip(store, second)
    assert target.analysis.claimed_by == "ana" and target.analysis.priority == "E"
    assert [r.agency for r in target.analysis.referrals] == ["Ohio ICAC Task Force (DEMO)"]


async def test_dialog_key_lines_name_the_mapped_keys(make_store) -> None:  # type: ignore[no-untyped-def]
    """The priority picker, the assign and dispatch dialogs print their keys in a line of
    text, not the footer: a remapped key is what they name, never the old one."""
    store = make_store([*queue_reports(3), _located_report(30, escalated=True)])
    _with_directory(store)
    settings = _mapped(
        pick__E="x",
        assign__enter="ctrl+y",
        assign__cancel="q",
        dispatch__yes="Y",
        dispatch__cancel="n",
    )
    app = make_app(store, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        shown = "\n".join(screen_lines(app))
        assert "x  E: imminent danger" in shown and "e  E: imminent" not in shown
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert "^y  assign" in "\n".join(screen_lines(app))
        await pilot.press("ctrl+y")  # the urgent tip's suggested agency, preselected
        await settle(pilot)
        assert not isinstance(app.screen, ModalScreen)
        await pilot.press("d")
        await settle(pilot)
        shown = "\n".join(screen_lines(app))
        assert "Y  dispatch    n  cancel" in shown and "y  dispatch" not in shown


async def test_the_header_names_the_mapped_conflicts_key(make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(queue_reports(3))
    app = make_app(store, settings=_mapped(queue__conflicts="ctrl+o"))
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        app._sync_changed(SyncStatus(online=True, conflicts=2))
        await settle(pilot)
        header = screen_lines(app)[0]
        assert "2 conflicts (^o)" in header and "(C)" not in header
