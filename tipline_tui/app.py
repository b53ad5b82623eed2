"""The Textual application: screens, global keys, the command palette."""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen

from tipline_tui.domain.triage import TimeLimits, TriageError
from tipline_tui.screens.conflicts import ConflictsScreen
from tipline_tui.screens.help import HelpScreen
from tipline_tui.screens.quarantine import QuarantineScreen
from tipline_tui.screens.queue import QueueScreen
from tipline_tui.screens.report import ReportScreen
from tipline_tui.screens.triage import TRIAGE_BINDINGS
from tipline_tui.store.actions import ActionResult
from tipline_tui.store.service import TipService
from tipline_tui.sync.loop import SyncLoop, SyncStatus
from tipline_tui.widgets.queue_table import QueueTable


def _without_triage(bindings: list[BindingType]) -> list[BindingType]:
    return [b for b in bindings if b not in TRIAGE_BINDINGS]


class TiplineApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tipline"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, id="app.palette"),
    ]

    def __init__(
        self,
        service: TipService,
        *,
        demo: bool = False,
        clock: Callable[[], float] = time.time,
        analyst: str | None = None,
        time_limits: TimeLimits | None = None,
        on_call: bool = False,
        hub_url: str | None = None,
        urgent_poll_seconds: float = 5.0,
        sync: SyncLoop | None = None,
        feed: Any = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.demo = demo
        self.clock = clock
        self.analyst = analyst or getpass.getuser()
        self.time_limits = time_limits or TimeLimits()
        self.on_call = on_call
        self.hub_url = hub_url
        self.urgent_poll_seconds = urgent_poll_seconds
        self._newest_urgent: int | None = None
        self._held_keys: list[tuple[str, str | None]] | None = None
        self.sync = sync
        self.feed = feed  # the demo's tip feed: anything with `async run_forever()`
        self.sync_status: SyncStatus | None = None
        if sync is not None:
            sync.on_status = self._sync_changed
        if demo:
            self.sub_title = "DEMO"

    def on_mount(self) -> None:
        self.push_screen(QueueScreen(self.service, demo=self.demo, on_call=self.on_call))
        self.watch_urgent()
        self.set_interval(self.urgent_poll_seconds, self.watch_urgent)
        if self.sync is not None:
            self.run_worker(self.sync.run_forever(), group="sync", exit_on_error=False)
        if self.feed is not None:
            self.run_worker(self.feed.run_forever(), group="sync", exit_on_error=False)

    def _sync_changed(self, status: SyncStatus) -> None:
        """The badge follows the sync state; pulled changes show at once."""
        before = self.sync_status
        self.sync_status = status
        pulled = before is None or status.pulled_total != before.pulled_total
        for screen in self.screen_stack:
            refresh = getattr(screen, "sync_changed", None)
            if refresh is not None:
                refresh(pulled)
        if pulled:
            self.watch_urgent()

    # ---------------------------------------------------------- typed-ahead keys

    def hold_keys(self) -> None:
        """Keep every key from now on until `release_keys`.

        A prompt that must load before it can act (the assign list) holds
        the keys typed while it loads, so `a enter d y` typed in one breath
        means the same as typed slowly: nothing reaches a screen too early.
        """
        self._held_keys = []

    def release_keys(self) -> None:
        held, self._held_keys = self._held_keys, None
        for key, character in held or []:
            self.post_message(events.Key(key, character))

    async def on_event(self, event: events.Event) -> None:
        held = getattr(self, "_held_keys", None)
        if held is not None and isinstance(event, events.Key) and not event.is_forwarded:
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
        if self.sync is not None:
            self.sync.poke()
        return result

    @work(exclusive=True, group="urgent-watch", exit_on_error=False)
    async def watch_urgent(self) -> None:
        """Ring the bell and say so when a new urgent tip arrives, on any screen."""
        newest = await self.service.newest_urgent()
        seen = self._newest_urgent
        self._newest_urgent = newest if seen is None else max(seen, newest or 0)
        if seen is not None and newest is not None and newest > seen:
            self.bell()
            self.notify(
                f"New urgent tip #{newest}",
                title="URGENT",
                severity="warning",
                timeout=30,
                markup=False,
            )

    async def on_unmount(self) -> None:
        await self.service.close()

    def open_tip(self, report_id: int) -> None:
        self.push_screen(ReportScreen(self.service, report_id))

    def _help_sections(self) -> list[tuple[str, Iterable[BindingType]]]:
        return [
            ("Everywhere", self.BINDINGS),
            ("Queue: moving", QueueTable.BINDINGS),
            ("Triage: the open tip, or the queue's selection (else its cursor)", TRIAGE_BINDINGS),
            ("Queue: sorting, filtering, search, views", _without_triage(QueueScreen.BINDINGS)),
            ("Report", _without_triage(ReportScreen.BINDINGS)),
            ("Sync conflicts (C)", ConflictsScreen.BINDINGS),
            ("Quarantine", QuarantineScreen.BINDINGS),
        ]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self._help_sections()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers what the keys do where you are, plus Textual's own commands."""
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
                key = binding.key.split(",")[0]
                yield SystemCommand(
                    binding.description,
                    f"key: {key}",
                    partial(self.call_next, self.run_action, binding.action, owner),
                )
        yield from super().get_system_commands(screen)
