"""One tip in detail panes: summary, people, internet, files, law enforcement, analysis."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from tipline_tui.domain.enums import incident_short
from tipline_tui.domain.views import TipView
from tipline_tui.store.service import TipService
from tipline_tui.widgets.format import age_text, priority_text
from tipline_tui.widgets.report_panes import PANES


class ReportScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="report.back"),
        *[
            Binding(
                str(n),
                f"pane('{key}')",
                f"{title} pane",
                show=False,
                id=f"report.pane.{key}",
            )
            for n, (key, title, _) in enumerate(PANES, 1)
        ],
        Binding("j,down", "scroll(1)", "Scroll down", show=False, id="report.down"),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False, id="report.up"),
        Binding("right,l,tab", "next_pane(1)", "Next pane", key_display="→", id="report.next"),
        Binding(
            "left,h,shift+tab", "next_pane(-1)", "Previous pane", key_display="←", id="report.prev"
        ),
    ]

    def __init__(self, service: TipService, report_id: int) -> None:
        super().__init__()
        self.service = service
        self.report_id = report_id
        self.tip: TipView | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Tip #{self.report_id}: loading…", id="report-title", markup=False)
        with TabbedContent(id="panes"):
            for key, title, _ in PANES:
                with TabPane(title, id=f"pane-{key}"), VerticalScroll():
                    yield Static("", id=f"text-{key}", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="load-tip", exit_on_error=False)
    async def load(self) -> None:
        tip = await self.service.load_tip(self.report_id)
        if tip is None:
            self.query_one("#report-title", Static).update(
                f"Tip #{self.report_id} is not in this store."
            )
            return
        self.tip = tip
        self._show(tip)

    def _show(self, tip: TipView) -> None:
        now = self.app.clock()  # type: ignore[attr-defined]
        a = tip.analysis
        title = Text()
        if tip.report.escalated or a.priority == "E":
            title.append("!! ", style="bold")
        title.append(f"Tip #{tip.id}", style="bold")
        title.append(
            f"  {incident_short(tip.report.incident_type)}  {age_text(now - tip.received_at)} old"
            f"  pri {priority_text(a.priority)}  {a.status}"
        )
        self.query_one("#report-title", Static).update(title)
        for key, _, build in PANES:
            self.query_one(f"#text-{key}", Static).update(build(tip, now))
        self._focus_pane()

    def _active_scroll(self) -> VerticalScroll:
        tabs = self.query_one(TabbedContent)
        return self.query_one(f"#{tabs.active}", TabPane).query_one(VerticalScroll)

    def _focus_pane(self) -> None:
        self._active_scroll().focus()

    def action_pane(self, key: str) -> None:
        self.query_one(TabbedContent).active = f"pane-{key}"
        self._focus_pane()

    def action_next_pane(self, step: int) -> None:
        keys = [f"pane-{key}" for key, _, _ in PANES]
        tabs = self.query_one(TabbedContent)
        tabs.active = keys[(keys.index(tabs.active) + step) % len(keys)]
        self._focus_pane()

    def action_scroll(self, lines: int) -> None:
        self._active_scroll().scroll_relative(y=lines, animate=False)
