"""Confirm a referral: to whom, how urgent, and exactly what travels; y sends it.

The list of what travels is the `contents` stored with the referral, so
what the analyst confirmed is what the hub sends.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tipline_tui.domain.agency import Agency
from tipline_tui.domain.literal import literal
from tipline_tui.domain.triage import age_range_text
from tipline_tui.domain.views import TipView
from tipline_tui.session import SessionNode
from tipline_tui.widgets.format import plural, priority_text, utc_text
from tipline_tui.widgets.indented import IndentedContent
from tipline_tui.widgets.key_hint import key_hint


class DispatchScreen(SessionNode, ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "confirm", "Dispatch", id="dispatch.yes"),
        Binding("escape,n,q", "dismiss(False)", "Cancel", id="dispatch.cancel"),
    ]

    def __init__(self, report_id: int) -> None:
        super().__init__()
        self.report_id = report_id
        self.tip: TipView | None = None
        self.agency: Agency | None = None
        self.contents: dict[str, Any] | None = None
        self.earlier: list[int] = []
        self.confirmed_once = False
        self.ready = False
        self.yes_early = False  # y typed ahead of the preparation: honoured once shown

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt", id="dispatch"):
            yield Static(f"Dispatch tip #{self.report_id}", classes="prompt-title", markup=False)
            with VerticalScroll():
                yield Static("Preparing…", id="dispatch-body", markup=False)
            yield Static("", id="dispatch-keys", markup=False)

    def on_mount(self) -> None:
        self.prepare()

    @work(
        exclusive=True, group="dispatch", description="Preparing the referral", exit_on_error=False
    )
    async def prepare(self) -> None:
        # an assign typed just before `d` may still be writing: show the tip after it
        earlier = [w for w in self.app.workers if w.group == "triage" and w.is_running]
        if earlier:
            await self.app.workers.wait_for_complete(earlier)
        service = self.session.service
        tip = await service.load_tip(self.report_id)
        body = self.query_one("#dispatch-body", Static)
        if tip is None:
            body.update(f"Tip #{self.report_id} is not in this store.")
            return
        self.tip = tip
        if tip.analysis.jurisdiction_id is None:
            body.update("No jurisdiction yet: assign an agency first (a), then dispatch (d).")
            self.query_one("#dispatch-keys", Static).update("esc  back")
            return
        agencies = await service.agencies()
        self.agency = next((x for x in agencies if x.id == tip.analysis.jurisdiction_id), None)
        related = await service.related(self.report_id, limit=10)
        from tipline_tui.domain.transitions import referral_contents

        self.contents = referral_contents(tip, related)
        self.earlier = [
            r.created_at
            for r in tip.analysis.referrals
            if self.agency is not None and r.agency == self.agency.name and r.status != "failed"
        ]
        body.update(IndentedContent.of(self._describe()))  # wrapped lines keep their indent
        self._show_keys()
        self.ready = True
        if self.yes_early and not self.earlier:  # a second referral is never typed ahead
            self.action_confirm()
        elif self.yes_early:
            self.session.release_keys()  # the held keys now answer the second-referral question

    def _describe(self) -> Text:
        tip, agency, contents = self.tip, self.agency, self.contents
        assert tip is not None and contents is not None
        text = Text()
        if agency is None:
            text.append("The assigned agency is no longer in the directory.\n")
            return text
        place = agency.state or agency.country or ""
        text.append("To        ", style="bold")
        text.append(f"{literal(agency.name, multiline=False)} ({agency.kind} {place})\n")
        if not agency.takes_urgent and tip.analysis.priority == "E":
            text.append("          ! this agency does not take urgent referrals\n", style="bold")
        text.append("Priority  ", style="bold")
        text.append(f"{priority_text(tip.analysis.priority)}\n")
        text.append("What travels\n", style="bold")
        text.append(f"  the report as received: tip #{tip.id}, {utc_text(tip.received_at)}\n")
        labels = ", ".join(contents["labels"]) or "none"
        age = age_range_text(tip.analysis.victim_age_min, tip.analysis.victim_age_max)
        text.append(
            f"  analysis: priority {priority_text(contents['priority'])}; labels {labels}; "
            f"victim age {age}; {plural(contents['notes'], 'note')}\n"
        )
        related = ", ".join(f"#{r}" for r in contents["related"]) or "none"
        from tipline_tui.domain.transitions import STRONG_RELATED

        text.append(f"  related reports (score >= {STRONG_RELATED}): {related}\n")
        text.append(
            f"  file metadata: {plural(contents['files'], 'file')}: hashes, names, annotations; "
            "never the files\n"
        )
        law = tip.report.law_enforcement
        if agency.kind == "international" and law is not None and law.flea_country:
            text.append("Legal process  ", style="bold")
            text.append(f"served internationally (fleaCountry {literal(law.flea_country)})\n")
        if self.earlier:
            text.append(
                f"\nAlready referred to this agency at {utc_text(self.earlier[-1])}.\n",
                style="bold",
            )
        hub = self.session.hub_url
        if self.session.exercise:
            text.append(
                "\nA training exercise: the referral stays in this store, QUEUED, for the "
                "trainer's scorecard; nothing is sent.\n"
            )
        elif hub:
            text.append(f"\nThe referral is queued and sent through the hub ({hub}).\n")
        else:
            text.append(
                "\nNo hub is configured: the referral will wait in the outbox, "
                "status QUEUED, until one is.\n",
                style="bold",
            )
        return text

    def _show_keys(self) -> None:
        keys = self.query_one("#dispatch-keys", Static)
        yes = key_hint(self.app, "dispatch.yes", "y")
        cancel = key_hint(self.app, "dispatch.cancel", "esc")
        if self.agency is None:
            keys.update(f"{cancel}  back")
        elif self.earlier and not self.confirmed_once:
            keys.update(
                f"{yes}  send a SECOND referral to the same agency (asks again)    {cancel}  cancel"
            )
        elif self.earlier:
            keys.update(f"{yes}  yes, really send a SECOND referral    {cancel}  cancel")
        else:
            keys.update(f"{yes}  dispatch    {cancel}  cancel")

    def action_confirm(self) -> None:
        # at once, in y's own handler (not in the worker): a key typed in the same breath
        # is already on its way, and must be held for the screen y returns to
        self.session.hold_keys()
        self._send()

    @work(exclusive=True, group="dispatch-send", description="Dispatching", exit_on_error=False)
    async def _send(self) -> None:
        if not self.ready:
            self.yes_early = True  # still held; sent (and released) once the referral shows
            return
        try:
            await self._confirm()
        finally:
            self.app.call_after_refresh(self.session.release_keys)

    async def _confirm(self) -> None:
        if self.agency is None or self.contents is None or self.agency.id is None:
            return
        if self.earlier and not self.confirmed_once:
            self.confirmed_once = True
            self._show_keys()
            return
        from tipline_tui.store import actions  # SQLAlchemy: loaded by then

        result = await self.session.perform(
            actions.dispatch,
            self.report_id,
            self.agency.id,
            contents=self.contents,
            again=bool(self.earlier),
        )
        # refused (the tip changed under the dialog: closed, claimed, referred by someone
        # else): the notice says why, and the screen below reloads to show the tip as it is
        self.dismiss(result is not None)
