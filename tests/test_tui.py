from __future__ import annotations

import asyncio

from tests.conftest import queue_reports
from tests.factories import full_report, simple_report
from tests.tui_helpers import make_app, settle, static_text, table_lines
from tests.waiting import until
from tipline_tui.screens.help import HelpScreen
from tipline_tui.screens.queue import QueueScreen
from tipline_tui.screens.report import ReportScreen
from tipline_tui.widgets.queue_table import QueueTable


async def test_queue_shows_urgent_first_and_moves_with_keys(make_store) -> None:
    app = make_app(make_store(queue_reports(60)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = table_lines(app)
        assert "id" in lines[0] and "jurisdiction" in lines[0]
        assert lines[1].startswith(">") and "!!" in lines[1]  # an escalated tip, marked in text
        assert "!!" in lines[2] and "!!" in lines[3] and "!!" not in lines[4]
        assert static_text(app, "#queue-position") == "1/60"
        assert "60 tips" in static_text(app, "#queue-counts")
        assert "3 urgent" in static_text(app, "#queue-counts")
        await pilot.press("j", "down", "down")
        await settle(pilot)
        assert table_lines(app)[4].startswith(">")
        assert static_text(app, "#queue-position") == "4/60"
        await pilot.press("k")
        assert table_lines(app)[3].startswith(">")


async def test_paging_and_jumping_across_fetched_windows(make_store) -> None:
    app = make_app(make_store(queue_reports(1000)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        assert static_text(app, "#queue-position") == "1,000/1,000"
        assert table.cursor_row is not None
        last_id = table.cursor_row.id
        await pilot.press("up", "pageup", "pageup")
        await settle(pilot)
        assert static_text(app, "#queue-position") == f"{1000 - 1 - 2 * 21:,}/1,000"
        await pilot.press("g")
        await settle(pilot)
        assert static_text(app, "#queue-position") == "1/1,000"
        for _ in range(12):
            await pilot.press("pagedown")
        await settle(pilot)
        assert static_text(app, "#queue-position") == f"{1 + 12 * 21:,}/1,000"
        visited = set()
        for _ in range(40):  # walk down through a window boundary row by row
            await pilot.press("j")
            await settle(pilot)
            visited.add(table.cursor_row.id)
        assert len(visited) == 40 and last_id not in visited


async def test_a_page_move_repaints_every_row_it_changes(make_store) -> None:
    """PageDown/PageUp show other rows: the whole table is repainted, not just two lines
    (a terminal that is sent two lines keeps the rest of the last page on screen)."""
    app = make_app(make_store(queue_reports(200)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        for key in ("pagedown", "pageup"):
            asked: list[tuple[object, ...]] = []
            repaint = table.refresh

            def record(*regions, _asked=asked, _repaint=repaint, **kw):
                _asked.append(regions)
                return _repaint(*regions, **kw)

            table.refresh = record
            await pilot.press(key)
            table.refresh = repaint
            assert () in asked, f"{key} repainted only {asked}"  # a call with no region: all
            await settle(pilot)


async def test_a_cursor_move_during_a_reload_is_kept(make_store) -> None:
    """A reload keeps the cursor's row; a key moved it while the reload was on its way
    (a dispatch's reload, then j typed at once): the reload follows the move."""
    app = make_app(make_store(queue_reports(60)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        gate = asyncio.Event()
        real_around = app.queue.around

        async def slow_around(*args, **kw):
            await gate.wait()  # a busy store
            return await real_around(*args, **kw)

        app.queue.around = slow_around  # type: ignore[method-assign]
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        screen.reload(keep_cursor=True)  # keeps row 1...
        await pilot.press("j")  # ...but the analyst moved on before it came back
        gate.set()
        await settle(pilot)
        assert static_text(app, "#queue-position") == "2/60"
        assert table_lines(app)[2].startswith(">")


async def test_the_queue_draws_under_no_color(make_store, monkeypatch) -> None:
    """NO_COLOR turns on Textual's monochrome filter, which reads every segment's style."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(make_store(queue_reports(5)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        screen = app.export_screenshot()  # renders every line through the filters
        assert "jurisdiction" in screen and "1/5" in screen


async def test_open_tip_read_every_pane_and_come_back(make_store) -> None:
    reports = queue_reports(5)
    reports.insert(0, full_report())
    app = make_app(make_store(reports))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert table_lines(app)[1].split()[1] == "1"  # the escalated full report is first
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        summary = static_text(app, "#text-summary")
        assert "ESP ESCALATED" in summary and "stated plan to meet" in summary
        assert "Online Enticement of Children for Sexual Acts" in summary
        await pilot.press("2")
        people = static_text(app, "#text-people")
        assert "dark_wolf_77" in people and "(212) 555-0147" in people
        assert "192.0.2.44 port 443" in people and "Albany, NY, US" in people
        assert "dw_alt" in people and "Victim 1" in people
        internet = static_text(app, "#text-internet")
        for title in (
            "Web page",
            "Email",
            "Newsgroup",
            "Chat / IM",
            "Online gaming",
            "Cell phone",
            "Non-internet",
            "Peer-to-peer",
        ):
            assert title in internet
        files = static_text(app, "#text-files")
        assert "d41d8cd98f00b204e9800998ecf8427e" in files and "never holds" in files
        law = static_text(app, "#text-law")
        assert "yes, from country GB" in law
        assert "not assigned" in static_text(app, "#text-analysis")
        await pilot.press("right", "right")
        assert app.screen.query_one("TabbedContent").active == "pane-files"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert table_lines(app)[1].startswith(">")


async def test_hostile_report_text_is_shown_literally_and_runs_nothing(make_store) -> None:
    hostile = simple_report(
        1, escalated=True, platform="[@click=app.quit]x[/] \x1b[2J\x1b]0;pwn\x07 \u202eevil"
    )
    hostile.escalate_to_high_priority = "[bold]urgent[/bold] [link=https://example.com]l[/link]"
    app = make_app(make_store([hostile]))
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        row = table_lines(app)[1]
        assert "[@click=app.quit]x[/]" in row and "<RLO>" in row
        assert "\x1b" not in row and "\x07" not in row and "\u202e" not in row
        await pilot.click(QueueTable, offset=(40, 1))
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, ReportScreen)
        summary = static_text(app, "#text-summary")
        assert "[bold]urgent[/bold] [link=https://example.com]l[/link]" in summary
        assert "[@click=app.quit]x[/]" in summary and "\x1b" not in summary


async def test_search_filter_and_sort_keys(make_store) -> None:
    reports = queue_reports(30)
    reports[4].persons[0].screen_name = "Dark_Wolf_77"
    app = make_app(make_store(reports))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "w", "o", "l", "f")
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await until(lambda: screen.filt.search == "wolf", pilot=pilot, what="the search to apply")
        await settle(pilot)
        assert static_text(app, "#queue-position") == "1/1"
        assert table_lines(app)[1].split()[1] == "5"
        assert "/wolf" in static_text(app, "#queue-counts")
        await pilot.press("escape")
        await settle(pilot)
        assert static_text(app, "#queue-position").endswith("/30")  # still on tip 5
        assert app.screen.query_one(QueueTable).cursor_row.id == 5
        await pilot.press("s")
        await settle(pilot)
        assert "oldest first" in static_text(app, "#queue-counts")
        await pilot.press("g")
        await settle(pilot)
        assert table_lines(app)[1].split()[1] == "30"  # the oldest tip
        await pilot.press("u")
        await settle(pilot)
        assert static_text(app, "#queue-position").endswith("/2")
        await pilot.press("u", "f")
        await settle(pilot)
        assert "new" in static_text(app, "#queue-counts")
        await pilot.press("p")
        await settle(pilot)
        assert "pri E" in static_text(app, "#queue-counts")
        assert "No tips match this filter." in table_lines(app)[1]


async def test_help_lists_every_key_and_palette_offers_commands(make_store) -> None:
    app = make_app(make_store(queue_reports(3)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help Static").render())
        for expected in (
            "Search",
            "Sort",
            "Priority",
            "Urgent",
            "PgDn",
            "Next pane",
            "Summary pane",
            "Quit",
            "/",
            "G",
        ):
            assert expected in text
        await pilot.press("escape")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Search", "Sort", "Urgent", "Open", "Help"} <= set(commands)


async def test_empty_store_says_how_to_get_data(make_store) -> None:
    app = make_app(make_store([]), demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "No tips in this store yet" in table_lines(app)[1]
        assert "tipline demo" in table_lines(app)[2]
        assert "DEMO" in static_text(app, "#queue-counts")
        await pilot.press("enter", "j", "G")
        assert isinstance(app.screen, QueueScreen)
