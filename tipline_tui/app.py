"""The Textual application: screens, global keys, the command palette.

Quick to start (issue 13): the app is made on the store alone and paints the queue's
first page from a bare sqlite3 read; only then does it load the rest of itself
(`Rest`: the service and its SQLAlchemy engine, the hub's sync, on-call alerts), and
the other screens are imported when first opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import constants, events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.driver import Driver
from textual.filter import LineFilter, Monochrome, NoColor
from textual.screen import Screen

from tipline_tui.config import default_log_path
from tipline_tui.domain.oncall import AlertClock, alert_words, desktop_words
from tipline_tui.domain.triage import TimeLimits, TriageError
from tipline_tui.failure_log import FailureLog
from tipline_tui.screens.queue import QueueScreen
from tipline_tui.screens.triage import TRIAGE_BINDINGS
from tipline_tui.session import AppSession, SessionNode, SyncChanged, WorkFailed
from tipline_tui.settings_file import DEFAULT_REALERT, SettingsError
from tipline_tui.store.engine import Store
from tipline_tui.store.problems import describe_failure
from tipline_tui.store.queue_reads import QueueReads
from tipline_tui.widgets.alerts import notification_escapes
from tipline_tui.widgets.frugal import (
    FrameWatcher,
    TerseStyles,
    quiet_focus_repaint,
    screen_memory_driver,
)

if TYPE_CHECKING:  # SQLAlchemy, the sync client: loaded after the queue's first paint
    from tipline_tui.store.actions import ActionResult
    from tipline_tui.store.service import TipService
    from tipline_tui.sync.loop import SyncLoop, SyncStatus

_NO_COLOR = NoColor()


@dataclass
class Rest:
    """What the app runs on beyond the queue's first page: the store's service (and its
    SQLAlchemy engine), the hub's sync loop, the demo's feed, how on-call alerts ring.
    Given made, or as a function the app calls once the first page shows (issue 13)."""

    service: TipService
    sync: SyncLoop | None = None
    feed: Any = None  # the demo's tip feed: anything with `async run_forever()`
    realert_seconds: float = DEFAULT_REALERT
    desktop_notify: bool = True
    in_tmux: bool = False  # notifications go through tmux's passthrough


def _without_triage(bindings: list[BindingType]) -> list[BindingType]:
    return [b for b in bindings if b not in TRIAGE_BINDINGS]


class TiplineApp(SessionNode, App[None]):
    """The analyst's app; it is the `AppSession` its screens use."""

    CSS_PATH = "app.tcss"
    is_tipline_session = True  # what SessionNode checks (session.py)
    TITLE = "tipline"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, id="app.palette"),
    ]

    def __init__(
        self,
        service: TipService | None = None,
        *,
        store: Store | None = None,
        rest: Rest | Callable[[], Rest] | None = None,
        demo: bool = False,
        exercise: str | None = None,
        clock: Callable[[], float] = time.time,
        analyst: str | None = None,
        time_limits: TimeLimits | None = None,
        on_call: bool = False,
        hub_url: str | None = None,
        urgent_poll_seconds: float = 5.0,
        realert_seconds: float = DEFAULT_REALERT,
        desktop_notify: bool = True,
        in_tmux: bool = False,
        sync: SyncLoop | None = None,
        feed: Any = None,
        log_path: Path | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        """On a `service` with all it runs on (tests); or on a `store` with the `Rest`,
        or with a function making it once the queue's first page has shown."""
        super().__init__()
        self._frugal_terminal(keymap)
        if service is not None:
            store, rest = service.store, None
        assert store is not None and (service is not None or rest is not None)
        self.store = store
        self.queue = QueueReads(store)
        self.demo = demo
        self.exercise = exercise  # a training exercise's scenario: no hub, nothing is sent
        self.clock = clock
        self.analyst = analyst or getpass.getuser()
        self.time_limits = time_limits or TimeLimits()
        self.on_call = on_call
        self.hub_url = hub_url
        self.urgent_poll_seconds = urgent_poll_seconds
        self._held_keys: list[tuple[str, str | None]] | None = None
        self.sync: SyncLoop | None = None
        self.feed: Any = None
        self._alerts = AlertClock(DEFAULT_REALERT)
        self.desktop_notify = True
        self.in_tmux = False
        self.sync_status: SyncStatus | None = None
        self.failure_log = FailureLog(log_path or default_log_path())
        self._rest: Rest | None = None
        self._make_rest = None if isinstance(rest, Rest) else rest
        self._rest_loaded, self._rest_wanted = asyncio.Event(), False
        self._making: Future[Rest] | None = None  # the rest, being made in a thread
        self.settings_error: SettingsError | None = None  # the full settings refused after all
        if service is not None:
            rest = Rest(service, sync, feed, realert_seconds, desktop_notify, in_tmux)
        if isinstance(rest, Rest):
            self._take(rest)
        if demo:
            self.sub_title = "DEMO"
        elif exercise:
            self.sub_title = "EXERCISE"

    def _frugal_terminal(self, keymap: Mapping[str, str] | None) -> None:
        self.keymap = dict(keymap or {})  # checked whole before the app is made (keymap.py)
        if self.keymap:
            self.set_keymap(self.keymap)
        # the terminal's own colours and no animations: a fraction of the bytes over SSH
        self.theme = "ansi-dark"
        self.animation_level = "none"
        self._terse_styles = TerseStyles()
        quiet_focus_repaint()

    # ------------------------------------------------------- after the first paint

    def _take(self, rest: Rest) -> None:
        self._rest = rest
        self.queue.use_engine()
        self._alerts = AlertClock(rest.realert_seconds)
        self.desktop_notify = rest.desktop_notify
        self.in_tmux = rest.in_tmux
        self.sync, self.feed = rest.sync, rest.feed
        if self.sync is not None:
            self.sync.on_status = self._sync_changed
        self._rest_loaded.set()

    @property
    def service(self) -> TipService:
        """The store's service; if a key needs it before the rest has loaded, the key waits
        for it (made now, or by the thread already making it)."""
        if self._rest is None:
            self._take_made_rest(self._making or self._make_now())
        assert self._rest is not None, "the app is exiting: its settings were refused"
        return self._rest.service

    async def loaded_service(self) -> TipService:
        await self._rest_loaded.wait()
        return self.service

    def queue_shown(self) -> None:
        """The queue's first rows are drawn: load the rest once they are on the terminal.
        Textual holds back frames drawn while it starts (a batch), so a refresh is not
        enough: the terminal driver says when a frame has been written (frugal.py)."""
        if self._rest is not None or self._rest_wanted:
            return
        self._rest_wanted = True
        driver = self._driver
        if isinstance(driver, FrameWatcher) and not self.is_headless:
            driver.after_next_frame(lambda: self.call_later(self._load_rest))
            self.set_timer(2.0, self._load_rest)  # should no frame come
        else:
            self.call_after_refresh(self._load_rest)

    def _load_rest(self) -> None:
        """Make the rest (imports: SQLAlchemy, pydantic, the sync client) in a thread, so the
        queue answers keys meanwhile; take it here, in the app's thread, once made."""
        if self._rest is not None or self._making is not None:
            return
        made: Future[Rest] = Future()
        loop = asyncio.get_running_loop()

        def make() -> None:
            try:
                made.set_result(self._make_rest_now())
            except BaseException as error:  # raised again in the app's thread
                made.set_exception(error)
            with contextlib.suppress(RuntimeError):  # the app has ended meanwhile
                loop.call_soon_threadsafe(self._take_made_rest, made)

        self._making = made
        threading.Thread(target=make, name="tipline-rest", daemon=True).start()

    def _make_now(self) -> Future[Rest]:
        made: Future[Rest] = Future()
        try:
            made.set_result(self._make_rest_now())
        except SettingsError as error:
            made.set_exception(error)
        return made

    def _make_rest_now(self) -> Rest:
        assert self._make_rest is not None
        return self._make_rest()

    def _take_made_rest(self, made: Future[Rest]) -> None:
        """Take the rest `made` (once) and start what runs on it; refused settings end the
        app, said in one line once the terminal is back (cli/run.py)."""
        if self._rest is not None or self.settings_error is not None:
            return
        try:
            rest = made.result()  # waits if the thread is still making it
        except SettingsError as error:
            self.settings_error = error
            self.exit(return_code=2)
            return
        self._take(rest)
        if self.is_running:
            self._start_rest()

    def _start_rest(self) -> None:
        self.watch_urgent()
        self.set_interval(self.urgent_poll_seconds, self.watch_urgent)
        if self.sync is not None:
            self.run_worker(
                self.sync.run_forever(), group="sync", description="Sync", exit_on_error=False
            )
        if self.feed is not None:
            self.run_worker(
                self.feed.run_forever(),
                group="sync",
                description="The demo's tip feed",
                exit_on_error=False,
            )

    @property
    def log_path(self) -> Path:
        """Where worker failures and sync errors are written, with their tracebacks."""
        return self.failure_log.path

    def get_driver_class(self) -> type[Driver]:
        """Textual's terminal driver, writing only the cells a frame changes."""
        driver = super().get_driver_class()
        if constants.DRIVER is None and driver.__name__ == "LinuxDriver":
            return screen_memory_driver(driver)
        return driver

    def get_line_filters(self) -> Sequence[LineFilter]:
        # NO_COLOR means no colour: Textual's greyscale (Monochrome) comes out on a
        # 16-colour terminal as black on black, so every colour goes to the terminal's own
        filters = [
            _NO_COLOR if isinstance(line_filter, Monochrome) else line_filter
            for line_filter in super().get_line_filters()
        ]
        return [*filters, self._terse_styles]

    def on_mount(self) -> None:
        self.failure_log.install()
        self.push_screen(QueueScreen(demo=self.demo, on_call=self.on_call))
        if self._rest is not None:
            self._start_rest()

    def _sync_changed(self, status: SyncStatus) -> None:
        """The badge follows the sync state; pulled changes show at once, after the bell."""
        before = self.sync_status
        self.sync_status = status
        if before is None or status.pulled_total != before.pulled_total:
            self._news_pulled(status)
        else:
            self._tell_screens(status, pulled=False)

    @work(group="sync-news", description="Showing what the hub sent", exit_on_error=False)
    async def _news_pulled(self, status: SyncStatus) -> None:
        """An urgent tip rings before the screens reload: their queries and repaints would
        otherwise come first and hold the bell back by tenths of a second."""
        try:
            await self._look_for_urgent()
        finally:
            self._tell_screens(status, pulled=True)

    def _tell_screens(self, status: SyncStatus, *, pulled: bool) -> None:
        latest = self.sync_status or status  # a later state may have come meanwhile
        for screen in self.screen_stack:
            screen.post_message(SyncChanged(latest, pulled))

    def poke_sync(self) -> None:
        if self.sync is not None:
            self.sync.poke()

    @on(WorkFailed)
    def _work_failed(self, message: WorkFailed) -> None:
        """Every failed worker, from any screen: a notification in words, the traceback logged."""
        worker, error = message.worker, message.worker.error
        if error is None:
            return
        self.queue_shown()  # the first page failed: what follows it must load all the same
        what = worker.description or worker.name or worker.group
        self.failure_log.error(what, error)
        # a store that cannot be written is named in words: no SQL, no report values
        words = describe_failure(error, self.store.path.name)
        self.notify(
            f"{what} failed: {words or f'{type(error).__name__}: {error}'}\n"
            f"Details in {self.log_path}",
            title="Something failed",
            severity="error",
            timeout=15,
            markup=False,
        )

    # ---------------------------------------------------------- typed-ahead keys

    def hold_keys(self) -> None:
        """Keep every key from now on until `release_keys`.

        A prompt that must load before it can act (the assign list) holds
        the keys typed while it loads, so `a enter d y` typed in one breath
        means the same as typed slowly: nothing reaches a screen too early.
        """
        if self._held_keys is None:  # already holding: keep what is held, in order
            self._held_keys = []

    def release_keys(self) -> None:
        held, self._held_keys = self._held_keys, None
        for key, character in held or []:
            self.post_message(events.Key(key, character))

    async def on_event(self, event: events.Event) -> None:
        held = getattr(self, "_held_keys", None)
        # a key forwarded to a screen before holding began comes back here unhandled on its
        # way to the bindings: it was typed ahead too, so it is held with the rest, in order
        if held is not None and isinstance(event, events.Key):
            held.append((event.key, event.character))
            return
        await super().on_event(event)

    def now(self) -> int:
        return int(self.clock())

    async def perform(
        self, action: Callable[..., ActionResult], *args: Any, **kw: Any
    ) -> ActionResult | None:
        """Run an analyst action as this analyst, now; say what happened or why not."""
        try:
            result = await self.service.act(
                action, *args, analyst=self.analyst, now=self.now(), **kw
            )
        except TriageError as exc:
            self.notify(str(exc), title="Not done", severity="error", markup=False)
            return None
        self.notify(result.summary, markup=False, timeout=3)
        self.poke_sync()
        return result

    @work(
        exclusive=True,
        group="urgent-watch",
        description="Watching for urgent tips",
        exit_on_error=False,
    )
    async def watch_urgent(self) -> None:
        """Ring on any screen for every new urgent tip, the first one included, and again
        every `realert_seconds` for each that nobody has claimed."""
        await self._look_for_urgent()

    async def _look_for_urgent(self) -> None:
        waiting = await self.service.unclaimed_urgent()
        alert = self._alerts.due([tip.id for tip in waiting], self.clock())
        if alert:
            self.bell()
            if self.desktop_notify:
                self.notify_desktop(desktop_words(alert))
            # one line, no title: app.tcss lays a warning over the footer, clear of the rows
            self.notify(alert_words(alert), severity="warning", timeout=15, markup=False)

    def notify_desktop(self, text: str) -> None:
        """A desktop notification escape through Textual's driver, between two frames."""
        if self._driver is not None and not self.is_headless:
            self._driver.write(notification_escapes(text, tmux=self.in_tmux))

    async def on_unmount(self) -> None:
        self.failure_log.uninstall()
        if self._rest is None and self._making is not None:
            # quit while the rest was being made: let the thread finish its imports first
            await asyncio.wait([asyncio.wrap_future(self._making)])  # its error: not now
        if self._rest is not None:
            await self._rest.service.close()
        else:
            self.store.close()

    def open_tip(self, report_id: int) -> None:
        from tipline_tui.screens.report import ReportScreen

        self.push_screen(ReportScreen(report_id))

    def _help_sections(self) -> list[tuple[str, Iterable[BindingType]]]:
        from tipline_tui.screens.conflicts import ConflictsScreen
        from tipline_tui.screens.help import key_names
        from tipline_tui.screens.quarantine import QuarantineScreen
        from tipline_tui.screens.report import ReportScreen
        from tipline_tui.widgets.queue_table import QueueTable

        conflicts = self.keymap.get("queue.conflicts", "C")
        sections: list[tuple[str, Iterable[BindingType]]] = [
            ("Everywhere", self.BINDINGS),
            ("Queue: moving", QueueTable.BINDINGS),
            ("Triage: the open tip, or the queue's selection (else its cursor)", TRIAGE_BINDINGS),
            ("Queue: sorting, filtering, search, views", _without_triage(QueueScreen.BINDINGS)),
            ("Report", _without_triage(ReportScreen.BINDINGS)),
            (f"Sync conflicts ({key_names(conflicts)})", ConflictsScreen.BINDINGS),
            ("Quarantine", QuarantineScreen.BINDINGS),
        ]
        from tipline_tui.keymap import remapped

        return [(title, remapped(bindings, self.keymap)) for title, bindings in sections]

    def action_help(self) -> None:
        from tipline_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            palette = self.keymap.get("app.palette", "ctrl+p")
            self.push_screen(HelpScreen(self._help_sections(), palette_keys=palette))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers what the keys do where you are, plus Textual's own commands."""
        from tipline_tui.keymap import current_keys

        owners: list[DOMNode] = [screen]
        if screen.focused is not None:
            owners.append(screen.focused)
        owners.append(self)
        seen: set[str] = set()
        for owner in owners:
            for binding in owner.BINDINGS:
                if not isinstance(binding, Binding) or binding.action in seen:
                    continue
                if binding.action == "command_palette":
                    continue
                seen.add(binding.action)
                key = current_keys(binding, self.keymap).split(",")[0]
                yield SystemCommand(
                    binding.description,
                    f"key: {key}",
                    partial(self.call_next, self.run_action, binding.action, owner),
                )
        yield from super().get_system_commands(screen)


def _is_a_session(app: TiplineApp) -> AppSession:
    return app  # mypy checks here that the app gives screens all AppSession promises
