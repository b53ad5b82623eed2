"""Choose a tip's jurisdiction: suggested agencies first with reasons, then any by name.

Typing filters the whole directory with rapidfuzz; enter assigns the
highlighted agency, so enter straight away takes the top suggestion. When
the report gives no signal (none found) or signals that disagree (conflict),
nothing is highlighted: enter alone picks nothing, and the dialog says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from tipline_tui.domain.agency import NO_DIRECTORY, Agency
from tipline_tui.domain.literal import literal
from tipline_tui.session import SessionNode, failed
from tipline_tui.widgets.key_hint import key_hint

if TYPE_CHECKING:
    from tipline_tui.domain.jurisdiction import Suggestion

FILTER_LIMIT = 40
LIST_HEIGHT = 12  # rows of the agency list, borders included, when the terminal has them
AROUND_LIST = 11  # the dialog's other rows at most: borders, title, summary (4), box (3), keys
NOTHING_CHOSEN = "Nothing chosen: ↑↓ picks an agency, or type to search"


def agency_line(agency: Agency) -> str:
    place = agency.state or agency.country or ""
    urgent = "" if agency.takes_urgent else "  (no urgent referrals)"
    return f"{literal(agency.name, multiline=False)}  [{agency.kind} {place}]{urgent}"


def filter_agencies(agencies: list[Agency], query: str) -> list[Agency]:
    """Agencies best matching `query` (name, kind, state, country); all when it is empty."""
    from rapidfuzz import fuzz, process, utils  # when a filter is first typed

    if not query.strip():
        return agencies
    choices = [f"{a.name} {a.kind} {a.state or ''} {a.country or ''}" for a in agencies]
    found = process.extract(
        query,
        choices,
        scorer=fuzz.WRatio,
        processor=utils.default_process,  # "texas icac" finds "Texas ICAC …" first
        limit=None,
        score_cutoff=50,
    )
    # every word typed starting a word of the agency's comes first: WRatio alone scores a
    # short word in a long name ("France" in "National Police Partner, France") like a miss
    words = utils.default_process(query).split()

    def typed_words_start_its_words(index: int) -> bool:
        own = utils.default_process(choices[index]).split()
        return all(any(w.startswith(word) for w in own) for word in words)

    found.sort(key=lambda hit: not typed_words_start_its_words(hit[2]))  # stable: by score
    return [agencies[index] for _, _, index in found[:FILTER_LIMIT]]


def summary_text(suggestion: Suggestion) -> Text:
    """Where the report points; for none and conflict, first why nothing is preselected."""
    from tipline_tui.domain.jurisdiction import Outcome

    text = Text()
    if suggestion.outcome is Outcome.NONE:
        text.append("No jurisdiction in the report: search the directory", style="bold")
        text.append("\n")
    elif suggestion.outcome is Outcome.CONFLICT:
        places = suggestion.summary.partition(": ")[2] or suggestion.summary
        text.append(f"Signals conflict: {literal(places, multiline=False)} — choose", style="bold")
    if suggestion.outcome is not Outcome.CONFLICT:  # a conflict's summary is the line above
        text.append(literal(suggestion.summary, multiline=False))
    if suggestion.legal_process:
        text.append("\n" + literal(suggestion.legal_process, multiline=False))
    return text


class AssignScreen(SessionNode, ModalScreen[int | None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="assign.cancel"),
        # a priority binding runs in key order, before the filter box sees later keys
        Binding("enter", "assign_highlighted", "Assign", priority=True, id="assign.enter"),
        Binding("down", "move(1)", "Next agency", show=False, id="assign.down"),
        Binding("up", "move(-1)", "Previous agency", show=False, id="assign.up"),
    ]

    def __init__(self, report_id: int) -> None:
        super().__init__()
        self.report_id = report_id
        self.suggestion: Suggestion | None = None
        self.agencies: list[Agency] = []
        self.loaded = False
        self.assigning = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt", id="assign"):
            yield Static(f"Assign tip #{self.report_id} to…", classes="prompt-title", markup=False)
            yield Static("Looking at the report's signals…", id="assign-summary", markup=False)
            # disabled (so unfocusable) until the list is there: keys typed before then wait
            yield Input(
                placeholder="type to search every agency", id="assign-filter", disabled=True
            )
            yield OptionList(id="assign-list")
            yield Static(self._keys(), id="assign-keys", markup=False)

    def on_mount(self) -> None:
        self.load()

    def on_resize(self, event: events.Resize) -> None:
        """The list gives way on a short terminal, so the key line below it stays in view."""
        rows = max(3, min(LIST_HEIGHT, event.size.height - AROUND_LIST))
        for options in self.query(OptionList):  # none yet when the resize beats compose
            options.styles.height = rows

    @work(
        exclusive=True,
        group="assign-load",
        description="Loading the agencies",
        exit_on_error=False,
    )
    async def load(self) -> None:
        try:
            await self._load()
        finally:  # whatever happens, the keyboard is never left held
            self.app.call_after_refresh(self.session.release_keys)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if failed(event, "assign-load"):
            summary = self.query_one("#assign-summary", Static)
            summary.update("The agencies could not be loaded — see the log. esc closes.")

    async def _load(self) -> None:
        service = self.session.service
        self.agencies = await service.agencies()
        self.suggestion = await service.suggestion(self.report_id)
        summary = self.query_one("#assign-summary", Static)
        if self.suggestion is not None:
            summary.update(summary_text(self.suggestion))
        if not self.agencies:
            summary.update(NO_DIRECTORY)
        self._fill(self.query_one(Input).value)
        self.loaded = True
        box = self.query_one(Input)
        box.disabled = False
        box.focus()

    def _fill(self, query: str) -> None:
        options: list[Option | None] = []
        suggested: set[int | None] = set()
        if self.suggestion is not None and not query.strip():
            for choice in self.suggestion.agencies:
                suggested.add(choice.agency.id)
                prompt = Text(f"* {agency_line(choice.agency)}\n", style="bold")
                prompt.append("    " + literal("; ".join(choice.reasons), multiline=False))
                options.append(Option(prompt, id=str(choice.agency.id)))
            if options:
                options.append(None)
        for agency in filter_agencies(self.agencies, query):
            if agency.id not in suggested:
                options.append(Option(Text(agency_line(agency)), id=str(agency.id)))
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options(options)
        # the top suggestion, or the best match for what was typed: never a guess
        listing.highlighted = 0 if listing.option_count and (query.strip() or self.signal) else None

    @property
    def signal(self) -> bool:
        """The report points somewhere: its top suggestion may be taken with enter alone."""
        from tipline_tui.domain.jurisdiction import Outcome

        s = self.suggestion
        return s is not None and s.outcome is Outcome.SUGGESTED and bool(s.agencies)

    @on(Input.Changed, "#assign-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _keys(self) -> str:
        assign = key_hint(self.app, "assign.enter", "enter")
        up, down = key_hint(self.app, "assign.up", "↑"), key_hint(self.app, "assign.down", "↓")
        cancel = key_hint(self.app, "assign.cancel", "esc")
        return f"{assign}  assign    {up}{down}  choose    {cancel}  cancel"

    def action_assign_highlighted(self) -> None:
        if not self.loaded:
            return
        listing = self.query_one(OptionList)
        if listing.highlighted is None:
            self.query_one("#assign-keys", Static).update(Text(NOTHING_CHOSEN, style="bold"))
            return
        self._choose(listing.get_option_at_index(listing.highlighted).id)

    @on(OptionList.OptionHighlighted, "#assign-list")
    def _chosen(self) -> None:
        self.query_one("#assign-keys", Static).update(self._keys())

    @on(OptionList.OptionSelected, "#assign-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        if option_id is not None and not self.assigning:
            self.assigning = True
            self.session.hold_keys()  # until the assignment is saved
            self._assign(int(option_id))

    @work(group="assign-save", description="Assigning", exit_on_error=False)
    async def _assign(self, agency_id: int) -> None:
        """Assign before closing, so a `d` typed next sees the jurisdiction."""
        session = self.session
        try:
            from tipline_tui.store import actions  # SQLAlchemy: loaded by then

            result = await session.perform(actions.assign, self.report_id, agency_id)
        except Exception:
            self.assigning = False  # nothing was saved (a full disk): choose again, or esc
            raise
        else:
            self.dismiss(agency_id if result is not None else None)
        finally:
            self.app.call_after_refresh(session.release_keys)

    def action_move(self, step: int) -> None:
        listing = self.query_one(OptionList)
        if step > 0:
            listing.action_cursor_down()
        else:
            listing.action_cursor_up()
