"""One tip in detail panes: summary, people, internet, files, law enforcement, analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import Worker

from tipline_tui.domain.enums import incident_short, is_urgent
from tipline_tui.domain.literal import literal
from tipline_tui.domain.views import RelatedReport, TipView
from tipline_tui.screens.triage import TRIAGE_BINDINGS, TipDetails, TriageMixin, TriageState
from tipline_tui.session import SyncChanged, failed
from tipline_tui.widgets.fitting_footer import FittingFooter
from tipline_tui.widgets.format import age_text, plural, priority_text, utc_text
from tipline_tui.widgets.history import agency_ids, history_text
from tipline_tui.widgets.indented import IndentedContent
from tipline_tui.widgets.report_panes import PANES

if TYPE_CHECKING:
    from tipline_tui.store.service import TipService

# the footer keeps whole hints, these first; `?` lists every key
FOOTER_IMPORTANCE = (
    "next_pane(1)",
    "next_pane(-1)",
    "triage_claim",
    "triage_priority('E')",
    "triage_assign",
    "triage_dispatch",
    "help",
    "app.pop_screen",
)


class ReportScreen(TriageMixin, Screen[None]):
    BINDINGS = [
        *TRIAGE_BINDINGS,
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
        Binding(
            "7", "pane('related')", "Related reports pane", show=False, id="report.pane.related"
        ),
        Binding(
            "8", "pane('history')", "History pane (audit)", show=False, id="report.pane.history"
        ),
        Binding("m", "mark(True)", "Mark related: same person", show=False, id="report.same"),
        Binding("n", "mark(False)", "Mark related: not the same", show=False, id="report.notsame"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False, id="report.down"),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False, id="report.up"),
        Binding("right,l,tab", "next_pane(1)", "Next pane", key_display="→", id="report.next"),
        Binding(
            "left,h,shift+tab", "next_pane(-1)", "Previous pane", key_display="←", id="report.prev"
        ),
    ]

    def __init__(self, report_id: int) -> None:
        super().__init__()
        self.report_id = report_id
        self.tip: TipView | None = None
        self.related: list[RelatedReport] = []

    def compose(self) -> ComposeResult:
        yield Static(f"Tip #{self.report_id}: loading…", id="report-title", markup=False)
        with TabbedContent(id="panes"):
            for key, title, _ in PANES:
                with TabPane(title, id=f"pane-{key}"), VerticalScroll():
                    yield Static("", id=f"text-{key}", markup=False)
            with TabPane("Related", id="pane-related"):
                yield Static("Searching for related reports…", id="related-status", markup=False)
                yield OptionList(id="related-list")
            with TabPane("History", id="pane-history"), VerticalScroll():
                yield Static("", id="text-history", markup=False)
        yield FittingFooter(FOOTER_IMPORTANCE)

    @property
    def service(self) -> TipService:
        return self.session.service

    def on_mount(self) -> None:
        self.load()
        self.record_view()

    @work(group="audit-view", description="Recording the view in the audit", exit_on_error=False)
    async def record_view(self) -> None:
        """Every opening of a tip is audited: who looked, when."""
        session = self.session
        await self.service.record_view(self.report_id, analyst=session.analyst, now=session.now())

    def triage_ids(self) -> list[int]:
        return [self.report_id] if self.tip is not None else []

    def triage_state(self) -> TriageState | None:
        if self.tip is None:
            return None
        a = self.tip.analysis
        details = TipDetails(tuple(a.labels), a.victim_age_min, a.victim_age_max)
        return TriageState(
            a.claimed_by, a.status, a.priority, details, escalated=self.tip.report.escalated
        )

    def after_triage(self) -> None:
        self.load()

    def show_stored_state(self) -> None:
        self.load()

    def on_sync_changed(self, message: SyncChanged) -> None:
        """What sync brings (an agency's acknowledgement, another analyst's claim) shows at
        once: an open tip is read again whenever a round pulled changes."""
        if message.pulled and self.tip is not None:
            self.load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed load or search says so where its result would be (the app logs it)."""
        if failed(event, "related"):
            status = self.query_one("#related-status", Static)
            status.update("Related search failed — see the log.")
        elif failed(event, "load-tip") and self.tip is None:
            title = self.query_one("#report-title", Static)
            title.update(f"Tip #{self.report_id} could not be loaded — see the log.")

    @work(exclusive=True, group="load-tip", description="Loading the tip", exit_on_error=False)
    async def load(self) -> None:
        tip = await self.service.load_tip(self.report_id)
        if tip is None:
            self.query_one("#report-title", Static).update(
                f"Tip #{self.report_id} is not in this store."
            )
            return
        self.tip = tip
        self._show(tip)
        self.find_related()
        history = await self.service.history(self.report_id)
        names: dict[int, str] = {}
        if agency_ids(history):  # the directory is read only when the history names an agency
            names = {a.id: a.name for a in await self.service.agencies() if a.id is not None}
        text = IndentedContent.of(history_text(history, names))
        self.query_one("#text-history", Static).update(text)

    @work(exclusive=True, group="related", description="Related search", exit_on_error=False)
    async def find_related(self) -> None:
        """Runs beside the panes: reading a tip never waits for the search."""
        found = await self.service.related(self.report_id)
        self.related = found
        status = self.query_one("#related-status", Static)
        status.update(
            f"{plural(len(found), 'related report')}, strongest first (enter opens; m same person, "
            "n not the same)"
            if found
            else "No related reports found."
        )
        options = self.query_one("#related-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(
            [Option(IndentedContent.of(related_prompt(r)), id=str(r.report_id)) for r in found]
        )
        if found:
            options.highlighted = min(highlighted or 0, len(found) - 1)
        tab = self.query_one(TabbedContent).get_tab("pane-related")
        tab.label = Content(f"Related ({len(found)})")

    def _show(self, tip: TipView) -> None:
        now = self.session.clock()
        a = tip.analysis
        title = Text()
        if is_urgent(a.priority, tip.report.escalated):
            title.append("!! ", style="bold")
        title.append(f"Tip #{tip.id}", style="bold")
        title.append(
            f"  {incident_short(tip.report.incident_type)}  {age_text(now - tip.received_at)} old"
            f"  pri {priority_text(a.priority)}  {a.status}"
        )
        if a.claimed_by:
            title.append(f":{literal(a.claimed_by, multiline=False)}")
        if a.jurisdiction:
            title.append(f"  -> {literal(a.jurisdiction, multiline=False)}")
        self.query_one("#report-title", Static).update(title)
        for key, _, build in PANES:
            self.query_one(f"#text-{key}", Static).update(IndentedContent.of(build(tip, now)))
        self._focus_pane()

    @on(OptionList.OptionSelected, "#related-list")
    def _open_related(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.session.open_tip(int(event.option.id))

    async def action_mark(self, same: bool) -> None:
        options = self.query_one("#related-list", OptionList)
        if self.query_one(TabbedContent).active != "pane-related" or options.highlighted is None:
            self.notify("Open the Related pane (7) and choose a report to mark.", markup=False)
            return
        other = int(options.get_option_at_index(options.highlighted).id or 0)
        session = self.session
        await self.service.mark_pair(
            self.report_id, other, same=same, analyst=session.analyst, now=session.now()
        )
        verdict = "the same person" if same else "not the same person"
        self.notify(f"Marked tips #{self.report_id} and #{other} as {verdict}.", markup=False)
        self.find_related()

    def _active_scroll(self) -> VerticalScroll:
        tabs = self.query_one(TabbedContent)
        return self.query_one(f"#{tabs.active}", TabPane).query_one(VerticalScroll)

    def _focus_pane(self) -> None:
        if self.query_one(TabbedContent).active == "pane-related":
            self.query_one("#related-list", OptionList).focus()
        else:
            self._active_scroll().focus()

    def action_pane(self, key: str) -> None:
        self.query_one(TabbedContent).active = f"pane-{key}"
        self._focus_pane()

    def action_next_pane(self, step: int) -> None:
        keys = [f"pane-{key}" for key, _, _ in PANES] + ["pane-related", "pane-history"]
        tabs = self.query_one(TabbedContent)
        tabs.active = keys[(keys.index(tabs.active) + step) % len(keys)]
        self._focus_pane()

    def action_scroll(self, lines: int) -> None:
        if self.query_one(TabbedContent).active != "pane-related":
            self._active_scroll().scroll_relative(y=lines, animate=False)


def related_prompt(related: RelatedReport) -> Text:
    """Two lines: the prior tip's facts, then why it matched (report text shown literally)."""
    text = Text()
    mark = {True: " [marked same]", False: " [marked not same]", None: ""}[related.marked]
    text.append(f"#{related.report_id}", style="bold")
    text.append(
        f"  {related.score:.2f}  {utc_text(related.received_at)[:10]}  "
        f"{incident_short(related.incident_type)}  {related.status}  "
        f"{literal(related.jurisdiction, multiline=False) or '-'}{mark}\n"
    )
    text.append("   " + literal(" · ".join(related.reasons), multiline=False))
    return text
